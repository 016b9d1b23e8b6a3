"""FHIR read over real HTTP: handouts as DocumentReferences, searched by procedure code
and language; every resource checked against the FHIR models of fhir.resources."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.documentreference import DocumentReference

from .stack import Server

CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEM = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"


@pytest.fixture(scope="module")
def fhir(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("fhir"), "--workers", "2")
    yield server
    server.stop()


def get(server: Server, path: str, **params) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", params=params, timeout=60)


def test_capability_statement(fhir):
    response = get(fhir, "/fhir/metadata")
    assert response.headers["content-type"].startswith("application/fhir+json")
    statement = CapabilityStatement.model_validate(response.json())
    assert statement.rest[0].resource[0].type == "DocumentReference"


def test_search_by_code_and_language_gives_hashed_attachments(fhir):
    response = get(fhir, "/fhir/DocumentReference", event=f"{CPT_SYSTEM}|45378", language="es")
    bundle = Bundle.model_validate(response.json())
    assert bundle.type == "searchset" and bundle.total == 1
    document = DocumentReference.model_validate(response.json()["entry"][0]["resource"])
    assert document.id == "45378-es" and document.context.event[0].coding[0].code == "45378"
    kinds = {a.attachment.contentType: a.attachment for a in document.content}
    assert set(kinds) == {"text/html", "application/pdf"}
    raw = {
        c["attachment"]["contentType"]: c["attachment"]
        for c in response.json()["entry"][0]["resource"]["content"]
    }
    for kind, attachment in kinds.items():
        assert attachment.language == "es" and attachment.title
        data = httpx.get(str(attachment.url), timeout=60).content
        assert attachment.size == len(data)
        assert (
            raw[kind]["hash"] == base64.b64encode(hashlib.sha1(data).digest()).decode()
        )  # FHIR: base64 SHA-1


def test_search_by_hcpcs_code_read_and_refusals(fhir):
    found = get(fhir, "/fhir/DocumentReference", event=f"{HCPCS_SYSTEM}|G0121", language="ar").json()
    assert [entry["resource"]["id"] for entry in found["entry"]] == ["45378-ar"]
    assert get(fhir, "/fhir/DocumentReference", event=f"{CPT_SYSTEM}|99999").json()["total"] == 0
    assert get(fhir, "/fhir/DocumentReference", event=f"{HCPCS_SYSTEM}|45378").json()["total"] == 0
    read = get(fhir, "/fhir/DocumentReference/63271-ko")
    assert DocumentReference.model_validate(read.json()).id == "63271-ko"
    assert get(fhir, "/fhir/DocumentReference/63271-xx").status_code == 404
    assert get(fhir, "/fhir/DocumentReference").status_code == 400
