"""The rate_counters table: how often a subject did something in one fixed window."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mijn.db import Base


class RateCounter(Base):
    """One subject's count for one rule in one window (epoch seconds, fixed windows).

    `rule` names the rule and its window length ("questions:600"), so that a rule's short and
    long windows never share a row. `subject` is an HMAC of who acted (a party, a client's
    address, a token), never the value itself. Rows whose window ended are pruned now and then.
    """

    __tablename__ = "rate_counters"
    __table_args__ = (Index("ix_rate_counters_expires_at", "expires_at"),)

    rule: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
    expires_at: Mapped[int] = mapped_column(BigInteger)
