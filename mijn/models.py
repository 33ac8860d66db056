"""Imports every area's tables, so that the metadata is complete (Alembic, tests)."""


# Tables the migrations fill with reference data (kept when tests empty the database).
REFERENCE_TABLES = frozenset({"question_topics"})


def import_all() -> None:
    """Import all model modules."""
    import mijn.answers.models  # noqa: F401
    import mijn.audit.models  # noqa: F401
    import mijn.documents.models  # noqa: F401
    import mijn.dossiers.models  # noqa: F401
    import mijn.intake.models  # noqa: F401
    import mijn.mandates.models  # noqa: F401
    import mijn.notifications.models  # noqa: F401
    import mijn.openklant.models  # noqa: F401
    import mijn.parties.models  # noqa: F401
    import mijn.questions.models  # noqa: F401
    import mijn.ratelimits.models  # noqa: F401
    import mijn.retention.models  # noqa: F401
    import mijn.sessions.models  # noqa: F401
    import mijn.staff.models  # noqa: F401
    import mijn.tasks.models  # noqa: F401
