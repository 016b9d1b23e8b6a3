"""Finding handouts by words as well as codes.

SQLite's FTS5 (it ships with Python) with the trigram tokenizer: it matches
inside words, so Chinese and Korean (no spaces between words) and Arabic
(prefixes joined to words) are found like English. Terms shorter than three
characters, which trigrams cannot index, fall back to a LIKE scan of the same
few rows. Each language's index holds the translated title, subtitle, region
and keywords, and the English ones too, so a clerk may type either.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from dataclasses import dataclass

from .catalogs import Translator
from .errors import MalformedCode, UnknownProcedure
from .library import Library
from .procedures import Procedure, code_system, split_keywords

_WEIGHTS = (0.0, 10.0, 8.0, 4.0, 1.0)  # procedure (not indexed), codes, keywords, title, the rest


@dataclass(frozen=True)
class Hit:
    code: str
    matched: str  # what matched: "CPT" or "HCPCS" for a code, "words" for a word search


def fold(text: str) -> str:
    """Compatibility forms, case and Latin, Greek and Cyrillic accents folded, so
    'Colonoscopía' finds 'colonoscopia' (Hangul and Arabic come back unchanged)."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not "\u0300" <= c <= "\u036f")
    return unicodedata.normalize("NFC", kept).casefold()


def search(library: Library, translator: Translator, query: str) -> list[Hit]:
    """Procedures matching every word of the query (or its code), best first."""
    query = query.strip()
    if not query:
        return []
    code = query.upper()
    if code_system(code):
        try:
            procedure, system = library.lookup(code)
            return [Hit(procedure.code, system)]
        except (UnknownProcedure, MalformedCode):
            pass  # an unknown code may still be a word: search on
    terms = fold(query).split()
    # One FTS5 expression for the terms trigrams can index (so bm25 ranks on all of
    # them), and a LIKE scan for the shorter ones.
    phrases = ['"' + term.replace('"', '""') + '"' for term in terms if len(term) >= 3]
    short = ["%" + term.replace("%", "").replace("_", "") + "%" for term in terms if len(term) < 3]
    clauses = ["handouts MATCH ?"] if phrases else []
    clauses += ["(code || ' ' || keywords || ' ' || title || ' ' || rest) LIKE ?"] * len(short)
    weights = ", ".join(map(str, _WEIGHTS))
    # Handouts whose title holds the words come first, then FTS5's bm25 order.
    in_title = " + ".join(["(instr(title, ?) > 0)"] * len(terms))
    rank = f"{in_title} DESC, " + (f"bm25(handouts, {weights}), " if phrases else "")
    with _index(library, translator) as db:
        rows = db.execute(
            f"SELECT procedure FROM handouts WHERE {' AND '.join(clauses)} ORDER BY {rank}procedure",
            ([" AND ".join(phrases)] if phrases else []) + short + terms,
        ).fetchall()
    return [Hit(row[0], "words") for row in rows]


class _index:
    """An in-memory FTS5 table of one language's handouts (a few dozen rows: built per search)."""

    def __init__(self, library: Library, translator: Translator) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE handouts USING fts5("
            "procedure UNINDEXED, code, keywords, title, rest, tokenize='trigram')"
        )
        self.db.executemany(
            "INSERT INTO handouts VALUES (?, ?, ?, ?, ?)",
            [_row(p, translator) for p in library.procedures.values()],
        )

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, *_: object) -> None:
        self.db.close()


def _row(procedure: Procedure, translator: Translator) -> tuple[str, str, str, str, str]:
    def both(text: str) -> str:
        translated = translator.text(text).text
        return translated if translated == text else f"{translated} {text}"

    keywords = " ".join(split_keywords(both(procedure.keywords.text))) if procedure.keywords else ""
    codes = " ".join([procedure.code, *(code for _, code in procedure.other_codes)])
    rest = " ".join(both(m.text) for m in (procedure.subtitle, procedure.region))
    return (procedure.code, fold(codes), fold(keywords), fold(both(procedure.title.text)), fold(rest))
