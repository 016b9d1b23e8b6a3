"""CDS Hooks 2.0: handouts offered to the clinician while ordering, signing,
booking, or opening a chart, in the patient's language.

Four services answer four hooks. Each finds the procedure codes in its context
(draft orders, appointments) or prefetch (active orders), and returns one card
per handout it has: a short summary, links to the handout as a page and a PDF,
and a suggestion that creates a FHIR DocumentReference for the patient, so one
click puts the handout in the chart. The patient's language comes from the
prefetched Patient's `communication` (preferred first, coded as EHRs code it);
if we cannot serve it, the card says the handout is in English.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..errors import MalformedCode, UnknownProcedure, UnsupportedLanguage
from ..languages import Language, get_language, match_language
from ..library import Library
from .fhir import document_reference

# FHIR code systems for the codes we explain, as EHRs write them.
SYSTEMS = {
    "http://www.ama-assn.org/go/cpt": "CPT",
    "urn:oid:2.16.840.1.113883.6.12": "CPT",
    "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets": "HCPCS",
    "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets": "HCPCS",
    "urn:oid:2.16.840.1.113883.6.285": "HCPCS",
}
PATIENT_PREFETCH = "Patient/{{context.patientId}}"


@dataclass(frozen=True)
class CdsService:
    id: str
    hook: str
    title: str
    description: str
    prefetch: dict[str, str]

    def discovery(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "hook": self.hook,
            "title": self.title,
            "description": self.description,
            "prefetch": self.prefetch,
        }


SERVICES = {
    service.id: service
    for service in (
        CdsService(
            "explainer-order-select",
            "order-select",
            "Patient handouts for selected orders",
            "Offers a plain-language handout, in the patient's language, for each selected procedure order.",
            {"patient": PATIENT_PREFETCH},
        ),
        CdsService(
            "explainer-order-sign",
            "order-sign",
            "Patient handouts for signed orders",
            "Offers a plain-language handout, in the patient's language, for each procedure order signed.",
            {"patient": PATIENT_PREFETCH},
        ),
        CdsService(
            "explainer-appointment-book",
            "appointment-book",
            "Patient handouts for booked procedures",
            "Offers a plain-language handout for the procedure an appointment is booked for.",
            {"patient": PATIENT_PREFETCH},
        ),
        CdsService(
            "explainer-patient-view",
            "patient-view",
            "Patient handouts for active procedure orders",
            "Offers a plain-language handout for each active procedure order when the chart is opened.",
            {
                "patient": PATIENT_PREFETCH,
                "orders": "ServiceRequest?patient={{context.patientId}}&status=active",
            },
        ),
    )
}


class CdsRequestError(ValueError):
    """A hook request we cannot read; the message says what was wrong."""


@dataclass(frozen=True)
class Found:
    code: str  # our handout's CPT code
    asked: str  # the code as the EHR sent it
    system: str  # CPT or HCPCS


def codes_in(service: CdsService, body: dict[str, Any], library: Library) -> list[Found]:
    """The handouts this hook's context (or prefetch) asks about, each once, in order."""
    if not isinstance(body, dict) or body.get("hook") != service.hook:
        raise CdsRequestError(f"this service answers the '{service.hook}' hook")
    context = body.get("context")
    if not isinstance(context, dict):
        raise CdsRequestError("the request has no context object")
    if service.hook in ("order-select", "order-sign"):
        resources = _entries(context.get("draftOrders"))
        if service.hook == "order-select" and isinstance(context.get("selections"), list):
            chosen = set(context["selections"])
            resources = [r for r in resources if f"{r.get('resourceType')}/{r.get('id')}" in chosen]
        codings = [c for r in resources for c in _codings(r.get("code"))]
    elif service.hook == "appointment-book":
        appointments = _entries(context.get("appointments"))
        codings = [
            c
            for a in appointments
            for field_name in ("serviceType", "reasonCode")
            for concept in (a.get(field_name) or [])
            for c in _codings(concept)
        ]
    else:  # patient-view: active orders come by prefetch
        orders = _entries((body.get("prefetch") or {}).get("orders"))
        codings = [
            c for r in orders if r.get("status", "active") == "active" for c in _codings(r.get("code"))
        ]
    found: dict[str, Found] = {}
    for coding in codings:
        system = SYSTEMS.get(str(coding.get("system", "")))
        code = str(coding.get("code", "")).strip().upper()
        if system is None or not code:
            continue
        try:
            procedure, matched = library.lookup(code)
        except (MalformedCode, UnknownProcedure):
            continue
        if matched == system:
            found.setdefault(procedure.code, Found(procedure.code, code, system))
    return list(found.values())


