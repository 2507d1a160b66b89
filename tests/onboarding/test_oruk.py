"""Open Referral UK import (command and upload) and export, on a small real-shaped file
with broken rows."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select

from marketplace.accounts.models import Role
from marketplace.directory.models import ImportRun, Location, Service, ServiceStatus, ServiceVersion
from marketplace.extensions import db
from marketplace.organisations.models import Organisation, VerificationStatus
from onboarding.oruk.exporter import export_directory
from onboarding.oruk.importer import import_tables, load_lookups, plan
from onboarding.oruk.reading import OrukTables, UnreadableFile, read
from search.models import IndexOutbox
from tests.factories import (
    AreaFactory,
    LocationFactory,
    OrganisationFactory,
    ServiceFactory,
    UserFactory,
    known_postcodes,
)
from tests.helpers import csrf_token, sign_in

SAMPLE = Path(__file__).with_name("data") / "oruk_sample.json"


@pytest.fixture
def sample_world():  # noqa: ANN201
    """The database the sample expects: its postcodes, and a charity already registered."""
    known_postcodes("LS1 1UR", "SW1A 1AA")
    OrganisationFactory(charity_number="1100999")


def imported(oruk_id: str) -> Service | None:
    return db.session.scalar(select(Service).where(Service.oruk_id == oruk_id))


def problems_by_id(run: ImportRun) -> dict[str | None, str]:
    return {(p["table"], p["id"]): p["reason"] for p in run.problems}


def test_command_imports_good_rows_and_reports_each_bad_one(app: Flask, sample_world) -> None:  # noqa: ANN001
    result = app.test_cli_runner().invoke(
        args=["import-oruk", str(SAMPLE), "--verified", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert "Imported 2 organisations, 3 services and 3 locations" in result.output
    run = db.session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()
    problems = problems_by_id(run)
    assert problems[("organizations", "org-no-name")] == "“name” is missing"
    assert "charity number in the correct format" in problems[("organizations", "org-bad-number")]
    assert (
        problems[("organizations", "org-taken-number")]
        == "an organisation with charity number 1100999 is already registered"
    )
    assert problems[("locations", "loc-unknown-postcode")] == "postcode “LS1 9ZZ” does not exist"
    assert problems[("locations", "loc-at-sea")] == "the point 40.0, -30.0 is not in Great Britain"
    assert "location “loc-unknown-postcode” was not imported" in problems[("services", "svc-lost")]
    assert "organisation “org-no-name”" in problems[("services", "svc-orphan")]
    assert problems[("services", "svc-ages")] == "minimum_age 30 is more than maximum_age 18"
    assert (
        problems[("services", "svc-negative")] == "“maximum” must be between 0 and 100000, not -4"
    )
    assert problems[("services", None)] in ("“id” is missing", "is not an object")
    assert problems[("services", "svc-defunct")] == "the service is defunct"
    assert [p["index"] for p in run.problems if p["reason"] == "is not an object"] == [9]
    assert problems[("services", "svc-mentoring")] == "duplicate id in the file"
    assert len(run.problems) == 13

    mentoring = imported("svc-mentoring")
    assert mentoring.status == ServiceStatus.PUBLISHED
    assert mentoring.organisation.status == VerificationStatus.VERIFIED
    assert mentoring.organisation.charity_number == "1187001"
    assert sorted(n.code for n in mentoring.needs) == [
        "attitudes.mentoring",
        "health.mental_health",
    ]
    assert (mentoring.min_age, mentoring.max_age, mentoring.capacity, mentoring.languages) == (
        18,
        65,
        10,
        ["en", "pl"],
    )
    assert sorted(loc.postcode for loc in mentoring.locations) == ["LS1 1UR", "SW1A 1AA"]
    westminster = db.session.scalar(select(Location).where(Location.oruk_id == "loc-westminster"))
    assert westminster.area is not None and westminster.area.code == "E09000033"
    refuge = imported("svc-refuge")
    assert refuge.genders == ["female"] and refuge.delivery_modes == ["remote"]
    assert [n.code for n in refuge.needs] == ["women.domestic_abuse"]
    # A bad service never half-imports: nothing of the failed ones exists.
    for oruk_id in ("svc-lost", "svc-orphan", "svc-ages", "svc-negative", "svc-defunct"):
        assert imported(oruk_id) is None
    assert (
        db.session.scalar(select(Location).where(Location.oruk_id == "loc-unknown-postcode"))
        is None
    )
    # Versions and search-index rows for every imported service.
    ids = [imported(i).id for i in ("svc-mentoring", "svc-dropin", "svc-refuge")]
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ServiceVersion)
            .where(ServiceVersion.service_id.in_(ids))
        )
        == 3
    )
    assert set(
        db.session.scalars(select(IndexOutbox.service_id).where(IndexOutbox.service_id.in_(ids)))
    ) == set(ids)
    # Unmapped taxonomy terms are reported with how many services had them.
    assert run.unmapped_terms == [
        {"taxonomy": "esd-needs", "code": "LEIS-9", "name": "Swimming lessons", "services": 1}
    ]
    assert "Unmapped taxonomy term: esd-needs LEIS-9" in result.output


def test_importing_again_skips_what_is_already_there(app: Flask, sample_world) -> None:  # noqa: ANN001
    with SAMPLE.open("rb") as stream:
        tables = read(stream)
    import_tables(tables, actor=None, filename="first.json")
    run = import_tables(tables, actor=None, filename="second.json")
    assert run.imported["services"] == 0
    assert run.imported["skipped_existing"] == 3
    assert (
        db.session.scalar(
            select(func.count()).select_from(Service).where(Service.oruk_id == "svc-mentoring")
        )
        == 1
    )


def test_a_service_of_an_organisation_already_imported_attaches_to_it(sample_world) -> None:  # noqa: ANN001
    existing = OrganisationFactory(oruk_id="org-existing")
    tables = read(
        io.BytesIO(
            json.dumps(
                {
                    "organizations": [],
                    "services": [
                        {
                            "id": "svc-x",
                            "organization_id": "org-existing",
                            "name": "Extra",
                            "status": "active",
                        }
                    ],
                }
            ).encode()
        )
    )
    run = import_tables(tables, actor=None, filename="x.json")
    assert run.problems == []
    assert imported("svc-x").organisation_id == existing.id
    # No needs mapped, so it waits as a draft rather than being published half-described.
    assert imported("svc-x").status == ServiceStatus.DRAFT


def test_the_nested_api_shape_is_read_too() -> None:
    tables = read(
        io.BytesIO(
            json.dumps(
                {
                    "contents": [
                        {
                            "id": "s1",
                            "name": "Nested",
                            "organization": {"id": "o1", "name": "Org"},
                            "service_at_locations": [
                                {
                                    "id": "sal",
                                    "location": {"id": "l1", "latitude": 51.5, "longitude": -0.1},
                                }
                            ],
                            "attributes": [
                                {
                                    "id": "a",
                                    "taxonomy_term": {
                                        "id": "t",
                                        "code": "finance.debt",
                                        "taxonomy": "pathways-needs",
                                    },
                                }
                            ],
                        }
                    ]
                }
            ).encode()
        )
    )
    assert [o["id"] for o in tables.organizations] == ["o1"]
    assert tables.services[0]["organization_id"] == "o1"
    assert tables.service_at_locations == [{"id": "sal", "service_id": "s1", "location_id": "l1"}]
    assert tables.attributes[0]["taxonomy_term_id"] == "t"


@pytest.mark.parametrize("body", [b"{not json", b'"just a string"', b'{"services": "nope"}'])
def test_unreadable_files_are_refused_whole(body: bytes) -> None:
    with pytest.raises(UnreadableFile):
        read(io.BytesIO(body))


def test_plan_is_pure_and_keeps_a_service_whole(sample_world) -> None:  # noqa: ANN001
    with SAMPLE.open("rb") as stream:
        tables = read(stream)
    result = plan(tables, load_lookups(tables))
    planned = {s["oruk_id"] for s in result.services}
    assert planned == {"svc-mentoring", "svc-dropin", "svc-refuge"}
    linked = {service for service, _ in result.service_locations}
    assert linked <= planned
    assert (
        db.session.scalar(
            select(func.count()).select_from(Service).where(Service.oruk_id.is_not(None))
        )
        == 0
    )


def test_admin_uploads_a_file_and_sees_the_report(client: FlaskClient, sample_world) -> None:  # noqa: ANN001
    sign_in(client, UserFactory(role=Role.PLATFORM_ADMIN).email)
    token = csrf_token(client, "/admin/import")
    response = client.post(
        "/admin/import",
        data={"csrf_token": token, "file": (io.BytesIO(SAMPLE.read_bytes()), "sample.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Rows not imported" in report
    assert "postcode “LS1 9ZZ” does not exist" in report
    assert "Swimming lessons" in report
    assert imported("svc-mentoring").organisation.status == VerificationStatus.PENDING


def test_upload_that_is_not_json_is_explained(client: FlaskClient) -> None:
    sign_in(client, UserFactory(role=Role.PLATFORM_ADMIN).email)
    token = csrf_token(client, "/admin/import")
    response = client.post(
        "/admin/import",
        data={"csrf_token": token, "file": (io.BytesIO(b"<html>"), "page.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "The selected file is not valid JSON" in response.get_data(as_text=True)
    response = client.post(
        "/admin/import",
        data={"csrf_token": token, "file": (io.BytesIO(b"x"), "data.xlsx")},
        content_type="multipart/form-data",
    )
    assert "The selected file must be a JSON file" in response.get_data(as_text=True)


def test_over_large_upload_gets_a_clear_page_not_a_500(app: Flask, client: FlaskClient) -> None:
    sign_in(client, UserFactory(role=Role.PLATFORM_ADMIN).email)
    token = csrf_token(client, "/admin/import")
    limit = app.config["MAX_CONTENT_LENGTH"]
    # Small sizes keep the test client's request body in memory.
    app.config["MAX_CONTENT_LENGTH"] = 100 * 1024
    try:
        response = client.post(
            "/admin/import",
            data={"csrf_token": token, "file": (io.BytesIO(b" " * (200 * 1024)), "big.json")},
            content_type="multipart/form-data",
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    assert "The selected file must be smaller than 100KB" in response.get_data(as_text=True)


def test_only_platform_admins_import(client: FlaskClient) -> None:
    sign_in(client, UserFactory(role=Role.COMMISSIONER).email)
    assert client.get("/admin/import").status_code == 403


def test_export_has_the_public_directory_and_hides_confidential_addresses(
    client: FlaskClient,
) -> None:
    area = AreaFactory(name="Leeds")
    service = ServiceFactory(
        name="Outreach", need_codes=["women.domestic_abuse"], genders=["female"]
    )
    refuge = LocationFactory(
        organisation=service.organisation,
        name="Refuge",
        address_line_1="9 Secret St",
        hidden=True,
        area=area,
    )
    service.locations.append(refuge)
    ServiceFactory(name="Draft", status=ServiceStatus.DRAFT)
    tables = export_directory()
    assert [s["name"] for s in tables["services"]] == ["Outreach"]
    [location] = tables["locations"]
    assert location["name"] == "Confidential location in Leeds"
    assert "latitude" not in location and location["addresses"] == []
    assert "9 Secret St" not in json.dumps(tables)
    terms = {(t["taxonomy"], t["code"]) for t in tables["taxonomy_terms"]}
    assert {("pathways-needs", "women.domestic_abuse"), ("pathways-gender", "female")} <= terms
    sign_in(client, UserFactory(role=Role.COMMISSIONER).email)
    assert client.get("/directory/export.json").get_json()["services"][0]["name"] == "Outreach"


def test_export_then_import_round_trips(sample_world) -> None:  # noqa: ANN001
    service = ServiceFactory(
        name="Round trip",
        need_codes=["finance.debt"],
        cjs_stages=["licence"],
        min_age=21,
        capacity=4,
    )
    service.locations.append(LocationFactory(organisation=service.organisation))
    tables = export_directory()
    exported_id = tables["services"][0]["id"]
    # As if importing into another deployment: the database cascades the deletion.
    db.session.execute(delete(Organisation).where(Organisation.id == service.organisation_id))
    db.session.expire_all()
    run = import_tables(OrukTables(**tables), actor=None, filename="export.json")
    assert run.problems == []
    assert run.imported["organisations"] == 1
    again = imported(exported_id)
    assert (again.name, again.min_age, again.capacity, again.cjs_stages) == (
        "Round trip",
        21,
        4,
        ["licence"],
    )
    assert [n.code for n in again.needs] == ["finance.debt"]
