"""`explainer check`: the quality gate authors, translators and CI run.

It reads the sources and the PO files (not the compiled catalogs), so it works
before `make catalogs` and points at the line to fix. Errors fail the check;
warnings are shown and pass.
"""

from __future__ import annotations

import gettext
import itertools
import re
import tomllib
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import PoFileError, read_po

from ..catalogs import DOMAINS
from ..errors import ContentError, ExplainerError, display_path
from ..languages import SOURCE_LANGUAGE, TAGS, Language, get_language
from ..library import Library, load_library
from ..resources import LOCALES_DIR, PROCEDURES_DIR
from ..review.coverage import STATES as REVIEW_STATES
from ..review.coverage import language_reviews
from ..review.records import approvals_path
from .paper import PaperReport, paper_report
from .readability import EASE_FORMULAS, measure

TARGET_GRADE = 6.0
MAX_GRADE = 8.0
LONG_SENTENCE = 25  # words
CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A separator between digits followed by exactly three digits groups thousands
# (our texts have no decimals with three places).
_GROUPING = re.compile(r"(?<=\d)[,.\u00a0\u202f\u2009'](?=\d{3}(?!\d))")
_RANGE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:to|-|\u2013)\s*(\d+(?:[.,]\d+)?)")
_SENTENCE_BREAK = re.compile(r"[.,;:!?\u3002\uff0c\uff1b\uff1a]")
_LINK = re.compile(r"!?\[[^\]]*\]\([^)]*\)|<(?:https?|file|javascript|data):[^>]*>", re.IGNORECASE)
REORDERED = "numbers-reordered"  # PO flag: the grammar puts these numbers in another order
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
_MARKUP = re.compile(r"\*\*|(?<!\*)\*(?!\*)|</?[A-Za-z][^>]*>|`")


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" or "warning"
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class CatalogStats:
    lang: str
    domain: str
    total: int
    translated: int
    untranslated: int
    fuzzy: int
    review: str  # "reviewed", "draft" or "source"

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


@dataclass(frozen=True)
class Readability:
    code: str
    grade: float
    longest_sentence_words: int
    ease: dict[str, tuple[str, float]]  # lang -> (formula, score)


@dataclass(frozen=True)
class ContentReview:
    """Clinical review of one English handout: 'reviewed', 'stale' or 'not reviewed'."""

    code: str
    state: str
    reviewer: str = ""
    date: str = ""


