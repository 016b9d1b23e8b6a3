"""The glossary: one plain definition per medical term, shared by every handout.

Format (procedures/glossary.md): a `## term` heading, then one paragraph. A
procedure names the terms it uses in its `terms:` header; the handout shows them
in a "Words to know" box. Terms and definitions are gettext messages like the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ContentError, ContentProblem
from .procedures import Message


@dataclass(frozen=True)
class Term:
    term: Message
    definition: Message

    @property
    def key(self) -> str:
        return self.term.text.lower()


@dataclass(frozen=True)
class Glossary:
    terms: dict[str, Term]
    path: Path

    def get(self, key: str) -> Term | None:
        return self.terms.get(key.lower())


def load_glossary(path: Path) -> Glossary:
    """Read and validate the glossary; raises ContentError listing every problem."""
    if not path.is_file():
        return Glossary({}, path)
    return parse_glossary(path.read_text(encoding="utf-8"), path)


def parse_glossary(text: str, path: Path) -> Glossary:
    problems: list[ContentProblem] = []
    entries: list[tuple[Message, list[tuple[str, int]]]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("## "):
            entries.append((Message(line[3:].strip(), number), []))
        elif line.startswith("#"):
            problems.append(
                ContentProblem(path, number, "only '## term' headings are allowed in the glossary")
            )
        elif line and not entries:
            problems.append(ContentProblem(path, number, "text before the first '## term' heading"))
        elif entries:
            entries[-1][1].append((line, number))
    terms: dict[str, Term] = {}
    for heading, lines in entries:
        paragraphs = _paragraphs(lines)
        if len(paragraphs) != 1:
            problems.append(
                ContentProblem(
                    path, heading.line, f"term '{heading.text}' needs exactly one paragraph defining it"
                )
            )
            continue
        term = Term(heading, paragraphs[0])
        if term.key in terms:
            problems.append(ContentProblem(path, heading.line, f"term '{heading.text}' is defined twice"))
        terms[term.key] = term
    if problems:
        raise ContentError(problems)
    return Glossary(terms, path)


def _paragraphs(lines: list[tuple[str, int]]) -> list[Message]:
    paragraphs: list[Message] = []
    current: list[tuple[str, int]] = []
    for text, number in [*lines, ("", 0)]:
        if text:
            current.append((text, number))
        elif current:
            paragraphs.append(Message(" ".join(t for t, _ in current), current[0][1]))
            current = []
    return paragraphs
