"""The scale generator builds a consistent directory (small sizes here; full size in bench)."""

from __future__ import annotations

from sqlalchemy import func, select, text

from marketplace.directory.models import Location, Service
from marketplace.extensions import db
from marketplace.organisations.models import Organisation
from marketplace.seeding.scale import build_scale


def test_scale_generator_gives_every_organisation_a_service_and_a_location() -> None:
    before = db.session.scalar(select(func.count()).select_from(Organisation))
    build_scale(organisations=20, services=50, locations=30, seed=7, referrers=5, agencies=3)
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == before + 20
    assert db.session.scalar(select(func.count()).select_from(Service)) >= 50
    orphans = db.session.scalar(
        text(
            "SELECT count(*) FROM organisation o WHERE NOT EXISTS "
            "(SELECT 1 FROM service s WHERE s.organisation_id = o.id) "
            "OR NOT EXISTS (SELECT 1 FROM location l WHERE l.organisation_id = o.id)"
        )
    )
    names = db.session.execute(
        text(
            "SELECT name, status FROM organisation o WHERE NOT EXISTS (SELECT 1 FROM service s WHERE s.organisation_id = o.id)"
        )
    ).all()
    assert orphans == 0, names
    no_needs = db.session.scalar(
        text(
            "SELECT count(*) FROM service s WHERE NOT EXISTS "
            "(SELECT 1 FROM service_need n WHERE n.service_id = s.id)"
        )
    )
    assert no_needs == 0
    # Every service is delivered at one of its own organisation's locations.
    mismatched = db.session.scalar(
        text(
            "SELECT count(*) FROM service_location sl JOIN service s ON s.id = sl.service_id "
            "JOIN location l ON l.id = sl.location_id WHERE l.organisation_id <> s.organisation_id"
        )
    )
    assert mismatched == 0
    assert db.session.scalar(select(func.count()).select_from(Location)) >= 30


def test_scale_generator_is_repeatable() -> None:
    build_scale(organisations=3, services=6, locations=4, seed=11, referrers=1, agencies=1)
    first = db.session.execute(
        text("SELECT name, capacity, status FROM service ORDER BY id DESC LIMIT 6")
    ).all()
    build_scale(organisations=3, services=6, locations=4, seed=11, referrers=1, agencies=1)
    second = db.session.execute(
        text("SELECT name, capacity, status FROM service ORDER BY id DESC LIMIT 6")
    ).all()
    assert first == second


def test_demo_data_has_one_login_per_role_and_services_at_real_postcodes() -> None:
    from marketplace.accounts.models import Role, User
    from marketplace.accounts.passwords import verify_password
    from marketplace.organisations.models import VerificationStatus
    from marketplace.seeding.demo import DEMO_PASSWORD, build_demo

    logins = build_demo()
    users = {u.email: u for u in db.session.scalars(select(User))}
    roles = {users[email].role for _label, email in logins}
    assert roles == set(Role)
    assert all(verify_password(users[email].password_hash, DEMO_PASSWORD) for _, email in logins)
    statuses = db.session.scalars(select(Organisation.status)).all()
    assert statuses.count(VerificationStatus.VERIFIED) == 30
    assert statuses.count(VerificationStatus.PENDING) == 1
    # Every location sits at a real postcode, within a metre of its point, in a local authority.
    misplaced = db.session.scalar(
        text(
            "SELECT count(*) FROM location l LEFT JOIN postcode p ON p.postcode = l.postcode "
            "WHERE p.postcode IS NULL OR NOT ST_DWithin(p.point, l.point, 1) "
            "OR l.area_id IS NULL"
        )
    )
    assert misplaced == 0
    assert db.session.scalar(text("SELECT count(*) FROM location WHERE hidden")) == 3
    provider_admin = users["provider.admin@pathways.example"]
    assert provider_admin.memberships[0].organisation.is_verified
    assert len(users["commissioner@pathways.example"].commissioned_areas) == 6

    assert build_demo() == logins  # a second run changes nothing
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 31


def test_demo_referrals_show_each_stage_attendance_and_all_three_sides_feedback() -> None:
    from marketplace.referrals.models import Appointment, Feedback, Referral, ReferralState
    from marketplace.seeding.demo import build_demo

    build_demo()

    referrals = {r.person.reference: r for r in db.session.scalars(select(Referral))}
    states = {reference: r.state for reference, r in referrals.items()}
    assert states == {
        "AB-2026-0203": ReferralState.SENT,
        "CL-2026-0164": ReferralState.ACCEPTED,
        "DP-2026-0112": ReferralState.IN_PROGRESS,
        "EW-2026-0048": ReferralState.COMPLETED,
    }
    assert all(r.organisation.name == "Open Door Housing Trust London" for r in referrals.values())
    recorded = db.session.execute(
        select(Appointment.status, func.count())
        .where(Appointment.recorded_at.is_not(None))
        .group_by(Appointment.status)
    ).all()
    assert dict(recorded) == {"attended": 4, "did_not_attend": 1}
    completed = referrals["EW-2026-0048"]
    feedback = db.session.scalars(select(Feedback).where(Feedback.referral_id == completed.id))
    by_author = {f.author_kind: f for f in feedback}
    assert set(by_author) == {"referrer", "provider", "person"}
    assert by_author["referrer"].shared and by_author["referrer"].provider_reply
    assert completed.service.rating_count == 2  # referrer and person rate the service
    assert completed.sent_at < referrals["AB-2026-0203"].sent_at
