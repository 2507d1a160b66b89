"""The referral inbox (providers), "My referrals" (referrers), the referral page and its
actions: respond, book and record appointments, message, give feedback, decide alerts.

Each action view validates a form, calls one lifecycle or service function, commits and
redirects back to the referral page. A refused action (someone else acted first, wrong
state) is shown as a message on the referral page; nothing already saved is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from marketplace.authz import get_or_404, requires
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.jobs import commit
from marketplace.referrals import lifecycle, queries, services
from marketplace.referrals.forms import (
    ActionForm,
    AppointmentForm,
    AttendanceForm,
    CancelAppointmentForm,
    CancelForm,
    CompleteForm,
    ComplianceForm,
    CorrectAttendanceForm,
    DeclineForm,
    FeedbackForm,
    MessageForm,
    ReplyForm,
    SharedFeedbackForm,
    WithdrawForm,
    options,
)
from marketplace.referrals.lifecycle import LifecycleError
from marketplace.referrals.models import Appointment, ComplianceAlert, Feedback, Referral
from marketplace.referrals.ratings import service_rating
from marketplace.routing import page_number, whole_number

blueprint = Blueprint("referrals", __name__, url_prefix="/referrals")


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _filters(is_referrer: bool) -> queries.InboxFilters:
    """Read filters from the query string; anything unrecognised is ignored, never a 500.
    A referrer sees their own referrals or their agency's (their own unless asked)."""
    # A plain dict: werkzeug's MultiDict raises (and catches) an exception for each of the
    # many filters a query string usually leaves out.
    args = request.args.to_dict()
    tab = args.get("tab", "new")
    age = args.get("age") or None
    sort = args.get("sort", "oldest")
    scope = args.get("scope", "")
    reference = (args.get("reference") or "").strip().upper()[:16] or None
    return queries.InboxFilters(
        tab=tab if tab in queries.TAB_BY_KEY else "new",
        service_id=whole_number(args.get("service")),
        location_id=whole_number(args.get("location")),
        agency_id=whole_number(args.get("agency")),
        age=age if age in queries.AGES else None,
        reference=reference,
        sort=sort if sort in queries.SORTS else "oldest",
        page=page_number(args),
        scope=scope if scope in ("mine", "agency") else "mine" if is_referrer else "organisation",
    )


@blueprint.get("")
@requires("referral:view")
def index() -> str:
    """The provider inbox, or a referrer's "My referrals" / "My agency's referrals"."""
    user = _user()
    is_referrer = user.role.value == "referrer"
    filters = _filters(is_referrer)
    return render_template(
        "referrals/index.html",
        inbox=queries.inbox(user, filters),
        filters=filters,
        choices=queries.filter_choices(user),
        is_referrer=is_referrer,
    )


@blueprint.get("/<int:referral_id>")
@requires("referral:view")
def detail(referral_id: int) -> str:
    referral = get_or_404(Referral, referral_id, "referral:view")
    return _render_detail(referral)


def _render_detail(referral: Referral, status: int = 200, **forms: Any) -> Any:
    user = _user()
    page = queries.referral_page(referral)
    actions = {name: lifecycle.allowed(referral, user, name) for name in lifecycle.TRANSITIONS}
    return (
        render_template(
            "referrals/detail.html",
            page=page,
            referral=referral,
            actions=actions,
            message_form=forms.get("message_form") or MessageForm(formdata=None),
            action_form=ActionForm(formdata=None),
            rating=service_rating(referral.service.rating_sum, referral.service.rating_count),
            attendance=queries.attendance_summary(page.appointments),
            now=utcnow(),
            author_label=queries.author_label,
            reason_label=lifecycle.reason_label,
            outcome_labels=lifecycle.OUTCOME_LABELS,
            absence_labels=services.ABSENCE_LABELS,
            decision_labels=services.DECISION_LABELS,
            where_text=services.where_text,
            feedback_kind=services.author_kind_of(user).value
            if user.role.value in ("referrer", "provider")
            else None,
        ),
        status,
    )


def _attempt(
    action: Callable[[], Any],
    referral: Referral,
    success: str,
    form: FlaskForm | None = None,
    rerender: Callable[[int], Any] | None = None,
) -> Any:
    """Run ``action`` and commit. A refusal rolls back and is shown: against the field it
    concerns (re-rendering the form), or as a message on the referral page."""
    try:
        action()
    except LifecycleError as error:
        db.session.rollback()
        field = getattr(form, error.field, None) if form is not None and error.field else None
        if field is not None and rerender is not None:
            field.errors = [*field.errors, error.message]
            return rerender(400)
        flash(error.message, "error")
        return redirect(url_for("referrals.detail", referral_id=referral.id))
    commit()
    flash(success, "success")
    return redirect(url_for("referrals.detail", referral_id=referral.id))


