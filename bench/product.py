"""Every name the benchmarks take from the mijn package, in one place.

The benchmarks import these from here (`from bench.product import ...`), never from mijn
directly: when a mijn module moves, this file is the one to change. The app paths and the
command line the benchmarks start as processes are here too.
"""

from __future__ import annotations

import sys

from mijn import PROJECT_ROOT
from mijn.access.identity import Identity
from mijn.access.loa import opens_at
from mijn.access.scope import PartyScope
from mijn.access.staff import Staff
from mijn.answers import reading as answer_reading
from mijn.answers import search as answer_search
from mijn.answers.editing import Draft, create_answer, review_default, slugify
from mijn.answers.models import (
    AUDIENCES,
    Answer,
    AnswerTerm,
    AnswerTopic,
    AnswerVersion,
    SearchTerm,
    SearchVariant,
)
from mijn.answers.publishing import publish
from mijn.answers.reading import search_answers
from mijn.answers.text import summary
from mijn.app import create_app
from mijn.channels import CHANNELS
from mijn.cli import tcp_listener
from mijn.db import (
    make_autocommit_sessionmaker,
    make_engine,
    make_sessionmaker,
    request_session,
    utcnow,
)
from mijn.dev.cluster import Cluster, free_port, missing_tools
from mijn.dev.demo import DOSSIER_TYPES, MIN_LOA, seed_demo
from mijn.dossiers.changes import ensure_dossier_type
from mijn.dossiers.models import StatusType
from mijn.dossiers.service import DossierPage, _summary_columns, get_dossier_view, list_dossiers
from mijn.http.common import CSRF_COOKIE, redirect, render
from mijn.http.kcc.common import note_handover_news, render_staff, require_staff
from mijn.http.kcc.questions import _workspace as workspace_context
from mijn.http.portal import dossiers as dossier_pages
from mijn.http.session import (
    STAFF_SESSION_COOKIE,
    TOUCH_INTERVAL,
    SessionsMiddleware,
    require_identity,
)
from mijn.i18n import language
from mijn.insight import report as insight_report
from mijn.insight.period import Period, add_months, month_start
from mijn.insight.period import departments as insight_departments
from mijn.intake.service import create_api_client
from mijn.migrate import alembic_config, upgrade_async
from mijn.models import import_all
from mijn.notifications import delivery as notification_delivery
from mijn.notifications import mail as notification_mail
from mijn.notifications.mail import compose_news
from mijn.openklant import queue as openklant_queue
from mijn.openklant.client import OpenKlantClient
from mijn.openklantsettings import openklant_settings
from mijn.parties.service import get_or_create_party
from mijn.progress import Progress
from mijn.questions.asking import NewQuestion, ask
from mijn.questions.common import REFERENCE_ALPHABET, list_topics
from mijn.questions.models import Topic
from mijn.questions.workflow import claim, claim_next, reply, staff_question
from mijn.sessions.service import Limits, open_session
from mijn.settings import RATE_LIMIT_DEFAULTS, load_settings
from mijn.staff.models import StaffMember
from mijn.staff.service import record_login
from mijn.workingtime import WorkingCalendar, add_working_time

# The portal's app factory (for uvicorn) and its command line (`mijn serve`, `mijn worker`).
APP_FACTORY = "mijn.app:create_app"
MIJN_COMMAND = [sys.executable, "-m", "mijn.cli"]

__all__ = [
    "Cluster", "NewQuestion", "ask", "free_port", "list_topics", "missing_tools", "seed_demo",
    "Identity", "Limits", "open_session",
    "PartyScope",
    "APP_FACTORY", "AUDIENCES", "CHANNELS", "CSRF_COOKIE", "DOSSIER_TYPES", "MIJN_COMMAND",
    "MIN_LOA", "PROJECT_ROOT", "RATE_LIMIT_DEFAULTS", "REFERENCE_ALPHABET",
    "STAFF_SESSION_COOKIE", "TOUCH_INTERVAL",
    "Answer", "AnswerTerm", "AnswerTopic", "AnswerVersion", "DossierPage", "Draft", "Period",
    "Progress", "SearchTerm", "SearchVariant", "Staff", "StaffMember", "StatusType", "Topic",
    "WorkingCalendar", "_summary_columns", "add_months", "add_working_time", "alembic_config",
    "answer_search", "claim_next", "compose_news", "create_answer", "create_api_client",
    "create_app", "ensure_dossier_type", "get_dossier_view", "import_all",
    "insight_departments", "insight_report", "language", "list_dossiers", "load_settings",
    "make_autocommit_sessionmaker", "make_engine", "make_sessionmaker", "month_start",
    "notification_mail", "notification_delivery", "opens_at", "publish", "record_login",
    "redirect", "render",
    "request_session", "require_identity", "require_staff", "review_default", "search_answers",
    "slugify", "summary", "tcp_listener", "upgrade_async", "utcnow",
    "note_handover_news", "render_staff", "staff_question", "workspace_context",
    "SessionsMiddleware", "answer_reading", "dossier_pages",
    "OpenKlantClient", "claim", "get_or_create_party", "openklant_queue",
    "openklant_settings", "reply",
]
