"""factory_boy factories for every domain, flushing into the test transaction."""

from __future__ import annotations

import uuid
from datetime import timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from marketplace.accounts.models import Role, User
from marketplace.accounts.passwords import hash_password
from marketplace.agencies.models import Agency, AgencyKind
from marketplace.database import utcnow
from marketplace.directory.models import Location, Service, ServiceStatus
from marketplace.extensions import db
from marketplace.geography.models import Area, AreaKind, OutwardCode, Postcode
from marketplace.organisations.models import (
    Membership,
    MembershipRole,
    Organisation,
    VerificationStatus,
)
from marketplace.people.models import AssessedNeed, AssessmentStatus, NeedsAssessment, Person
from marketplace.referrals.models import (
    Appointment,
    AppointmentMode,
    Referral,
    ReferralState,
)
from marketplace.taxonomy.models import Need

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)  # argon2 is deliberately slow: hash once


def point(lat: float, lon: float) -> str:
    """EWKT for a WGS84 point, the form GeoAlchemy2 accepts for Geography columns."""
    return f"SRID=4326;POINT({lon} {lat})"


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class AreaFactory(Base):
    class Meta:
        model = Area

    code = factory.Sequence(lambda n: f"E0{n:07d}")
    name = factory.Sequence(lambda n: f"Area {n}")
    kind = AreaKind.LOCAL_AUTHORITY


class PostcodeFactory(Base):
    """A postcode with its real position (pass ``postcode``, ``lat``, ``lon``)."""

    class Meta:
        model = Postcode
        exclude = ("lat", "lon")

    postcode = "SW1A 1AA"
    lat = 51.501009
    lon = -0.141588
    outward = factory.LazyAttribute(lambda row: row.postcode.split()[0])
    point = factory.LazyAttribute(lambda row: point(row.lat, row.lon))
    local_authority_code = "E09000033"


class OutwardCodeFactory(Base):
    class Meta:
        model = OutwardCode
        exclude = ("lat", "lon")

    outward = "SW1A"
    lat = 51.502
    lon = -0.135
    point = factory.LazyAttribute(lambda row: point(row.lat, row.lon))
    postcode_count = 1


class AgencyFactory(Base):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Probation Delivery Unit {n}")
    kind = AgencyKind.PROBATION_REGION


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Faker("name", locale="en_GB")
    password_hash = _PASSWORD_HASH
    role = Role.REFERRER
    agency = factory.Maybe(
        factory.LazyAttribute(lambda user: user.role == Role.REFERRER),
        yes_declaration=factory.SubFactory(AgencyFactory),
        no_declaration=None,
    )


class OrganisationFactory(Base):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Community Charity {n}")
    charity_number = factory.Sequence(lambda n: f"{1100000 + n}")
    description = "A charity supporting people in the criminal justice system."
    email = factory.Sequence(lambda n: f"hello{n}@charity.example")
    status = VerificationStatus.VERIFIED
    last_verified_at = factory.LazyFunction(utcnow)


class MembershipFactory(Base):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory, role=Role.PROVIDER)
    organisation = factory.SubFactory(OrganisationFactory)
    role = MembershipRole.ADMIN


def provider_user(
    organisation: Organisation | None = None,
    *,
    role: MembershipRole = MembershipRole.ADMIN,
    **user_fields: object,
) -> User:
    """A provider user who is a member (admin by default) of ``organisation``."""
    organisation = organisation or OrganisationFactory()
    user = UserFactory(role=Role.PROVIDER, **user_fields)
    MembershipFactory(user=user, organisation=organisation, role=role)
    db.session.refresh(user)
    return user


class LocationFactory(Base):
    class Meta:
        model = Location

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Hub {n}")
    address_line_1 = "1 High Street"
    town = "London"
    postcode = "SW1A 1AA"
    point = point(51.501009, -0.141588)
    hidden = False


class ServiceFactory(Base):
    class Meta:
        model = Service

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Support service {n}")
    summary = "Practical support."
    description = "One-to-one practical support."
    status = ServiceStatus.PUBLISHED
    delivery_modes = factory.LazyFunction(lambda: ["in_person"])
    referral_routes = factory.LazyFunction(lambda: ["professional"])
    published_at = factory.LazyFunction(utcnow)

    @factory.post_generation
    def need_codes(self, create: bool, codes: list[str] | None) -> None:
        for code in codes or ["accommodation"]:
            self.needs.append(db.session.get(Need, code))

    @factory.post_generation
    def at(self, create: bool, location: Location | list[Location] | None) -> None:
        for each in location if isinstance(location, list) else [location]:
            if each is not None:
                self.locations.append(each)

    @factory.post_generation
    def covering(self, create: bool, areas: list[Area] | None) -> None:
        """Service areas the service delivers to."""
        for area in areas or []:
            self.areas.append(area)


