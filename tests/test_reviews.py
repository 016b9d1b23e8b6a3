"""Clinical review of the English text: shown only while it matches today's text."""

from __future__ import annotations

import pytest

from explainer.errors import ContentError
from explainer.languages import get_language
from explainer.library import load_library
from explainer.render import render_html, render_json

from .conftest import pdf_text, squash

REVIEW = """
[63271]
reviewer = "Dr. Ada Example"
credential = "MD, neurosurgeon"
organisation = "Example Hospital"
date = 2027-01-15
digest = "{digest}"
"""


@pytest.fixture
def reviewed(source_copy):
    """A copy of the sources with a recorded review of 63271's current text."""
    digest = load_library(source_copy).digest(load_library(source_copy).get("63271"))
    (source_copy / "reviews.toml").write_text(REVIEW.format(digest=digest), encoding="utf-8")
    return source_copy


def test_no_handout_claims_a_review_that_was_not_recorded(library):
    english = get_language("en")
    for code in library.codes:
        html = render_html(library.get(code), english, library)
        assert "Not yet reviewed by a clinician." in html
        assert "Checked by a clinician" not in html and "Last reviewed" not in html
        assert render_json(library.get(code), english, library)["clinical_review"] == {
            "status": "not reviewed"
        }


def test_a_recorded_review_of_the_current_text_is_shown(reviewed):
    library = load_library(reviewed)
    procedure = library.get("63271")
    assert library.review_status(procedure).state == "reviewed"
    html = render_html(procedure, get_language("en"), library)
    assert "Checked by a clinician: Dr. Ada Example, MD, neurosurgeon, on January 15, 2027." in html
    assert "Not yet reviewed by a clinician" not in html
    data = render_json(procedure, get_language("en"), library)["clinical_review"]
    assert data["status"] == "reviewed" and data["date"] == "2027-01-15"
    # Only 63271 was reviewed: its siblings still say so.
    assert "Not yet reviewed by a clinician." in render_html(
        library.get("63272"), get_language("en"), library
    )


def test_a_change_to_the_text_makes_the_review_stale(reviewed):
    path = reviewed / "63271.md"
    path.write_text(
        path.read_text().replace("Most people stay 2 to 5 days.", "Most people stay 3 to 6 days.")
    )
    library = load_library(reviewed)
    procedure = library.get("63271")
    status = library.review_status(procedure)
    assert status.state == "stale" and status.current is None
    html = render_html(procedure, get_language("en"), library)
    assert "Dr. Ada Example" not in html and "Not yet reviewed by a clinician." in html
    assert render_json(procedure, get_language("en"), library)["clinical_review"] == {
        "status": "stale",
        "stale_review_date": "2027-01-15",
    }


def test_a_glossary_change_also_makes_the_review_stale(reviewed):
    glossary = reviewed / "glossary.md"
    glossary.write_text(glossary.read_text().replace("The tough covering", "The strong covering"))
    assert load_library(reviewed).review_status(load_library(reviewed).get("63271")).state == "stale"


def test_the_pdf_footer_dates_only_a_current_review(reviewed):
    from explainer.pdf import render_pdf

    library = load_library(reviewed)
    text = squash(pdf_text(render_pdf(library.get("63271"), get_language("en"), library)))
    assert "Checked by a clinician on January 15, 2027" in text
    assert "Not yet reviewed" not in text


def test_bad_review_records_are_named(source_copy):
    reviews = source_copy / "reviews.toml"
    reviews.write_text('[63271]\nreviewer = "X"\ndate = "soon"\ndigest = "abc"\ncolour = "blue"\n')
    with pytest.raises(ContentError) as caught:
        load_library(source_copy)
    messages = str(caught.value)
    assert "reviews.toml:1: [63271] has unknown field(s) colour" in messages
    assert "[63271] is missing credential" in messages
    reviews.write_text(
        '[99999]\nreviewer = "Y"\ncredential = "RN"\ndate = 2027-01-01\ndigest = "sha256:' + "0" * 64 + '"\n'
    )
    with pytest.raises(ContentError, match="review for 99999, which has no procedure"):
        load_library(source_copy)
