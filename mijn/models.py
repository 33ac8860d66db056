"""Imports every area's tables, so that the metadata is complete (Alembic, tests)."""


def import_all() -> None:
    """Import all model modules."""
    import mijn.audit.models  # noqa: F401
    import mijn.dossiers.models  # noqa: F401
    import mijn.intake.models  # noqa: F401
    import mijn.parties.models  # noqa: F401