class PersonFactory(Base):
    class Meta:
        model = Person

    agency = factory.SubFactory(AgencyFactory)
    reference = factory.Sequence(lambda n: f"X{n:06d}")
    age = 30
    gender = "male"
    postcode = "SW1A 1AA"
    point = point(51.501009, -0.141588)
    language = "en"
    cjs_stage = "licence"
    risk_level = "medium"


class AssessmentFactory(Base):
    class Meta:
        model = NeedsAssessment

    person = factory.SubFactory(PersonFactory)
    version = 1
    status = AssessmentStatus.COMPLETE
    completed_at = factory.LazyFunction(utcnow)

    @factory.post_generation
    def severities(self, create: bool, needs: dict[str, int] | None) -> None:
        for code, severity in (needs or {"accommodation": 3}).items():
            self.needs.append(AssessedNeed(need_code=code, severity=severity))


class ReferralFactory(Base):
    class Meta:
        model = Referral

    reference = factory.LazyFunction(lambda: "PW-" + uuid.uuid4().hex[:8].upper())
    person = factory.SubFactory(PersonFactory)
    service = factory.SubFactory(ServiceFactory)
    organisation = factory.SelfAttribute("service.organisation")
    referrer = factory.SubFactory(
        UserFactory, role=Role.REFERRER, agency=factory.SelfAttribute("..person.agency")
    )
    agency = factory.SelfAttribute("person.agency")
    state = ReferralState.SENT
    need_codes = factory.LazyFunction(lambda: ["accommodation"])
    reason = "Leaving custody next week with nowhere to live."
    consent_recorded_at = factory.LazyFunction(utcnow)
    idempotency_key = factory.LazyFunction(lambda: uuid.uuid4().hex)
    sent_at = factory.LazyFunction(utcnow)


class AppointmentFactory(Base):
    class Meta:
        model = Appointment

    referral = factory.SubFactory(ReferralFactory, state=ReferralState.ACCEPTED)
    starts_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=2))
    mode = AppointmentMode.IN_PERSON


def service_at(lat: float, lon: float, **fields: object) -> Service:
    """A published service of a verified organisation delivered at one location at
    (lat, lon); ``fields`` go to ServiceFactory (e.g. ``need_codes=[...]``, ``capacity=5``)."""
    organisation = fields.pop("organisation", None) or OrganisationFactory()
    location = LocationFactory(organisation=organisation, point=point(lat, lon))
    return ServiceFactory(organisation=organisation, at=location, **fields)


# Real Code-Point Open postcodes (coordinates converted from British National Grid) and
# the local authority each is in, for tests that geocode without loading the full table.
KNOWN_POSTCODES: dict[str, tuple[float, float, str, str]] = {
    "SW1A 1AA": (51.501009, -0.141588, "E09000033", "Westminster"),
    "M1 1AE": (53.483471, -2.231184, "E08000003", "Manchester"),
    "B1 1BB": (52.480418, -1.903454, "E08000025", "Birmingham"),
    "LS1 1UR": (53.802161, -1.548517, "E08000035", "Leeds"),
}


def known_postcodes(*codes: str) -> dict[str, Area]:
    """Insert ``codes`` (default: all of KNOWN_POSTCODES) into the postcode table, with
    their local authorities; idempotent, so committing tests may call it again."""
    from sqlalchemy import select
    from sqlalchemy.dialects.postgresql import insert

    from marketplace.geography.models import Postcode

    areas: dict[str, Area] = {}
    for code in codes or tuple(KNOWN_POSTCODES):
        lat, lon, la_code, la_name = KNOWN_POSTCODES[code]
        area = db.session.scalar(select(Area).where(Area.code == la_code))
        if area is None:
            area = AreaFactory(code=la_code, name=la_name)
        areas[code] = area
        db.session.execute(
            insert(Postcode)
            .values(
                postcode=code,
                outward=code.split()[0],
                point=point(lat, lon),
                local_authority_code=la_code,
            )
            .on_conflict_do_nothing()
        )
    db.session.flush()
    return areas