@dataclass(frozen=True)
class TranslationReviewStats:
    """One language's review by qualified translators (explainer/review/)."""

    lang: str
    state: str  # of every message: "reviewed", "partly reviewed" or "draft"
    approved: int
    messages: int
    handouts: dict[str, str]  # code -> "reviewed", "partly reviewed" or "draft"
    stale: list[str]  # approvals that no longer hold, described


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    catalogs: list[CatalogStats] = field(default_factory=list)
    readability: list[Readability] = field(default_factory=list)
    content_reviews: list[ContentReview] = field(default_factory=list)
    translation_reviews: list[TranslationReviewStats] = field(default_factory=list)
    paper: PaperReport | None = None  # from the built library's manifest, when there is one

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def add(self, severity: str, path: Path | str, line: int, message: str) -> None:
        shown = display_path(path) if isinstance(path, Path) else path
        self.findings.append(Finding(severity, shown, line, message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.errors,
            "errors": len(self.errors),
            "warnings": len(self.findings) - len(self.errors),
            "findings": [asdict(f) for f in self.findings],
            "catalogs": [asdict(c) | {"percent": round(c.percent, 1)} for c in self.catalogs],
            "readability": [asdict(r) for r in self.readability],
            "content_reviews": [asdict(r) for r in self.content_reviews],
            "translation_reviews": [asdict(r) for r in self.translation_reviews],
            "paper": asdict(self.paper) if self.paper else None,
        }


def run_checks(
    procedures_dir: Path = PROCEDURES_DIR, locales_dir: Path = LOCALES_DIR, built: Path | None = None
) -> Report:
    """Sources, catalogs and plain language; and the paper the library in `built`
    (an output folder) takes, as its last build measured it."""
    report = Report()
    library = _check_sources(procedures_dir, report)
    catalogs = _check_catalogs(locales_dir, report)
    if library is not None:
        _check_readability(library, catalogs, report)
        _check_translation_reviews(library, locales_dir, report)
    if built is not None:
        report.paper = paper_report(built)
        for problem in report.paper.problems:
            report.add("warning", built / problem.output, 1, problem.message)
    return report


# Sources ---------------------------------------------------------------------


def _check_sources(procedures_dir: Path, report: Report) -> Library | None:
    try:
        library = load_library(procedures_dir)
    except ContentError as error:
        for problem in error.problems:
            report.add("error", problem.path, problem.line, problem.message)
        return None
    for procedure in library.procedures.values():
        status = library.review_status(procedure)
        review = status.review
        report.content_reviews.append(
            ContentReview(
                procedure.code,
                status.state,
                f"{review.reviewer}, {review.credential}" if review else "",
                review.date.isoformat() if review else "",
            )
        )
        if status.state == "stale" and review:
            report.add(
                "warning",
                procedure.path,
                1,
                f"the clinical review by {review.reviewer} on {review.date} is stale: the English text "
                "changed since, so the handout says it is not reviewed; ask for a new review",
            )
        english = " ".join(m.text for m in procedure.messages()).lower()
        for term in procedure.terms:
            if not re.search(rf"\b{re.escape(term)}", english):
                report.add(
                    "warning",
                    procedure.path,
                    procedure.terms_line,
                    f"term '{term}' is never used in the text",
                )
    return library


# Translation review ----------------------------------------------------------


def _check_translation_reviews(library: Library, locales_dir: Path, report: Report) -> None:
    """Coverage per language and per handout, and every approval that went stale."""
    for tag in TAGS:
        if tag == SOURCE_LANGUAGE:
            continue
        try:
            reviews = language_reviews(get_language(tag), locales_dir)
        except ExplainerError as error:  # uncompiled catalogs, a bad review file
            report.add("error", locales_dir / tag, 1, str(error))
            continue
        whole = reviews.whole()
        handouts = {code: reviews.handout(p, library).state for code, p in library.procedures.items()}
        stale = [
            f"{r.domain} message '{r.text}' approved by {r.reviewer} on {r.date}" for r in reviews.stale()
        ]
        for description in stale:
            report.add(
                "warning",
                approvals_path(locales_dir, tag),
                1,
                f"stale approval: {description}; its English or its translation changed since "
                "(or the reviewer left reviewers.toml): review it again",
            )
        report.translation_reviews.append(
            TranslationReviewStats(tag, whole.state, whole.approved, whole.total, handouts, stale)
        )


# Catalogs --------------------------------------------------------------------


def _check_catalogs(locales_dir: Path, report: Report) -> dict[tuple[str, str], Catalog]:
    loaded: dict[tuple[str, str], Catalog] = {}
    terminology = _read_terminology(locales_dir / TERMINOLOGY_FILE, report)
    templates = {domain: _read_template(locales_dir / f"{domain}.pot", report) for domain in DOMAINS}
    for domain, ids in templates.items():
        count = len(ids or [])
        report.catalogs.append(CatalogStats(SOURCE_LANGUAGE, domain, count, count, 0, 0, "source"))
    for tag in TAGS:
        if tag == SOURCE_LANGUAGE:
            continue
        try:
            review = language_reviews(get_language(tag), locales_dir).whole().state
        except ExplainerError:  # said once, by the review check
            review = "draft"
        for domain in DOMAINS:
            path = locales_dir / tag / "LC_MESSAGES" / f"{domain}.po"
            catalog = _read_catalog(path, report)
            if catalog is None:
                continue
            loaded[tag, domain] = catalog
            _check_plural_header(tag, path, catalog, report)
            expected = templates[domain]
            if expected is not None:
                for msgid in sorted(set(expected) - {_msgid(m) for m in catalog if m.id}):
                    report.add("error", path, 1, f"missing message {_short(msgid)!r}: run `make update`")
            language = get_language(tag)
            rules = terminology.get(tag, [])
            for message in catalog:
                if message.id and message.string and not message.fuzzy:
                    problems = _message_problems(message, catalog) + _writing_problems(message, language)
                    for problem in problems + _terminology_problems(message, rules):
                        report.add("error", path, message.lineno, problem)
            stats = _stats(tag, domain, catalog, review)
            report.catalogs.append(stats)
            if stats.untranslated or stats.fuzzy:
                report.add(
                    "error",
                    path,
                    1,
                    f"{stats.untranslated} untranslated and {stats.fuzzy} fuzzy message(s): "
                    "translate them in a PO editor, then `make catalogs`",
                )
    return loaded


def _read_template(path: Path, report: Report) -> list[str] | None:
    if not path.is_file():
        report.add("error", path, 1, "template is missing: run `make extract`")
        return None
    with path.open("rb") as file:
        return [_msgid(m) for m in read_po(file) if m.id]


def _read_catalog(path: Path, report: Report) -> Catalog | None:
    if not path.is_file():
        report.add("error", path, 1, "catalog is missing: run `make update`")
        return None
    try:
        with path.open("rb") as file:
            return read_po(file, abort_invalid=True)
    except PoFileError as error:
        # Babel counts PO lines from 0 here, from 1 everywhere else.
        report.add("error", path, getattr(error, "lineno", 0) + 1, f"cannot parse: {error}")
    except (UnicodeDecodeError, ValueError) as error:
        report.add("error", path, 1, f"cannot parse: {error}")
    return None


def _check_plural_header(tag: str, path: Path, catalog: Catalog, report: Report) -> None:
    """The Plural-Forms header must split counts (0 to 1000) as CLDR does, forms in
    CLDR's order. Babel's own Arabic rule fails this (python-babel/babel#816)."""
    for problem in plural_problems(tag, catalog.num_plurals, catalog.plural_expr):
        report.add("error", path, _header_line(path, "Plural-Forms"), problem)


def plural_problems(tag: str, num_plurals: int, expression: str) -> list[str]:
    rule = Locale.parse(tag).plural_form
    try:
        choose = gettext.c2py(expression)
        pairs = {(choose(n), rule(n)) for n in range(1001)}
    except (ValueError, SyntaxError, ZeroDivisionError) as error:
        return [f"Plural-Forms expression {expression!r} is invalid: {error}"]
    by_form = dict(sorted(pairs))
    wanted = f"CLDR's rule for '{tag}': " + ", ".join(sorted(rule.tags | {"other"}, key=CLDR_ORDER.index))
    if not (len(by_form) == len(pairs) == len({c for _, c in pairs})):
        return [f"Plural-Forms does not match {wanted}"]
    if set(by_form) != set(range(num_plurals)):
        return [f"nplurals={num_plurals} does not match {wanted}"]
    order = [CLDR_ORDER.index(category) for category in by_form.values()]
    if order != sorted(order):
        return [f"plural forms are not in CLDR's order ({', '.join(by_form.values())}); {wanted}"]
    return []


def _message_problems(message: Message, catalog: Catalog) -> list[str]:
    """Industry-standard checks (as pofilter and Babel's checkers do), per form."""
    problems: list[str] = []
    sources = [message.id] if isinstance(message.id, str) else list(message.id)
    strings = [message.string] if isinstance(message.string, str) else list(message.string)
    if isinstance(message.id, tuple) and len(strings) != catalog.num_plurals:
        problems.append(f"has {len(strings)} plural forms; the header says {catalog.num_plurals}")
    missing = [str(i) for i, text in enumerate(strings) if not text]
    if missing:
        problems.append(f"plural form msgstr[{', '.join(missing)}] is empty")
    source = sources[-1]
    for text in (s for s in strings if s):
        for what, find in (
            ("placeholders differ", _placeholders),
            ("numbers differ", _numbers),
            ("markup differs", _markup),
        ):
            wanted, written = sorted(find(source)), sorted(find(text))
            if wanted != written:
                problems.append(f"{what}: source {wanted}, translation {written}")
        if sorted(_numbers(source)) == sorted(_numbers(text)):
            problems += _number_order(source, text, REORDERED in message.flags)
        problems += _links_and_images(text)
        if source.count("\n") != text.count("\n"):
            problems.append(
                f"line breaks differ: source has {source.count(chr(10))}, translation {text.count(chr(10))}"
            )
    return sorted(set(problems), key=problems.index)


TERMINOLOGY_FILE = "terminology.toml"


def _read_terminology(path: Path, report: Report) -> dict[str, list[dict[str, Any]]]:
    """Per language, words the translation review asked to avoid (locales/terminology.toml)."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        report.add("error", path, 1, f"not valid TOML: {error}")
        return {}
    rules: dict[str, list[dict[str, Any]]] = {}
    for tag, entries in data.items():
        for entry in entries if isinstance(entries, list) else [entries]:
            if not (
                isinstance(entry, dict) and entry.get("english") and entry.get("avoid") and entry.get("use")
            ):
                report.add("error", path, 1, f"a rule for '{tag}' needs english, avoid and use")
                continue
            rules.setdefault(tag, []).append(entry)
    return rules


def _terminology_problems(message: Message, rules: list[dict[str, Any]]) -> list[str]:
    sources = [message.id] if isinstance(message.id, str) else list(message.id)
    strings = [message.string] if isinstance(message.string, str) else list(message.string)
    problems = []
    for rule in rules:
        words = "|".join(re.escape(word) for word in rule["english"])
        if any(re.search(rf"\b({words})\b", source, re.IGNORECASE) for source in sources) and any(
            rule["avoid"].lower() in text.lower() for text in strings
        ):
            problems.append(
                f"terminology: where the English says {' or '.join(rule['english'])}, "
                f"write {rule['use']}, not '{rule['avoid']}' (locales/{TERMINOLOGY_FILE})"
            )
    return problems


_DECIMAL = re.compile(r"\d+[.,\u066b]\d+")
_FRENCH_SPACES = "\u00a0\u202f"


def _writing_problems(message: Message, language: Language) -> list[str]:
    """Conventions of the target language that a machine can check: decimal numbers
    written with CLDR's separator, and French spacing before : ; ! ? and inside « »."""
    problems: list[str] = []
    sources = [message.id] if isinstance(message.id, str) else list(message.id)
    strings = [message.string] if isinstance(message.string, str) else list(message.string)
    decimals = {_ascii_digits(d).replace(",", ".") for s in sources for d in re.findall(r"\d+\.\d+", s)}
    for text in (t for t in strings if t):
        for written in _DECIMAL.findall(text):
            value = _ascii_digits(written).replace(",", ".").replace("\u066b", ".")
            if value not in decimals:
                continue
            system = "latn" if written[0] in "0123456789" else "arab"
            wanted = language.number_locale.number_symbols.get(system, {}).get("decimal", ".")
            separator = next(c for c in written if not c.isdecimal())
            if separator != wanted:
                problems.append(
                    f"decimal number '{written}' should be written with '{wanted}' in '{language.tag}' (CLDR)"
                )
        if language.tag == "fr":
            problems += _french_spacing(text)
    return problems


def _french_spacing(text: str) -> list[str]:
    problems = []
    for index, char in enumerate(text):
        before = text[index - 1] if index else ""
        after = text[index + 1] if index + 1 < len(text) else ""
        if char in ":;!?»" and index and before not in _FRENCH_SPACES:
            if char == ":" and before.isdigit() and after.isdigit():
                continue  # a time such as 7:30
            shown = text[max(0, index - 12) : index + 1]
            problems.append(
                f"French spacing: put a no-break space (U+00A0 or U+202F) before '{char}' in '{shown}'"
            )
        if char == "«" and after not in _FRENCH_SPACES:
            problems.append(
                f"French spacing: put a no-break space (U+00A0 or U+202F) after '«' in '{text[index:][:12]}'"
            )
    return problems


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def _markup(text: str) -> list[str]:
    return sorted(_MARKUP.findall(text))


def _numbers(text: str) -> list[str]:
    """Numbers in the order written, any script's digits, with a decimal comma read as a
    point and thousands grouping (1,000 / 1.000 / 1 000 with a no-break space) removed."""
    return [n.replace(",", ".") for n in _NUMBER.findall(_plain_digits(text))]


def _plain_digits(text: str) -> str:
    ascii_text = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)
    ascii_text = ascii_text.replace("\u066b", ".").replace("\u066c", ",")  # Arabic separators
    return _GROUPING.sub("", ascii_text)


