"""Procedure sources: plain-language Markdown with a small metadata header.

A source is read into blocks (paragraphs and list items), each remembering its
line: every block is one gettext message, and every problem names its line.
"""

from __future__ import annotations

import datetime
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ContentError, ContentProblem

SYSTEM = "CPT"
# Code systems a handout can be found by: its own CPT code, and HCPCS Level II
# codes that name the same procedure (a screening colonoscopy, say).
CODE_SYSTEMS = {
    "CPT": re.compile(r"\d{4}[\dFT]"),
    "HCPCS": re.compile(r"[A-V]\d{4}"),
}
SYSTEM_OIDS = {"CPT": "2.16.840.1.113883.6.12", "HCPCS": "2.16.840.1.113883.6.285"}


_KEYWORD_SEPARATOR = re.compile("[;\uff1b\u061b]")


def split_keywords(text: str) -> list[str]:
    """A keyword list as written: ';' in English, and in a translation also the
    full-width (Chinese) or Arabic semicolon, which translators use naturally."""
    return [word.strip() for word in _KEYWORD_SEPARATOR.split(text) if word.strip()]


def N_(message: str) -> str:
    """Marks an interface message for extraction; it is translated where it is shown."""
    return message


# Body systems the library is browsed by: key -> label (an interface message).
GROUPS = {
    "digestive": N_("Digestive system and belly"),
    "eye": N_("Eyes"),
    "spine": N_("Spine and nerves"),
    "joints": N_("Bones and joints"),
    "hand": N_("Hand and wrist"),
    "ent": N_("Ear, nose and throat"),
    "heart": N_("Heart and blood vessels"),
}
# The order patients read in (PEMAT-P, MedlinePlus): the message first, then
# what and why, risks and choices, before, after, at home, when to get help.
KEY_POINTS = "Key points"
HOME_CARE = "Caring for yourself at home"
GET_HELP = "When to get help"
SECTIONS: tuple[str, ...] = (
    KEY_POINTS,
    "In simple words",
    "Why it is done",
    "What happens during the procedure",
    "Risks",
    "Other choices",
    "Getting ready",
    "After the procedure",
    HOME_CARE,
    GET_HELP,
    "Questions to ask",
)
OPTIONAL_SECTIONS = ("Risks", "Other choices")
# Headings that may stand in for a section's usual one (same place, same shape):
# handouts written to parents say whom the home care is for.
HEADING_VARIANTS = {"Caring for your child at home": HOME_CARE}


def section_name(heading: str) -> str:
    """The section a heading opens, whichever of its wordings the source uses."""
    return HEADING_VARIANTS.get(heading, heading)


# "When to get help" is split into these levels (### headings), most urgent first.
LEVELS: tuple[str, ...] = ("Call 911", "Go to the emergency room now", "Call your care team today")
LEVEL_LIST = ", ".join(f"'### {level}'" for level in LEVELS)
KEY_POINTS_RANGE = (3, 5)
TITLE_MAX_WORDS = 10
HEADER_FIELDS = (
    "code",
    "system",
    "title",
    "subtitle",
    "region",
    "related",
    "terms",
    "picture",
    "references",
    "group",
    "keywords",
    "codes",
    "changed",
)
OPTIONAL_FIELDS = ("terms", "picture", "keywords", "codes")
RENAMED_FIELDS = {
    "reviewed": "'reviewed' is now 'changed' (the day the text last changed); "
    "clinical reviews are recorded in procedures/reviews.toml",
}
CODE_PATTERN = re.compile(r"\d{4}[\dFT]")
CODE_FORMAT = "five characters: five digits (63271), or four digits then F or T (0001F, 0042T)"

_BULLET = re.compile(r"[-*] +(?P<text>.*)")
_NUMBERED = re.compile(r"\d{1,2}[.)] +(?P<text>.*)")
_HEADING = re.compile(r"(?P<marks>#{1,6}) +(?P<text>.*?)\s*#*\s*$")
_FIELD = re.compile(r"(?P<key>[A-Za-z_]+):\s*(?P<value>.*)$")
_RAW_HTML = re.compile(r"<[A-Za-z!/]")


@dataclass(frozen=True)
class Message:
    """A translatable unit of a source: its English text and where it stands."""

    text: str
    line: int


