"""How much of a translation qualified reviewers have checked, and which checks no
longer hold.

A handout shows its own messages (the `procedures` catalog) and the interface
text every handout shares (the `messages` catalog). It is "reviewed" when an
approval holds for every one of them, "partly reviewed" when for some, and
"draft" when for none. Approvals are compared with the compiled catalogs, the
text patients are actually shown.
"""

from __future__ import annotations

import datetime
import gettext
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..catalogs import DOMAINS, catalog_path, load_catalog, template_messages
from ..languages import Language
from ..library import Library
from ..procedures import Procedure
from ..resources import LOCALES_DIR
from .records import (
    REVIEWERS_FILE,
    Approval,
    Reviewer,
    approvals_path,
    digest,
    load_approvals,
    load_reviewers,
)

STATES = ("reviewed", "partly reviewed", "draft")


@dataclass(frozen=True)
class MessageReview:
    domain: str
    english: str
    translation: str | None  # None: not translated
    approvals: tuple[Approval, ...]  # those that hold today
    proposals: tuple[Approval, ...]  # corrections awaiting a second reviewer

    @property
    def state(self) -> str:
        if self.translation is None:
            return "untranslated"
        return "approved" if self.approvals else ("proposed" if self.proposals else "draft")


@dataclass(frozen=True)
class TranslationReview:
    """What a handout (or a whole language) says about its translation."""

    state: str  # one of STATES
    approved: int
    total: int
    reviewers: tuple[Reviewer, ...]  # who approved what it shows, most first
    last: datetime.date | None  # the latest approval among them

    @property
    def share(self) -> float:
        return self.approved / self.total if self.total else 0.0

    def as_json(self) -> dict[str, object]:
        return {
            "state": self.state,
            "approved": self.approved,
            "messages": self.total,
            "share": round(self.share, 4),
            "reviewers": [
                {"name": r.name, "credential": r.credential, "organisation": r.organisation}
                for r in self.reviewers
            ],
            "last_approved": self.last.isoformat() if self.last else None,
        }


class LanguageReviews:
    """The review records of one language, read against its catalogs today."""

    def __init__(self, language: Language, locales_dir: Path) -> None:
        self.language = language
        self.reviewers = load_reviewers(locales_dir)
        self.records = load_approvals(locales_dir, language.tag)
        self.catalogs = {domain: load_catalog(language.tag, domain, locales_dir) for domain in DOMAINS}
        self._by_message: dict[tuple[str, str], list[Approval]] = {}
        for record in self.records:
            self._by_message.setdefault((record.domain, record.source), []).append(record)

    def message(self, domain: str, english: str) -> MessageReview:
        translation = translation_of(self.catalogs[domain], english)
        seen = digest(translation) if translation is not None else None
        holding = [
            r
            for r in self._by_message.get((domain, digest(english)), [])
            if r.translation == seen and r.reviewer in self.reviewers
        ]
        return MessageReview(
            domain,
            english,
            translation,
            tuple(r for r in holding if r.kind == "approved"),
            tuple(r for r in holding if r.kind == "proposed"),
        )

    def interface(self) -> list[MessageReview]:
        return [self.message("messages", m) for m in template_messages("messages")]

    def handout(self, procedure: Procedure, library: Library) -> TranslationReview:
        own = [self.message("procedures", m) for m in dict.fromkeys(library.messages_for(procedure))]
        return self.summary([*own, *self.interface()])

    def whole(self) -> TranslationReview:
        """Every message of both catalogs, once."""
        return self.summary([self.message(d, m) for d in DOMAINS for m in template_messages(d)])

    def summary(self, messages: list[MessageReview]) -> TranslationReview:
        approved = [m for m in messages if m.state == "approved"]
        counts = Counter(r.reviewer for m in approved for r in m.approvals)
        dates = [r.day for m in approved for r in m.approvals]
        if approved and len(approved) == len(messages):
            state = "reviewed"
        else:
            state = "partly reviewed" if approved else "draft"
        return TranslationReview(
            state,
            len(approved),
            len(messages),
            tuple(self.reviewers[key] for key, _ in counts.most_common()),
            max(dates) if dates else None,
        )

    def stale(self) -> list[Approval]:
        """Records that no longer hold: their English or their translation changed
        (or their reviewer is no longer listed)."""
        current = {
            (d, digest(m)): translation_of(self.catalogs[d], m) for d in DOMAINS for m in template_messages(d)
        }
        stale = []
        for record in self.records:
            translation = current.get((record.domain, record.source))
            if (
                translation is None
                or digest(translation) != record.translation
                or record.reviewer not in self.reviewers
            ):
                stale.append(record)
        return stale


def translation_of(catalog: gettext.NullTranslations, msgid: str) -> str | None:
    """The compiled translation of a message (plural forms joined), or None."""
    entries = getattr(catalog, "_catalog", None) or {}
    if msgid in entries:
        return entries[msgid]
    forms = [entries[(msgid, n)] for n in range(8) if (msgid, n) in entries]
    return "\0".join(forms) if forms else None


def language_reviews(language: Language, locales_dir: Path = LOCALES_DIR) -> LanguageReviews:
    """Read again only when a record, the reviewers or a compiled catalog changed."""
    paths = [approvals_path(locales_dir, language.tag), locales_dir / REVIEWERS_FILE]
    paths += [catalog_path(language.tag, domain, ".mo", locales_dir) for domain in DOMAINS]
    return _cached(language, locales_dir, tuple(_stamp(p) for p in paths))


@lru_cache(maxsize=32)  # each approval is a new stamp: keep the recent ones only
def _cached(language: Language, locales_dir: Path, stamps: tuple[tuple[int, int], ...]) -> LanguageReviews:
    return LanguageReviews(language, locales_dir)


def _stamp(path: Path) -> tuple[int, int]:
    try:
        status = path.stat()
    except OSError:
        return (0, 0)
    return (status.st_mtime_ns, status.st_size)
