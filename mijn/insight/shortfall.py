"""Where our information falls short: per dossier type and status, how many dossiers were in
that status in the month and how many questions were asked about a dossier while it was in
that status; per answer, how often it was opened in the ask form and how often a question
was still sent after that. Like every query module of insight, it reads other areas' tables
directly and read-only (see mijn/insight/__init__.py); counts and labels only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from mijn.answers.models import Answer
from mijn.answers.quality import figures as answer_figures
from mijn.dossiers.models import Dossier, DossierType, StatusEvent, StatusType
from mijn.i18n import Language
from mijn.insight.period import TOP, Period, between, moment, of_department
from mijn.insight.report import Cell, Table, percent
from mijn.questions.models import Question


@dataclass(frozen=True)
class StatusShortfall:
    """One status of a dossier type in the month: the dossiers in it, the questions asked
    about a dossier while it was in it, and the dossiers of those questions."""

    type_nl: str
    type_en: str
    status_nl: str
    status_en: str
    dossiers: int
    questions: int
    asked_dossiers: int


@dataclass(frozen=True)
class AnswerShortfall:
    """An answer opened in ask forms in the month, and the forms still sent after that."""

    title: str
    shown: int
    asked_after: int


@dataclass(frozen=True)
class Shortfall:
    """The month's statuses and answers that still lead to questions."""

    statuses: list[StatusShortfall]
    answers: list[AnswerShortfall]


def _current_at(period: Period) -> Select[*tuple[Any, ...]]:
    """Per status event in force during the month: its dossier, and its dossier's type and
    status (an event is in force from when it occurred until the next status event)."""
    ev, later = aliased(StatusEvent), aliased(StatusEvent)
    next_at = (select(func.min(later.occurred_at))
               .where(later.dossier_id == ev.dossier_id, later.kind == "status",
                      later.status_type_id.is_not(None),
                      or_(later.occurred_at > ev.occurred_at,
                          and_(later.occurred_at == ev.occurred_at, later.id > ev.id)))
               .scalar_subquery())
    return (select(Dossier.dossier_type_id, ev.status_type_id,
                   func.count(func.distinct(ev.dossier_id)))
            .join(Dossier, Dossier.id == ev.dossier_id)
            .where(ev.kind == "status", ev.status_type_id.is_not(None),
                   ev.occurred_at < moment(period.end),
                   func.coalesce(next_at, moment(period.end)) >= moment(period.month),
                   *of_department(period))
            .group_by(Dossier.dossier_type_id, ev.status_type_id))


def _asked_in(period: Period) -> Select[*tuple[Any, ...]]:
    """Per dossier type and status the questions (and callback requests) of the month about
    a dossier in that status when they were asked, and how many dossiers they were about."""
    ev = aliased(StatusEvent)
    status = (select(ev.status_type_id)
              .where(ev.dossier_id == Question.dossier_id, ev.kind == "status",
                     ev.status_type_id.is_not(None), ev.occurred_at <= Question.created_at)
              .order_by(ev.occurred_at.desc(), ev.id.desc()).limit(1).scalar_subquery())
    asked = (select(Question.id, Question.dossier_id, status.label("status"))
             .where(Question.dossier_id.is_not(None),
                    between(Question.created_at, period.month, period.end)).subquery())
    return (select(Dossier.dossier_type_id, asked.c.status, func.count(asked.c.id),
                   func.count(func.distinct(asked.c.dossier_id)))
            .join(Dossier, Dossier.id == asked.c.dossier_id)
            .where(asked.c.status.is_not(None), *of_department(period))
            .group_by(Dossier.dossier_type_id, asked.c.status))


async def statuses(session: AsyncSession, period: Period) -> list[StatusShortfall]:
    """The statuses about which questions were asked in the month, the largest share of
    dossiers with a question first (three statements, whatever the month holds)."""
    held = {(t, s): int(n) for t, s, n in await session.execute(_current_at(period))}
    asked = {(t, s): (int(q), int(d)) for t, s, q, d in await session.execute(_asked_in(period))}
    rows = await session.execute(
        select(StatusType, DossierType)
        .join(DossierType, DossierType.id == StatusType.dossier_type_id)
        .where(StatusType.id.in_({s for _, s in asked})))
    labels = {s.id: (t.name_nl, t.name_en, s.label_nl, s.label_en) for s, t in rows.all()}
    found = [StatusShortfall(*labels[s], max(held.get((t, s), 0), d), q, d)
             for (t, s), (q, d) in asked.items() if s in labels]
    return sorted(found, key=lambda r: (-r.asked_dossiers / r.dossiers, -r.questions,
                                        r.type_nl, r.status_nl))


async def answers(session: AsyncSession, period: Period, limit: int = TOP
                  ) -> list[AnswerShortfall]:
    """The answers opened in ask forms in the month after which a question was still sent,
    the most such forms first (the answers area's figures)."""
    found = await answer_figures(session, [(moment(period.month), moment(period.end))])
    counts = {a: f for (a, _), f in found.items() if f.asked_after}
    titles = dict((await session.execute(
        select(Answer.id, Answer.title).where(Answer.id.in_(counts)))).all())
    rows = [AnswerShortfall(titles[a], f.forms_opened, f.asked_after)
            for a, f in counts.items() if a in titles]
    return sorted(rows, key=lambda r: (-r.asked_after, -r.asked_after / r.shown, r.title))[:limit]


async def shortfall(session: AsyncSession, period: Period) -> Shortfall:
    """The month's statuses and answers that still lead to questions."""
    return Shortfall(await statuses(session, period), await answers(session, period))


def _tr(lang: Language, nl: str, en: str) -> str:
    return en if lang.code == "en" and en else nl


def tables(found: Shortfall, lang: Language, department: str) -> list[Table]:
    """The two tables: per dossier type and status, and per answer."""
    _ = lang.gettext
    rows: list[list[Cell]] = [
        [_tr(lang, r.type_nl, r.type_en), _tr(lang, r.status_nl, r.status_en), r.dossiers,
         r.questions, percent(r.asked_dossiers, r.dossiers)] for r in found.statuses]
    per_status = Table(
        "tekort-status", _("Waar schiet onze informatie tekort: statussen"),
        [_("Soort"), _("Status"), _("Dossiers in deze status"),
         _("Vragen gesteld in deze status"), _("Dossiers met een vraag (%)")], rows,
        note=_("Vragen en terugbelverzoeken over een dossier, bij de status die het dossier had "
               "toen de vraag werd gesteld. Statussen zonder vragen staan er niet in."),
        empty=_("Deze maand zijn er geen vragen over een dossier gesteld."))
    answer_rows: list[list[Cell]] = [[r.title, r.shown, r.asked_after,
                                      percent(r.asked_after, r.shown)] for r in found.answers]
    per_answer = Table(
        "tekort-antwoorden", _("Waar schiet onze informatie tekort: antwoorden"),
        [_("Antwoord"), _("Geopend bij het stellen van een vraag"), _("Daarna toch gevraagd"),
         _("Daarna toch gevraagd (%)")], answer_rows,
        note=" ".join(filter(None, [
            _("Antwoorden die een inwoner opende in het vraagformulier, waarna de vraag toch "
              "werd verstuurd."),
            _("Antwoorden horen bij geen afdeling: dit zijn de cijfers van de hele "
              "organisatie.") if department else ""])),
        empty=_("Deze maand is na het lezen van een antwoord geen vraag meer gesteld."))
    return [per_status, per_answer]
