"""What the staff area can do: record staff logins with their roles and teams, list them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mijn import nearstatic
from mijn.access.staff import ROLES
from mijn.db import utcnow
from mijn.staff.models import StaffMember, Team, TeamMember


def known_roles(claimed: object) -> tuple[str, ...]:
    """The roles Mijn knows among a claim's value (a list, or a space/comma-separated string)."""
    if isinstance(claimed, str):
        values: Iterable[object] = claimed.replace(",", " ").split()
    elif isinstance(claimed, list | tuple):
        values = claimed
    else:
        return ()
    return tuple(role for role in ROLES if role in {str(v).strip() for v in values})


def team_codes(claimed: object) -> tuple[str, ...]:
    """Team codes from a claim's value (a list, or a space/comma-separated string)."""
    if isinstance(claimed, str):
        return tuple(dict.fromkeys(claimed.replace(",", " ").split()))
    if isinstance(claimed, list | tuple):
        return tuple(dict.fromkeys(str(v).strip() for v in claimed if str(v).strip()))
    return ()


async def ensure_team(session: AsyncSession, code: str, name_nl: str, name_en: str = "") -> Team:
    """Create or rename a team."""
    team = await session.scalar(select(Team).where(Team.code == code))
    if team is None:
        team = Team(code=code, name_nl=name_nl, name_en=name_en or name_nl)
        session.add(team)
    else:
        team.name_nl, team.name_en = name_nl, name_en or name_nl
    await session.flush()
    return team


async def record_login(
    session: AsyncSession, subject: str, name: str, roles: Sequence[str], teams: Sequence[str]
) -> StaffMember:
    """The staff member behind a login, with roles and team memberships as the login says."""
    member = await session.scalar(select(StaffMember).where(StaffMember.subject == subject))
    if member is None:
        member = StaffMember(subject=subject)
        try:
            async with session.begin_nested():
                session.add(member)
        except IntegrityError:  # the same person logged in twice at once
            member = await session.scalar(
                select(StaffMember).where(StaffMember.subject == subject)
            )
            assert member is not None
    member.name, member.roles, member.last_login_at = name, " ".join(roles), utcnow()
    await session.flush()
    await _sync_teams(session, member.id, teams)
    return member


async def _sync_teams(session: AsyncSession, staff_id: int, codes: Sequence[str]) -> None:
    wanted: set[int] = set()
    for code in codes:
        team = await session.scalar(select(Team).where(Team.code == code))
        # A team the identity provider knows but Mijn does not yet: created with its code.
        wanted.add((team or await ensure_team(session, code, code)).id)
    await session.execute(
        delete(TeamMember).where(
            TeamMember.staff_id == staff_id, TeamMember.team_id.not_in(wanted or {0})
        )
    )
    present = set(
        await session.scalars(select(TeamMember.team_id).where(TeamMember.staff_id == staff_id))
    )
    session.add_all(TeamMember(team_id=t, staff_id=staff_id) for t in wanted - present)
    await session.flush()


def team_ids_of(staff_id: int) -> Select[tuple[int]]:
    """A subquery: the ids of the teams a staff member belongs to."""
    return select(TeamMember.team_id).where(  # type: ignore[return-value]
        TeamMember.staff_id == staff_id
    )


async def list_teams(session: AsyncSession) -> list[Team]:
    """All teams, by name."""
    return list(await session.scalars(select(Team).order_by(Team.name_nl)))


async def list_specialists(session: AsyncSession) -> list[StaffMember]:
    """Staff members with the specialist role, by name."""
    found = await session.scalars(
        select(StaffMember).where(StaffMember.roles.contains("specialist")).order_by(
            StaffMember.name
        )
    )
    return list(found)


async def get_staff(session: AsyncSession, staff_id: int) -> StaffMember | None:
    """A staff member by id."""
    return await session.get(StaffMember, staff_id)


async def get_team(session: AsyncSession, team_id: int) -> Team | None:
    """A team by id."""
    return await session.get(Team, team_id)


async def teams_of(session: AsyncSession, staff_id: int) -> list[Team]:
    """The teams a staff member belongs to."""
    return list(
        await session.scalars(
            select(Team).where(Team.id.in_(team_ids_of(staff_id))).order_by(Team.name_nl)
        )
    )


async def staff_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    """Names of staff members by id."""
    if not ids:
        return {}
    rows = await session.execute(
        select(StaffMember.id, StaffMember.name).where(StaffMember.id.in_(ids))
    )
    return {row.id: row.name for row in rows}


async def list_queue_workers(session: AsyncSession) -> list[StaffMember]:
    """Staff members who work the queue (agents and team leads), by name."""
    members = await session.scalars(select(StaffMember).order_by(StaffMember.name))
    return [member for member in members if member.access().sees_all]


# The teams and the staff members' names and roles, kept per process (see mijn.nearstatic):
# the question workspace shows them on every view; they change at a login or a new team.
_DIRECTORY_TABLES = (Team.__tablename__, StaffMember.__tablename__)
nearstatic.watch(*_DIRECTORY_TABLES)
_TEAMS: Select[*tuple[Any, ...]] = select(
    Team.id, Team.code, Team.name_nl, Team.name_en).order_by(Team.name_nl)
_DIRECTORY: Select[*tuple[Any, ...]] = select(
    StaffMember.id, StaffMember.name, StaffMember.roles).order_by(StaffMember.name)


async def kept_teams(session: AsyncSession) -> tuple[Row[Any], ...]:
    """list_teams as Core rows with the same attributes, kept per process."""

    async def load(db: AsyncSession) -> tuple[Row[Any], ...]:
        return tuple((await db.execute(_TEAMS)).all())

    return await nearstatic.cached(session, "teams", _DIRECTORY_TABLES, load)


async def _directory(session: AsyncSession) -> tuple[Row[Any], ...]:
    async def load(db: AsyncSession) -> tuple[Row[Any], ...]:
        return tuple((await db.execute(_DIRECTORY)).all())

    return await nearstatic.cached(session, "staff_directory", _DIRECTORY_TABLES, load)


async def kept_specialists(session: AsyncSession) -> list[Row[Any]]:
    """list_specialists as Core rows (id, name, roles), by name, kept per process."""
    return [row for row in await _directory(session) if "specialist" in row.roles]


async def kept_staff_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    """staff_names from the kept directory; a member it does not know yet (a first login in
    another process) is read now."""
    known = {row.id: row.name for row in await _directory(session) if row.id in ids}
    missing = ids - known.keys()
    return {**known, **(await staff_names(session, missing) if missing else {})}