@dataclass(frozen=True)
class Block:
    """A paragraph, a bulleted list or a numbered list."""

    kind: str  # "paragraph", "bullets", "steps", or "level" (a ### heading in "When to get help")
    items: tuple[Message, ...]


@dataclass(frozen=True)
class Section:
    heading: Message
    blocks: tuple[Block, ...]

    @property
    def slug(self) -> str:
        return slug(section_name(self.heading.text))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class Procedure:
    code: str
    system: str
    title: Message
    subtitle: Message
    region: Message
    related: tuple[str, ...]
    changed: datetime.date
    sections: tuple[Section, ...]
    path: Path
    references: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    picture: str | None = None
    group: str = "spine"
    keywords: Message | None = None  # plain search words, separated by semicolons
    other_codes: tuple[tuple[str, str], ...] = ()  # (system, code): HCPCS codes for the same procedure
    related_line: int = 0
    terms_line: int = 0
    references_line: int = 0
    picture_line: int = 0

    def messages(self) -> list[Message]:
        """Every translatable unit, in reading order: what the catalogs must cover."""
        found = [self.title, self.subtitle, self.region, *([self.keywords] if self.keywords else [])]
        for section in self.sections:
            found.append(section.heading)
            found.extend(item for block in section.blocks for item in block.items)
        return found

    @property
    def word_count(self) -> int:
        return sum(len(m.text.split()) for m in self.messages())


def is_code(text: str) -> bool:
    return CODE_PATTERN.fullmatch(text) is not None


def code_system(text: str) -> str | None:
    """Which code system a code's form belongs to (CPT or HCPCS), or None."""
    return next((name for name, pattern in CODE_SYSTEMS.items() if pattern.fullmatch(text)), None)


def load_procedure(path: Path) -> Procedure:
    """Read and validate one source; raises ContentError listing every problem."""
    return parse_procedure(path.read_text(encoding="utf-8"), path)


def parse_procedure(text: str, path: Path) -> Procedure:
    parser = _Parser(text.splitlines(), path)
    procedure = parser.parse()
    if parser.problems:
        raise ContentError(parser.problems)
    assert procedure is not None
    return procedure


