"""The matches page, "why not", the referral confirmation and the sent page.

From the matches page a referral takes two clicks: "Refer" opens the confirmation,
pre-filled from the assessment, and "Send referral" sends it.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.authz import get_or_404, requires
from marketplace.directory.models import Service
from marketplace.extensions import db
from marketplace.jobs import commit
from marketplace.matches import queries
from marketplace.matches.forms import confirm_form_class
from marketplace.matches.services import ASSESSMENT_TO_SEND, ReferralRefused, send_referrals
from marketplace.people.models import AssessmentStatus, NeedsAssessment
from marketplace.people.queries import need_names
from marketplace.referrals.models import Referral
from marketplace.routing import row_ids
from matching import Match, explain, needs_met

blueprint = Blueprint("matches", __name__)

SHOWN_MATCHES = 20
MAX_SHOWN_MATCHES = 100
SHOWN_REFUSALS = 50
MAX_SERVICES_PER_REFERRAL = 10


@blueprint.app_template_filter("capitalize_first")
def capitalize_first(text: str) -> str:
    """Capital first letter, the rest as it is (unlike Jinja's ``capitalize``)."""
    return text[:1].upper() + text[1:]


def _current_version_url(assessment: NeedsAssessment) -> str | None:
    current = next(
        (a for a in assessment.person.assessments if a.status == AssessmentStatus.COMPLETE), None
    )
    return url_for("matches.index", assessment_id=current.id) if current else None


@blueprint.get("/assessments/<int:assessment_id>/matches")
@requires("match:view")
def index(assessment_id: int) -> str | Response:
    assessment = get_or_404(NeedsAssessment, assessment_id, "match:view")
    if assessment.status == AssessmentStatus.DRAFT:
        flash("Complete the assessment to see matching services.", "info")
        return redirect(url_for("people.edit_assessment", assessment_id=assessment.id))
    if assessment.status == AssessmentStatus.SUPERSEDED:
        return render_template(
            "matches/superseded.html",
            assessment=assessment,
            person=assessment.person,
            current_url=_current_version_url(assessment),
        )
    matches = queries.matches_for(assessment)
    shown = min(max(request.args.get("show", SHOWN_MATCHES, type=int) or 0, 1), MAX_SHOWN_MATCHES)
    listed = matches.eligible[:shown]
    pins = queries.nearest_locations([m.service.service_id for m in listed], matches.place)
    names = need_names()
    return render_template(
        "matches/index.html",
        assessment=assessment,
        person=assessment.person,
        matches=matches,
        listed=listed,
        shown=shown,
        refused=matches.refused[:SHOWN_REFUSALS],
        pins=pins,
        map_json=_map_json(listed, pins, matches.place),
        open_referrals=queries.open_referrals(
            assessment.person_id, [m.service.service_id for m in listed]
        ),
        need_names=names,
        needs_met=needs_met,
        explain=explain,
    )


def _map_json(listed: list[Match], pins: dict[int, queries.Pin], place: Any) -> str | None:
    """Markers for the map, numbered as in the list; None when there is nothing to draw."""
    markers = [
        {
            "number": number,
            "name": match.service.name,
            "lat": pins[match.service.service_id].latitude,
            "lon": pins[match.service.service_id].longitude,
            "anchor": f"match-{match.service.service_id}",
        }
        for number, match in enumerate(listed, start=1)
        if match.service.service_id in pins and pins[match.service.service_id].latitude is not None
    ]
    if not markers:
        return None
    person = {"lat": place.latitude, "lon": place.longitude} if place.point else None
    return json.dumps(
        {
            "markers": markers,
            "person": person,
            "tiles": current_app.config.get("MAP_TILE_URL") or "",
            "attribution": current_app.config.get("MAP_TILE_ATTRIBUTION") or "",
        }
    )


@blueprint.get("/assessments/<int:assessment_id>/services/<int:service_id>")
@requires("match:view")
def why(assessment_id: int, service_id: int) -> str:
    """One service checked against the assessment: why it matches, or exactly why not."""
    assessment = get_or_404(NeedsAssessment, assessment_id, "match:view")
    found = queries.matches_for_services(assessment, [service_id])
    if not found or not queries.is_listed(found[0].service):
        abort(404)
    return render_template(
        "matches/why.html",
        assessment=assessment,
        person=assessment.person,
        service=db.session.get(Service, service_id),
        match=found[0],
        need_names=need_names(),
        explain=explain,
    )


@blueprint.route("/assessments/<int:assessment_id>/refer", methods=["GET", "POST"])
@requires("referral:create")
def confirm(assessment_id: int) -> str | Response | tuple[str, int]:
    """Confirm and send referrals to the services named in ``?service=`` (one or more)."""
    assessment = get_or_404(
        NeedsAssessment, assessment_id, "referral:create", options=ASSESSMENT_TO_SEND
    )
    service_ids = row_ids(request.args.getlist("service"))
    if not service_ids:
        flash("Select at least one service to refer to.", "error")
        return redirect(url_for("matches.index", assessment_id=assessment.id))
    if len(service_ids) > MAX_SERVICES_PER_REFERRAL:
        flash(f"Select up to {MAX_SERVICES_PER_REFERRAL} services at a time.", "error")
        return redirect(url_for("matches.index", assessment_id=assessment.id))
    matches = queries.matches_for_services(assessment, service_ids)
    visible = [m for m in matches if queries.is_listed(m.service)]
    if len(visible) < len(service_ids) or not all(m.eligible for m in visible):
        listed = {m.service.service_id for m in visible}
        return render_template(
            "matches/cannot_refer.html",
            assessment=assessment,
            person=assessment.person,
            matches=visible,
            missing=[sid for sid in service_ids if sid not in listed],
        ), (404 if len(visible) < len(service_ids) else 422)
    if assessment.status != AssessmentStatus.COMPLETE and request.method == "GET":
        # The matches page explains (a draft to finish, or a newer version to use); a
        # form already open is refused with that reason when sent.
        return redirect(url_for("matches.index", assessment_id=assessment.id))

    choices = queries.confirmation_choices(assessment, visible)
    form = confirm_form_class(choices)()
    if form.validate_on_submit():
        try:
            sent = send_referrals(
                assessment,
                form.requests(),
                referrer=current_user,
                contact_preference=form.contact_preference.data or "",
                consent=bool(form.consent.data),
            )
        except ReferralRefused as refused:
            for problem in refused.problems:
                form.show_problem(problem.field, problem.service_id, problem.message)
            # The referrer has now seen the service as it is: send can go ahead next time.
            for choice in choices:
                form.version_field(choice).data = str(choice.version)
            status = refused.status
        else:
            commit()
            return redirect(
                url_for(
                    "matches.sent",
                    assessment_id=assessment.id,
                    referral=[r.id for r in sent.referrals],
                )
            )
    elif request.method == "GET":
        form.prefill(
            contact_preference=assessment.person.contact_preference,
            consent=assessment.consent_recorded_at is not None,
        )
        status = 200
    else:
        status = 400
    open_now = queries.open_referrals(assessment.person_id, service_ids)
    return render_template(
        "matches/confirm.html",
        form=form,
        choices=choices,
        assessment=assessment,
        person=assessment.person,
        open_referrals=open_now,
        consent_recorded=assessment.consent_recorded_at,
    ), status


@blueprint.get("/assessments/<int:assessment_id>/sent")
@requires("referral:create")
def sent(assessment_id: int) -> str:
    assessment = get_or_404(NeedsAssessment, assessment_id, "referral:create")
    ids = row_ids(request.args.getlist("referral"))[:MAX_SERVICES_PER_REFERRAL]
    referrals = [get_or_404(Referral, referral_id, "referral:view") for referral_id in ids]
    if not referrals or any(r.assessment_id != assessment.id for r in referrals):
        abort(404)
    return render_template(
        "matches/sent.html",
        assessment=assessment,
        person=assessment.person,
        referrals=referrals,
    )