@blueprint.post("/<int:referral_id>/accept")
@requires("referral:respond")
def accept(referral_id: int) -> Response:
    referral = get_or_404(Referral, referral_id, "referral:respond")
    if not ActionForm().validate_on_submit():
        abort(400)
    return _attempt(  # type: ignore[no-any-return]
        lambda: lifecycle.accept(referral, _user()), referral, "Referral accepted"
    )


def _reason_view(
    referral_id: int,
    permission: str,
    form_class: type[FlaskForm],
    transition: Callable[..., Any],
    title: str,
    success: str,
) -> Any:
    referral = get_or_404(Referral, referral_id, permission)
    form = form_class()

    def render(status: int = 200) -> Any:
        return render_template(
            "referrals/reason.html", form=form, referral=referral, title=title
        ), status

    if form.validate_on_submit():
        return _attempt(
            lambda: transition(
                referral,
                _user(),
                form.reason_code.data,  # type: ignore[attr-defined]
                form.reason.data or "",  # type: ignore[attr-defined]
            ),
            referral,
            success,
            form,
            render,
        )
    return render(400 if form.errors else 200)


@blueprint.route("/<int:referral_id>/decline", methods=["GET", "POST"])
@requires("referral:respond")
def decline(referral_id: int) -> Any:
    return _reason_view(
        referral_id,
        "referral:respond",
        DeclineForm,
        lifecycle.decline,
        "Decline referral",
        "Referral declined",
    )


@blueprint.route("/<int:referral_id>/cancel", methods=["GET", "POST"])
@requires("referral:respond")
def cancel(referral_id: int) -> Any:
    return _reason_view(
        referral_id,
        "referral:respond",
        CancelForm,
        lifecycle.cancel,
        "Cancel referral",
        "Referral cancelled",
    )


@blueprint.route("/<int:referral_id>/withdraw", methods=["GET", "POST"])
@requires("referral:withdraw")
def withdraw(referral_id: int) -> Any:
    return _reason_view(
        referral_id,
        "referral:withdraw",
        WithdrawForm,
        lifecycle.withdraw,
        "Withdraw referral",
        "Referral withdrawn",
    )


@blueprint.route("/<int:referral_id>/complete", methods=["GET", "POST"])
@requires("referral:respond")
def complete(referral_id: int) -> Any:
    referral = get_or_404(Referral, referral_id, "referral:respond")
    form = CompleteForm()

    def render(status: int = 200) -> Any:
        return render_template("referrals/complete.html", form=form, referral=referral), status

    if form.validate_on_submit():
        return _attempt(
            lambda: lifecycle.complete(
                referral, _user(), form.outcome.data or "", form.notes.data or ""
            ),
            referral,
            "Referral completed",
            form,
            render,
        )
    return render(400 if form.errors else 200)


def _location_choices(referral: Referral) -> list[Any]:
    return options(
        [(0, "Choose a location")]
        + [(location.id, location.name) for location in referral.organisation.locations]
    )


@blueprint.route("/<int:referral_id>/appointments/new", methods=["GET", "POST"])
@requires("appointment:manage")
def book_appointment(referral_id: int) -> Any:
    referral = get_or_404(Referral, referral_id, "appointment:manage")
    form = AppointmentForm()
    form.location_id.choices = _location_choices(referral)

    def render(status: int = 200) -> Any:
        return render_template(
            "referrals/appointment_form.html",
            form=form,
            referral=referral,
            title="Book an appointment",
            replacing=None,
        ), status

    if form.validate_on_submit():
        return _attempt(
            lambda: services.book_appointment(
                referral,
                _user(),
                starts_at=form.starts_at(),
                mode=form.mode.data or "",
                duration_minutes=form.duration_minutes.data or 60,
                location_id=form.location_id.data or None,
                remote_details=form.remote_details.data,
            ),
            referral,
            "Appointment booked",
            form,
            render,
        )
    return render(400 if form.errors else 200)


def _appointment(referral: Referral, appointment_id: int) -> Appointment:
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.referral_id != referral.id:
        abort(404)
    return appointment


