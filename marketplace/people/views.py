"""People and needs assessments: the referrer's caseload, person pages, assessment forms."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.audit.services import record
from marketplace.authz import get_or_404, requires
from marketplace.jobs import commit
from marketplace.people import queries, services
from marketplace.people.answers import assessment_answers, matching_needs
from marketplace.people.forms import PersonForm, assessment_form_class
from marketplace.people.models import AssessmentStatus, NeedsAssessment, Person
from marketplace.routing import page_number
from marketplace.template_globals import url_for_safe

blueprint = Blueprint("people", __name__)

PERMISSION = "person:manage"


@blueprint.get("/people")
@requires(PERMISSION)
def index() -> str:
    reference = request.args.get("reference", "")[:40]
    page = page_number(request.args)
    caseload = queries.agency_people(current_user.agency_id, reference=reference, page=page)
    return render_template("people/index.html", caseload=caseload, reference=reference)


@blueprint.route("/people/new", methods=["GET", "POST"])
@requires(PERMISSION)
def new() -> str | Response | tuple[str, int]:
    form = PersonForm()
    if form.validate_on_submit():
        person = services.create_person(form.details(), user=current_user)
        assessment = services.start_assessment(person, user=current_user)
        commit()
        flash(f"{person.reference} has been added. Now assess their needs.", "success")
        return redirect(url_for("people.edit_assessment", assessment_id=assessment.id))
    return _render_form("people/person_form.html", form, person=None)


@blueprint.get("/people/<int:person_id>")
@requires(PERMISSION)
def detail(person_id: int) -> str:
    person = get_or_404(Person, person_id, PERMISSION)
    # Personal data: every view of a person's record is in the audit log.
    record("person_viewed", person, actor=current_user)
    commit()
    return render_template(
        "people/detail.html",
        person=person,
        assessments=list(reversed(person.assessments)),
        referrals=queries.person_referrals(person),
        need_names=queries.need_names(),
    )


@blueprint.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@requires(PERMISSION)
def edit(person_id: int) -> str | Response | tuple[str, int]:
    person = get_or_404(Person, person_id, PERMISSION)
    form = PersonForm()
    if form.validate_on_submit():
        services.update_person(person, form.details(), user=current_user)
        commit()
        flash("Details saved.", "success")
        return redirect(url_for("people.detail", person_id=person.id))
    if request.method == "GET":
        form.fill_from(person)
    return _render_form("people/person_form.html", form, person=person)


@blueprint.post("/people/<int:person_id>/assessments")
@requires(PERMISSION)
def start_assessment(person_id: int) -> Response:
    """Open the person's draft: a new first assessment, or a reassessment."""
    person = get_or_404(Person, person_id, PERMISSION)
    assessment = services.start_assessment(person, user=current_user)
    commit()
    return redirect(url_for("people.edit_assessment", assessment_id=assessment.id))


@blueprint.get("/assessments/<int:assessment_id>")
@requires(PERMISSION)
def assessment(assessment_id: int) -> str:
    assessment = get_or_404(NeedsAssessment, assessment_id, PERMISSION)
    return render_template(
        "people/assessment.html",
        assessment=assessment,
        person=assessment.person,
        answers=assessment_answers(assessment),
        needs=matching_needs(assessment),
        categories=queries.need_categories(),
        need_names=queries.need_names(),
        matches_url=url_for_safe("matches.index", assessment_id=assessment.id),
    )


@blueprint.route("/assessments/<int:assessment_id>/edit", methods=["GET", "POST"])
@requires(PERMISSION)
def edit_assessment(assessment_id: int) -> str | Response | tuple[str, int]:
    assessment = get_or_404(NeedsAssessment, assessment_id, PERMISSION)
    if assessment.status != AssessmentStatus.DRAFT:
        flash(
            f"Version {assessment.version} is complete and cannot be changed. "
            "Reassess to start a new version.",
            "info",
        )
        return redirect(url_for("people.assessment", assessment_id=assessment.id))
    categories = queries.need_categories()
    form = assessment_form_class(categories)()
    problem = None
    if form.validate_on_submit():
        try:
            services.save_assessment(
                assessment, form.answers(), user=current_user, token=form.edit_token.data
            )
        except services.StaleAssessment:
            problem = (
                "This draft was changed in another window or by a colleague since you opened "
                "it, so your changes have not been saved. Check the answers below and save again."
            )
            form.edit_token.data = services.edit_token(assessment)
        else:
            if form.complete.data:
                services.complete_assessment(assessment, user=current_user)
                commit()
                return redirect(
                    url_for_safe("matches.index", assessment_id=assessment.id)
                    or url_for("people.assessment", assessment_id=assessment.id)
                )
            commit()
            flash("Your draft has been saved.", "success")
            return redirect(url_for("people.edit_assessment", assessment_id=assessment.id))
    elif request.method == "GET":
        form.fill_from(assessment_answers(assessment))
        form.edit_token.data = services.edit_token(assessment)
    status = 409 if problem else (400 if form.errors else 200)
    return render_template(
        "people/assessment_form.html",
        form=form,
        assessment=assessment,
        person=assessment.person,
        categories=categories,
        problem=problem,
    ), status


def _render_form(template: str, form: PersonForm, **context: object) -> tuple[str, int]:
    return render_template(template, form=form, **context), 400 if form.errors else 200
