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


def url_path(app: Starlette, name: str, **params: str) -> str:
    """The path of a named route, as app.url_path_for gives it, without scanning every route
    per call (a page builds dozens): the app's plain routes by name, found once; a mount
    (static files, the development provider) the usual way."""
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
