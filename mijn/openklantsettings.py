"""The Open Klant (Klantinteracties API) connection, as configured: where it is
(MIJN_OPENKLANT_URL), Mijn's token, the channel names per Mijn channel and the register of
zaken. Off while MIJN_OPENKLANT_URL is unset.

Domain-free, so that the configuration can read it; used by mijn/openklant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mijn.channels import CHANNELS
from mijn.envvalues import ConfigurationError, Secret, float_value, int_value

# Generic channel names as Klantinteracties' `kanaal` wants them (max 50 characters), not
# product names; MIJN_OPENKLANT_CHANNELS replaces any of them (web=Webformulier,...).
DEFAULT_CHANNEL_NAMES = {
    "web": "Webformulier", "phone": "Telefoon", "email": "E-mail",
    "social_media": "Sociale media", "counter": "Balie", "partner": "Partnerorganisatie",
}
KANAAL_MAX = 50
MAX_ATTEMPTS_LIMIT = 100


@dataclass(frozen=True)
class OpenKlantSettings:
    """Export to Open Klant 2: off without a URL."""

    url: str = ""
    token: Secret = field(default_factory=lambda: Secret(""))
    channels: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CHANNEL_NAMES))
    # codeRegister of a zaak in an onderwerpobject (the Zaken API that keeps it).
    zaak_register: str = "openzaak"
    timeout: float = 10.0
    max_attempts: int = 12
    # The token Open Klant's Notificaties API sends to Mijn's callback (import); unset: none.
    notifications_token: Secret = field(default_factory=lambda: Secret(""))

    @property
    def enabled(self) -> bool:
        """True when MIJN_OPENKLANT_URL is set."""
        return bool(self.url)

    @property
    def takes_notifications(self) -> bool:
        """True when Open Klant's notifications are taken in (URL and notifications token)."""
        return self.enabled and bool(self.notifications_token)

    def api(self, resource: str) -> str:
        """The address of one resource, e.g. api("partijen")."""
        return f"{self.url}/{resource.strip('/')}"


def _channels(raw: str) -> dict[str, str]:
    names = dict(DEFAULT_CHANNEL_NAMES)
    for item in filter(None, (part.strip() for part in raw.split(","))):
        channel, _, name = item.partition("=")
        channel, name = channel.strip(), name.strip()
        if channel not in CHANNELS or not name or len(name) > KANAAL_MAX:
            raise ConfigurationError(
                "MIJN_OPENKLANT_CHANNELS must be a comma-separated list of channel=name, with "
                f"channel one of {', '.join(CHANNELS)} and a name of 1 to {KANAAL_MAX} "
                f"characters; {item!r} is not."
            )
        names[channel] = name
    return names


def openklant_settings(env: Mapping[str, str], production: bool) -> OpenKlantSettings:
    """Read MIJN_OPENKLANT_URL (…/klantinteracties/api/v1), _TOKEN, _CHANNELS,
    _ZAAK_REGISTER, _TIMEOUT, _MAX_ATTEMPTS and _NOTIFICATIONS_TOKEN; refuse what cannot
    work."""
    url = env.get("MIJN_OPENKLANT_URL", "").strip().rstrip("/")
    found = OpenKlantSettings(
        url=url, token=Secret(env.get("MIJN_OPENKLANT_TOKEN", "").strip()),
        channels=_channels(env.get("MIJN_OPENKLANT_CHANNELS", "")),
        zaak_register=env.get("MIJN_OPENKLANT_ZAAK_REGISTER", "").strip() or "openzaak",
        timeout=float_value(env, "MIJN_OPENKLANT_TIMEOUT", 10.0),
        max_attempts=int_value(env, "MIJN_OPENKLANT_MAX_ATTEMPTS", 12),
        notifications_token=Secret(env.get("MIJN_OPENKLANT_NOTIFICATIONS_TOKEN", "").strip()),
    )
    if not 0 < found.timeout <= 300:
        raise ConfigurationError("MIJN_OPENKLANT_TIMEOUT must be between 0 and 300 seconds.")
    if not 1 <= found.max_attempts <= MAX_ATTEMPTS_LIMIT:
        raise ConfigurationError(
            f"MIJN_OPENKLANT_MAX_ATTEMPTS must be between 1 and {MAX_ATTEMPTS_LIMIT}.")
    if not url:
        return found
    if not url.startswith(("https://", "http://")) or (production
                                                      and not url.startswith("https://")):
        scheme = "an https://" if production else "an http(s)://"
        raise ConfigurationError(f"MIJN_OPENKLANT_URL must be {scheme} URL, not {url!r}.")
    if not found.token:
        raise ConfigurationError(
            "MIJN_OPENKLANT_URL is set, so MIJN_OPENKLANT_TOKEN must be set too (the token "
            "Open Klant gave Mijn's client).")
    incoming = found.notifications_token.reveal()
    if production and incoming and (len(incoming) < 32 or len(set(incoming)) < 10):
        raise ConfigurationError(
            "MIJN_ENV=production needs a random MIJN_OPENKLANT_NOTIFICATIONS_TOKEN of at least "
            "32 characters.")
    return found
