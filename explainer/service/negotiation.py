"""Choosing a handout's language: an explicit tag first, then Accept-Language
(with q-values), then English."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnsupportedLanguage
from ..languages import SOURCE_LANGUAGE, Language, get_language, match_language


@dataclass(frozen=True)
class Negotiated:
    language: Language
    source: str  # "lang", "accept-language" or "default"


def negotiate(explicit: str | None, accept_language: str | None) -> Negotiated:
    """An explicit tag must be supported (its error says why not); Accept-Language
    preferences that we cannot serve are skipped, as browsers expect."""
    if explicit:
        return Negotiated(match_language(explicit), "lang")
    for tag in preferred_tags(accept_language or ""):
        try:
            return Negotiated(match_language(tag), "accept-language")
        except UnsupportedLanguage:
            continue
    return Negotiated(get_language(SOURCE_LANGUAGE), "default")


def preferred_tags(header: str) -> list[str]:
    """Accept-Language parsed (RFC 9110): tags by falling q, ties in written order,
    q=0 and `*` left out."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and 0 < quality <= 1:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]
