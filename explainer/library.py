"""The set of procedures explainer can explain, and finding one by code."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from .errors import ContentError, ContentProblem, MalformedCode, UnknownProcedure, shorten
from .glossary import Glossary, load_glossary
from .procedures import CODE_FORMAT, SYSTEM, Procedure, code_system, load_procedure
from .resources import PROCEDURES_DIR
from .reviews import ClinicalReview, ReviewStatus, load_reviews, status, text_digest

GLOSSARY_FILE = "glossary.md"
REFERENCES_FILE = "references.toml"
REVIEWS_FILE = "reviews.toml"
# Drawings a procedure may show (`picture:`), each a template in templates/pictures/.
PICTURES = {"spine-layers": "spine-layers.html", "spine-layers-lower": "spine-layers.html"}


@dataclass(frozen=True)
class Reference:
    """A public source a handout's facts rely on (recorded, never copied)."""

    key: str
    title: str
    publisher: str
    url: str


@dataclass(frozen=True)
class Library:
    procedures: dict[str, Procedure]
    glossary: Glossary
    references: dict[str, Reference] = field(default_factory=dict)
    reviews: dict[str, ClinicalReview] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        return sorted(self.procedures)

    @cached_property
    def aliases(self) -> dict[str, tuple[str, Procedure]]:
        """Codes of other systems (HCPCS) -> (system, the handout for the same procedure)."""
        return {
            code: (system, procedure)
            for procedure in self.procedures.values()
            for system, code in procedure.other_codes
        }

    def get(self, code: str) -> Procedure:
        """The procedure for a code, or an error that helps the user find the right one."""
        return self.lookup(code)[0]

    def lookup(self, code: str) -> tuple[Procedure, str]:
        """The procedure for a CPT or HCPCS code, and the code system that matched."""
        code = code.strip().upper()
        system = code_system(code)
        if system is None:
            raise MalformedCode(
                f"'{shorten(code, 20)}' is not a CPT or HCPCS code: a CPT code is {CODE_FORMAT}; "
                "an HCPCS Level II code is a letter A to V and four digits (G0121)."
            )
        if system == SYSTEM and code in self.procedures:
            return self.procedures[code], SYSTEM
        if code in self.aliases:
            found_system, procedure = self.aliases[code]
            return procedure, found_system
        closest = ", ".join(self.closest(code))
        raise UnknownProcedure(f"No handout for code {code}. Closest known codes: {closest}.")

    def messages_for(self, procedure: Procedure) -> list[str]:
        """Every `procedures` message a handout shows: its own, its siblings' titles
        and its glossary entries."""
        own = [m.text for m in procedure.messages()]
        related = [
            text
            for code in procedure.related
            for text in (self.procedures[code].title.text, self.procedures[code].region.text)
        ]
        words = [
            t
            for key in procedure.terms
            for t in (self.glossary.terms[key].term.text, self.glossary.terms[key].definition.text)
        ]
        return own + related + words

    def digest(self, procedure: Procedure) -> str:
        """The digest of the English text a handout shows: what a clinical review covers."""
        return text_digest(self.messages_for(procedure))

    def review_status(self, procedure: Procedure) -> ReviewStatus:
        return status(self.reviews.get(procedure.code), self.digest(procedure))

    def closest(self, code: str, count: int = 3) -> list[str]:
        def distance(known: str) -> tuple[int, str]:
            if code.isdigit() and known.isdigit():
                return abs(int(code) - int(known)), known
            return sum(a != b for a, b in zip(code, known, strict=True)), known

        return sorted(self.procedures, key=distance)[:count]


def load_library(directory: Path = PROCEDURES_DIR) -> Library:
    """Load and cross-check every source; raises one ContentError listing all problems."""
    procedures: dict[str, Procedure] = {}
    problems: list[ContentProblem] = []
    glossary = Glossary({}, directory / GLOSSARY_FILE)
    try:
        glossary = load_glossary(directory / GLOSSARY_FILE)
    except ContentError as error:
        problems.extend(error.problems)
    references = _load_references(directory / REFERENCES_FILE, problems)
    reviews: dict[str, ClinicalReview] = {}
    try:
        reviews = load_reviews(directory / REVIEWS_FILE)
    except ContentError as error:
        problems.extend(error.problems)
    for path in sorted(directory.glob("*.md")):
        if path.name == GLOSSARY_FILE:
            continue
        try:
            procedure = load_procedure(path)
        except ContentError as error:
            problems.extend(error.problems)
            continue
        procedures[procedure.code] = procedure
    if not procedures and not problems:
        what = "does not exist" if not directory.is_dir() else "holds no procedure sources (CODE.md)"
        problems.append(ContentProblem(directory, 1, f"{what}: is this the procedures folder?"))
    for procedure in procedures.values():
        for other in procedure.related:
            if other not in procedures:
                problems.append(
                    ContentProblem(
                        procedure.path, procedure.related_line, f"related code {other} has no procedure file"
                    )
                )
        for key in procedure.references:
            if key not in references:
                problems.append(
                    ContentProblem(
                        procedure.path,
                        procedure.references_line,
                        f"reference '{key}' is not in {REFERENCES_FILE}",
                    )
                )
        if procedure.picture and procedure.picture not in PICTURES:
            problems.append(
                ContentProblem(
                    procedure.path,
                    procedure.picture_line,
                    f"unknown picture '{procedure.picture}'; pictures: {', '.join(PICTURES)}",
                )
            )
        for term in procedure.terms:
            if glossary.get(term) is None:
                problems.append(
                    ContentProblem(
                        procedure.path,
                        procedure.terms_line,
                        f"term '{term}' is not defined in {GLOSSARY_FILE}",
                    )
                )
    claimed: dict[str, str] = {}
    for procedure in procedures.values():
        for _, other in procedure.other_codes:
            if other in claimed:
                problems.append(
                    ContentProblem(procedure.path, 1, f"code {other} is also claimed by {claimed[other]}")
                )
            claimed[other] = procedure.code
    for code in reviews:
        if code not in procedures:
            problems.append(
                ContentProblem(directory / REVIEWS_FILE, 1, f"review for {code}, which has no procedure")
            )
    if problems:
        raise ContentError(problems)
    return Library(procedures, glossary, references, reviews)


def _load_references(path: Path, problems: list[ContentProblem]) -> dict[str, Reference]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        problems.append(ContentProblem(path, 1, f"not valid TOML: {error}"))
        return {}
    references = {}
    for key, entry in data.items():
        fields = ("title", "publisher", "url")
        if not isinstance(entry, dict) or any(
            not isinstance(entry.get(f), str) or not entry[f] for f in fields
        ):
            problems.append(ContentProblem(path, 1, f"reference '{key}' needs {', '.join(fields)}"))
            continue
        references[key] = Reference(key, entry["title"], entry["publisher"], entry["url"])
    return references


def default_library(directory: Path = PROCEDURES_DIR) -> Library:
    """The library at `directory`, loaded once per process."""
    return _loaded(directory.resolve())


@cache
def _loaded(directory: Path) -> Library:
    return load_library(directory)
