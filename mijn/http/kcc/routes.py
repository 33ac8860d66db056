"""Every route of the KCC front end (staff sessions only), in the order they are matched."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from mijn.http.kcc import (
    answers,
    callbacks,
    deliveries,
    dossiers,
    drafts,
    finding,
    insight,
    insight_satisfaction,
    lead,
    login,
    parties,
    questions,
    queue,
    retention,
    satisfaction,
    textmodules,
)

routes: list[BaseRoute] = [
    Route("/kcc", queue.queue, name="kcc:queue"),
    Route("/kcc/", queue.root_redirect),
    Route("/kcc/inloggen", login.login_page, name="kcc:login"),
    Route("/kcc/uitloggen", login.staff_logout, methods=["POST"], name="kcc:logout"),
    Route("/kcc/volgende", queue.take_next, methods=["POST"], name="kcc:next"),
    Route("/kcc/vragen/{reference}", questions.question_page, name="kcc:question"),
    Route("/kcc/vragen/{reference}/signaal", questions.flag_answer, methods=["POST"],
          name="kcc:flag"),
    Route("/kcc/vragen/{reference}/concept", drafts.keep_draft, methods=["POST"],
          name="kcc:draft"),
    Route("/kcc/vragen/{reference}/invoegen", questions.insert_answer, methods=["POST"],
          name="kcc:insert"),
    Route("/kcc/vragen/{reference}/{action}", questions.act, methods=["POST"], name="kcc:act"),
    Route("/kcc/meldingen", deliveries.deliveries, name="kcc:deliveries"),
    Route("/kcc/meldingen/{kind}/{item_id}/opnieuw", deliveries.retry, methods=["POST"],
          name="kcc:delivery_retry"),
    Route("/kcc/klanten", finding.find_page, name="kcc:find"),
    Route("/kcc/klanten", finding.find, methods=["POST"], name="kcc:find_post"),
    Route("/kcc/klanten/{party_id}", parties.party_page, name="kcc:party"),
    Route("/kcc/klanten/{party_id}/{action}", parties.party_act, methods=["POST"],
          name="kcc:party_act"),
    Route("/kcc/dossiers/{reference}", dossiers.dossier_page, name="kcc:dossier"),
    *callbacks.routes,
    *answers.routes,
    *insight.routes,
    *insight_satisfaction.routes,
    *lead.routes,
    *textmodules.routes,
    *retention.routes,
    *satisfaction.routes,
]
