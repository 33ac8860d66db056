"""Tables of the parties area."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from mijn.db import Base, UTCDateTime, utcnow
from mijn.parties import keys


class Party(Base):
    """A person (BSN, rijksregisternummer) or an organisation (KvK, KBO)."""

    __tablename__ = "parties"
    __table_args__ = (
        UniqueConstraint("identifier_type", "identifier", name="uq_parties_identifier"),
        # The KCC finds a caller by these (mijn/parties/search.py), each in its normal form.
        Index("ix_parties_birth_date_name", "birth_date", "name_key"),
        Index("ix_parties_name_key", "name_key"),
        Index("ix_parties_address", "postcode", "house_number"),
        Index("ix_parties_phone_key", "phone_key"),
        Index("ix_parties_email_key", "email_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # person | organisation
    identifier_type: Mapped[str] = mapped_column(String(20))  # bsn | national_number | kvk | kbo
    identifier: Mapped[str] = mapped_column(String(20))
    branch: Mapped[str | None] = mapped_column(String(12))  # vestigingsnummer, organisations
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    language: Mapped[str] = mapped_column(String(5), default="nl")
    # Notification preferences: e-mail (to a verified address) and the portal, or portal only.
    notify_by_email: Mapped[bool] = mapped_column(Boolean, default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pending_email: Mapped[str | None] = mapped_column(String(254))
    email_token_hash: Mapped[str | None] = mapped_column(String(64))
    email_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the KCC may find a caller by: a person's date of birth and address (postcode in
    # its normal form, house number and addition), and the search keys of the name, phone
    # and e-mail address, kept in step by the validators below.
    birth_date: Mapped[date | None] = mapped_column(Date)
    postcode: Mapped[str | None] = mapped_column(String(10))
    house_number: Mapped[int | None] = mapped_column(Integer)
    house_number_addition: Mapped[str | None] = mapped_column(String(10))
    name_key: Mapped[str] = mapped_column(String(200), default="")
    phone_key: Mapped[str | None] = mapped_column(String(30))
    email_key: Mapped[str | None] = mapped_column(String(254))

    @validates("name")
    def _name(self, _key: str, value: str) -> str:
        self.name_key = keys.name_key(value or "")
        return value

    @validates("phone")
    def _phone(self, _key: str, value: str | None) -> str | None:
        self.phone_key = keys.phone_key(value) or None if value else None
        return value

    @validates("email")
    def _email(self, _key: str, value: str | None) -> str | None:
        self.email_key = keys.email_key(value) or None if value else None
        return value

    @validates("house_number_addition")
    def _addition(self, _key: str, value: str | None) -> str | None:
        return value.strip().upper() or None if value else None

    @validates("postcode")
    def _postcode(self, _key: str, value: str | None) -> str | None:
        return keys.postcode_key(value) or None if value else None