def patient_language(body: dict[str, Any]) -> tuple[Language, str]:
    """The patient's language from prefetch, and, when it is not the one served, a
    sentence for the card that says why. Preferred languages first, then the others."""
    patient = (body.get("prefetch") or {}).get("patient")
    communication = patient.get("communication") if isinstance(patient, dict) else None
    if not isinstance(communication, list) or not communication:
        return get_language(
            "en"
        ), "The request does not say the patient's language; the handout is in English."
    ranked = sorted(
        (c for c in communication if isinstance(c, dict)), key=lambda c: not c.get("preferred", False)
    )
    wanted = ""
    for entry in ranked:
        concept = entry.get("language") or {}
        for coding in _codings(concept):
            code = str(coding.get("code", "")).strip()
            if not code:
                continue
            try:
                return match_language(code), ""
            except UnsupportedLanguage:
                wanted = wanted or concept.get("text") or coding.get("display") or code
        if not _codings(concept) and concept.get("text"):
            wanted = wanted or concept["text"]
    if not wanted:
        return get_language("en"), "The patient's language is not coded; the handout is in English."
    note = f"The patient's language ({str(wanted)[:60]}) is not available; the handout is in English."
    return get_language("en"), note


@dataclass
class Feedback:
    """Outcomes of cards by service, counted: nothing that identifies a patient or a user."""

    outcomes: Counter[tuple[str, str]]

    def record(self, service: str, body: Any) -> int:
        items = body.get("feedback") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            raise CdsRequestError("feedback must be an object with a non-empty 'feedback' list")
        for item in items:
            outcome = item.get("outcome") if isinstance(item, dict) else None
            if outcome not in ("accepted", "overridden"):
                raise CdsRequestError("each feedback item needs an outcome: 'accepted' or 'overridden'")
            self.outcomes[service, outcome] += 1
        return len(items)


@dataclass(frozen=True)
class Handout:
    """What a card offers: one handout, in the language it is served in."""

    found: Found
    title: str  # in the handout's language
    english_title: str
    language: Language
    html_url: str
    pdf_url: str
    translation: str  # "source", "reviewed", "partly reviewed" or "draft"


def card(
    handout: Handout, patient_id: str, source_url: str, language_note: str, development: bool
) -> dict[str, Any]:
    """One card: summary (under 140 characters), links, and a suggestion that files the
    PDF in the chart as a DocumentReference."""
    name = handout.language.english_name
    summary = f"Patient handout in {name}: {handout.english_title}"
    if len(summary) > 139:
        summary = summary[:138] + "…"
    found = handout.found
    detail = [f"A plain-language handout for {found.system} {found.asked}, in {name}: *{handout.title}*."]
    if language_note:
        detail.append(language_note)
    if handout.translation == "partly reviewed":
        detail.append(
            "A qualified medical translator has checked part of this translation; the rest is a draft."
        )
    elif handout.translation == "draft":
        detail.append("The translation is a draft that no qualified medical translator has reviewed yet.")
    detail.append("No clinician has reviewed this handout yet; check it fits your patient.")
    if development:
        detail.append("Development mode: this service trusts any caller.")
    title = f"{handout.title} ({handout.found.system} {handout.found.code})"
    suggestion: dict[str, Any] = {"label": "Add the handout (PDF) to the patient's chart", "uuid": new_uuid()}
    if patient_id:
        resource = document_reference(patient_id, handout.pdf_url, handout.language.tag, title, handout.found)
        suggestion["actions"] = [
            {"type": "create", "description": f"File the {name} handout in the chart", "resource": resource}
        ]
    return {
        "uuid": new_uuid(),
        "summary": summary,
        "detail": " ".join(detail),
        "indicator": "info",
        "source": {"label": "explainer patient handouts", "url": source_url},
        "links": [
            {"label": f"Open the handout ({name})", "url": handout.html_url, "type": "absolute"},
            {"label": f"Print the handout, PDF ({name})", "url": handout.pdf_url, "type": "absolute"},
        ],
    } | ({"suggestions": [suggestion], "selectionBehavior": "any"} if patient_id else {})


def new_uuid() -> str:
    return str(uuid.uuid4())


def _entries(bundle: Any) -> list[dict[str, Any]]:
    if not isinstance(bundle, dict):
        return []
    return [
        e["resource"]
        for e in bundle.get("entry") or []
        if isinstance(e, dict) and isinstance(e.get("resource"), dict)
    ]


def _codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return []
    return [c for c in concept["coding"] if isinstance(c, dict)]