@blueprint.route(
    "/<int:referral_id>/appointments/<int:appointment_id>/reschedule", methods=["GET", "POST"]
)
@requires("appointment:manage")
def reschedule_appointment(referral_id: int, appointment_id: int) -> Any:
    referral = get_or_404(Referral, referral_id, "appointment:manage")
    appointment = _appointment(referral, appointment_id)
    form = AppointmentForm(
        data=None
        if request.method == "POST"
        else {
            "mode": appointment.mode.value,
            "duration_minutes": appointment.duration_minutes,
            "location_id": appointment.location_id or 0,
            "remote_details": appointment.remote_details,
        }
    )
    form.location_id.choices = _location_choices(referral)
    form.submit.label.text = "Reschedule appointment"

    def render(status: int = 200) -> Any:
        return render_template(
            "referrals/appointment_form.html",
            form=form,
            referral=referral,
            title="Reschedule an appointment",
            replacing=appointment,
        ), status

    if form.validate_on_submit():
        return _attempt(
            lambda: services.reschedule_appointment(
                appointment,
                _user(),
                starts_at=form.starts_at(),
                mode=form.mode.data,
                duration_minutes=form.duration_minutes.data,
                location_id=form.location_id.data or None,
                remote_details=form.remote_details.data or "",
            ),
            referral,
            "Appointment rescheduled",
            form,
            render,
        )
    return render(400 if form.errors else 200)


@blueprint.route(
    "/<int:referral_id>/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"]
)
@requires("appointment:manage")
def cancel_appointment(referral_id: int, appointment_id: int) -> Any:
    referral = get_or_404(Referral, referral_id, "appointment:manage")
    appointment = _appointment(referral, appointment_id)
    form = CancelAppointmentForm()
    if form.validate_on_submit():
        return _attempt(
            lambda: services.cancel_appointment(appointment, _user(), form.reason.data or ""),
            referral,
            "Appointment cancelled",
        )
    return render_template(
        "referrals/cancel_appointment.html",
        form=form,
        referral=referral,
        appointment=appointment,
        where_text=services.where_text,
    ), (400 if form.errors else 200)


@blueprint.route(
    "/<int:referral_id>/appointments/<int:appointment_id>/attendance", methods=["GET", "POST"]
)
@requires("appointment:manage")
def record_attendance(referral_id: int, appointment_id: int) -> Any:
    referral = get_or_404(Referral, referral_id, "appointment:manage")
    appointment = _appointment(referral, appointment_id)
    form = AttendanceForm()

    def render(status: int = 200) -> Any:
        return render_template(
            "referrals/attendance.html",
            form=form,
            referral=referral,
            appointment=appointment,
            where_text=services.where_text,
        ), status

    if form.validate_on_submit():
        return _attempt(
            lambda: services.record_attendance(
                appointment,
                _user(),
                status=form.status.data or "",
                absence_reason=form.absence_reason.data or None,
                notes=form.notes.data or "",
            ),
            referral,
            "Attendance recorded",
            form,
            render,
        )
    return render(400 if form.errors else 200)


@blueprint.route(
    "/<int:referral_id>/appointments/<int:appointment_id>/attendance/correction",
    methods=["GET", "POST"],
)
@requires("appointment:manage")
def correct_attendance(referral_id: int, appointment_id: int) -> Any:
    """Correct an attendance recorded wrongly (the rules are in
    ``services.correct_attendance``, and on the page)."""
    referral = get_or_404(Referral, referral_id, "appointment:manage")
    appointment = _appointment(referral, appointment_id)
    form = CorrectAttendanceForm()

    def render(status: int = 200) -> Any:
        return render_template(
            "referrals/correct_attendance.html",
            form=form,
            referral=referral,
            appointment=appointment,
            recorded=services.attendance_words(appointment.status, appointment.absence_reason),
            threshold=current_app.config.get("BREACH_UNEXPLAINED_ABSENCES", 2),
            where_text=services.where_text,
        ), status

    refusal = services.correction_refused(referral, appointment)
    if refusal is not None:
        flash(refusal, "error")
        return redirect(url_for("referrals.detail", referral_id=referral.id))
    if form.validate_on_submit():
        return _attempt(
            lambda: services.correct_attendance(
                appointment,
                _user(),
                status=form.status.data or "",
                absence_reason=form.absence_reason.data or None,
                reason=form.reason.data or "",
            ),
            referral,
            "Attendance corrected",
            form,
            render,
        )
    return render(400 if form.errors else 200)


