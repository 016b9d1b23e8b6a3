"""HL7 Context-Aware Knowledge Retrieval (Infobutton), URL-based interface.

An EHR asks for knowledge about a code in a code system, for a patient or a
provider, in a language. We answer for CPT and HCPCS procedure codes with an
Atom feed (the default), its JSON form in the shape MedlinePlus Connect uses
(which many clients are written for), JSONP, or a redirect to the handout. A
code we do not know, or another code system, gets an empty feed, as the guide
expects.

Requests are read the way real clients send them: search criteria indexed
(`mainSearchCriteria.v.c0`, `.cs0`, `.dn0`, ...) or not, media types in any case
and with parameters, `informationRecipient=pat`, and the language codes
MedlinePlus Connect clients use (`sp` for Spanish). A language we do not have
is answered in English, and the feed says so.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from ..procedures import SYSTEM_OIDS

CPT_OID = SYSTEM_OIDS["CPT"]
ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RESPONSE_TYPES = {
    "text/xml": "atom",
    "application/xml": "atom",
    "application/atom+xml": "atom",
    "application/json": "json",
    "text/json": "json",
    "application/javascript": "jsonp",
    "text/javascript": "jsonp",
    "text/html": "html",
}
RECIPIENTS = ("PAT", "PROV", "PAYOR")
# Language codes clients send that are not BCP 47 tags: MedlinePlus Connect's own.
LANGUAGE_ALIASES = {"sp": "es"}
_CALLBACK = re.compile(r"[A-Za-z_$][A-Za-z0-9_$.]{0,63}")
_MAX_CRITERIA = 10  # mainSearchCriteria.v.c0 ... c9
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class InfobuttonError(ValueError):
    """A request parameter that no client should send; the message says what is accepted."""


@dataclass(frozen=True)
class Criterion:
    code: str
    code_system: str
    display_name: str

    @property
    def system(self) -> str | None:
        """The code system asked for by its OID: CPT (also when none is given) or HCPCS."""
        if self.code_system in (CPT_OID, ""):
            return "CPT"
        return next((name for name, oid in SYSTEM_OIDS.items() if oid == self.code_system), None)


@dataclass(frozen=True)
class InfobuttonRequest:
    criteria: tuple[Criterion, ...]
    language: str  # as the client wrote it
    recipient: str  # PAT, PROV or PAYOR
    response_type: str  # atom, json, jsonp or html
    task: str = ""  # taskContext.c.c, e.g. PROBLISTREV or ORDERENTRY
    callback: str = ""  # JSONP

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> InfobuttonRequest:
        wanted = query.get("knowledgeResponseType", "").split(";")[0].strip().lower() or "text/xml"
        if wanted not in RESPONSE_TYPES:
            raise InfobuttonError(
                f"knowledgeResponseType '{wanted[:40]}' is not served; use one of {', '.join(RESPONSE_TYPES)}"
            )
        callback = query.get("callback", "").strip()
        if callback and not _CALLBACK.fullmatch(callback):
            raise InfobuttonError("callback must be a JavaScript name such as handleFeed")
        recipient = query.get("informationRecipient", "").strip().upper() or "PAT"
        if recipient not in RECIPIENTS:
            raise InfobuttonError(f"informationRecipient must be one of {', '.join(RECIPIENTS)}")
        language = query.get("informationRecipient.languageCode.c", "").strip()
        return cls(
            criteria=_criteria(query),
            language=LANGUAGE_ALIASES.get(language.lower(), language),
            recipient=recipient,
            response_type=RESPONSE_TYPES[wanted],
            task=query.get("taskContext.c.c", "").strip(),
            callback=callback,
        )

    @property
    def first(self) -> Criterion:
        return self.criteria[0] if self.criteria else Criterion("", "", "")


def _criteria(query: Mapping[str, str]) -> tuple[Criterion, ...]:
    """Search criteria, plain (`mainSearchCriteria.v.c`) and indexed (`...v.c0`, `...v.c1`)."""
    found = []
    for index in ("", *map(str, range(_MAX_CRITERIA))):
        code = query.get(f"mainSearchCriteria.v.c{index}", "").strip()
        if code:
            found.append(
                Criterion(
                    code,
                    query.get(f"mainSearchCriteria.v.cs{index}", "").strip(),
                    query.get(f"mainSearchCriteria.v.dn{index}", "").strip(),
                )
            )
    return tuple(found)


@dataclass(frozen=True)
class Entry:
    code: str
    title: str
    summary: str
    lang: str
    updated: datetime.date
    links: dict[str, str]  # media type -> URL


@dataclass(frozen=True)
class Feed:
    """What a response says, in whichever form: the request, the answers, the language
    served (and the one asked for, when we could not serve it), and where we are."""

    request: InfobuttonRequest
    entries: list[Entry]
    lang: str
    title: str  # in the served language
    base: str  # the service's public address, or "" (links are then relative)
    matched: Criterion | None = None
    unavailable: str = ""  # the language asked for, when we could not serve it

    @property
    def subject(self) -> Criterion:
        return self.matched or self.request.first

    @property
    def subtitle(self) -> str:
        subject = self.subject.display_name or self.subject.code or "no code given"
        text = f"Patient information for {subject}" + ("" if self.entries else ": none found")
        if self.unavailable:
            text += f". Not available in '{self.unavailable[:35]}': shown in {self.lang}."
        return text

    def categories(self) -> list[tuple[str, str]]:
        request, subject = self.request, self.subject
        pairs = [
            ("mainSearchCriteria.v.c", subject.code),
            ("mainSearchCriteria.v.cs", subject.code_system or CPT_OID),
            ("mainSearchCriteria.v.dn", subject.display_name),
            ("informationRecipient.languageCode.c", self.lang),
            ("informationRecipient", request.recipient),
            ("taskContext.c.c", request.task),
        ]
        if self.unavailable:
            pairs.append(("explainer.languageRequested", self.unavailable[:35]))
        return [(scheme, term) for scheme, term in pairs if term]

    @property
    def id(self) -> str:
        return f"urn:explainer:infobutton:{self.subject.code_system or CPT_OID}:{self.subject.code}"

    @property
    def updated(self) -> str:
        return _timestamp(max((e.updated for e in self.entries), default=datetime.date(2026, 1, 1)))


def atom_feed(feed: Feed) -> bytes:
    """An Atom feed that is well-formed XML whatever the request held."""
    ElementTree.register_namespace("", ATOM)
    root = ElementTree.Element(f"{{{ATOM}}}feed", {XML_LANG: feed.lang})
    if feed.base:
        root.set("{http://www.w3.org/XML/1998/namespace}base", feed.base + "/")
    _text(root, "title", feed.title, type="text")
    _text(root, "subtitle", feed.subtitle, type="text", lang="en")
    _text(root, "id", feed.id)
    _text(root, "updated", feed.updated)
    author = ElementTree.SubElement(root, f"{{{ATOM}}}author")
    _text(author, "name", "explainer")
    _text(author, "uri", f"{feed.base}/")
    for scheme, term in feed.categories():
        ElementTree.SubElement(root, f"{{{ATOM}}}category", {"scheme": scheme, "term": _xml_safe(term)})
    for entry in feed.entries:
        item = ElementTree.SubElement(root, f"{{{ATOM}}}entry", {XML_LANG: entry.lang})
        _text(item, "title", entry.title, type="text")
        for media_type, href in entry.links.items():
            attributes = {"href": href, "rel": "alternate", "type": media_type, "hreflang": entry.lang}
            ElementTree.SubElement(
                item, f"{{{ATOM}}}link", attributes | {"title": _link_title(entry, media_type)}
            )
        _text(item, "id", f"urn:explainer:{entry.code}:{entry.lang}")
        _text(item, "updated", _timestamp(entry.updated))
        _text(item, "summary", entry.summary, type="text")
    body = ElementTree.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def json_feed(feed: Feed) -> dict[str, Any]:
    """The feed as JSON in MedlinePlus Connect's shape: `lang` and `base` on the feed,
    text as `{"_value": ..., "type": "text"}`, an author `uri`, titled links."""
    data: dict[str, Any] = {
        "xsi": "http://www.w3.org/2001/XMLSchema-instance",
        "base": f"{feed.base}/",
        "lang": feed.lang,
        "title": {"_value": feed.title, "type": "text"},
        "subtitle": {"_value": feed.subtitle, "type": "text", "lang": "en"},
        "id": {"_value": feed.id},
        "updated": {"_value": feed.updated},
        "author": {"name": {"_value": "explainer"}, "uri": {"_value": f"{feed.base}/"}},
        "category": [{"scheme": scheme, "term": term} for scheme, term in feed.categories()],
        "entry": [
            {
                "lang": entry.lang,
                "title": {"_value": entry.title, "type": "text"},
                "link": [
                    {
                        "href": href,
                        "rel": "alternate",
                        "type": media_type,
                        "hreflang": entry.lang,
                        "title": _link_title(entry, media_type),
                    }
                    for media_type, href in entry.links.items()
                ],
                "id": {"_value": f"urn:explainer:{entry.code}:{entry.lang}"},
                "updated": {"_value": _timestamp(entry.updated)},
                "summary": {"_value": entry.summary, "type": "text"},
            }
            for entry in feed.entries
        ],
    }
    return {"feed": data}


_FORMAT_NAMES = {"text/html": "web page", "application/pdf": "PDF", "application/json": "JSON"}


def _link_title(entry: Entry, media_type: str) -> str:
    return f"{entry.title} ({_FORMAT_NAMES.get(media_type, media_type)})"


def _text(parent: ElementTree.Element, name: str, value: str, *, type: str = "", lang: str = "") -> None:
    element = ElementTree.SubElement(parent, f"{{{ATOM}}}{name}")
    element.text = _xml_safe(value)
    if type:
        element.set("type", type)
    if lang:
        element.set(XML_LANG, lang)


def _xml_safe(text: str) -> str:
    """Characters XML 1.0 cannot hold (noncharacters, stray controls) as U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _timestamp(day: datetime.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"
