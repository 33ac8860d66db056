"""Text modules for team leads and editors (under /kcc/tekstblokken): list, add, change and
remove the short named texts that staff type as ::name in a reply."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.staff import Staff
from mijn.db import request_session
from mijn.http.common import form_values, redirect, small_int
from mijn.http.kcc.common import render_staff, require_staff
from mijn.staff.models import TextModule
from mijn.staff.service import list_teams
from mijn.staff.textmodules import (
    PLACEHOLDERS,
    ModuleInput,
    TextModuleError,
    all_modules,
    delete_module,
    get_module,
    save_module,
)


def require_keeper(request: Request) -> Staff:
    """A team lead or an editor; anyone else finds nothing here (404)."""
    staff = require_staff(request)
    if not (staff.is_lead or staff.edits_answers):
        raise HTTPException(status_code=404)
    return staff


def _input(values: dict[str, str]) -> ModuleInput:
    return ModuleInput(small_int(values.get("team")), values.get("name", ""),
                       values.get("body", ""))


def _status(error: TextModuleError) -> int:
    """409 when another module has the name by now (a conflict), else 422 (a form error)."""
    return 409 if error.code == "taken" else 422


def _list_url(request: Request, done: str = "") -> str:
    url = str(request.app.url_path_for("kcc:text_modules"))
    return f"{url}?{done}=1" if done else url


async def _page(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    async with request_session(request, autocommit=True) as session:
        context.update(teams=await list_teams(session), modules=await all_modules(session))
    context.setdefault("values", {})
    context.setdefault("error", None)
    context["placeholders"] = PLACEHOLDERS
    return render_staff(request, template, context, status_code=status_code)


async def list_page(request: Request) -> Response:
    """Every text module by team, and the form to add one."""
    require_keeper(request)
    done = next((k for k in ("toegevoegd", "opgeslagen", "verwijderd")
                 if request.query_params.get(k) == "1"), "")
    return await _page(request, "kcc/text_modules.html", {"done": done})


async def create(request: Request) -> Response:
    """Add a text module (the form comes back with its values on an error)."""
    staff = require_keeper(request)
    values = await form_values(request)
    async with request_session(request) as session:
        try:
            await save_module(session, staff, _input(values))
        except TextModuleError as error:
            await session.rollback()
            return await _page(request, "kcc/text_modules.html",
                               {"values": values, "error": error, "done": ""}, _status(error))
        await session.commit()
    return redirect(request, _list_url(request, "toegevoegd"))


async def _module(request: Request) -> tuple[TextModule, dict[str, str]]:
    module_id = small_int(request.path_params["module_id"]) or 0
    async with request_session(request, autocommit=True) as session:
        module = await get_module(session, module_id)
    if module is None:
        raise HTTPException(status_code=404)
    values = {"team": str(module.team_id or ""), "name": module.name, "body": module.body}
    return module, values


async def edit(request: Request) -> Response:
    """One text module's form, to change or remove it."""
    require_keeper(request)
    module, values = await _module(request)
    return await _page(request, "kcc/text_module_edit.html", {"module": module, "values": values})


async def save(request: Request) -> Response:
    """Change a text module."""
    staff = require_keeper(request)
    module_id = small_int(request.path_params["module_id"]) or 0
    values = await form_values(request)
    async with request_session(request) as session:
        module = await get_module(session, module_id)
        if module is None:
            raise HTTPException(status_code=404)
        shown = {"id": module.id, "name": module.name}  # as it was: the page's title
        try:
            await save_module(session, staff, _input(values), module)
        except TextModuleError as error:
            await session.rollback()
            context = {"module": shown, "values": values, "error": error}
            return await _page(request, "kcc/text_module_edit.html", context, _status(error))
        await session.commit()
    return redirect(request, _list_url(request, "opgeslagen"))


async def remove(request: Request) -> Response:
    """Remove a text module (one a colleague removed just before is gone just as well)."""
    require_keeper(request)
    module_id = small_int(request.path_params["module_id"]) or 0
    async with request_session(request) as session:
        module = await get_module(session, module_id)
        if module is not None:
            await delete_module(session, module)
            await session.commit()
    return redirect(request, _list_url(request, "verwijderd"))


routes = [
    Route("/kcc/tekstblokken", list_page, name="kcc:text_modules"),
    Route("/kcc/tekstblokken", create, methods=["POST"], name="kcc:text_module_create"),
    Route("/kcc/tekstblokken/{module_id}", edit, name="kcc:text_module"),
    Route("/kcc/tekstblokken/{module_id}", save, methods=["POST"], name="kcc:text_module_save"),
    Route("/kcc/tekstblokken/{module_id}/verwijderen", remove, methods=["POST"],
          name="kcc:text_module_delete"),
]