@blueprint.post("/<int:referral_id>/messages")
@requires("referral:message")
def post_message(referral_id: int) -> Any:
    referral = get_or_404(Referral, referral_id, "referral:message")
    form = MessageForm()
    if not form.validate_on_submit():
        return _render_detail(referral, 400, message_form=form)
    return _attempt(
        lambda: services.post_message(referral, _user(), form.body.data or ""),
        referral,
        "Message sent",
    )


@blueprint.route("/<int:referral_id>/feedback", methods=["GET", "POST"])
@requires("feedback:give")
def give_feedback(referral_id: int) -> Any:
    referral = get_or_404(Referral, referral_id, "feedback:give")
    provider = _user().role.value == "provider"
    # The provider's rating rates the referral, not its own service: nothing to share.
    form = FeedbackForm() if provider else SharedFeedbackForm()
    if provider:
        form.rating.label.text = "How would you rate this referral?"

    def render(status: int = 200) -> Any:
        return render_template(
            "referrals/feedback.html", form=form, referral=referral, provider=provider
        ), status

    if form.validate_on_submit():
        return _attempt(
            lambda: services.give_feedback(
                referral,
                actor=_user(),
                rating=int(form.rating.data or 0),
                comments=form.comments.data or "",
                shared=isinstance(form, SharedFeedbackForm) and bool(form.shared.data),
            ),
            referral,
            "Thank you for your feedback",
            form,
            render,
        )
    return render(400 if form.errors else 200)


@blueprint.route("/<int:referral_id>/alerts/<int:alert_id>", methods=["GET", "POST"])
@requires("compliance:decide")
def decide_alert(referral_id: int, alert_id: int) -> Any:
    referral = get_or_404(Referral, referral_id, "compliance:decide")
    alert = db.session.get(ComplianceAlert, alert_id)
    if alert is None or alert.referral_id != referral.id:
        abort(404)
    form = ComplianceForm()

    def render(status: int = 200) -> Any:
        return render_template(
            "referrals/alert.html", form=form, referral=referral, alert=alert
        ), status

    if form.validate_on_submit():
        return _attempt(
            lambda: services.decide_compliance(
                alert, _user(), form.decision.data or "", form.notes.data or ""
            ),
            referral,
            "Decision recorded",
            form,
            render,
        )
    return render(400 if form.errors else 200)


@blueprint.get("/ratings")
@requires("rating:view")
def ratings() -> str:
    """A provider's ratings and comments, with a reply form for administrators."""
    user = _user()
    page = page_number(request.args)
    rows, total = queries.service_feedback(user, page)
    rated = [
        (service, service_rating(service.rating_sum, service.rating_count))
        for service in queries.services_rated(user)
    ]
    return render_template(
        "referrals/ratings.html",
        rows=rows,
        total=total,
        page=page,
        pages=max((total + queries.PAGE_SIZE - 1) // queries.PAGE_SIZE, 1),
        rated=rated,
        author_label=queries.author_label,
        reply_form=ReplyForm(formdata=None),
    )


def reply_hint(feedback: Feedback) -> str:
    """Where the provider's reply will be read, said before they write it."""
    once = "You can reply once, and you cannot change your reply afterwards."
    if feedback.shown_on_service_page:
        return (
            f"{once} Your reply will be public on the service's page, beneath this comment, "
            "where signed-in referrers and providers can read it."
        )
    return (
        f"{once} This comment is not shared on the service's page, so your reply is shown "
        "only with the referral."
    )


@blueprint.route("/ratings/<int:feedback_id>/reply", methods=["GET", "POST"])
@requires("feedback:reply")
def reply(feedback_id: int) -> Any:
    feedback = db.session.get(Feedback, feedback_id)
    if feedback is None:
        abort(404)
    get_or_404(Referral, feedback.referral_id, "feedback:reply")
    form = ReplyForm()
    form.reply.description = reply_hint(feedback)

    def render(status: int = 200) -> Any:
        return render_template(
            "referrals/reply.html",
            form=form,
            feedback=feedback,
            author_label=queries.author_label,
        ), status

    if form.validate_on_submit():
        try:
            services.reply_to_feedback(feedback, _user(), form.reply.data or "")
        except LifecycleError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("referrals.ratings"))
        commit()
        flash("Reply published", "success")
        return redirect(url_for("referrals.ratings"))
    return render(400 if form.errors else 200)
