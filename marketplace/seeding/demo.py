"""``flask seed-demo``: a small, believable demo — 30 organisations in three regions,
their services and locations at real postcodes, agencies, and one login per role."""

from __future__ import annotations

import click
from sqlalchemy import select, text

from marketplace.accounts.models import Role, User
from marketplace.accounts.passwords import hash_password
from marketplace.agencies.models import Agency, AgencyKind
from marketplace.database import utcnow
from marketplace.directory.models import Location, Service, ServiceStatus
from marketplace.extensions import db
from marketplace.geography.models import Area, AreaKind
from marketplace.organisations.models import (
    Membership,
    MembershipRole,
    Organisation,
    VerificationStatus,
)
from marketplace.people.models import AssessedNeed, AssessmentStatus, NeedsAssessment, Person
from marketplace.seeding.demo_catalogue import AGENCIES, ORGANISATIONS, REGIONS
from marketplace.seeding.demo_referrals import build_demo_referrals
from marketplace.taxonomy.models import Need
from marketplace.vocabulary import CapacityStatus

DEMO_PASSWORD = "pathways-demo-2026"
ADMIN_EMAIL = "admin@pathways.example"

LOGINS = [
    ("Platform admin", ADMIN_EMAIL),
    ("Provider admin", "provider.admin@pathways.example"),
    ("Provider member", "provider.member@pathways.example"),
    ("Referrer (probation)", "referrer@pathways.example"),
    ("Referrer (police)", "police@pathways.example"),
    ("Commissioner", "commissioner@pathways.example"),
]


def real_postcode(outward: str, offset: int) -> tuple[str, str]:
    """A real postcode in district ``outward`` (the ``offset``-th, alphabetically) and its
    point as EWKT. Raises a ClickException when postcodes are not loaded."""
    row = db.session.execute(
        text(
            "SELECT postcode, ST_AsEWKT(point::geometry) FROM postcode WHERE outward = :outward "
            "ORDER BY postcode OFFSET :offset LIMIT 1"
        ),
        {"outward": outward, "offset": offset},
    ).first()
    if row is None:
        raise click.ClickException(
            f"No postcodes in {outward}: load them first with `flask geodata load`."
        )
    return row[0], row[1]


def local_authority_at(ewkt: str) -> Area | None:
    return db.session.scalar(
        select(Area)
        .where(
            Area.kind == AreaKind.LOCAL_AUTHORITY,
            text("ST_Covers(area.boundary, ST_GeomFromEWKT(:point))"),
        )
        .params(point=ewkt)
    )


def build_demo() -> list[tuple[str, str]]:
    """Create the demo set unless it is already there; return (role, email) logins."""
    if db.session.scalar(select(User).where(User.email == ADMIN_EMAIL)) is not None:
        return LOGINS
    password_hash = hash_password(DEMO_PASSWORD)
    needs = {need.code: need for need in db.session.scalars(select(Need))}
    if not needs:
        raise click.ClickException("Load the needs taxonomy first: `flask seed-taxonomy`.")

    agencies = _agencies()
    with db.session.no_autoflush:  # postcode lookups run while objects are half-built
        organisations = _organisations(needs)
    first = organisations[0]
    users = [
        User(email=ADMIN_EMAIL, name="Alex Admin", role=Role.PLATFORM_ADMIN),
        User(
            email="provider.admin@pathways.example",
            name="Priya Shah",
            role=Role.PROVIDER,
            job_title="Service manager",
        ),
        User(
            email="provider.member@pathways.example",
            name="Tom Evans",
            role=Role.PROVIDER,
            job_title="Support worker",
        ),
        User(
            email="referrer@pathways.example",
            name="Rachel Green",
            role=Role.REFERRER,
            agency=agencies[0],
            job_title="Probation practitioner",
        ),
        User(
            email="police@pathways.example",
            name="PC Sam Okafor",
            role=Role.REFERRER,
            agency=agencies[1],
            job_title="Out of court resolutions officer",
        ),
        User(
            email="commissioner@pathways.example",
            name="Chris Patel",
            role=Role.COMMISSIONER,
            job_title="Reducing reoffending commissioner",
        ),
    ]
    for user in users:
        user.password_hash = password_hash
        db.session.add(user)
    db.session.add_all(
        [
            Membership(user=users[1], organisation=first, role=MembershipRole.ADMIN),
            Membership(user=users[2], organisation=first, role=MembershipRole.MEMBER),
        ]
    )
    users[5].commissioned_areas.extend(_london_areas())
    _demo_people(agencies[0], users[3], needs)
    db.session.flush()
    postcode, point = real_postcode("SE1", 3)
    build_demo_referrals(users[3], users[1], first, postcode, point)
    return LOGINS


