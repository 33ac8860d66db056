"""What the front ends share: templates and rendering, htmx helpers, forms, the CSRF token,
language.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import AsyncGenerator, Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2_fragments import render_block
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    RedirectResponse,
    Response,
)

from mijn import PROJECT_ROOT
from mijn.access.loa import LOA_LABELS
from mijn.channels import CHANNEL_LABELS
from mijn.documents.models import KIND_LABELS
from mijn.http import formats
from mijn.http.session import portal_logged_in, seconds_left
from mijn.http.translated import FixedTexts
from mijn.http.urls import is_staff_path, url_path
from mijn.i18n import DEFAULT_LANGUAGE, LANGUAGES, Language, language
from mijn.mandates.models import ROLE_LABELS
from mijn.questions.satisfaction import score_label as satisfaction_words
from mijn.questions.states import QUESTION_STATE_LABELS, STAFF_STATE_LABELS
from mijn.settings import Settings

CSRF_COOKIE = "mijn_csrf"
# In production (https) the browser keeps the CSRF cookie only as Secure, Path=/ and without a
# Domain, so a sibling subdomain cannot plant one (the __Host- prefix).
HOST_CSRF_COOKIE = "__Host-mijn_csrf"


LANG_COOKIE = "mijn_lang"


CSRF_FIELD = "csrf_token"


CSRF_HEADER = "x-csrf-token"


LOCAL_TZ = ZoneInfo("Europe/Amsterdam")


class CsrfError(HTTPException):
    """A state-changing request came without a valid CSRF token."""

    def __init__(self) -> None:
        super().__init__(status_code=403, detail="csrf")


def label_helpers(lang: Language) -> dict[str, Any]:
    """Template helpers that show codes and bilingual data in the visitor's language."""

    def tr(nl: str | None, en: str | None) -> str:
        return (en if lang.code == "en" and en else nl) or ""

    def channel_label(code: str) -> str:
        return lang.gettext(CHANNEL_LABELS[code]) if code in CHANNEL_LABELS else code

    def state_label(code: str, staff: bool = False) -> str:
        labels = STAFF_STATE_LABELS if staff else QUESTION_STATE_LABELS
        return lang.gettext(labels[code]) if code in labels else code

    def score_label(scale: str, score: int) -> str:
        return lang.gettext(satisfaction_words(scale, score))

    def role_label(code: str) -> str:
        return lang.gettext(ROLE_LABELS[code]) if code in ROLE_LABELS else code

    def document_kind(code: str) -> str:
        return lang.gettext(KIND_LABELS[code]) if code in KIND_LABELS else code

    def loa_label(code: str | None) -> str:
        return lang.gettext(LOA_LABELS[code]) if code in LOA_LABELS else (code or "")

    return {
        "tr": tr, "channel_label": channel_label, "state_label": state_label,
        "role_label": role_label, "loa_label": loa_label, "document_kind": document_kind,
        "score_label": score_label,
    }


def make_environment(lang: Language | None = None, *, auto_reload: bool = True) -> Environment:
    """The Jinja2 environment of one language: autoescaped HTML templates with the i18n
    extension; the language's gettext and label helpers are its globals, so that macros
    imported without context (cached once per process) can use them too."""
    lang = lang or language(DEFAULT_LANGUAGE)
    env = Environment(
        loader=FileSystemLoader(PROJECT_ROOT / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n", FixedTexts],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=auto_reload,
    )
    env.extend(mijn_language=lang)  # for FixedTexts
    env.filters["date"] = _format_date
    env.filters["datetime"] = _format_datetime
    env.filters["month"] = _format_month
    env.filters["number"] = _format_number
    env.filters["filesize"] = _format_filesize
    env.filters["weekday"] = _format_weekday
    env.filters["clock"] = _format_clock
    env.globals.update(lang.template_globals(), **label_helpers(lang), languages=LANGUAGES)
    return env


def make_templates(settings: Settings) -> dict[str, Environment]:
    """An environment per language (render() takes the visitor's); outside development the
    templates are not checked for changes on every render."""
    return {code: make_environment(language(code), auto_reload=not settings.is_production)
            for code in LANGUAGES}


# One date format per language, with or without the time: "4 december 2026", "4 December 2026".
def _format_date(value: date | None, lang: str) -> str:
    return formats.long_date(value, lang) if value else ""


def _format_month(value: date, lang: str) -> str:
    """A calendar month as the language names it: 'december 2026'."""
    return babel_format_date(value, "LLLL yyyy", locale=lang)


@lru_cache(maxsize=1024)  # babel parses its locale and pattern again on every call
def _format_number(value: int, lang: str) -> str:
    """A whole number as the language writes it: 4.000 in Dutch, 4,000 in English."""
    return format_decimal(value, locale=lang)


@lru_cache(maxsize=1024)
def _format_filesize(value: int, lang: str) -> str:
    """A file's size as the language writes it, in units of 1,000: '16,4 kB' in Dutch,
    '16.4 kB' in English."""
    if value < 1000:
        return f"{format_decimal(value, locale=lang)} B"
    size = float(value)
    for unit in ("kB", "MB", "GB"):
        size /= 1000
        if size < 1000 or unit == "GB":
            return f"{format_decimal(size, format='#,##0.0', locale=lang)} {unit}"
    raise AssertionError("unreachable")


def _format_datetime(value: datetime | None, lang: str) -> str:
    if value is None:
        return ""
    return formats.long_datetime(value.astimezone(LOCAL_TZ), lang)


def _format_weekday(value: datetime | None, lang: str) -> str:
    """The day of a moment with its weekday: 'dinsdag 8 december'."""
    if value is None:
        return ""
    return formats.weekday_date(value.astimezone(LOCAL_TZ), lang)


def _format_clock(value: datetime | None, lang: str) -> str:
    """The time of day of a moment: '10:00'."""
    if value is None:
        return ""
    return formats.clock(value.astimezone(LOCAL_TZ))


def app_settings(request: Request) -> Settings:
    """The settings of the running portal."""
    settings: Settings = request.app.state.settings
    return settings


PLAIN_FORM_BYTES = 1024 * 1024  # a form without files, however it is encoded


async def capped_form(request: Request) -> FormData:
    """A posted form (use it instead of request.form()). A multipart form here (not one read
    for its files first, see http/uploads.py) is held to a form's size and may carry no file:
    the CSRF check streams multipart bodies on, so nothing else caps what a visitor sends."""
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data") and (
        getattr(request, "_form", None) is None
    ):
        request._form = await _plain_multipart(request)  # noqa: SLF001 -- Starlette's cache
    return await request.form()


