"""E-mail: the messages (no personal or case details, only that there is news) and SMTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from email.message import EmailMessage
from email.utils import make_msgid
from html import escape
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from mijn.i18n import language
from mijn.settings import Settings


class MailError(Exception):
    """The SMTP server could not be reached or refused the message.

    The text names only the kind of failure and the SMTP code, never the server's own words
    (they may quote the address). `reached`: the server answered (a refusal, not an
    outage); `permanent`: a 5xx answer, which trying again will not change.
    """

    def __init__(self, text: str, *, reached: bool = False, permanent: bool = False) -> None:
        super().__init__(text)
        self.reached = reached
        self.permanent = permanent

    @property
    def temporary(self) -> bool:
        """Whether trying again may help (mijn.retry asks): not a 5xx refusal."""
        return not self.permanent


def _mail_error(exc: Exception) -> MailError:
    code = getattr(exc, "code", None)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        code = exc.recipients[0].code
    if isinstance(code, int) and code >= 400:
        return MailError(f"{type(exc).__name__} {code}", reached=True, permanent=code >= 500)
    return MailError(type(exc).__name__)


class Connection(Protocol):
    """An open connection that sends messages."""

    async def send(self, message: EmailMessage) -> None:
        """Send one message; MailError when that fails."""


class Mailer(Protocol):
    """Opens connections to send e-mail with."""

    def connection(self) -> AbstractAsyncContextManager[Connection]:
        """An async context manager giving a Connection."""
        ...


class SmtpConnection:
    """A connection to an SMTP server that sends messages (opened lazily)."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls"):
            raise MailError("MIJN_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
        self.client = aiosmtplib.SMTP(
            hostname=parts.hostname or "127.0.0.1",
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            use_tls=parts.scheme == "smtps",
            start_tls=parts.scheme == "smtp+starttls",
            timeout=timeout,
        )
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.open = False

    async def send(self, message: EmailMessage) -> None:
        """Send one message; MailError when that fails."""
        try:
            if not self.open:
                await self.client.connect()
                if self.username:
                    await self.client.login(self.username, self.password or "")
                self.open = True
            await self.client.send_message(message)
        except (aiosmtplib.SMTPException, OSError) as exc:
            error = _mail_error(exc)
            # A refused message leaves the connection usable (the client reset the envelope);
            # anything else: drop it, and connect afresh for the next message.
            if not (error.reached and self.client.is_connected):
                self.open = False
                self.client.close()
            raise error from exc

    async def close(self) -> None:
        """Say goodbye to the server, if connected."""
        if self.open:
            with suppress(aiosmtplib.SMTPException, OSError):
                await self.client.quit()
            self.open = False


class SmtpMailer:
    """Sends through the server in MIJN_SMTP_URL; one connection per delivery round."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        if not url:
            raise MailError("MIJN_SMTP_URL is not set: set it to smtp://host:port")
        self.url = url
        self.timeout = timeout

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[SmtpConnection]:
        """An SMTP connection for one round; closed afterwards."""
        connection = SmtpConnection(self.url, self.timeout)
        try:
            yield connection
        finally:
            await connection.close()


def _message(settings: Settings, to: str, subject: str, text: str, html: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=urlsplit(settings.base_url).hostname or "mijn")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _html(lang: str, title: str, paragraphs: list[str], link: str, link_text: str) -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        f"</head><body>{body}<p><a href=\"{escape(link)}\">{escape(link_text)}</a></p>"
        "</body></html>"
    )


def compose_news(settings: Settings, lang_code: str, to: str) -> EmailMessage:
    """"There is news in Mijn", with a link: no name, no case, no number."""
    lang = language(lang_code)
    _ = lang.gettext
    portal = settings.theme.portal_name(lang.code)
    subject = _("Er is nieuws voor u in %(portal)s", portal=portal)
    link = f"{settings.base_url}/mijn/berichten"
    lines = [
        _("Goedendag,"),
        _("Er is nieuws voor u in %(portal)s. Log in om het te lezen.", portal=portal),
        _("Wij zetten in deze e-mail geen persoonlijke gegevens. Krijgt u deze e-mail "
          "onverwacht? Dan kunt u hem negeren."),
    ]
    text = "\n\n".join([*lines, link])
    html = _html(lang.code, subject, lines, link, _("Naar uw berichten"))
    return _message(settings, to, subject, text, html)


def compose_task_reminder(settings: Settings, lang_code: str, to: str) -> EmailMessage:
    """"You still have something to do in Mijn", with a link: no name, no task, no date."""
    lang = language(lang_code)
    _ = lang.gettext
    portal = settings.theme.portal_name(lang.code)
    subject = _("Er staat nog iets voor u klaar in %(portal)s", portal=portal)
    link = f"{settings.base_url}/mijn/dossiers"
    lines = [
        _("Goedendag,"),
        _("Er staat een taak voor u klaar in %(portal)s. De uiterste datum komt dichtbij. Log "
          "in om te zien wat u moet doen.", portal=portal),
        _("Wij zetten in deze e-mail geen persoonlijke gegevens. Krijgt u deze e-mail "
          "onverwacht? Dan kunt u hem negeren."),
    ]
    text = "\n\n".join([*lines, link])
    html = _html(lang.code, subject, lines, link, _("Naar wat u nog moet doen"))
    return _message(settings, to, subject, text, html)


def compose_verification(settings: Settings, lang_code: str, to: str, link: str) -> EmailMessage:
    """The link that confirms an e-mail address (valid for 48 hours)."""
    lang = language(lang_code)
    _ = lang.gettext
    portal = settings.theme.portal_name(lang.code)
    subject = _("Bevestig uw e-mailadres voor %(portal)s", portal=portal)
    lines = [
        _("Goedendag,"),
        _("Klik op de link om dit e-mailadres te gebruiken voor berichten van %(portal)s. "
          "De link werkt 48 uur.", portal=portal),
        _("Heeft u dit niet gevraagd? Dan kunt u deze e-mail negeren."),
    ]
    text = "\n\n".join([*lines, link])
    html = _html(lang.code, subject, lines, link, _("E-mailadres bevestigen"))
    return _message(settings, to, subject, text, html)


def compose_survey(settings: Settings, lang_code: str, to: str, link: str,
                   kind: str = "question") -> EmailMessage:
    """How satisfied is the party with our answer (or, kind "dossier", with how we handled a
    closed case or report): a link that works once, without login and without any name, case
    or question in it. The invitation sentence is the theme's own for this kind, if it has
    one."""
    lang = language(lang_code)
    _ = lang.gettext
    org = settings.theme.name(lang.code)
    if kind == "dossier":
        subject = _("Wat vond u van onze afhandeling?")
        asked = _("%(org)s heeft onlangs uw aanvraag of melding afgehandeld. Wij horen graag "
                  "wat u daarvan vond. Dat is één vraag, en kost een minuut.", org=org)
    else:
        subject = _("Wat vond u van ons antwoord?")
        asked = _("U stelde %(org)s onlangs een vraag. Wij horen graag wat u van ons antwoord "
                  "vond. Dat is één vraag, en kost een minuut.", org=org)
    asked = settings.theme.survey_text(kind, "invitation", lang.code) or asked
    lines = [
        _("Goedendag,"), asked,
        _("De link werkt één keer. U hoeft er niet voor in te loggen. Wij zetten in deze "
          "e-mail geen persoonlijke gegevens."),
    ]
    text = "\n\n".join([*lines, link])
    html = _html(lang.code, subject, lines, link, _("Geef uw mening"))
    return _message(settings, to, subject, text, html)