def _agencies() -> list[Agency]:
    agencies = [Agency(name=name, kind=AgencyKind(kind)) for name, kind, _region in AGENCIES]
    db.session.add_all(agencies)
    return agencies


def _organisations(needs: dict[str, Need]) -> list[Organisation]:
    organisations = []
    now = utcnow()
    number = 1170000
    for region, outwards in REGIONS.items():
        short_region = region.replace("Greater ", "")
        for index, (name, description, services, hidden) in enumerate(ORGANISATIONS):
            number += 1
            organisation = Organisation(
                name=f"{name} {short_region}",
                charity_number=str(number),
                description=description,
                email=f"hello{number}@charity.example",
                phone="020 7946 0" + f"{number % 1000:03d}",
                website=f"https://charity{number}.example",
                safeguarding_lead_name="Jo Bloggs",
                safeguarding_lead_email=f"safeguarding{number}@charity.example",
                status=VerificationStatus.VERIFIED,
                submitted_at=now,
                last_verified_at=now,
            )
            db.session.add(organisation)
            locations = [
                _location(organisation, outwards[index], index, hidden=hidden),
                _location(
                    organisation, outwards[(index + 3) % len(outwards)], index + 1, hidden=False
                ),
            ]
            for service_index, (service_name, summary, codes, extra) in enumerate(services):
                service = Service(
                    organisation=organisation,
                    name=service_name,
                    summary=summary,
                    description=f"{summary} {description}",
                    status=ServiceStatus.PUBLISHED,
                    published_at=now,
                    capacity_updated_at=now,
                    delivery_modes=extra.get("delivery_modes", ["in_person"]),
                    referral_routes=["professional"],
                    languages=extra.get("languages", ["en"]),
                    opening_times="Monday to Friday, 9am to 5pm",
                    **{k: v for k, v in extra.items() if k not in {"delivery_modes", "languages"}},
                )
                if service.capacity is not None and service.capacity == 0:
                    service.capacity_status = CapacityStatus.FULL
                service.needs.extend(needs[code] for code in codes)
                service.locations.extend(locations[: 1 + (service_index == 0)])
                areas = {loc.area for loc in service.locations if loc.area is not None}
                service.areas.extend(areas)
                db.session.add(service)
            organisations.append(organisation)
    pending = Organisation(
        name="Hope Street Community Kitchen",
        charity_number="1199999",
        description="Meals, food skills and a friendly welcome.",
        email="hello@hopestreet.example",
        status=VerificationStatus.PENDING,
        submitted_at=now,
    )
    db.session.add(pending)
    return organisations


def _location(organisation: Organisation, outward: str, offset: int, *, hidden: bool) -> Location:
    postcode, point = real_postcode(outward, offset * 7)
    return Location(
        organisation=organisation,
        name=f"{outward} hub" if not hidden else "Confidential address",
        address_line_1=f"{10 + offset} High Street" if not hidden else "",
        town="",
        postcode=postcode,
        point=point,
        hidden=hidden,
        area=local_authority_at(point),
    )


def _london_areas() -> list[Area]:
    names = ["Southwark", "Lambeth", "Lewisham", "Tower Hamlets", "Hackney", "Islington"]
    return list(
        db.session.scalars(
            select(Area).where(Area.kind == AreaKind.LOCAL_AUTHORITY, Area.name.in_(names))
        )
    )


def _demo_people(agency: Agency, referrer: User, needs: dict[str, Need]) -> None:
    postcode, point = real_postcode("SE1", 3)
    cases = [
        (
            "JD-2026-0141",
            34,
            "male",
            "licence",
            "medium",
            {"accommodation.homeless": 3, "ete.employment": 2, "drugs_alcohol.alcohol": 1},
        ),
        (
            "KM-2026-0087",
            27,
            "female",
            "community_order",
            "low",
            {"women.domestic_abuse": 3, "health.mental_health": 2},
        ),
    ]
    for reference, age, gender, stage, risk, assessed in cases:
        person = Person(
            agency=agency,
            created_by=referrer,
            reference=reference,
            age=age,
            gender=gender,
            postcode=postcode,
            point=point,
            cjs_stage=stage,
            risk_level=risk,
            language="en",
        )
        assessment = NeedsAssessment(
            person=person,
            version=1,
            status=AssessmentStatus.COMPLETE,
            assessed_by=referrer,
            completed_at=utcnow(),
            max_travel_km=15,
        )
        assessment.needs.extend(
            AssessedNeed(need_code=code, severity=severity)
            for code, severity in assessed.items()
            if code in needs
        )
        db.session.add_all([person, assessment])
