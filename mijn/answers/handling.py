"""The answers at hand while the KCC handles a question, gathered in one namespace: search,
suggestions tailored to the question's topic and dossier, opening one, counting the one
used, and flagging. No code of its own: each name lives in the module that does it.

It exists because mijn/http/kcc/questions.py reaches these as `answers.<name>` and is being
changed by another piece of work; once it imports from the modules below, this can go.
"""

from mijn.answers.errors import AnswerError
from mijn.answers.events import record
from mijn.answers.feedback import flag
from mijn.answers.reading import published_by_ids, search_answers
from mijn.answers.tailoring import Context, dossier_facts, suggest

__all__ = ["AnswerError", "Context", "dossier_facts", "flag", "published_by_ids", "record",
           "search_answers", "suggest"]
