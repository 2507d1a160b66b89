"""Sending referrals from the confirmation page: two clicks from the matches page, and
every bad input a clear message with nothing half-written."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select

from marketplace.accounts.models import User
from marketplace.audit.models import AuditEvent
from marketplace.directory.models import Service
from marketplace.extensions import db
from marketplace.notifications.models import OutboxMessage
from marketplace.people.models import AssessmentStatus, NeedsAssessment
from marketplace.referrals.models import Referral, ReferralEvent, ReferralState
from marketplace.vocabulary import CapacityStatus
from search import sync
from search.models import IndexOutbox
from tests.factories import (
    AssessmentFactory,
    LocationFactory,
    OrganisationFactory,
    PersonFactory,
    ReferralFactory,
    ServiceFactory,
    point,
    provider_user,
    service_at,
)
from tests.helpers import csrf_token, sign_in
from tests.referrals.conftest import CAMDEN, READING, WESTMINSTER

FORM_FIELD = re.compile(
    r'<(input|textarea)[^>]*?name="(?P<name>[^"]+)"(?P<attrs>[^>]*)>(?P<text>[^<]*)', re.S
)


@pytest.fixture
def assessment(referrer: User) -> NeedsAssessment:
    person = PersonFactory(
        agency=referrer.agency,
        point=point(*WESTMINSTER),
        contact_preference="Phone the person",
    )
    assessment = AssessmentFactory(
        person=person, severities={"accommodation.homeless": 3, "ete.employment": 2}
    )
    assessment.notes = "Leaves custody on Friday."
    assessment.consent_recorded_at = assessment.completed_at
    db.session.flush()
    return assessment


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _form(page: str) -> dict[str, object]:
    """The confirmation form exactly as the browser would send it."""
    data: dict[str, object] = {}
    for match in FORM_FIELD.finditer(page):
        name, attrs, tag = match["name"], match["attrs"], match.group(1)
        if tag == "textarea":
            value = match["text"]
        else:
            if 'type="checkbox"' in attrs and "checked" not in attrs:
                continue
            if 'type="submit"' in attrs:
                continue
            value_match = re.search(r'value="([^"]*)"', attrs)
            value = value_match.group(1) if value_match else ""
        import html

        value = html.unescape(value)
        if name in data:
            existing = data[name]
            data[name] = [*(existing if isinstance(existing, list) else [existing]), value]
        else:
            data[name] = value
    return data


def _open(client: FlaskClient, assessment: NeedsAssessment, *services: Service) -> tuple[str, dict]:
    query = "&".join(f"service={s.id}" for s in services)
    url = f"/assessments/{assessment.id}/refer?{query}"
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    return url, _form(page)


def test_refer_then_send_makes_a_sent_referral_with_its_record_in_one_go(
    referrer_client: FlaskClient, referrer: User, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, name="Camden Housing", need_codes=["accommodation"], capacity=5)
    service.organisation.email = "referrals@camden-housing.example"

    url, form = _open(referrer_client, assessment, service)  # click 1: "Refer"
    response = referrer_client.post(url, data=form)  # click 2: "Send referral"

    assert response.status_code == 302
    referral = db.session.scalar(select(Referral))
    assert response.headers["Location"] == (
        f"/assessments/{assessment.id}/sent?referral={referral.id}"
    )
    assert referral.state == ReferralState.SENT
    assert re.fullmatch(r"PW-[A-HJ-NP-Z2-9]{6}", referral.reference)
    assert referral.sent_at is not None and referral.consent_recorded_at is not None
    assert (referral.organisation_id, referral.agency_id, referral.referrer_id) == (
        service.organisation_id,
        referrer.agency_id,
        referrer.id,
    )
    assert referral.need_codes == ["accommodation.homeless"]
    assert referral.reason.startswith("Leaves custody on Friday.")
    assert referral.contact_preference == "Phone the person"
    assert referral.holds_place and not referral.on_waiting_list
    assert referral.location_id == service.locations[0].id
    db.session.refresh(service)
    assert service.places_taken == 1
    event = db.session.scalar(select(ReferralEvent))
    assert (event.kind, event.summary, event.actor_id) == (
        "sent",
        "Referral sent to Camden Housing",
        referrer.id,
    )
    assert (
        db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_type == "referral"))
        == "referral_sent"
    )
    email = db.session.scalar(select(OutboxMessage))
    assert (email.template, email.recipient) == (
        "referral_received",
        "referrals@camden-housing.example",
    )
    assert email.personalisation["reference"] == referral.reference
    sent_page = referrer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Referral sent" in sent_page and referral.reference in sent_page


def test_the_referral_is_pinned_to_the_services_location_nearest_the_person(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    organisation = OrganisationFactory()
    far = LocationFactory(organisation=organisation, point=point(*READING))
    near = LocationFactory(organisation=organisation, point=point(*CAMDEN))
    service = ServiceFactory(
        organisation=organisation, at=[far, near], need_codes=["accommodation"], capacity=5
    )

    url, form = _open(referrer_client, assessment, service)
    referrer_client.post(url, data=form)

    assert db.session.scalar(select(Referral.location_id)) == near.id


def test_taking_a_place_marks_the_service_for_the_search_index(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    with_places = service_at(*CAMDEN, need_codes=["accommodation"], capacity=5)
    uncounted = service_at(*CAMDEN, need_codes=["ete"], capacity=None)
    # As if the services had been committed earlier: a transaction marks a service once.
    db.session.execute(delete(IndexOutbox))
    sync._forget(db.session())

    for service in (with_places, uncounted):
        url, form = _open(referrer_client, assessment, service)
        assert referrer_client.post(url, data=form).status_code == 302

    marked = db.session.execute(select(IndexOutbox.service_id, IndexOutbox.reason)).all()
    assert marked == [(with_places.id, "place taken")]


def test_a_double_submit_makes_exactly_one_referral(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, need_codes=["accommodation"], capacity=5)
    url, form = _open(referrer_client, assessment, service)

    first = referrer_client.post(url, data=form)
    second = referrer_client.post(url, data=form)

    assert first.headers["Location"] == second.headers["Location"]
    assert _count(Referral) == 1
    assert _count(OutboxMessage) == 1
    db.session.refresh(service)
    assert service.places_taken == 1


def test_missing_consent_is_refused_and_nothing_is_written(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    assessment.consent_recorded_at = None
    service = service_at(*CAMDEN, need_codes=["accommodation"])
    url, form = _open(referrer_client, assessment, service)
    assert "consent" not in form  # not pre-ticked: no agreement was recorded

    response = referrer_client.post(url, data=form)

    assert response.status_code == 422
    assert "Confirm that the person has agreed to be referred" in response.get_data(as_text=True)
    assert _count(Referral) == _count(ReferralEvent) == _count(OutboxMessage) == 0


def test_no_need_selected_is_refused(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, name="Camden Housing", need_codes=["accommodation"])
    url, form = _open(referrer_client, assessment, service)
    form.pop(f"needs_{service.id}")

    response = referrer_client.post(url, data=form)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Select at least one need the referral to Camden Housing is for" in page
    assert f'href="#needs_{service.id}"' in page
    assert _count(Referral) == 0


def test_a_need_the_service_does_not_meet_is_refused(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, need_codes=["accommodation"])
    url, form = _open(referrer_client, assessment, service)
    form[f"needs_{service.id}"] = ["accommodation.homeless", "ete.employment"]

    response = referrer_client.post(url, data=form)

    assert response.status_code == 400
    assert "Select only needs in the assessment that the service meets" in response.get_data(
        as_text=True
    )
    assert _count(Referral) == 0


def test_an_ineligible_service_forced_by_editing_the_url_is_refused_with_the_rule(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    far = service_at(*READING, name="Reading Housing", need_codes=["accommodation"])
    url = f"/assessments/{assessment.id}/refer?service={far.id}"

    shown = referrer_client.get(url)
    token = csrf_token(referrer_client, f"/people/{assessment.person_id}")
    posted = referrer_client.post(
        url,
        data={
            "csrf_token": token,
            "idempotency_key": "a" * 32,
            f"needs_{far.id}": "accommodation.homeless",
            f"reason_{far.id}": "Forced",
            "consent": "y",
        },
    )

    for response in (shown, posted):
        assert response.status_code == 422
        assert "Does not deliver to this area and is 36.1 miles away" in response.get_data(
            as_text=True
        )
    assert _count(Referral) == 0


def test_a_draft_or_unknown_service_in_the_url_is_not_found(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    draft = service_at(*CAMDEN, need_codes=["accommodation"], status="draft")
    for service_id in (draft.id, 999999):
        response = referrer_client.get(f"/assessments/{assessment.id}/refer?service={service_id}")
        assert response.status_code == 404


def test_a_service_that_filled_up_since_the_page_opened_offers_its_waiting_list(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, name="Camden Hostel", need_codes=["accommodation"], capacity=2)
    url, form = _open(referrer_client, assessment, service)
    service.places_taken = 2  # a colleague took the last places meanwhile
    db.session.flush()

    refused = referrer_client.post(url, data=form)

    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Camden Hostel has no places left. You can add the person to its waiting list" in page
    assert f'name="waiting_list_{service.id}"' in page
    assert _count(Referral) == 0

    retry = _form(page)
    retry[f"waiting_list_{service.id}"] = "y"
    accepted = referrer_client.post(url, data=retry)

    assert accepted.status_code == 302
    referral = db.session.scalar(select(Referral))
    assert referral.on_waiting_list and not referral.holds_place
    db.session.refresh(service)
    assert service.places_taken == 2


def test_a_service_with_a_stated_waiting_list_puts_the_person_on_it(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    service = service_at(
        *CAMDEN,
        need_codes=["accommodation"],
        capacity=4,
        places_taken=1,
        capacity_status=CapacityStatus.WAITING_LIST,
    )
    url, form = _open(referrer_client, assessment, service)
    referrer_client.post(url, data=form)
    referral = db.session.scalar(select(Referral))
    assert referral.on_waiting_list and not referral.holds_place
    db.session.refresh(service)
    assert service.places_taken == 1


def test_a_service_without_a_place_count_holds_no_place(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, need_codes=["accommodation"], capacity=None)
    url, form = _open(referrer_client, assessment, service)
    referrer_client.post(url, data=form)
    referral = db.session.scalar(select(Referral))
    assert not referral.holds_place and not referral.on_waiting_list


def test_a_second_open_referral_to_the_same_service_is_refused_naming_the_first(
    referrer_client: FlaskClient, referrer: User, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, name="Camden Housing", need_codes=["accommodation"])
    url, form = _open(referrer_client, assessment, service)
    existing = ReferralFactory(person=assessment.person, service=service, referrer=referrer)

    response = referrer_client.post(url, data=form)

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert f"already has an open referral to Camden Housing ({existing.reference})" in page
    assert _count(Referral) == 1


def test_a_closed_referral_does_not_stop_a_new_one(
    referrer_client: FlaskClient, referrer: User, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, need_codes=["accommodation"])
    ReferralFactory(
        person=assessment.person,
        service=service,
        referrer=referrer,
        state=ReferralState.DECLINED,
    )
    url, form = _open(referrer_client, assessment, service)
    assert referrer_client.post(url, data=form).status_code == 302
    assert _count(Referral) == 2


def test_a_service_that_changed_since_the_page_opened_is_checked_again(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, name="Camden Housing", need_codes=["accommodation"])
    url, form = _open(referrer_client, assessment, service)
    service.version += 1
    db.session.flush()

    stale = referrer_client.post(url, data=form)

    assert stale.status_code == 409
    assert "Camden Housing changed its details since you opened this page" in stale.get_data(
        as_text=True
    )
    assert _count(Referral) == 0
    again = referrer_client.post(url, data=_form(stale.get_data(as_text=True)))
    assert again.status_code == 302


def test_a_service_that_became_ineligible_since_the_page_opened_is_refused(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, name="Camden Housing", need_codes=["accommodation"])
    url, form = _open(referrer_client, assessment, service)
    service.min_age = 50
    db.session.flush()

    response = referrer_client.post(url, data=form)

    assert response.status_code == 422
    assert "Accepts ages 50 and over" in response.get_data(as_text=True)
    assert _count(Referral) == 0


def test_a_replaced_assessment_cannot_send(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, need_codes=["accommodation"])
    url, form = _open(referrer_client, assessment, service)
    assessment.status = AssessmentStatus.SUPERSEDED
    db.session.flush()

    response = referrer_client.post(url, data=form)

    assert response.status_code == 409
    assert "This assessment has been replaced by a newer version" in response.get_data(as_text=True)
    assert _count(Referral) == 0


def test_an_expired_form_key_is_refused_clearly(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    service = service_at(*CAMDEN, need_codes=["accommodation"])
    url, form = _open(referrer_client, assessment, service)
    form["idempotency_key"] = "not-a-key"
    response = referrer_client.post(url, data=form)
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)


def test_one_confirmation_refers_to_several_services_for_different_needs(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    housing = service_at(*CAMDEN, name="Housing", need_codes=["accommodation"])
    jobs = service_at(*CAMDEN, name="Jobs", need_codes=["ete"])
    both = service_at(*CAMDEN, name="Both", need_codes=["accommodation", "ete"])
    url, form = _open(referrer_client, assessment, housing, jobs, both)
    assert form[f"needs_{both.id}"] == ["accommodation.homeless", "ete.employment"]
    form[f"needs_{both.id}"] = "ete.employment"

    response = referrer_client.post(url, data=form)

    assert response.status_code == 302
    made = {r.service_id: r.need_codes for r in db.session.scalars(select(Referral))}
    assert made == {
        housing.id: ["accommodation.homeless"],
        jobs.id: ["ete.employment"],
        both.id: ["ete.employment"],
    }
    page = referrer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 referrals sent" in page


def test_several_services_are_sent_all_or_nothing(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    free = service_at(*CAMDEN, name="Free", need_codes=["accommodation"], capacity=3)
    filling = service_at(*CAMDEN, name="Filling", need_codes=["ete"], capacity=1)
    url, form = _open(referrer_client, assessment, free, filling)
    filling.places_taken = 1
    db.session.flush()

    response = referrer_client.post(url, data=form)

    assert response.status_code == 409
    assert _count(Referral) == _count(ReferralEvent) == _count(OutboxMessage) == 0
    db.session.refresh(free)
    assert free.places_taken == 0


def test_refer_to_selected_with_none_selected_goes_back_with_a_message(
    referrer_client: FlaskClient, assessment: NeedsAssessment
) -> None:
    response = referrer_client.get(f"/assessments/{assessment.id}/refer")
    assert response.headers["Location"] == f"/assessments/{assessment.id}/matches"


def test_another_agencys_assessment_cannot_be_referred_from(
    referrer_client: FlaskClient,
) -> None:
    other = AssessmentFactory()
    service = service_at(*CAMDEN, need_codes=["accommodation"])
    response = referrer_client.get(f"/assessments/{other.id}/refer?service={service.id}")
    assert response.status_code == 404


def test_providers_cannot_send_referrals(client: FlaskClient, assessment: NeedsAssessment) -> None:
    service = service_at(*CAMDEN, need_codes=["accommodation"])
    sign_in(client, provider_user(service.organisation).email)
    response = client.get(f"/assessments/{assessment.id}/refer?service={service.id}")
    assert response.status_code == 403


def test_the_sent_page_shows_only_referrals_of_that_assessment(
    referrer_client: FlaskClient, referrer: User, assessment: NeedsAssessment
) -> None:
    elsewhere = ReferralFactory(referrer=referrer, person=PersonFactory(agency=referrer.agency))
    response = referrer_client.get(f"/assessments/{assessment.id}/sent?referral={elsewhere.id}")
    assert response.status_code == 404


def _send(assessment: NeedsAssessment, referrer: User, service: Service, key: str):  # noqa: ANN202
    from marketplace.matches.services import ReferralRequest, send_referrals

    return send_referrals(
        assessment,
        [ReferralRequest(service.id, None, None, idempotency_key=key)],
        referrer=referrer,
        contact_preference="",
        consent=True,
    )


def test_a_colleagues_referral_made_a_moment_ago_is_caught_by_the_database(
    referrer: User, assessment: NeedsAssessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketplace.matches import services
    from marketplace.matches.services import ReferralRefused

    service = service_at(*CAMDEN, name="Camden Housing", need_codes=["accommodation"], capacity=3)
    theirs = ReferralFactory(person=assessment.person, service=service)
    # As if the colleague's referral committed between our check and our insert: the
    # check sees nothing, the database sees it.
    real = services._earlier_referrals
    blind = [True]

    def earlier_but_blind_once(*args: object) -> services._Earlier:
        found = real(*args)  # type: ignore[arg-type]
        if blind.pop() if blind else False:
            return services._Earlier(found.by_key, open_by_service={})
        return found

    monkeypatch.setattr(services, "_earlier_referrals", earlier_but_blind_once)

    with pytest.raises(ReferralRefused) as refused:
        _send(assessment, referrer, service, "race-lost-1")

    problem = refused.value.problems[0]
    assert problem.code == "already_referred" and problem.existing.id == theirs.id
    assert "has just been referred to Camden Housing" in problem.message
    assert _count(Referral) == 1
    db.session.refresh(service)
    assert service.places_taken == 0


def test_a_reference_drawn_twice_is_drawn_again(
    referrer: User, assessment: NeedsAssessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketplace.matches import services

    service = service_at(*CAMDEN, need_codes=["accommodation"])
    taken = ReferralFactory(reference="PW-AAAAAA")
    drawn = iter(["PW-AAAAAA", "PW-BBBBBB"])
    monkeypatch.setattr(services, "new_reference", lambda: next(drawn))

    sent = _send(assessment, referrer, service, "reference-twice")

    assert sent.referrals[0].reference == "PW-BBBBBB"
    assert taken.reference == "PW-AAAAAA"
