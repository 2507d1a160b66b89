"""People and needs assessments: recording, drafts, completing, reassessing, access."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.people.models import AssessmentStatus, NeedsAssessment, Person
from tests.factories import (
    AssessmentFactory,
    PersonFactory,
    UserFactory,
    provider_user,
)
from tests.helpers import csrf_token, post_form, sign_in

PERSON = {
    "reference": "AB123",
    "date_of_birth": ["", "", ""],
    "age": "34",
    "gender": "female",
    "postcode": "sw1a1aa",
    "language": "en",
    "cjs_stage": "licence",
    "risk_level": "medium",
    "offences": ["acquisitive"],
    "contact_preference": "Phone the person",
}


def _post_person(client: FlaskClient, **changes: object):  # noqa: ANN202
    return post_form(client, "/people/new", {**PERSON, **changes})


def _assessment_form(assessment: NeedsAssessment, client: FlaskClient, **answers: object) -> dict:
    page = client.get(f"/assessments/{assessment.id}/edit").get_data(as_text=True)
    token = page.split('name="edit_token" type="hidden" value="')[1].split('"')[0]
    return {"edit_token": token, **answers}


def test_referrer_adds_a_person_and_goes_straight_to_their_assessment(
    referrer_client: FlaskClient, referrer: User
) -> None:
    response = _post_person(referrer_client)

    assert response.status_code == 302
    person = db.session.scalar(select(Person).where(Person.reference == "AB123"))
    assert person.agency_id == referrer.agency_id
    assert person.postcode == "SW1A 1AA"
    assert person.area.code == "E09000033"
    assert person.point is not None
    assert person.offences == ["acquisitive"] and person.offences_known
    draft = person.assessments[0]
    assert (draft.version, draft.status) == (1, AssessmentStatus.DRAFT)
    assert response.headers["Location"] == f"/assessments/{draft.id}/edit"


def test_a_postcode_district_alone_is_enough_to_place_someone(
    referrer_client: FlaskClient,
) -> None:
    response = _post_person(referrer_client, postcode="m1")
    assert response.status_code == 302
    person = db.session.scalar(select(Person).where(Person.reference == "AB123"))
    assert person.postcode == "M1" and person.point is not None


def test_bad_person_answers_get_govuk_messages_and_nothing_is_saved(
    referrer_client: FlaskClient,
) -> None:
    response = _post_person(
        referrer_client,
        reference="",
        postcode="not a postcode",
        date_of_birth=["31", "2", "1990"],
        age="thirty",
        offences=["none", "sexual"],
        gender="",
    )
    page = response.get_data(as_text=True)

    assert response.status_code == 400
    for message in (
        "Enter a case reference or initials",
        "Enter a real postcode, like SW1A 1AA",
        "Date of birth must be a real date",
        "Age must be a whole number, like 34",
        "Select offence categories, or &#39;None of these&#39;, or &#39;Not known&#39;, not a mix",
        "Select the person&#39;s gender, or &#39;Not known&#39;",
    ):
        assert message in page
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0


def test_an_unknown_postcode_is_refused_with_a_way_forward(referrer_client: FlaskClient) -> None:
    page = _post_person(referrer_client, postcode="SW1A 9ZZ").get_data(as_text=True)
    assert "We cannot find that postcode" in page
    assert "enter just the first part, like SW1A" in page


def test_part_of_a_date_of_birth_is_refused(referrer_client: FlaskClient) -> None:
    page = _post_person(referrer_client, date_of_birth=["", "3", "1990"], age="").get_data(
        as_text=True
    )
    assert "Date of birth must include a day, month and year" in page


def test_not_known_offences_are_stored_as_unknown(referrer_client: FlaskClient) -> None:
    _post_person(referrer_client, offences=["not_known"])
    person = db.session.scalar(select(Person).where(Person.reference == "AB123"))
    assert person.offences == [] and not person.offences_known


def test_people_list_shows_only_my_agencys_people(
    referrer_client: FlaskClient, referrer: User
) -> None:
    PersonFactory(agency=referrer.agency, reference="MINE1")
    PersonFactory(reference="THEIRS1")

    page = referrer_client.get("/people").get_data(as_text=True)

    assert "MINE1" in page
    assert "THEIRS1" not in page


def test_people_list_finds_by_the_start_of_a_reference(
    referrer_client: FlaskClient, referrer: User
) -> None:
    PersonFactory(agency=referrer.agency, reference="KX100")
    PersonFactory(agency=referrer.agency, reference="QY200")
    page = referrer_client.get("/people?reference=kx").get_data(as_text=True)
    assert "KX100" in page and "QY200" not in page


def test_another_agencys_person_and_assessment_are_not_found(
    referrer_client: FlaskClient,
) -> None:
    assessment = AssessmentFactory()  # a person in some other agency
    person = assessment.person

    for path in (
        f"/people/{person.id}",
        f"/people/{person.id}/edit",
        f"/assessments/{assessment.id}",
        f"/assessments/{assessment.id}/edit",
    ):
        assert referrer_client.get(path).status_code == 404, path


def test_providers_and_commissioners_cannot_use_people_pages(client: FlaskClient) -> None:
    person = PersonFactory()
    for user in (provider_user(), UserFactory(role=Role.COMMISSIONER)):
        sign_in(client, user.email)
        assert client.get("/people").status_code == 403
        assert client.get(f"/people/{person.id}").status_code == 403
        client.post("/sign-out", data={"csrf_token": csrf_token(client, "/dashboard")})


def test_viewing_a_person_is_recorded_in_the_audit_log(
    referrer_client: FlaskClient, referrer: User
) -> None:
    person = PersonFactory(agency=referrer.agency)
    referrer_client.get(f"/people/{person.id}")
    viewed = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == "person_viewed",
            AuditEvent.object_id == str(person.id),
            AuditEvent.actor_id == referrer.id,
        )
    )
    assert viewed == 1


def test_a_draft_is_saved_and_shown_again(referrer_client: FlaskClient, referrer: User) -> None:
    person = PersonFactory(agency=referrer.agency)
    referrer_client.post(
        f"/people/{person.id}/assessments",
        data={"csrf_token": csrf_token(referrer_client, f"/people/{person.id}")},
    )
    draft = person.assessments[0]
    form = _assessment_form(
        draft,
        referrer_client,
        severity_accommodation="3",
        specific_accommodation=["accommodation.homeless"],
        notes_accommodation="Released on Friday, no address.",
        severity_ete="1",
        constraints=["no_evenings"],
        max_travel_miles="5",
        notes="Motivated to engage.",
        consent="y",
        save_draft="Save as draft",
    )

    response = post_form(referrer_client, f"/assessments/{draft.id}/edit", form)

    assert response.status_code == 302
    db.session.refresh(draft)
    assert draft.status == AssessmentStatus.DRAFT
    assert {(n.need_code, n.severity) for n in draft.needs} == {
        ("accommodation", 3),
        ("accommodation.homeless", 3),
        ("ete", 1),
    }
    assert draft.no_evenings and float(draft.max_travel_km) == 8.0
    assert draft.consent_recorded_at is not None
    page = referrer_client.get(f"/assessments/{draft.id}/edit").get_data(as_text=True)
    assert "Released on Friday, no address." in page
    assert 'value="accommodation.homeless" checked' in page


def test_completing_an_assessment_opens_its_matches(
    referrer_client: FlaskClient, referrer: User
) -> None:
    draft = AssessmentFactory(
        person=PersonFactory(agency=referrer.agency), status=AssessmentStatus.DRAFT
    )
    form = _assessment_form(
        draft, referrer_client, severity_health="2", complete="Save and see matches"
    )

    response = post_form(referrer_client, f"/assessments/{draft.id}/edit", form)

    db.session.refresh(draft)
    assert draft.status == AssessmentStatus.COMPLETE and draft.completed_at is not None
    assert response.headers["Location"].endswith(f"/assessments/{draft.id}/matches")


def test_an_assessment_cannot_be_completed_without_a_need(
    referrer_client: FlaskClient, referrer: User
) -> None:
    draft = AssessmentFactory(
        person=PersonFactory(agency=referrer.agency),
        status=AssessmentStatus.DRAFT,
        severities={},
    )
    form = _assessment_form(draft, referrer_client, complete="Save and see matches")

    response = post_form(referrer_client, f"/assessments/{draft.id}/edit", form)

    assert response.status_code == 400
    assert "Select at least one need" in response.get_data(as_text=True)
    db.session.refresh(draft)
    assert draft.status == AssessmentStatus.DRAFT


def test_ticking_a_specific_need_without_a_severity_is_refused(
    referrer_client: FlaskClient, referrer: User
) -> None:
    draft = AssessmentFactory(
        person=PersonFactory(agency=referrer.agency), status=AssessmentStatus.DRAFT
    )
    form = _assessment_form(
        draft,
        referrer_client,
        severity_accommodation="0",
        specific_accommodation=["accommodation.homeless"],
        save_draft="Save as draft",
    )
    page = post_form(referrer_client, f"/assessments/{draft.id}/edit", form).get_data(as_text=True)
    assert "Select how much help the person needs with Accommodation" in page


def test_a_stale_draft_form_does_not_overwrite_newer_answers(
    referrer_client: FlaskClient, referrer: User
) -> None:
    draft = AssessmentFactory(
        person=PersonFactory(agency=referrer.agency), status=AssessmentStatus.DRAFT
    )
    first_tab = _assessment_form(
        draft, referrer_client, severity_health="1", save_draft="Save as draft"
    )
    second_tab = dict(first_tab, severity_health="3")
    post_form(referrer_client, f"/assessments/{draft.id}/edit", second_tab)

    response = post_form(referrer_client, f"/assessments/{draft.id}/edit", first_tab)

    assert response.status_code == 409
    assert "your changes have not been saved" in response.get_data(as_text=True)
    db.session.refresh(draft)
    assert {n.need_code: n.severity for n in draft.needs}["health"] == 3


def test_a_completed_assessment_cannot_be_edited(
    referrer_client: FlaskClient, referrer: User
) -> None:
    complete = AssessmentFactory(person=PersonFactory(agency=referrer.agency))
    token = csrf_token(referrer_client, f"/people/{complete.person_id}")

    response = referrer_client.post(
        f"/assessments/{complete.id}/edit",
        data={"csrf_token": token, "severity_health": "3", "save_draft": "Save as draft"},
    )

    assert response.status_code == 302
    db.session.refresh(complete)
    assert [n.need_code for n in complete.needs] == ["accommodation"]


def test_reassessing_starts_a_new_version_and_keeps_the_old_one(
    referrer_client: FlaskClient, referrer: User
) -> None:
    person = PersonFactory(agency=referrer.agency)
    first = AssessmentFactory(person=person, severities={"accommodation": 3, "ete": 1})
    first.consent_recorded_at = first.completed_at
    token = csrf_token(referrer_client, f"/people/{person.id}")

    referrer_client.post(f"/people/{person.id}/assessments", data={"csrf_token": token})

    second = db.session.scalar(
        select(NeedsAssessment).where(
            NeedsAssessment.person_id == person.id, NeedsAssessment.version == 2
        )
    )
    assert second.status == AssessmentStatus.DRAFT
    assert {n.need_code: n.severity for n in second.needs} == {"accommodation": 3, "ete": 1}
    assert second.consent_recorded_at is None  # asked again for the new version
    assert first.status == AssessmentStatus.COMPLETE

    form = _assessment_form(
        second,
        referrer_client,
        severity_accommodation="1",
        complete="Save and see matches",
    )
    post_form(referrer_client, f"/assessments/{second.id}/edit", form)

    db.session.refresh(first)
    db.session.refresh(second)
    assert first.status == AssessmentStatus.SUPERSEDED
    assert [(n.need_code, n.severity) for n in first.needs] == [("accommodation", 3), ("ete", 1)]
    assert second.status == AssessmentStatus.COMPLETE


def test_starting_an_assessment_twice_reopens_the_same_draft(
    referrer_client: FlaskClient, referrer: User
) -> None:
    person = PersonFactory(agency=referrer.agency)
    token = csrf_token(referrer_client, f"/people/{person.id}")
    first = referrer_client.post(f"/people/{person.id}/assessments", data={"csrf_token": token})
    again = referrer_client.post(f"/people/{person.id}/assessments", data={"csrf_token": token})
    assert first.headers["Location"] == again.headers["Location"]
    assert len(person.assessments) == 1