def _number_order(source: str, text: str, reordered: bool) -> list[str]:
    """The same numbers in the same order: "38 °F (100.4 °C)" for "100.4 °F (38 °C)", or
    "4 to 2 hours", is an error. Some grammars must reorder ("1 in 100" is "100 中 1" in
    Chinese): the translator marks such a message `#, numbers-reordered`, and then
    only ranges must keep their direction."""
    wanted, written = _numbers(source), _numbers(text)
    if not reordered:
        if wanted != written:
            return [
                f"numbers are in another order: source {wanted}, translation {written} "
                f"(if the grammar needs it, mark the message '#, {REORDERED}')"
            ]
        return []
    # A range is two numbers in a row, joined by a few letters ("2 到 5", "de 2 a 5").
    plain = _plain_digits(text)
    found = [(m.group().replace(",", "."), m.start(), m.end()) for m in _NUMBER.finditer(plain)]
    ranges = {
        (first[0], second[0])
        for first, second in itertools.pairwise(found)
        if second[1] - first[2] <= 12 and not _SENTENCE_BREAK.search(plain[first[2] : second[1]])
    }
    problems = []
    for low, high in _RANGE.findall(_plain_digits(source)):
        low, high = low.replace(",", "."), high.replace(",", ".")
        if (low, high) not in ranges:
            problems.append(f"the range {low} to {high} is reversed or broken in the translation")
    return problems


