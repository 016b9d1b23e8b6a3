"""Review records: who approved which translation, kept beside the PO files.

- `locales/reviewers.toml` names each reviewer once, by a short id: name,
  credential (CMI, CHI, ...), organisation.
- `locales/<tag>/LC_MESSAGES/approvals.jsonl` holds one record per line: which
  message (a digest of its English), which translation (a digest of the text the
  reviewer saw), who, when, and whether it was approved or only proposed as a
  correction that awaits a second reviewer. Lines are kept sorted, so two
  reviewers' work merges in git line by line, and the PO files stay standard
  for Poedit and Weblate.

A record holds only while both digests match today's catalogs: a change to the
English or to the translation makes it stale, and the message counts as
unchecked again.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import ExplainerError
from ..output import write_atomic
from ..typed import unprintable

REVIEWERS_FILE = "reviewers.toml"
APPROVALS_FILE = "approvals.jsonl"
KINDS = ("approved", "proposed")


class ReviewError(ExplainerError):
    """A review file that cannot be read, or a record that cannot be made."""


@dataclass(frozen=True)
class Reviewer:
    id: str
    name: str
    credential: str
    organisation: str = ""

    @property
    def signature(self) -> str:
        """As a handout prints it: "María López, CMI (Hospital General)"."""
        organisation = f" ({self.organisation})" if self.organisation else ""
        return f"{self.name}, {self.credential}{organisation}"


@dataclass(frozen=True, order=True)
class Approval:
    domain: str
    source: str  # digest of the English msgid
    translation: str  # digest of the translation the reviewer saw
    reviewer: str
    date: str  # ISO date
    kind: str = "approved"
    text: str = ""  # the start of the English, for people reading the file

    @property
    def day(self) -> datetime.date:
        return datetime.date.fromisoformat(self.date)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def approvals_path(locales_dir: Path, tag: str) -> Path:
    return locales_dir / tag / "LC_MESSAGES" / APPROVALS_FILE


def load_reviewers(locales_dir: Path) -> dict[str, Reviewer]:
    path = locales_dir / REVIEWERS_FILE
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ReviewError(f"{path}: {error}") from None
    reviewers = {}
    for key, entry in data.items():
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("credential"):
            raise ReviewError(f"{path}: reviewer '{key}' needs a name and a credential (such as CMI or CHI)")
        reviewer = Reviewer(
            key, str(entry["name"]), str(entry["credential"]), str(entry.get("organisation", ""))
        )
        for field in ("name", "credential", "organisation"):
            why = unprintable(getattr(reviewer, field))
            if why:  # printed on every handout the reviewer checked
                raise ReviewError(f"{path}: reviewer '{key}' {field}: {why}")
        reviewers[key] = reviewer
    return reviewers


def load_approvals(locales_dir: Path, tag: str) -> list[Approval]:
    path = approvals_path(locales_dir, tag)
    if not path.is_file():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
            record = Approval(**fields)
            record.day  # noqa: B018 - checks the date
        except (ValueError, TypeError) as error:
            raise ReviewError(f"{path}:{number}: not a review record ({error})") from None
        if record.kind not in KINDS:
            raise ReviewError(f"{path}:{number}: kind '{record.kind}' is not one of {', '.join(KINDS)}")
        records.append(record)
    return records


def save_approvals(locales_dir: Path, tag: str, records: list[Approval]) -> None:
    """Sorted, one JSON object per line, each record once: clean merges in git."""
    lines = sorted({json.dumps(asdict(r), ensure_ascii=False, sort_keys=True) for r in records})
    write_atomic(approvals_path(locales_dir, tag), ("\n".join(lines) + "\n" if lines else "").encode("utf-8"))


def record(
    locales_dir: Path,
    tag: str,
    domain: str,
    english: str,
    translation: str,
    reviewer: Reviewer,
    kind: str = "approved",
    day: datetime.date | None = None,
) -> Approval:
    """Add one record (a reviewer's earlier record for the same message is replaced)."""
    new = Approval(
        domain,
        digest(english),
        digest(translation),
        reviewer.id,
        (day or datetime.date.today()).isoformat(),
        kind,
        english[:60],
    )
    kept = [
        r
        for r in load_approvals(locales_dir, tag)
        if not (r.domain == domain and r.source == new.source and r.reviewer == reviewer.id)
    ]
    save_approvals(locales_dir, tag, [*kept, new])
    return new
