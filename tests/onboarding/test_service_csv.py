"""Bulk service upload from the CSV template: good rows become drafts, bad rows are
reported by line, and a row never half-saves."""

from __future__ import annotations

import csv
import io

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.directory.models import ImportRun, Location, Service, ServiceStatus
from marketplace.extensions import db
from onboarding.service_csv import COLUMNS, EXAMPLE
from tests.factories import OrganisationFactory, known_postcodes, provider_user
from tests.helpers import csrf_token, sign_in


@pytest.fixture
def provider(client: FlaskClient):  # noqa: ANN201
    known_postcodes("SW1A 1AA", "LS1 1UR")
    user = provider_user()
    sign_in(client, user.email)
    return user


def csv_bytes(*rows: dict) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({**EXAMPLE, **row})
    return out.getvalue().encode()


def upload(client: FlaskClient, organisation_id: int, body: bytes, name: str = "services.csv"):  # noqa: ANN201
    path = f"/organisations/{organisation_id}/services/upload"
    return client.post(
        path,
        data={"csrf_token": csrf_token(client, path), "file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


def test_template_downloads_with_every_column(client: FlaskClient, provider) -> None:  # noqa: ANN001
    organisation = provider.memberships[0].organisation
    response = client.get(f"/organisations/{organisation.id}/services/template.csv")
    assert response.mimetype == "text/csv"
    header, example = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(header) == COLUMNS
    assert example[0] == "Housing advice drop-in"


def test_good_rows_become_drafts_and_bad_rows_are_reported_by_line(
    client: FlaskClient, provider
) -> None:  # noqa: ANN001
    organisation = provider.memberships[0].organisation
    body = csv_bytes(
        {"name": "Good one"},
        {"name": "Upside down", "min_age": "40", "max_age": "20"},
        {"name": "Negative", "capacity": "-1"},
        {"name": "Unknown need", "needs": "accommodation; flying"},
        {"name": "Nowhere", "postcode": "LS1 9ZZ"},
        {
            "name": "Good two",
            "postcode": "LS1 1UR",
            "address_line_1": "1 Park Row",
            "hidden_address": "yes",
        },
    )
    response = upload(client, organisation.id, body)
    assert response.status_code == 302
    run = db.session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()
    assert run.imported["services"] == 2
    reasons = {problem["line"]: problem["reason"] for problem in run.problems}
    assert set(reasons) == {3, 4, 5, 6}
    assert "min_age must be the same as or less than max_age" in reasons[3]
    assert reasons[4].startswith("capacity:")
    assert "flying" in reasons[5]
    assert "We could not find this postcode" in reasons[6]
    names = set(
        db.session.scalars(select(Service.name).where(Service.organisation_id == organisation.id))
    )
    assert names == {"Good one", "Good two"}
    good = db.session.scalar(select(Service).where(Service.name == "Good one"))
    assert good.status == ServiceStatus.DRAFT
    assert sorted(n.code for n in good.needs) == ["accommodation.at_risk", "accommodation.homeless"]
    hidden = db.session.scalar(select(Location).where(Location.postcode == "LS1 1UR"))
    assert hidden.hidden is True
    # The failed "Nowhere" row left no location behind.
    assert db.session.scalar(select(Location).where(Location.postcode == "LS1 9ZZ")) is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Line 6" in page


def test_a_file_without_the_template_columns_is_refused(client: FlaskClient, provider) -> None:  # noqa: ANN001
    response = upload(client, provider.memberships[0].organisation_id, b"title,notes\nx,y\n")
    assert response.status_code == 400
    assert "missing the columns name, needs, delivery_modes" in response.get_data(as_text=True)


def test_a_file_that_is_not_text_is_refused(client: FlaskClient, provider) -> None:  # noqa: ANN001
    response = upload(client, provider.memberships[0].organisation_id, b"\xff\xfe\x00binary")
    assert response.status_code == 400
    assert "The selected file must be a CSV saved as UTF-8" in response.get_data(as_text=True)


def test_another_organisations_upload_page_is_not_found(client: FlaskClient, provider) -> None:  # noqa: ANN001
    other = OrganisationFactory()
    assert client.get(f"/organisations/{other.id}/services/upload").status_code == 404
    assert client.get(f"/organisations/{other.id}/services/template.csv").status_code == 404
