"""party search: date of birth, address and search keys of name, phone and e-mail

Revision ID: 0012e
Revises: 0012c
Create Date: 2026-12-04 14:10:00
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012e'
down_revision: str | None = '0012c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_parties_birth_date_name": ["birth_date", "name_key"],
    "ix_parties_name_key": ["name_key"],
    "ix_parties_address": ["postcode", "house_number"],
    "ix_parties_phone_key": ["phone_key"],
    "ix_parties_email_key": ["email_key"],
}


def upgrade() -> None:
    # The KCC finds a caller by name and date of birth, address, phone or e-mail: each kept
    # in one normal form (mijn/parties/keys.py), so that one indexed equality finds it.
    with op.batch_alter_table("parties") as batch:
        batch.add_column(sa.Column("birth_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("postcode", sa.String(10), nullable=True))
        batch.add_column(sa.Column("house_number", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("house_number_addition", sa.String(10), nullable=True))
        batch.add_column(sa.Column("name_key", sa.String(200), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("phone_key", sa.String(30), nullable=True))
        batch.add_column(sa.Column("email_key", sa.String(254), nullable=True))
    _fill_keys()
    for name, columns in INDEXES.items():
        op.create_index(name, "parties", columns)


def _name_key(name: str) -> str:
    """As mijn/parties/keys.py has it today (a migration keeps its own copy)."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    plain = plain.replace("æ", "ae").replace("ø", "o").replace("ł", "l").replace("đ", "d")
    return " ".join(re.sub(r"[^\w']+", " ", plain).replace("'", "").split())[:200]


def _phone_key(phone: str) -> str | None:
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("+") or digits.startswith("00"):
        digits = digits.removeprefix("00")
        if digits.startswith("310") and len(digits) == 12:
            digits = "31" + digits[3:]
        digits = "0" + digits[2:] if digits.startswith("31") and len(digits) == 11 else digits
    return digits or None


def _fill_keys() -> None:
    """The keys of the parties already there (as the model's validators make them)."""
    bind = op.get_bind()
    parties = sa.table("parties", sa.column("id", sa.Integer), sa.column("name", sa.String),
                       sa.column("phone", sa.String), sa.column("email", sa.String),
                       sa.column("name_key", sa.String), sa.column("phone_key", sa.String),
                       sa.column("email_key", sa.String))
    rows = bind.execute(sa.select(parties.c.id, parties.c.name, parties.c.phone,
                                  parties.c.email)).all()
    for party_id, name, phone, email in rows:
        bind.execute(parties.update().where(parties.c.id == party_id).values(
            name_key=_name_key(name or ""),
            phone_key=_phone_key(phone) if phone else None,
            email_key=email.strip().lower() or None if email else None,
        ))


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="parties")
    with op.batch_alter_table("parties") as batch:
        for column in ("email_key", "phone_key", "name_key", "house_number_addition",
                       "house_number", "postcode", "birth_date"):
            batch.drop_column(column)
