"""Demo referrals at each stage of their life, so that a first look at Pathways shows what
it is for: a provider's inbox with new and accepted referrals, attendance on record, a
completed referral with feedback from all three sides, and the service's rating and shared
comments on its page.

Everything goes through the same services as the pages (sending, accepting, recording
attendance, completing, feedback), so the timelines, audit log and notifications are the
real ones. Only the clock is moved: appointments that "happened" are written in the past,
and referrals are dated back to when they would have been sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.database import utcnow
from marketplace.directory.models import Service
from marketplace.extensions import db
from marketplace.matches.services import ReferralRequest, send_referrals
from marketplace.organisations.models import Organisation
from marketplace.people.models import AssessedNeed, AssessmentStatus, NeedsAssessment, Person
from marketplace.referrals import lifecycle, services
from marketplace.referrals.models import (
    Appointment,
    AppointmentMode,
    FeedbackAuthor,
    Outcome,
    Referral,
)
from marketplace.referrals.notices import describe_time
from marketplace.referrals.timeline import add_event


@dataclass(frozen=True)
class DemoCase:
    reference: str
    age: int
    gender: str
    needs: dict[str, int]
    service_name: str
    sent_days_ago: int


SENT = DemoCase(
    "AB-2026-0203", 41, "male", {"accommodation.homeless": 3}, "Through the Gate housing advice", 1
)
ACCEPTED = DemoCase(
    "CL-2026-0164",
    29,
    "female",
    {"accommodation.homeless": 2},
    "Through the Gate housing advice",
    6,
)
IN_PROGRESS = DemoCase(
    "DP-2026-0112",
    52,
    "male",
    {"accommodation.tenancy_support": 2, "finance.debt": 2},
    "Tenancy sustainment",
    24,
)
COMPLETED = DemoCase("EW-2026-0048", 36, "male", {"accommodation.homeless": 3}, "Through the Gate housing advice", 70)  # fmt: skip


def build_demo_referrals(
    referrer: User, provider: User, organisation: Organisation, postcode: str, point: str
) -> None:
    """Referrals from ``referrer`` to ``organisation``'s services, handled by ``provider``."""
    made = {
        case.reference: _send(case, referrer, organisation, postcode, point)
        for case in (SENT, ACCEPTED, IN_PROGRESS, COMPLETED)
    }
    now = utcnow()

    lifecycle.accept(made[ACCEPTED.reference], provider)
    services.book_appointment(
        made[ACCEPTED.reference],
        provider,
        starts_at=_at(now + timedelta(days=3), hour=10),
        mode=AppointmentMode.IN_PERSON,
        location_id=made[ACCEPTED.reference].location_id,
    )

    lifecycle.accept(made[IN_PROGRESS.reference], provider)
    _attended(made[IN_PROGRESS.reference], provider, days_ago=14, status="attended")
    _attended(
        made[IN_PROGRESS.reference],
        provider,
        days_ago=7,
        status="did_not_attend",
        absence="transport",
    )
    services.book_appointment(
        made[IN_PROGRESS.reference],
        provider,
        starts_at=_at(now + timedelta(days=5), hour=14),
        mode=AppointmentMode.PHONE,
        remote_details="We will ring the mobile number on the referral.",
    )

    done = made[COMPLETED.reference]
    lifecycle.accept(done, provider)
    for days_ago in (60, 46, 32):
        _attended(done, provider, days_ago=days_ago, status="attended")
    lifecycle.complete(
        done, provider, Outcome.MET, "Moved into a one-bedroom flat; tenancy started."
    )
    by_referrer = services.give_feedback(
        done,
        actor=referrer,
        rating=5,
        comments="Kept me updated at every step and found a flat within three weeks of release.",
        shared=True,
    )
    services.give_feedback(done, actor=provider, rating=4, comments="Clear, complete referral.")
    services.give_feedback(
        done,
        author_kind=FeedbackAuthor.PERSON,
        rating=5,
        comments="Staff listened and helped me sort my benefits as well.",
        shared=True,
    )
    services.reply_to_feedback(
        by_referrer, provider, "Thank you. Early referrals before release make this possible."
    )
    for case in (SENT, ACCEPTED, IN_PROGRESS, COMPLETED):
        made[case.reference].sent_at = now - timedelta(days=case.sent_days_ago)
    db.session.flush()


def _send(
    case: DemoCase, referrer: User, organisation: Organisation, postcode: str, point: str
) -> Referral:
    person = Person(
        agency_id=referrer.agency_id,
        created_by=referrer,
        reference=case.reference,
        age=case.age,
        gender=case.gender,
        postcode=postcode,
        point=point,
        cjs_stage="licence",
        risk_level="medium",
        language="en",
        contact_preference="Contact me (the referrer) first",
    )
    assessment = NeedsAssessment(
        person=person,
        version=1,
        status=AssessmentStatus.COMPLETE,
        assessed_by=referrer,
        completed_at=utcnow(),
        consent_recorded_at=utcnow(),
        max_travel_km=15,
    )
    assessment.needs.extend(AssessedNeed(need_code=c, severity=s) for c, s in case.needs.items())
    db.session.add_all([person, assessment])
    db.session.flush()
    service_id = db.session.scalar(
        select(Service.id).where(
            Service.organisation_id == organisation.id, Service.name == case.service_name
        )
    )
    assert service_id is not None, case.service_name
    sent = send_referrals(
        assessment,
        [ReferralRequest(service_id, None, None, idempotency_key=f"demo-{case.reference}")],
        referrer=referrer,
        contact_preference=person.contact_preference or "",
        consent=True,
    )
    return sent.referrals[0]


def _at(day: datetime, hour: int) -> datetime:
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def _attended(
    referral: Referral, provider: User, *, days_ago: int, status: str, absence: str | None = None
) -> Appointment:
    """An appointment that took place ``days_ago`` days ago, and its attendance."""
    appointment = Appointment(
        referral=referral,
        starts_at=_at(utcnow() - timedelta(days=days_ago), hour=11),
        duration_minutes=60,
        mode=AppointmentMode.IN_PERSON,
        location_id=referral.location_id,
        booked_by_id=provider.id,
    )
    db.session.add(appointment)
    db.session.flush()
    add_event(
        referral,
        "appointment_booked",
        f"Appointment booked for {describe_time(appointment.starts_at)} by {provider.name}",
        actor=provider,
        appointment_id=appointment.id,
    )
    return services.record_attendance(appointment, provider, status=status, absence_reason=absence)