async def form_values(request: Request) -> dict[str, str]:
    """The text fields of a posted form, read as capped_form does."""
    form = await capped_form(request)
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def _plain_multipart(request: Request) -> FormData:
    """A multipart form of text fields only: 400 for a file, 413 past PLAIN_FORM_BYTES."""

    async def capped() -> AsyncGenerator[bytes, None]:
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > PLAIN_FORM_BYTES:
                raise HTTPException(status_code=413)
            yield chunk

    parser = MultiPartParser(request.headers, capped(), max_files=0, max_fields=100,
                             max_part_size=PLAIN_FORM_BYTES)
    try:
        return await parser.parse()
    except MultiPartException:
        raise HTTPException(status_code=400) from None


def small_int(raw: str | None) -> int | None:
    """A positive whole number from a form or query (an id, a page); None for anything else."""
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


def is_htmx(request: Request) -> bool:
    """True when htmx made this request (and expects a fragment)."""
    return request.headers.get("hx-request") == "true"


def current_language(request: Request) -> Language:
    """The visitor's language: their choice from the cookie, else Dutch."""
    return language(request.cookies.get(LANG_COOKIE, DEFAULT_LANGUAGE))


def csrf_cookie(settings: Settings) -> str:
    """The CSRF cookie's name: with the __Host- prefix in production over https."""
    secure = settings.is_production and settings.base_url.startswith("https://")
    return HOST_CSRF_COOKIE if secure else CSRF_COOKIE


def _csrf_serializer(request: Request) -> URLSafeSerializer:
    settings: Settings = request.app.state.settings
    return URLSafeSerializer(settings.secret_key.reveal(), salt="mijn.csrf")


def csrf_token(request: Request) -> str:
    """The form token: the signed value of this browser's CSRF cookie."""
    value = request.scope.get("mijn.csrf")
    return str(_csrf_serializer(request).dumps(value)) if value else ""


def csrf_valid(request: Request, token: str | None) -> bool:
    """Whether a submitted token belongs to this browser's CSRF cookie."""
    cookie = request.cookies.get(csrf_cookie(request.app.state.settings))
    if not token or not cookie:
        return False
    try:
        value = _csrf_serializer(request).loads(token)
    except BadSignature:
        return False
    return isinstance(value, str) and hmac.compare_digest(value, cookie)


def rotate_csrf(request: Request, response: Response) -> None:
    """A new CSRF cookie (at login and logout): tokens of the page before no longer count."""
    settings: Settings = request.app.state.settings
    value = secrets.token_urlsafe(32)
    request.scope["mijn.csrf"] = value
    name = csrf_cookie(settings)
    response.set_cookie(name, value, path="/", httponly=True, samesite="lax",
                        secure=settings.is_production)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    block: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a page, or only one named block of it for htmx; templates do no I/O."""
    lang = current_language(request)
    env: Environment = request.app.state.templates[lang.code]
    staff_area = is_staff_path(request.url.path)
    full = {
        "request": request,
        "settings": request.app.state.settings,
        "csrf_token": csrf_token(request),
        "url_for": lambda name, **params: url_path(request.app, name, **params),
        "current_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        # A citizen's menu only for a citizen's session; staff pages have their own layout.
        "logged_in": not staff_area and portal_logged_in(request),
        # Seconds until the session ends unless the visitor does something (timeout warning).
        "session_seconds_left": None if staff_area else seconds_left(request),
        "session_seconds_max": None if staff_area else seconds_left(request, latest=True),
        # For whom the visitor acts (set by the route that checked it); the header shows it.
        "access": getattr(request.state, "access", None),
        "staff_area": staff_area,
        **(context or {}),
    }
    if block is not None and is_htmx(request):
        html = render_block(env, template, block, full)
    else:
        html = env.get_template(template).render(full)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers.append("Vary", "HX-Request")
    response.headers["Content-Language"] = lang.code
    return response


def redirect(request: Request, url: str) -> Response:
    """Redirect after a form post: 303, or HX-Redirect for htmx."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
