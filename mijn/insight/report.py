"""The monthly report as tables (and their charts): one structure for the page, the print view
and the CSV downloads, so that a download always holds the figures of the table on screen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.channels import CHANNEL_LABELS
from mijn.i18n import Language
from mijn.insight import handling, knowledge, volumes
from mijn.insight.charts import Chart, Series
from mijn.insight.handling import Handling
from mijn.insight.knowledge import AnswerVotes, Deflection, FlagCount, PastReview
from mijn.insight.period import TOP, Period
from mijn.insight.volumes import ChannelCount, LabelCount, MonthCount


@dataclass(frozen=True)
class Duration:
    """A length of time in a table, with how the page and the CSV write it: in minutes under
    an hour (never "0 uur"), else in hours with one decimal."""

    seconds: float
    text: str

    def __str__(self) -> str:
        return self.text


Cell = str | int | float | Duration | None


@dataclass(frozen=True)
class Figures:
    """Every figure of one month's report, as the service aggregated them."""

    period: Period
    topics: list[LabelCount]
    reports: list[LabelCount]
    cases: list[LabelCount]
    channels: list[ChannelCount]
    trend: list[MonthCount]
    handling: Handling
    handling_before: Handling
    handovers: list[LabelCount]
    deflection: Deflection
    deflection_before: Deflection
    no_votes: list[AnswerVotes]
    past_review: list[PastReview]
    flags: list[FlagCount]


async def collect(session: AsyncSession, period: Period, today: date,
                  now: datetime | None = None) -> Figures:
    """Run the report's aggregations for a period (`now`: up to when open questions count
    as past due; the current moment when not given)."""
    before = Period(period.previous, period.months, period.department)
    return Figures(
        period, await volumes.questions_by_topic(session, period),
        await volumes.dossiers_by_type(session, period, "report"),
        await volumes.dossiers_by_type(session, period, "case"),
        await volumes.by_channel(session, period), await volumes.trend(session, period),
        await handling.handling(session, period, now),
        await handling.handling(session, before, now),
        await handling.handovers_by_team(session, period),
        await knowledge.deflection(session, period), await knowledge.deflection(session, before),
        await knowledge.most_no_votes(session, period), await knowledge.past_review(session, today),
        await knowledge.flags(session, period),
    )


@dataclass(frozen=True)
class Table:
    """A table of the report: its key (for the CSV address), caption, header and rows."""

    key: str
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    chart: Chart | None = None
    note: str = ""
    empty: str = ""


def percent(part: int, whole: int) -> float | None:
    """A share as a percentage with one decimal (None when there is nothing to share)."""
    return round(100 * part / whole, 1) if whole else None


def duration(seconds: float | None, lang: Language) -> Duration | None:
    """Seconds as a duration cell (None: no figure)."""
    if seconds is None:
        return None
    if seconds < 60:
        return Duration(seconds, lang.gettext("minder dan een minuut"))
    if seconds < 3600 - 30:
        minutes = round(seconds / 60)
        return Duration(seconds, lang.ngettext("%(num)s minuut", "%(num)s minuten", minutes))
    value = round(seconds / 3600, 1)
    return Duration(seconds, lang.ngettext("%(hours)s uur", "%(hours)s uur",
                                           1 if value == 1 else 2, hours=_number(value, lang)))


def number(cell: Cell) -> float | None:
    """A cell as a chart's value; a missing figure stays missing (None), it is no 0."""
    return float(cell) if isinstance(cell, int | float) else None


def values(rows: Sequence[Sequence[Cell]], column: int) -> list[float | None]:
    """A column of a table as a chart's values."""
    return [number(row[column]) for row in rows]


def change(now: int, before: int) -> int:
    """The difference with the month before."""
    return now - before


def build(figures: Figures, lang: Language, fcr_target: float) -> list[Table]:
    """All tables of the report, in the order the page shows them."""
    return [
        handling_table(figures, lang, fcr_target), trend_table(figures, lang),
        topics_table(figures, lang), types_table(figures, lang),
        channels_table(figures, lang), handovers_table(figures, lang),
        deflection_table(figures, lang), votes_table(figures, lang),
        review_table(figures, lang), flags_table(figures, lang),
    ]


def _month(day: date, lang: Language, pattern: str = "LLLL yyyy") -> str:
    return format_date(day, pattern, locale=lang.code)


def _tr(lang: Language, nl: str, en: str) -> str:
    return en if lang.code == "en" and en else nl


def _comparison(lang: Language) -> list[str]:
    _ = lang.gettext
    return [_("Deze maand"), _("Vorige maand")]


