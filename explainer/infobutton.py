"""HL7 Context-Aware Knowledge Retrieval (Infobutton), URL-based interface.

An EHR asks for knowledge about a code in a code system, for a patient or a
provider, in a language. We answer for CPT-4 procedure codes with an Atom feed
(the default), its JSON form, or a redirect to the handout itself. A code we do
not know, or another code system, gets an empty feed, as the guide expects.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from .procedures import SYSTEM_OIDS

CPT_OID = SYSTEM_OIDS["CPT"]
ATOM = "http://www.w3.org/2005/Atom"
RESPONSE_TYPES = {
    "text/xml": "atom",
    "application/atom+xml": "atom",
    "application/json": "json",
    "text/html": "html",
}


@dataclass(frozen=True)
class InfobuttonRequest:
    code: str
    code_system: str
    display_name: str
    language: str
    recipient: str  # PAT or PROV
    response_type: str  # atom, json or html

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> InfobuttonRequest:
        wanted = query.get("knowledgeResponseType", "text/xml").strip().lower()
        return cls(
            code=query.get("mainSearchCriteria.v.c", "").strip(),
            code_system=query.get("mainSearchCriteria.v.cs", "").strip(),
            display_name=query.get("mainSearchCriteria.v.dn", "").strip(),
            language=query.get("informationRecipient.languageCode.c", "").strip(),
            recipient=query.get("informationRecipient", "PAT").strip().upper() or "PAT",
            response_type=RESPONSE_TYPES.get(wanted, ""),
        )

    @property
    def is_cpt(self) -> bool:
        return self.code_system in (CPT_OID, "")  # a missing system is read as CPT

    @property
    def system(self) -> str | None:
        """The code system asked for by its OID: CPT (the default) or HCPCS, else None."""
        if self.is_cpt:
            return "CPT"
        return next((name for name, oid in SYSTEM_OIDS.items() if oid == self.code_system), None)


@dataclass(frozen=True)
class Entry:
    code: str
    title: str
    summary: str
    lang: str
    updated: datetime.date
    links: dict[str, str]  # media type -> URL


def atom_feed(request: InfobuttonRequest, entries: list[Entry], lang: str, base: str) -> bytes:
    ElementTree.register_namespace("", ATOM)
    feed = ElementTree.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    for key, value in _feed_fields(request, entries, base).items():
        _text(feed, key, value)
    _author(feed)
    for scheme, term in _categories(request, lang):
        ElementTree.SubElement(feed, f"{{{ATOM}}}category", {"scheme": scheme, "term": term})
    for entry in entries:
        item = ElementTree.SubElement(
            feed, f"{{{ATOM}}}entry", {"{http://www.w3.org/XML/1998/namespace}lang": entry.lang}
        )
        _text(item, "title", entry.title)
        for media_type, href in entry.links.items():
            ElementTree.SubElement(
                item,
                f"{{{ATOM}}}link",
                {"href": href, "rel": "alternate", "type": media_type, "hreflang": entry.lang},
            )
        _text(item, "id", f"urn:explainer:cpt:{entry.code}:{entry.lang}")
        _text(item, "updated", _timestamp(entry.updated))
        _text(item, "summary", entry.summary)
    body = ElementTree.tostring(feed, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def json_feed(request: InfobuttonRequest, entries: list[Entry], lang: str, base: str) -> dict[str, Any]:
    """The Atom feed as JSON, in the shape MedlinePlus Connect uses (`_value` for text)."""
    feed: dict[str, Any] = {"xml:lang": lang}
    feed.update({key: {"_value": value} for key, value in _feed_fields(request, entries, base).items()})
    feed["author"] = {"name": {"_value": "explainer"}}
    feed["category"] = [{"scheme": scheme, "term": term} for scheme, term in _categories(request, lang)]
    feed["entry"] = [
        {
            "xml:lang": entry.lang,
            "title": {"_value": entry.title},
            "link": [
                {"href": href, "rel": "alternate", "type": t, "hreflang": entry.lang}
                for t, href in entry.links.items()
            ],
            "id": {"_value": f"urn:explainer:cpt:{entry.code}:{entry.lang}"},
            "updated": {"_value": _timestamp(entry.updated)},
            "summary": {"_value": entry.summary},
        }
        for entry in entries
    ]
    return {"feed": feed}


def _feed_fields(request: InfobuttonRequest, entries: list[Entry], base: str) -> dict[str, str]:
    newest = max((e.updated for e in entries), default=datetime.date(2026, 1, 1))
    subject = request.display_name or request.code or "no code given"
    return {
        "title": "explainer: plain-language procedure information",
        "subtitle": f"Patient information for {subject}" + ("" if entries else ": none found"),
        "id": f"urn:explainer:infobutton:{request.code_system or CPT_OID}:{request.code}",
        "updated": _timestamp(newest),
    }


def _categories(request: InfobuttonRequest, lang: str) -> list[tuple[str, str]]:
    return [
        ("mainSearchCriteria.v.c", request.code),
        ("mainSearchCriteria.v.cs", request.code_system or CPT_OID),
        ("informationRecipient.languageCode.c", lang),
        ("informationRecipient", request.recipient),
    ]


def _author(feed: ElementTree.Element) -> None:
    author = ElementTree.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "explainer")


def _text(parent: ElementTree.Element, name: str, value: str) -> None:
    ElementTree.SubElement(parent, f"{{{ATOM}}}{name}").text = value


def _timestamp(day: datetime.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"