@dataclass
class _Parser:
    lines: list[str]
    path: Path
    problems: list[ContentProblem] = field(default_factory=list)

    def problem(self, line: int, message: str) -> None:
        self.problems.append(ContentProblem(self.path, line, message))

    def parse(self) -> Procedure | None:
        fields, body_start = self._header()
        sections = self._sections(body_start)
        return self._build(fields, sections)

    def _header(self) -> tuple[dict[str, tuple[str, int]], int]:
        fields: dict[str, tuple[str, int]] = {}
        if not self.lines or self.lines[0].strip() != "---":
            self.problem(1, "the file must start with a '---' line opening the metadata header")
            return fields, 0
        for index in range(1, len(self.lines)):
            number, line = index + 1, self.lines[index]
            if line.strip() == "---":
                return fields, index + 1
            if not line.strip():
                continue
            match = _FIELD.match(line)
            if not match:
                self.problem(number, f"expected 'name: value' in the header, found {line!r}")
                continue
            key, value = match["key"].lower(), match["value"].strip()
            if key in RENAMED_FIELDS:
                self.problem(number, RENAMED_FIELDS[key])
            elif key not in HEADER_FIELDS:
                self.problem(number, f"unknown header field '{key}'; known: {', '.join(HEADER_FIELDS)}")
            elif key in fields:
                self.problem(number, f"header field '{key}' is given twice")
            else:
                fields[key] = (value, number)
        self.problem(len(self.lines), "the metadata header is never closed with a '---' line")
        return fields, len(self.lines)

    def _sections(self, start: int) -> list[tuple[Message, list[Block]]]:
        sections: list[tuple[Message, list[Block]]] = []
        paragraph: list[tuple[str, int]] = []
        current_list: tuple[str, list[Message]] | None = None

        def flush() -> None:
            nonlocal paragraph, current_list
            if paragraph and sections:
                text = " ".join(part for part, _ in paragraph)
                sections[-1][1].append(Block("paragraph", (Message(text, paragraph[0][1]),)))
            if current_list and sections:
                sections[-1][1].append(Block(current_list[0], tuple(current_list[1])))
            paragraph, current_list = [], None

        for index in range(start, len(self.lines)):
            number, raw = index + 1, self.lines[index]
            line = raw.strip()
            if not line:
                flush()
                continue
            if _RAW_HTML.search(line):
                self.problem(number, "HTML is not allowed in procedure sources; write plain text")
                continue
            heading = _HEADING.match(line)
            if heading:
                flush()
                if len(heading["marks"]) == 3 and sections and sections[-1][0].text == GET_HELP:
                    sections[-1][1].append(Block("level", (Message(heading["text"], number),)))
                    continue
                if len(heading["marks"]) != 2:
                    self.problem(
                        number, f"only '## ' section headings, and '### ' levels in '{GET_HELP}', are allowed"
                    )
                    continue
                sections.append((Message(heading["text"], number), []))
                continue
            if not sections:
                self.problem(number, f"text before the first section; start with '## {SECTIONS[0]}'")
                continue
            item = _BULLET.fullmatch(line) or _NUMBERED.fullmatch(line)
            if item and not raw.startswith((" ", "\t")):
                kind = "bullets" if _BULLET.fullmatch(line) else "steps"
                if paragraph or (current_list and current_list[0] != kind):
                    flush()
                if current_list is None:
                    current_list = (kind, [])
                current_list[1].append(Message(item["text"].strip(), number))
            elif current_list and raw.startswith((" ", "\t")):
                last = current_list[1][-1]
                current_list[1][-1] = Message(f"{last.text} {line}", last.line)
            elif current_list:
                self.problem(number, "a paragraph must be separated from a list by a blank line")
            elif line.startswith((">", "|", "```", "    ")):
                self.problem(number, "only paragraphs and lists are allowed in a section")
            else:
                paragraph.append((line, number))
        flush()
        self._check_section_order(sections)
        return sections

    def _check_section_order(self, sections: list[tuple[Message, list[Block]]]) -> None:
        found = [section_name(heading.text) for heading, _ in sections]
        for heading, blocks in sections:
            name = section_name(heading.text)
            if name not in SECTIONS:
                self.problem(
                    heading.line,
                    f"unknown section '{heading.text}'; sections are, in order: {'; '.join(SECTIONS)}",
                )
            elif found.count(name) > 1:
                self.problem(heading.line, f"section '{heading.text}' appears more than once")
            elif not blocks:
                self.problem(heading.line, f"section '{heading.text}' is empty")
        latest = -1
        for heading, _ in sections:
            name = section_name(heading.text)
            if name not in SECTIONS:
                continue
            position = SECTIONS.index(name)
            if position < latest:
                self.problem(
                    heading.line,
                    f"section '{heading.text}' is out of order; it comes before '{SECTIONS[latest]}'",
                )
            latest = max(latest, position)
        end = len(self.lines) or 1
        for name in SECTIONS:
            if name not in found and name not in OPTIONAL_SECTIONS:
                self.problem(end, f"missing section '## {name}'")
        for heading, blocks in sections:
            self._check_shape(heading, blocks)

    def _check_shape(self, heading: Message, blocks: list[Block]) -> None:
        """Sections whose shape the handout relies on: a short list of key points,
        a numbered checklist for home care, and the three levels of urgency."""
        name = section_name(heading.text)
        if name == KEY_POINTS:
            low, high = KEY_POINTS_RANGE
            if [b.kind for b in blocks] != ["bullets"] or not low <= len(blocks[0].items) <= high:
                self.problem(heading.line, f"'{KEY_POINTS}' must be one '-' list of {low} to {high} points")
        elif name == HOME_CARE and "steps" not in [b.kind for b in blocks]:
            self.problem(heading.line, f"'{HOME_CARE}' must hold a numbered checklist ('1.' items)")
        elif name == GET_HELP:
            levels = [b.items[0] for b in blocks if b.kind == "level"]
            for level in levels:
                if level.text not in LEVELS:
                    self.problem(level.line, f"unknown level '{level.text}'; levels are: {'; '.join(LEVELS)}")
            if [level.text for level in levels] != list(LEVELS):
                self.problem(
                    heading.line,
                    f"'{GET_HELP}' needs the levels {LEVEL_LIST}, in that order",
                )
            elif (
                blocks[0].kind != "level"
                or any(a.kind == "level" and b.kind == "level" for a, b in itertools.pairwise(blocks))
                or blocks[-1].kind == "level"
            ):
                self.problem(heading.line, f"every level in '{GET_HELP}' must be followed by its list")

    def _build(
        self, fields: dict[str, tuple[str, int]], sections: list[tuple[Message, list[Block]]]
    ) -> Procedure | None:
        header_end = 1
        for key in HEADER_FIELDS:
            if key not in fields and key not in OPTIONAL_FIELDS:
                self.problem(header_end, f"missing header field '{key}'")
        code, code_line = fields.get("code", ("", 1))
        if "code" in fields and not is_code(code):
            self.problem(code_line, f"'{code}' is not a CPT code; a CPT code is {CODE_FORMAT}")
        elif "code" in fields and self.path.stem != code:
            self.problem(code_line, f"code {code} does not match the file name {self.path.name}")
        system, system_line = fields.get("system", (SYSTEM, 1))
        if system != SYSTEM:
            self.problem(system_line, f"code system '{system}' is not supported; use '{SYSTEM}'")
        for key in ("title", "subtitle", "region", "references"):
            if key in fields and not fields[key][0]:
                self.problem(fields[key][1], f"header field '{key}' is empty")
        title_text, title_line = fields.get("title", ("", 1))
        if len(title_text.split()) > TITLE_MAX_WORDS:
            self.problem(
                title_line,
                f"the title has {len(title_text.split())} words; keep it to {TITLE_MAX_WORDS} "
                "and say the rest in 'subtitle'",
            )
        related_text, related_line = fields.get("related", ("", 1))
        related = tuple(part.strip() for part in related_text.split(",") if part.strip())
        for other in related:
            if not is_code(other):
                self.problem(
                    related_line, f"related code '{other}' is not a CPT code; a CPT code is {CODE_FORMAT}"
                )
            elif other == code:
                self.problem(related_line, f"a procedure cannot be related to itself ({code})")
        if len(set(related)) != len(related):
            self.problem(related_line, "a related code is listed twice")
        terms_text, terms_line = fields.get("terms", ("", 1))
        terms = tuple(part.strip().lower() for part in terms_text.split(",") if part.strip())
        if len(set(terms)) != len(terms):
            self.problem(terms_line, "a term is listed twice")
        references_text, references_line = fields.get("references", ("", 1))
        references = tuple(part.strip() for part in references_text.split(",") if part.strip())
        if len(set(references)) != len(references):
            self.problem(references_line, "a reference is listed twice")
        picture, picture_line = fields.get("picture", ("", 1))
        group, group_line = fields.get("group", ("", 1))
        if "group" in fields and group not in GROUPS:
            self.problem(group_line, f"unknown group '{group}'; groups: {', '.join(GROUPS)}")
        keywords_text, keywords_line = fields.get("keywords", ("", 1))
        other_codes: list[tuple[str, str]] = []
        codes_text, codes_line = fields.get("codes", ("", 1))
        for part in (p.strip() for p in codes_text.split(",") if p.strip()):
            system_name, _, other = part.partition(" ")
            other = other.strip().upper()
            if system_name not in CODE_SYSTEMS or system_name == SYSTEM:
                self.problem(codes_line, f"'{part}': name another code system first, as in 'HCPCS G0121'")
            elif not CODE_SYSTEMS[system_name].fullmatch(other):
                self.problem(codes_line, f"'{other}' is not a {system_name} code (a letter A-V, 4 digits)")
            else:
                other_codes.append((system_name, other))
        changed_text, changed_line = fields.get("changed", ("", 1))
        changed = datetime.date(1970, 1, 1)
        if "changed" in fields:
            try:
                changed = datetime.date.fromisoformat(changed_text)
            except ValueError:
                self.problem(changed_line, f"changed date '{changed_text}' must be written YYYY-MM-DD")
        if self.problems:
            return None
        return Procedure(
            code=code,
            system=system,
            title=Message(fields["title"][0], fields["title"][1]),
            subtitle=Message(fields["subtitle"][0], fields["subtitle"][1]),
            region=Message(fields["region"][0], fields["region"][1]),
            related=related,
            changed=changed,
            sections=tuple(Section(h, tuple(b)) for h, b in sections),
            path=self.path,
            references=references,
            terms=terms,
            picture=picture or None,
            group=group,
            keywords=Message(keywords_text, keywords_line) if keywords_text else None,
            other_codes=tuple(other_codes),
            related_line=related_line,
            terms_line=terms_line,
            references_line=references_line,
            picture_line=picture_line,
        )