def handling_table(figures: Figures, lang: Language, fcr_target: float) -> Table:
    """Answered questions: time to the first answer, service level, first-contact resolution."""
    _ = lang.gettext
    now, before = figures.handling, figures.handling_before
    target = round(100 * fcr_target, 1)
    rows: list[list[Cell]] = [
        [_("Vragen beantwoord"), now.answered, before.answered],
        [_("Tijd tot het eerste antwoord, mediaan"), duration(now.median_seconds, lang),
         duration(before.median_seconds, lang)],
        [_("Tijd tot het eerste antwoord, 90% binnen"), duration(now.p90_seconds, lang),
         duration(before.p90_seconds, lang)],
        [_("Binnen de termijn beantwoord (%)"), percent(now.on_time, now.due),
         percent(before.on_time, before.due)],
        [_("Opgelost bij eerste contact (%)"), percent(now.fcr_yes, now.fcr_known),
         percent(before.fcr_yes, before.fcr_known)],
        [_("Doel opgelost bij eerste contact (%)"), target, target],
        [_("Nog open en over de termijn (telt als te laat)"), now.late_open, before.late_open],
    ]
    chart = Chart(
        "grafiek-afhandeling", _("Opgelost bij eerste contact, tegen het doel"),
        _("Staafdiagram: het percentage vragen dat bij het eerste contact is opgelost, deze "
          "maand en vorige maand, met een stippellijn bij het doel van %(target)s%%.",
          target=_number(target, lang)),
        [_month(figures.period.month, lang), _month(figures.period.previous, lang)],
        [Series(_("Opgelost bij eerste contact (%)"), [number(rows[4][1]),
                                                       number(rows[4][2])])],
        target=target, target_label=_("Doel"),
    )
    return Table("afhandeling", _("Afhandeling"), [_("Cijfer"), *_comparison(lang)], rows, chart,
                 note=_handling_note(lang))


def _handling_note(lang: Language) -> str:
    return lang.gettext(
        "Alleen vragen, geen terugbelverzoeken. Te laat zijn ook de vragen die nog open staan "
        "terwijl de termijn voorbij is. Niet opgelost bij eerste contact: de vraag is "
        "overgedragen, of had meer dan één antwoord nodig (bijvoorbeeld een wedervraag aan de "
        "inwoner).")


def _number(value: float, lang: Language) -> str:
    text = f"{value:.1f}".removesuffix(".0")
    return text.replace(".", ",") if lang.code == "nl" else text


def trend_table(figures: Figures, lang: Language) -> Table:
    """Questions, reports and cases per month."""
    _ = lang.gettext
    rows: list[list[Cell]] = [[_month(m.month, lang), m.questions, m.reports, m.cases,
                               m.callbacks] for m in figures.trend]
    names = [_("Vragen"), _("Meldingen"), _("Zaken"), _("Terugbelverzoeken")]
    chart = Chart(
        "grafiek-trend", _("Vragen, meldingen, zaken en terugbelverzoeken per maand"),
        _("Staafdiagram per maand, van %(first)s tot en met %(last)s: het aantal vragen, "
          "meldingen, zaken en terugbelverzoeken.", first=_month(figures.trend[0].month, lang),
          last=_month(figures.trend[-1].month, lang)),
        [_month(m.month, lang, "LLL ''yy") for m in figures.trend],
        [Series(name, values(rows, i + 1)) for i, name in enumerate(names)],
        horizontal=False,
    )
    return Table("trend", _("Per maand"), [_("Maand"), *names], rows, chart)


def topics_table(figures: Figures, lang: Language) -> Table:
    """The ten topics asked about most, against the month before."""
    _ = lang.gettext
    top = figures.topics[: TOP]
    rows: list[list[Cell]] = [[_tr(lang, t.label_nl, t.label_en), t.count, t.previous,
                               change(t.count, t.previous)] for t in top]
    chart = Chart(
        "grafiek-onderwerpen", _("Top 10 onderwerpen van vragen"),
        _("Staafdiagram: het aantal vragen per onderwerp deze maand, het meest gevraagde "
          "onderwerp bovenaan."),
        [str(r[0]) for r in rows], [Series(_("Vragen"), values(rows, 1))],
    )
    return Table("onderwerpen", _("Top 10 onderwerpen van vragen"),
                 [_("Onderwerp"), *_comparison(lang), _("Verschil")], rows, chart,
                 empty=_("Deze maand zijn er geen vragen gesteld."))


def types_table(figures: Figures, lang: Language) -> Table:
    """Reports and cases opened per dossier type."""
    _ = lang.gettext
    rows: list[list[Cell]] = [
        [_tr(lang, t.label_nl, t.label_en), kind, t.count, t.previous,
         change(t.count, t.previous)]
        for kind, items in ((_("Melding"), figures.reports), (_("Zaak"), figures.cases))
        for t in items
    ]
    chart = Chart(
        "grafiek-soorten", _("Meldingen en zaken per soort"),
        _("Staafdiagram: het aantal meldingen en zaken per soort deze maand."),
        [f"{r[0]} ({r[1]})" for r in rows],
        [Series(_("Deze maand"), values(rows, 2))],
    )
    return Table("soorten", _("Meldingen en zaken per soort"),
                 [_("Soort"), _("Melding of zaak"), *_comparison(lang), _("Verschil")], rows,
                 chart, empty=_("Deze maand zijn er geen meldingen of zaken binnengekomen."))


