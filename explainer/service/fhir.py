"""FHIR resources the service emits, built with the models of fhir.resources (R4B,
the FHIR 4.x release its version ships; a DocumentReference is the same in R4),
so every resource is valid by construction, not by hand-written JSON."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any


def document_reference(patient_id: str, pdf_url: str, lang: str, title: str, found: Any) -> dict[str, Any]:
    """A DocumentReference for the patient, pointing at the handout's PDF."""
    from fhir.resources.R4B.documentreference import DocumentReference

    resource = DocumentReference.model_validate(
        {
            "resourceType": "DocumentReference",
            "status": "current",
            # Text only: the document-type code for patient education differs between EHRs, and we
            # do not invent one; the EHR may map this text to its own.
            "type": {"text": "Patient education handout"},
            "subject": {"reference": f"Patient/{patient_id}"},
            "date": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "description": title,
            "content": [
                {
                    "attachment": {
                        "contentType": "application/pdf",
                        "language": lang,
                        "url": pdf_url,
                        "title": title,
                    }
                }
            ],
            "context": {
                "related": [{"display": f"{found.system} {found.asked}"}],
            },
        }
    )
    return resource.model_dump(mode="json", exclude_none=True)


def handout_document(
    code: str, system: str, lang: str, title: str, changed: str, attachments: list[dict[str, Any]]
) -> dict[str, Any]:
    """A handout as a DocumentReference: one attachment per format, each with its
    language, media type, address, title, SHA-1 hash and size, as FHIR defines them."""
    from fhir.resources.R4B.documentreference import DocumentReference

    resource = DocumentReference.model_validate(
        {
            "resourceType": "DocumentReference",
            "id": f"{code}-{lang}",
            "status": "current",
            "type": {"text": "Patient education handout"},
            "date": f"{changed}T00:00:00Z",
            "description": title,
            "content": [{"attachment": attachment} for attachment in attachments],
            "context": {"event": [{"coding": [{"system": SYSTEM_URLS[system], "code": code}]}]},
        }
    )
    return resource.model_dump(mode="json", exclude_none=True)


def attachment(data: bytes, content_type: str, lang: str, url: str, title: str) -> dict[str, Any]:
    return {
        "contentType": content_type,
        "language": lang,
        "url": url,
        "title": title,
        "size": len(data),
        "hash": base64.b64encode(hashlib.sha1(data).digest()).decode("ascii"),  # FHIR: SHA-1, base64
    }


def search_bundle(resources: list[dict[str, Any]], base: str) -> dict[str, Any]:
    from fhir.resources.R4B.bundle import Bundle

    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(resources),
            "entry": [
                {
                    "fullUrl": f"{base}/fhir/DocumentReference/{r['id']}",
                    "resource": r,
                    "search": {"mode": "match"},
                }
                for r in resources
            ],
        }
    )
    return bundle.model_dump(mode="json", exclude_none=True)


def capability_statement(base: str, version: str) -> dict[str, Any]:
    from fhir.resources.R4B.capabilitystatement import CapabilityStatement

    statement = CapabilityStatement.model_validate(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": "2026-12-02",
            "kind": "instance",
            "software": {"name": "explainer", "version": version},
            "implementation": {"description": "Plain-language patient handouts", "url": f"{base}/fhir"},
            "fhirVersion": "4.0.1",  # R4: the elements used are the same in R4B, whose models check them
            "format": ["json"],
            "rest": [
                {
                    "mode": "server",
                    "resource": [
                        {
                            "type": "DocumentReference",
                            "interaction": [{"code": "read"}, {"code": "search-type"}],
                            "searchParam": [
                                {"name": "event", "type": "token", "documentation": "CPT or HCPCS code"},
                                {"name": "language", "type": "token", "documentation": "BCP 47 tag"},
                                {"name": "_id", "type": "token"},
                            ],
                        }
                    ],
                }
            ],
        }
    )
    return statement.model_dump(mode="json", exclude_none=True)


# FHIR's URIs for the code systems of our handouts.
SYSTEM_URLS = {
    "CPT": "http://www.ama-assn.org/go/cpt",
    "HCPCS": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
}
