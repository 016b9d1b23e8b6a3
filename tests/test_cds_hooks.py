"""CDS Hooks 2.0 over real HTTP: requests shaped as the spec's examples, signed by an
"EHR" key the operator trusts; every DocumentReference checked against FHIR models."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fhir.resources.R4B.documentreference import DocumentReference

from .stack import Server

EHR = "https://ehr.example.org"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEM = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"


@pytest.fixture(scope="module")
def ehr_key():
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="module")
def cds(tmp_path_factory, ehr_key):
    tmp = tmp_path_factory.mktemp("cds")
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ehr_key.public_key()))
    (tmp / "jwks.json").write_text(
        json.dumps({"keys": [jwk | {"kid": "ehr-1", "use": "sig", "alg": "ES384"}]})
    )
    server = Server(tmp, "--workers", "1", "--cds-issuer", EHR, "--cds-jwks", str(tmp / "jwks.json"))
    yield server
    server.stop()


def token(server: Server, path: str, key, **claims) -> str:
    now = int(time.time())
    payload = {"iss": EHR, "sub": "ehr-client", "aud": f"{server.url}{path}", "iat": now, "exp": now + 300}
    payload |= {"jti": str(uuid.uuid4())} | claims
    return jwt.encode(payload, key, algorithm="ES384", headers={"kid": "ehr-1"})


def call(server: Server, service: str, body: dict, key, **claims) -> httpx.Response:
    path = f"/cds-services/{service}"
    headers = {"Authorization": f"Bearer {token(server, path, key, **claims)}"} if key else {}
    return httpx.post(f"{server.url}{path}", json=body, headers=headers, timeout=30)


def patient(*languages: tuple[str, str, bool]) -> dict:
    return {
        "resourceType": "Patient",
        "id": "example",
        "communication": [
            {"language": {"coding": [{"system": system, "code": code}]}, "preferred": preferred}
            for system, code, preferred in languages
        ],
    }


def orders(*codings: tuple[str, str], status: str = "draft") -> dict:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "ServiceRequest",
                    "id": f"order-{index}",
                    "status": status,
                    "intent": "order",
                    "subject": {"reference": "Patient/example"},
                    "code": {"coding": [{"system": system, "code": code}]},
                }
            }
            for index, (system, code) in enumerate(codings)
        ],
    }


def sign_request(prefetch_patient: dict | None, *codings: tuple[str, str]) -> dict:
    body = {
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": "https://ehr.example.org/fhir",
        "hook": "order-sign",
        "context": {"userId": "Practitioner/123", "patientId": "example", "draftOrders": orders(*codings)},
    }
    if prefetch_patient:
        body["prefetch"] = {"patient": prefetch_patient}
    return body


def test_discovery_lists_four_hooks_with_prefetch(cds):
    services = httpx.get(f"{cds.url}/cds-services").json()["services"]
    assert {s["hook"] for s in services} == {"order-select", "order-sign", "appointment-book", "patient-view"}
    assert all(s["prefetch"]["patient"] == "Patient/{{context.patientId}}" for s in services)


def test_a_spanish_patient_gets_a_spanish_card_that_files_a_valid_document_reference(cds, ehr_key):
    body = sign_request(
        patient(("urn:ietf:bcp:47", "es-US", True)),
        (CPT_SYSTEM, "45378"),
        (HCPCS_SYSTEM, "G0121"),  # the same handout: one card
        (CPT_SYSTEM, "99999"),  # no handout: no card
    )
    response = call(cds, "explainer-order-sign", body, ehr_key)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert len(cards) == 1
    card = cards[0]
    assert card["indicator"] == "info" and len(card["summary"]) < 140 and "Spanish" in card["summary"]
    assert card["source"]["label"] and card["source"]["url"].startswith(cds.url)
    links = {link["url"] for link in card["links"]}
    assert all(link["type"] == "absolute" for link in card["links"])
    assert f"{cds.url}/v1/handouts/45378?lang=es&format=pdf" in links
    assert "draft" in card["detail"] and "No clinician has reviewed" in card["detail"]
    action = card["suggestions"][0]["actions"][0]
    assert action["type"] == "create"
    document = DocumentReference.model_validate(action["resource"])  # FHIR models (R4B)
    attachment = document.content[0].attachment
    assert attachment.language == "es" and attachment.contentType == "application/pdf"
    assert document.subject.reference == "Patient/example" and document.status == "current"
    assert httpx.get(str(attachment.url), timeout=60).content.startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("languages", "served", "unavailable"),
    [
        ((("urn:ietf:bcp:47", "ar", True),), "ar", ""),
        ((("urn:ietf:bcp:47", "ja", True), ("urn:ietf:bcp:47", "ar", False)), "ar", ""),
        ((("http://terminology.hl7.org/CodeSystem/iso639-2", "spa", True),), "es", ""),
        ((("urn:ietf:bcp:47", "ja", True),), "en", "ja"),
    ],
)
def test_the_patients_language_as_ehrs_code_it(cds, ehr_key, languages, served, unavailable):
    body = sign_request(patient(*languages), (CPT_SYSTEM, "63271"))
    card = call(cds, "explainer-order-sign", body, ehr_key).json()["cards"][0]
    assert f"lang={served}&" in card["links"][0]["url"]
    assert DocumentReference.model_validate(card["suggestions"][0]["actions"][0]["resource"])
    if unavailable:
        assert f"({unavailable}) is not available; the handout is in English" in card["detail"]


def test_without_prefetch_the_card_is_english(cds, ehr_key):
    card = call(cds, "explainer-order-sign", sign_request(None, (CPT_SYSTEM, "27447")), ehr_key).json()[
        "cards"
    ][0]
    assert "lang=en&" in card["links"][0]["url"] and "English" in card["summary"]
    assert "does not say the patient's language; the handout is in English" in card["detail"]


def test_order_select_appointment_book_and_patient_view(cds, ehr_key):
    select = sign_request(None, (CPT_SYSTEM, "45378"), (CPT_SYSTEM, "66984"))
    select["hook"] = "order-select"
    select["context"]["selections"] = ["ServiceRequest/order-1"]
    cards = call(cds, "explainer-order-select", select, ehr_key).json()["cards"]
    assert [c["links"][0]["url"].split("/v1/handouts/")[1][:5] for c in cards] == ["66984"]

    appointment = {
        "resourceType": "Appointment",
        "id": "visit",
        "status": "proposed",
        "serviceType": [{"coding": [{"system": CPT_SYSTEM, "code": "42820"}]}],
        "participant": [{"actor": {"reference": "Patient/example"}, "status": "needs-action"}],
    }
    book = {
        "hookInstance": str(uuid.uuid4()),
        "hook": "appointment-book",
        "context": {
            "userId": "Practitioner/1",
            "patientId": "example",
            "appointments": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": appointment}],
            },
        },
    }
    assert len(call(cds, "explainer-appointment-book", book, ehr_key).json()["cards"]) == 1

    view = {
        "hookInstance": str(uuid.uuid4()),
        "hook": "patient-view",
        "context": {"userId": "Practitioner/1", "patientId": "example"},
        "prefetch": {
            "patient": patient(("urn:ietf:bcp:47", "vi", True)),
            "orders": orders((CPT_SYSTEM, "47562"), status="active"),
        },
    }
    cards = call(cds, "explainer-patient-view", view, ehr_key).json()["cards"]
    assert len(cards) == 1 and "lang=vi&" in cards[0]["links"][0]["url"]


def test_calls_without_a_trusted_jwt_are_refused(cds, ehr_key):
    body = sign_request(None, (CPT_SYSTEM, "45378"))
    stranger = ec.generate_private_key(ec.SECP384R1())
    refusals = [
        call(cds, "explainer-order-sign", body, None),  # no token
        call(cds, "explainer-order-sign", body, stranger),  # another key
        call(cds, "explainer-order-sign", body, ehr_key, iss="https://evil.example"),
        call(cds, "explainer-order-sign", body, ehr_key, aud=f"{cds.url}/cds-services/other"),
        call(
            cds, "explainer-order-sign", body, ehr_key, iat=int(time.time()) - 900, exp=int(time.time()) - 600
        ),
        call(cds, "explainer-order-sign", body, ehr_key, exp=int(time.time()) + 3600),  # lives an hour
    ]
    for response in refusals:
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["type"] == "/problems/not-trusted"


def test_feedback_is_accepted_and_checked(cds, ehr_key):
    path = "/cds-services/explainer-order-sign/feedback"
    headers = {"Authorization": f"Bearer {token(cds, path, ehr_key)}"}
    good = {
        "feedback": [
            {"card": str(uuid.uuid4()), "outcome": "accepted", "outcomeTimestamp": "2026-12-02T00:00:00Z"}
        ]
    }
    assert httpx.post(f"{cds.url}{path}", json=good, headers=headers).status_code == 200
    headers = {"Authorization": f"Bearer {token(cds, path, ehr_key)}"}
    bad = httpx.post(f"{cds.url}{path}", json={"feedback": [{"outcome": "maybe"}]}, headers=headers)
    assert bad.status_code == 400 and "outcome" in bad.json()["detail"]


def test_an_unconfigured_service_refuses_every_cds_call(tmp_path):
    server = Server(tmp_path, "--workers", "1")
    try:
        response = httpx.post(f"{server.url}/cds-services/explainer-order-sign", json={}, timeout=30)
        assert response.status_code == 401 and "no EHR is trusted" in response.json()["detail"]
    finally:
        server.stop()
