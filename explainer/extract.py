"""Babel extractor for procedure sources: one message per title, heading,
paragraph or list item, so `pybabel extract` builds the `procedures` domain."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from .glossary import parse_glossary
from .procedures import parse_procedure


def extract_procedure(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel's extractor interface: yields (lineno, funcname, message, comments)."""
    path = Path(getattr(fileobj, "name", "<procedure>"))
    procedure = parse_procedure(fileobj.read().decode("utf-8"), path)
    yield procedure.title.line, None, procedure.title.text, ["Title of a procedure handout."]
    yield (
        procedure.subtitle.line,
        None,
        procedure.subtitle.text,
        ["Subtitle: one plain sentence under the title."],
    )
    yield procedure.region.line, None, procedure.region.text, ["Part of the body the procedure treats."]
    if procedure.keywords:
        yield (
            procedure.keywords.line,
            None,
            procedure.keywords.text,
            [
                "Search words, separated by semicolons: translate each, keep the semicolons, and add "
                "everyday words people in your language type to find this procedure."
            ],
        )
    for section in procedure.sections:
        yield section.heading.line, None, section.heading.text, ["Section heading."]
        for block in section.blocks:
            note = {
                "paragraph": "Paragraph",
                "bullets": "List item",
                "steps": "Numbered step",
                "level": "Level of urgency (a heading)",
            }[block.kind]
            for item in block.items:
                comments = [f"{note} in '{section.heading.text}'."]
                if "*" in item.text:
                    comments.append("Keep the Markdown emphasis marks (*, **) around the same words.")
                yield item.line, None, item.text, comments


def extract_glossary(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel's extractor interface, for the glossary: each term and its definition."""
    glossary = parse_glossary(fileobj.read().decode("utf-8"), Path(getattr(fileobj, "name", "<glossary>")))
    for term in glossary.terms.values():
        yield term.term.line, None, term.term.text, ["Medical term, shown in the 'Words to know' box."]
        yield term.definition.line, None, term.definition.text, [f"Plain definition of '{term.term.text}'."]
