"""What the built library costs in paper, read from the build's manifest.

Every PDF the build writes records its page count and how full its last page is
(pdf.py measures both from the layout). A clinic prints these by the thousand,
so a last page less than a third full, or a translation more than one page
longer than the English of the same handout, is reported by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..build import read_manifest
from ..languages import SOURCE_LANGUAGE

NEARLY_EMPTY = 1 / 3
EXTRA_PAGES = 1  # a translation may take at most this many pages more than the English


@dataclass(frozen=True)
class LanguagePaper:
    lang: str
    pdfs: int
    pages: int
    worst: int  # the most pages of any one handout


@dataclass(frozen=True)
class PaperProblem:
    output: str  # e.g. "de/63280.pdf"
    message: str


@dataclass(frozen=True)
class PaperReport:
    languages: list[LanguagePaper]
    problems: list[PaperProblem]
    measured: int  # PDFs with a recorded measurement

    @property
    def pages(self) -> int:
        return sum(language.pages for language in self.languages)

    @property
    def wasteful(self) -> int:
        """PDFs with at least one problem (a PDF may have both)."""
        return len({problem.output for problem in self.problems})


def paper_report(output_dir: Path) -> PaperReport:
    """Pages per language and the PDFs that waste paper, as last built into output_dir."""
    pages: dict[tuple[str, str], int] = {}
    fills: dict[tuple[str, str], float] = {}
    for name, entry in read_manifest(output_dir).items():
        lang, _, file = name.partition("/")
        if not file.endswith(".pdf") or not isinstance(entry.get("pages"), int):
            continue
        code = file.removesuffix(".pdf")
        pages[lang, code] = entry["pages"]
        fills[lang, code] = float(entry.get("last_page_fill", 1.0))
    problems = []
    for (lang, code), count in sorted(pages.items()):
        name = f"{lang}/{code}.pdf"
        if count > 1 and fills[lang, code] < NEARLY_EMPTY:
            problems.append(
                PaperProblem(name, f"its last page is {fills[lang, code]:.0%} full (at least a third wanted)")
            )
        english = pages.get((SOURCE_LANGUAGE, code))
        if english is not None and count > english + EXTRA_PAGES:
            problems.append(
                PaperProblem(name, f"{count} pages, the English {english} (at most {EXTRA_PAGES} more)")
            )
    languages = []
    for lang in sorted({lang for lang, _ in pages}):
        counts = [count for (other, _), count in pages.items() if other == lang]
        languages.append(LanguagePaper(lang, len(counts), sum(counts), max(counts)))
    return PaperReport(languages, problems, len(pages))
