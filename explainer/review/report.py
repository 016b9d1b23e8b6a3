"""The review report for a clinic's compliance file: for one language, every
handout, every message it shows, who approved each and when, and what is
still a draft. A CSV for spreadsheets and a PDF for the binder, made from the
same rows."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ..languages import Language
from ..library import Library
from ..output import write_atomic
from ..resources import TEMPLATES_DIR
from .coverage import LanguageReviews, MessageReview, TranslationReview, language_reviews

COLUMNS = (
    "handout",
    "title",
    "catalog",
    "english",
    "translation",
    "state",
    "reviewer",
    "credential",
    "organisation",
    "date",
)


@dataclass(frozen=True)
class ReportRow:
    handout: str  # a code, or "interface" for the text every handout shares
    title: str
    message: MessageReview
    reviewer: str = ""
    credential: str = ""
    organisation: str = ""
    date: str = ""

    def cells(self) -> list[str]:
        translation = (self.message.translation or "").replace("\0", " | ")
        return [
            self.handout,
            self.title,
            self.message.domain,
            self.message.english,
            translation,
            self.message.state,
            self.reviewer,
            self.credential,
            self.organisation,
            self.date,
        ]


def report_rows(reviews: LanguageReviews, library: Library, codes: list[str]) -> list[ReportRow]:
    """A row per message and per approval of it; a message nobody approved gets one row."""
    rows: list[ReportRow] = []
    sections = [("interface", "Interface text every handout shows", reviews.interface())]
    for code in codes:
        procedure = library.procedures[code]
        messages = [reviews.message("procedures", m) for m in dict.fromkeys(library.messages_for(procedure))]
        sections.append((code, procedure.title.text, messages))
    for handout, title, messages in sections:
        for message in messages:
            records = message.approvals or message.proposals
            if not records:
                rows.append(ReportRow(handout, title, message))
            for r in records:
                who = reviews.reviewers[r.reviewer]
                signed = (who.name, who.credential, who.organisation, r.date)
                rows.append(ReportRow(handout, title, message, *signed))
    return rows


def write_report(
    language: Language, library: Library, locales_dir: Path, folder: Path, codes: list[str]
) -> tuple[Path, Path]:
    """review-<tag>.csv and review-<tag>.pdf in `folder`, for these handouts; their paths."""
    from ..pdf import render_document

    reviews = language_reviews(language, locales_dir)
    rows = report_rows(reviews, library, codes)
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(row.cells() for row in rows)
    csv_path, pdf_path = folder / f"review-{language.tag}.csv", folder / f"review-{language.tag}.pdf"
    handouts: dict[str, TranslationReview] = {
        code: reviews.handout(library.procedures[code], library) for code in codes
    }
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=jinja2.StrictUndefined
    )
    html = environment.get_template("review_report.html").render(
        language=language,
        rows=rows,
        handouts=handouts,
        library=library,
        whole=reviews.whole(),
        stale=reviews.stale(),
        today=datetime.date.today().isoformat(),
    )
    write_atomic(csv_path, table.getvalue().encode("utf-8"))
    write_atomic(pdf_path, render_document(html))
    return csv_path, pdf_path
