"""Text modules: short named texts per team (a greeting, a closing line, a standard sentence)
that staff type as ::name in a reply, with placeholders filled in for the question at hand.
Team leads and editors keep them; a team's members use their team's modules, agents and team
leads the contact centre's own (those without a team)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mijn import nearstatic
from mijn.access.staff import Staff
from mijn.db import utcnow
from mijn.plaintext import has_control, is_blank
from mijn.staff.models import Team, TeamMember, TextModule
from mijn.staff.service import team_ids_of

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_BODY = 2000
# What a module may say, filled in when the workspace shows a question.
PLACEHOLDERS = ("naam", "referentie", "medewerker")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


class TextModuleError(ValueError):
    """Input that cannot become a text module; `field` and `code` say what is wrong."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


@dataclass(frozen=True)
class ModuleInput:
    """A text module as the form gives it (team None: the contact centre's own)."""

    team_id: int | None
    name: str
    body: str


def fill(body: str, values: Mapping[str, str]) -> str:
    """The text with its placeholders filled in ({naam}, {referentie}, {medewerker}); one
    without a value stays as it is, so the agent sees what is still to be written."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or m.group(0), body)


def modules_for(staff: Staff) -> object:
    """The condition on text_modules: the modules this staff member uses in replies."""
    of_team = TextModule.team_id.in_(team_ids_of(staff.id))
    return or_(of_team, TextModule.team_id.is_(None)) if staff.sees_all else of_team


async def usable_modules(session: AsyncSession, staff: Staff) -> list[TextModule]:
    """The text modules this staff member types in replies, by name."""
    found = await session.scalars(
        select(TextModule).where(modules_for(staff)).order_by(  # type: ignore[arg-type]
            TextModule.name, TextModule.team_id)
    )
    return list(found)


# A staff member's modules are kept per process (see mijn.nearstatic): the question workspace
# offers them on every view. A team's deletion removes its modules (a cascade): watched too.
_MODULE_TABLES = (TextModule.__tablename__, TeamMember.__tablename__, Team.__tablename__)
nearstatic.watch(*_MODULE_TABLES)


async def kept_modules(session: AsyncSession, staff: Staff) -> tuple[tuple[str, str], ...]:
    """usable_modules as (name, text), kept per process."""

    async def load(db: AsyncSession) -> tuple[tuple[str, str], ...]:
        return tuple((m.name, m.body) for m in await usable_modules(db, staff))

    key = ("text_modules", staff.id, staff.sees_all)
    return await nearstatic.cached(session, key, _MODULE_TABLES, load)


async def all_modules(session: AsyncSession) -> list[tuple[TextModule, Team | None]]:
    """Every text module with its team (the contact centre's first), for those who keep them."""
    rows = await session.execute(
        select(TextModule, Team).outerjoin(Team, Team.id == TextModule.team_id)
        .order_by(Team.name_nl.is_not(None), Team.name_nl, TextModule.name)
    )
    return [(row[0], row[1]) for row in rows]


async def get_module(session: AsyncSession, module_id: int) -> TextModule | None:
    """A text module by id."""
    return await session.get(TextModule, module_id)


async def _check(session: AsyncSession, given: ModuleInput) -> ModuleInput:
    name, body = given.name.strip().lower(), given.body.replace("\r\n", "\n").strip()
    if not name:
        raise TextModuleError("name", "empty")
    if not NAME.match(name):
        raise TextModuleError("name", "format")
    if is_blank(body):
        raise TextModuleError("body", "empty")
    if len(body) > MAX_BODY:
        raise TextModuleError("body", "too_long")
    if has_control(body):
        raise TextModuleError("body", "control")
    if given.team_id is not None and await session.get(Team, given.team_id) is None:
        raise TextModuleError("team", "unknown")
    return ModuleInput(given.team_id, name, body)


async def save_module(
    session: AsyncSession, staff: Staff, given: ModuleInput, module: TextModule | None = None
) -> TextModule:
    """Add a text module, or change one; TextModuleError when the input will not do or the
    team has a module of that name already (nothing is written then)."""
    checked = await _check(session, given)
    module = module or TextModule()
    module.team_id, module.name, module.body = checked.team_id, checked.name, checked.body
    module.updated_by, module.updated_at = staff.id, utcnow()
    try:
        async with session.begin_nested():
            session.add(module)
    except IntegrityError:
        raise TextModuleError("name", "taken") from None
    return module


async def delete_module(session: AsyncSession, module: TextModule) -> None:
    """Remove a text module."""
    await session.delete(module)
    await session.flush()
