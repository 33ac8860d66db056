"""Which side of the house a path belongs to, and which addresses are safe to return to."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.routing import NoMatchFound, Route

# Everything of the staff side lives under this path, their login too: the browser sends the
# staff cookies (set with this Path) nowhere else.
STAFF_ROOT = "/kcc"


def is_staff_path(path: str) -> bool:
    """Whether a path belongs to the staff side (its own session cookie and layout)."""
    return path == STAFF_ROOT or path.startswith(STAFF_ROOT + "/")


def callback_route(audience: str) -> tuple[str, dict[str, str]]:
    """The route (name, parameters) a provider sends this audience back to after login:
    the staff's under /kcc, the others' under /auth."""
    if audience == "staff":
        return "kcc:auth_callback", {}
    return "auth:callback", {"audience": audience}


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to; anything else (another host, //x) becomes the default."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


# A page asks for the same few dozen paths every time (the layout's style sheets, the menu, a
# link per row): each is built once per process. Bounded, as rows bring their own references.
URL_CACHE_SIZE = 4096


def url_path(app: Starlette, name: str, **params: str) -> str:
    """The path of a named route, as app.url_path_for gives it, built once per name and
    parameters and then remembered (a page builds dozens; Starlette tries every route in
    turn for each)."""
    cache: dict[tuple[object, ...], str] | None = getattr(app.state, "url_cache", None)
    if cache is None:
        cache = app.state.url_cache = {}
    key = (name, *params.items())
    path = cache.get(key)
    if path is None:
        path = _build_path(app, name, params)
        if len(cache) >= URL_CACHE_SIZE:
            cache.clear()
        cache[key] = path
    return path


def _build_path(app: Starlette, name: str, params: dict[str, str]) -> str:
    """The app's plain routes by name, found once; a mount (static files, the development
    provider) the usual way."""
    routes: dict[str, Route] | None = getattr(app.state, "routes_by_name", None)
    if routes is None:
        routes = {route.name: route for route in app.routes
                  if isinstance(route, Route) and route.name}
        app.state.routes_by_name = routes
    route = routes.get(name)
    if route is not None:
        try:
            return str(route.url_path_for(name, **params))
        except NoMatchFound:
            pass  # another route of that name takes these parameters
    return str(app.url_path_for(name, **params))
