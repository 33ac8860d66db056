"""Satisfaction (KTO) as report tables (and charts), for the page and its CSV downloads:
per topic, channel, team and dossier type, the trend, against first-contact resolution, the
service level and the time to the first answer, and the comments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.channels import CHANNEL_LABELS
from mijn.i18n import Language
from mijn.insight import satisfaction as kto
from mijn.insight.charts import Chart, Series
from mijn.insight.period import ZONE, Period
from mijn.insight.report import Cell, Table, duration, percent, values
from mijn.insight.satisfaction import Comment, CommentFilter, Score
from mijn.questions.satisfaction import score_label


@dataclass(frozen=True)
class SatisfactionFigures:
    """Every satisfaction figure of one month."""

    topics: list[Score]
    channels: list[Score]
    teams: list[Score]
    types: list[Score]
    trend: list[Score]
    resolution: list[Score]
    service_level: list[Score]
    time_to_answer: dict[bool, float | None]
    comments: list[Comment]
    closed: list[Score]  # after a dossier was closed, per dossier type


async def collect(session: AsyncSession, period: Period,
                  chosen: CommentFilter) -> SatisfactionFigures:
    """Run the satisfaction aggregations of a period (and the comments chosen)."""
    return SatisfactionFigures(
        await kto.by_topic(session, period), await kto.by_channel(session, period),
        await kto.by_team(session, period), await kto.by_dossier_type(session, period),
        await kto.trend(session, period), await kto.by_resolution(session, period),
        await kto.by_service_level(session, period), await kto.time_to_answer(session, period),
        await kto.comments(session, period, chosen), await kto.closed_by_type(session, period),
    )


def _tr(lang: Language, nl: str, en: str) -> str:
    return en if lang.code == "en" and en else nl


def _headers(lang: Language, first: str) -> list[str]:
    _ = lang.gettext
    return [first, _("Antwoorden"), _("Tevreden (%)"), _("Gemiddeld cijfer (1-5)")]


def _row(label: str, score: Score) -> list[Cell]:
    return [label, score.responses, percent(score.satisfied, score.responses), score.mean]


def build(figures: SatisfactionFigures, lang: Language) -> list[Table]:
    """All satisfaction tables, in the order the page shows them."""
    return [trend_table(figures, lang), relation_table(figures, lang),
            time_table(figures, lang), *group_tables(figures, lang),
            comments_table(figures, lang)]


def trend_table(figures: SatisfactionFigures, lang: Language) -> Table:
    """Answers and the share satisfied per month."""
    _ = lang.gettext
    rows = [_row(format_date(s.key, "LLLL yyyy", locale=lang.code), s) for s in figures.trend]
    chart = Chart(
        "grafiek-tevredenheid", _("Tevreden per maand (%)"),
        _("Staafdiagram per maand: het percentage antwoorden op de vraag naar tevredenheid "
          "dat tevreden was."),
        [format_date(s.key, "LLL ''yy", locale=lang.code) for s in figures.trend],
        [Series(_("Tevreden (%)"), values(rows, 2))], horizontal=False,
    )
    return Table("tevredenheid-trend", _("Tevredenheid per maand"), _headers(lang, _("Maand")),
                 rows, chart)


def relation_table(figures: SatisfactionFigures, lang: Language) -> Table:
    """Satisfaction against first-contact resolution and the service level."""
    _ = lang.gettext
    names = {
        ("fcr", 1): _("Opgelost bij eerste contact"), ("fcr", 0): _("Niet bij eerste contact"),
        ("fcr", -1): _("Eerste contact onbekend (terugbelverzoek)"),
        ("sla", 1): _("Binnen de termijn beantwoord"), ("sla", 0): _("Te laat beantwoord"),
        ("sla", -1): _("Zonder termijn of zonder antwoord"),
    }
    rows = [_row(names[(kind, int(s.key))], s)
            for kind, scores in (("fcr", figures.resolution), ("sla", figures.service_level))
            for s in sorted(scores, key=lambda s: -int(s.key))]
    return Table("tevredenheid-afhandeling",
                 _("Tevredenheid, eerste contact en termijn"), _headers(lang, _("Afhandeling")),
                 rows, empty=_("Deze maand gaf niemand een mening."))


def time_table(figures: SatisfactionFigures, lang: Language) -> Table:
    """The mean time to the first answer of satisfied and of not satisfied answers."""
    _ = lang.gettext
    rows: list[list[Cell]] = [
        [_("Tevreden"), duration(figures.time_to_answer[True], lang)],
        [_("Niet tevreden"), duration(figures.time_to_answer[False], lang)],
    ]
    return Table("tevredenheid-tijd", _("Tijd tot het eerste antwoord en tevredenheid"),
                 [_("Oordeel"), _("Tijd tot het eerste antwoord, gemiddeld")], rows,
                 note=_("Tevreden: 4 of 5 op de schaal van 5, of tevreden."))


def group_tables(figures: SatisfactionFigures, lang: Language) -> list[Table]:
    """Per topic, channel, team and dossier type."""
    _ = lang.gettext
    empty = _("Deze maand gaf niemand een mening.")
    channel = [_row(_(CHANNEL_LABELS.get(str(s.key), str(s.key))), s) for s in figures.channels]
    teams = [_row(_tr(lang, s.label_nl, s.label_en) or _("KCC (niet doorgezet)"), s)
             for s in figures.teams]
    types = [_row(_tr(lang, s.label_nl, s.label_en) or _("Niet over een dossier"), s)
             for s in figures.types]
    topics = [_row(_tr(lang, s.label_nl, s.label_en), s) for s in figures.topics]
    return [
        Table("tevredenheid-onderwerp", _("Tevredenheid per onderwerp"),
              _headers(lang, _("Onderwerp")), topics, empty=empty),
        Table("tevredenheid-kanaal", _("Tevredenheid per kanaal"),
              _headers(lang, _("Kanaal")), channel, empty=empty),
        Table("tevredenheid-team", _("Tevredenheid per team"), _headers(lang, _("Team")),
              teams, empty=empty),
        Table("tevredenheid-soort", _("Tevredenheid per soort dossier"),
              _headers(lang, _("Soort")), types, empty=empty),
        Table("tevredenheid-afhandeling", _("Tevredenheid na het afronden van een dossier"),
              _headers(lang, _("Soort")),
              [_row(_tr(lang, s.label_nl, s.label_en), s) for s in figures.closed],
              note=_("Gevraagd na de laatste status van een aanvraag of melding, per soort."),
              empty=_("Deze maand gaf niemand een mening over een afgerond dossier.")),
    ]


def _when(at: datetime) -> str:
    return at.astimezone(ZONE).date().isoformat()


def comments_table(figures: SatisfactionFigures, lang: Language) -> Table:
    """The comments chosen, newest first (without who wrote them)."""
    _ = lang.gettext
    rows: list[list[Cell]] = [
        [_when(c.at), _tr(lang, c.topic_nl, c.topic_en),
         _(CHANNEL_LABELS.get(c.channel, c.channel)), _(score_label(c.scale, c.score)), c.text]
        for c in figures.comments
    ]
    return Table("tevredenheid-opmerkingen", _("Opmerkingen"),
                 [_("Datum"), _("Onderwerp"), _("Kanaal"), _("Oordeel"), _("Opmerking")], rows,
                 note=_("Wat inwoners schreven, zonder naam of kenmerk. Een opmerking kan toch "
                        "iets persoonlijks bevatten: deel dit overzicht niet buiten de "
                        "organisatie."),
                 empty=_("Er zijn geen opmerkingen die bij de keuze passen."))