def channels_table(figures: Figures, lang: Language) -> Table:
    """Questions, reports, cases and contacts per channel."""
    _ = lang.gettext
    rows: list[list[Cell]] = [
        [_(CHANNEL_LABELS.get(c.channel, c.channel)), c.questions, c.reports, c.cases,
         c.contacts, c.callbacks, c.total]
        for c in figures.channels
    ]
    names = [_("Vragen"), _("Meldingen"), _("Zaken"), _("Contacten"), _("Terugbelverzoeken")]
    chart = Chart(
        "grafiek-kanalen", _("Per kanaal"),
        _("Staafdiagram per kanaal: het aantal vragen, meldingen, zaken, geregistreerde "
          "contacten en terugbelverzoeken deze maand."),
        [str(r[0]) for r in rows],
        [Series(name, values(rows, i + 1)) for i, name in enumerate(names)],
    )
    return Table("kanalen", _("Per kanaal"), [_("Kanaal"), *names, _("Totaal")], rows, chart,
                 empty=_("Deze maand is er niets binnengekomen."))


def handovers_table(figures: Figures, lang: Language) -> Table:
    """Handovers per team."""
    _ = lang.gettext
    rows: list[list[Cell]] = [
        [_tr(lang, t.label_nl, t.label_en) or _("Zonder team (direct aan een specialist)"),
         t.count, t.previous, change(t.count, t.previous)] for t in figures.handovers
    ]
    chart = Chart(
        "grafiek-overdrachten", _("Overdrachten per team"),
        _("Staafdiagram: het aantal vragen dat deze maand aan elk team is overgedragen."),
        [str(r[0]) for r in rows], [Series(_("Deze maand"), values(rows, 1))],
    )
    return Table("overdrachten", _("Overdrachten per team"),
                 [_("Team"), *_comparison(lang), _("Verschil")], rows, chart,
                 empty=_("Er zijn geen vragen overgedragen."))


def deflection_table(figures: Figures, lang: Language) -> Table:
    """Answers read and suggested against questions asked."""
    _ = lang.gettext
    now, before = figures.deflection, figures.deflection_before
    rows: list[list[Cell]] = [
        [_("Antwoorden gelezen"), now.views, before.views],
        [_("Suggesties getoond bij het stellen van een vraag"), now.suggested, before.suggested],
        [_("Suggesties geopend"), now.opened, before.opened],
        [_("Formulieren met een geopende suggestie"), now.forms_opened, before.forms_opened],
        [_("Daarna geen vraag gesteld (vraag voorkomen)"), now.forms_deflected,
         before.forms_deflected],
        [_("Vragen gesteld via de website"), now.web_questions, before.web_questions],
        [_("Vragen voorkomen (%)"), percent(now.forms_deflected, now.about_to_ask),
         percent(before.forms_deflected, before.about_to_ask)],
    ]
    return Table("voorkomen", _("Vragen voorkomen door antwoorden"),
                 [_("Cijfer"), *_comparison(lang)], rows, note=_whole(figures, lang))


def _whole(figures: Figures, lang: Language) -> str:
    if not figures.period.department:
        return ""
    return lang.gettext("Antwoorden horen bij geen afdeling: dit zijn de cijfers van de hele "
                        "organisatie.")


def votes_table(figures: Figures, lang: Language) -> Table:
    """The answers with the most 'nee' votes this month."""
    _ = lang.gettext
    rows: list[list[Cell]] = [[v.title, v.yes, v.no] for v in figures.no_votes]
    return Table("nee-stemmen", _("Antwoorden met de meeste keren 'nee'"),
                 [_("Antwoord"), _("Ja"), _("Nee")], rows, note=_whole(figures, lang),
                 empty=_("Deze maand heeft niemand 'nee' gestemd."))


def review_table(figures: Figures, lang: Language) -> Table:
    """Published answers past their review date (today)."""
    _ = lang.gettext
    rows: list[list[Cell]] = [[r.title, r.review_by.isoformat(), r.yes, r.no]
                              for r in figures.past_review]
    return Table("controledatum", _("Antwoorden waarvan de controledatum voorbij is"),
                 [_("Antwoord"), _("Controleren vóór"), _("Ja sinds publicatie"),
                  _("Nee sinds publicatie")], rows, note=_("Stand van vandaag."),
                 empty=_("Alle gepubliceerde antwoorden zijn op tijd gecontroleerd."))


def flags_table(figures: Figures, lang: Language) -> Table:
    """Agents' flags this month, per answer."""
    _ = lang.gettext
    rows: list[list[Cell]] = [[f.title or _("Ontbrekend antwoord"), f.flags, f.still_open]
                              for f in figures.flags]
    return Table("signalen", _("Signalen van het KCC over antwoorden"),
                 [_("Antwoord"), _("Signalen"), _("Nog open")], rows,
                 note=_whole(figures, lang), empty=_("Deze maand zijn er geen signalen."))