def _links_and_images(text: str) -> list[str]:
    """Markdown links and images print as text, but have no place in a translation."""
    found = _LINK.findall(text)
    return [f"a translation may not hold links or images: {found[0]!r}"] if found else []


def _stats(tag: str, domain: str, catalog: Catalog, review: str) -> CatalogStats:
    messages = [m for m in catalog if m.id]
    fuzzy = sum(1 for m in messages if m.fuzzy)
    untranslated = sum(1 for m in messages if not m.fuzzy and not _complete(m))
    return CatalogStats(
        tag, domain, len(messages), len(messages) - fuzzy - untranslated, untranslated, fuzzy, review
    )


def _complete(message: Message) -> bool:
    strings = [message.string] if isinstance(message.string, str) else list(message.string)
    return all(strings)


def _msgid(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _header_line(path: Path, name: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(f'"{name}:'):
            return number
    return 1


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Plain language ----------------------------------------------------------------


def _check_readability(library: Library, catalogs: dict[tuple[str, str], Catalog], report: Report) -> None:
    for procedure in library.procedures.values():
        body = [m.text for s in procedure.sections for b in s.blocks for m in b.items]
        reading = measure(body)
        if reading.grade > MAX_GRADE:
            report.add(
                "error", procedure.path, 1, f"reading grade {reading.grade:.1f} is above {MAX_GRADE:.0f}"
            )
        elif reading.grade > TARGET_GRADE:
            report.add(
                "warning", procedure.path, 1, f"reading grade {reading.grade:.1f} is above {TARGET_GRADE:.0f}"
            )
        for section in procedure.sections:
            part = measure([m.text for b in section.blocks for m in b.items])
            if part.grade > TARGET_GRADE:
                report.add(
                    "warning",
                    procedure.path,
                    section.heading.line,
                    f"section '{section.heading.text}' reads at grade {part.grade:.1f} "
                    f"(target {TARGET_GRADE:.0f} or lower)",
                )
        if reading.longest_words > LONG_SENTENCE:
            report.add(
                "warning",
                procedure.path,
                1,
                f"longest sentence has {reading.longest_words} words: {_short(reading.longest_sentence)!r}",
            )
        ease = {}
        for lang in EASE_FORMULAS:
            translated = (
                body if lang == SOURCE_LANGUAGE else _translate(body, catalogs.get((lang, "procedures")))
            )
            if translated:
                result = measure(translated, lang).ease(lang)
                if result:
                    ease[lang] = (result[0], round(result[1], 1))
        report.readability.append(
            Readability(procedure.code, round(reading.grade, 1), reading.longest_words, ease)
        )


def _translate(texts: list[str], catalog: Catalog | None) -> list[str]:
    if catalog is None:
        return []
    found = [catalog.get(text) for text in texts]
    return [m.string for m in found if m is not None and m.string and not m.fuzzy]


# Output --------------------------------------------------------------------------


def paper_lines(paper: PaperReport) -> list[str]:
    """The paper table for people: pages per language, as the last build measured them."""
    if not paper.measured:
        return ["Paper: not measured; build the library first (make library)"]
    rows = [[p.lang, str(p.pdfs), str(p.pages), str(p.worst)] for p in paper.languages]
    return [
        "Paper (PDFs as last built)",
        _table(["lang", "PDFs", "pages", "worst"], rows),
        f"PDFs that waste paper: {paper.wasteful} of {paper.measured}",
    ]


def format_text(report: Report) -> str:
    lines = [
        "Catalogs",
        _table(
            ["lang", "domain", "translated", "untranslated", "fuzzy", "complete", "review"],
            [
                [
                    c.lang,
                    c.domain,
                    str(c.translated),
                    str(c.untranslated),
                    str(c.fuzzy),
                    f"{c.percent:.0f}%",
                    c.review,
                ]
                for c in report.catalogs
            ],
        ),
        "",
        "Plain language (English reading grade; reading ease in other languages, higher is easier)",
    ]
    formulas = list(EASE_FORMULAS)
    header = ["code", "grade", "longest", *[f"{lang} {EASE_FORMULAS[lang][0]}" for lang in formulas]]
    rows = [
        [
            r.code,
            f"{r.grade:.1f}",
            str(r.longest_sentence_words),
            *[f"{r.ease[lang][1]:.0f}" if lang in r.ease else "-" for lang in formulas],
        ]
        for r in report.readability
    ]
    if report.readability:
        grades = [r.grade for r in report.readability]
        worst = max(report.readability, key=lambda r: r.grade)
        rows.append(["mean", f"{sum(grades) / len(grades):.1f}", "", *[""] * len(formulas)])
        lines += [_table(header, rows), f"worst: {worst.code} at grade {worst.grade:.1f}"]
    if report.content_reviews:
        states = [r.state for r in report.content_reviews]
        lines += [
            "",
            f"Clinical review of the English text: {states.count('reviewed')} of {len(states)} handouts "
            f"reviewed, {states.count('stale')} stale, {states.count('not reviewed')} not reviewed "
            "(procedures/reviews.toml)",
        ]
    if report.translation_reviews:
        rows = []
        for r in report.translation_reviews:
            states = list(r.handouts.values())
            rows.append(
                [
                    r.lang,
                    f"{r.approved}/{r.messages}",
                    *[str(states.count(state)) for state in REVIEW_STATES],
                    str(len(r.stale)),
                ]
            )
        lines += [
            "",
            "Translation review by qualified translators (messages approved; handouts by state)",
            _table(["lang", "messages", *REVIEW_STATES, "stale"], rows),
        ]
    if report.paper is not None:
        lines += ["", *paper_lines(report.paper)]
    lines.append("")
    lines += [str(f) for f in report.findings]
    errors, warnings = len(report.errors), len(report.findings) - len(report.errors)
    lines.append(f"{'FAILED' if errors else 'OK'}: {errors} error(s), {warnings} warning(s)")
    return "\n".join(lines)


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )
