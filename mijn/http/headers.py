"""The headers every response carries: a strict content security policy and the rest."""

from __future__ import annotations

from urllib.parse import urlsplit

from mijn.settings import Settings


def content_security_policy(settings: Settings) -> str:
    """A strict policy: nothing inline, nothing from elsewhere, except the login providers."""
    form_action = ["'self'"]
    for audience in settings.audiences.values():
        if audience.issuer:
            parts = urlsplit(audience.issuer)
            form_action.append(f"{parts.scheme}://{parts.netloc}")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action {' '.join(dict.fromkeys(form_action))}",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(settings: Settings, csp: str, path: str) -> list[tuple[str, str]]:
    """The headers every response carries (a 500 page too). Nothing but static files may be
    stored by a browser or proxy: pages hold personal data and form tokens."""
    found = [
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if settings.is_production:
        found.append(("Strict-Transport-Security", "max-age=31536000"))
    if not path.startswith("/static/"):
        found.append(("Cache-Control", "no-store"))
    return found
