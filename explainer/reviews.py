"""Clinical reviews of the English handouts, and whether each still holds.

A review is recorded for the exact text a clinician read (a digest of it), so a
handout can say "checked by a clinician" only while its text is unchanged: any
edit makes the review stale and the handout says again that nobody checked it.
"""

from __future__ import annotations

import datetime
import hashlib
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import ContentError, ContentProblem

FIELDS = ("reviewer", "credential", "organisation", "date", "digest")
REQUIRED = ("reviewer", "credential", "date", "digest")


@dataclass(frozen=True)
class ClinicalReview:
    reviewer: str
    credential: str
    organisation: str
    date: datetime.date
    digest: str


@dataclass(frozen=True)
class ReviewStatus:
    """'reviewed' (the review matches today's text), 'stale' (the text changed
    since) or 'not reviewed'."""

    state: str
    review: ClinicalReview | None = None

    @property
    def current(self) -> ClinicalReview | None:
        return self.review if self.state == "reviewed" else None


def text_digest(texts: Iterable[str]) -> str:
    """The digest of the English a handout shows, in reading order."""
    hasher = hashlib.sha256()
    for text in texts:
        hasher.update(text.encode("utf-8"))
        hasher.update(b"\0")
    return "sha256:" + hasher.hexdigest()


def status(review: ClinicalReview | None, digest: str) -> ReviewStatus:
    if review is None:
        return ReviewStatus("not reviewed")
    return ReviewStatus("reviewed" if review.digest == digest else "stale", review)


def load_reviews(path: Path) -> dict[str, ClinicalReview]:
    """Read procedures/reviews.toml; raises ContentError naming every bad entry."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ContentError([ContentProblem(path, 1, f"not valid TOML: {error}")]) from None
    reviews: dict[str, ClinicalReview] = {}
    problems: list[str] = []
    for code, entry in data.items():
        if not isinstance(entry, dict):
            problems.append(f"'{code}' must be a table ([{code}]) with {', '.join(REQUIRED)}")
            continue
        unknown = sorted(set(entry) - set(FIELDS))
        missing = [key for key in REQUIRED if not entry.get(key)]
        if unknown:
            problems.append(f"[{code}] has unknown field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}")
        if missing:
            problems.append(f"[{code}] is missing {', '.join(missing)}")
        date = entry.get("date")
        if date and not isinstance(date, datetime.date):
            problems.append(f"[{code}] date must be a TOML date such as 2027-01-15, not {date!r}")
        digest = str(entry.get("digest", ""))
        if digest and not (digest.startswith("sha256:") and len(digest) == 71):
            problems.append(
                f"[{code}] digest must be sha256: and 64 hex digits (`explainer procedures --digest`)"
            )
        if unknown or missing or problems:
            continue
        reviews[code] = ClinicalReview(
            str(entry["reviewer"]), str(entry["credential"]), str(entry.get("organisation", "")), date, digest
        )
    if problems:
        raise ContentError([ContentProblem(path, _line_of(path, p), p) for p in problems])
    return reviews


def _line_of(path: Path, problem: str) -> int:
    """The line of the table a problem names, for a path:line error."""
    if problem.startswith("[") or problem.startswith("'"):
        code = problem[1 : problem.index("]" if problem.startswith("[") else "'", 1)]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip() in (f"[{code}]", f'["{code}"]'):
                return number
    return 1
