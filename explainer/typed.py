"""Text a person types (a care-team note, a clinic's settings): what prints must be
what was typed, in its own direction.

The policy: characters that are invisible, or that change the order in which
other characters are shown, are refused with an error that names them, never
removed silently. A right-to-left override can turn "05 mg" into "50 mg" on
paper; a direction mark can move a minus sign. The direction of a note comes
from its stated language, and the handout isolates it, so no such character is
needed. Refused: control characters (except newline and tab where a note allows
them), bidirectional controls and marks, other invisible format characters,
line and paragraph separators, private-use, unassigned and surrogate code points.
Kept: the zero-width joiner and non-joiner, which Arabic, Indic scripts and
emoji need to be written correctly.
"""

from __future__ import annotations

import unicodedata

JOINERS = frozenset("\u200c\u200d")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})
_UNNAMED = {"Cc": "control character", "Co": "private-use character", "Cs": "surrogate"}
_ORDERING = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def unprintable(text: str, *, allow: str = "") -> str | None:
    """Why `text` cannot be printed as typed, naming the first such character; or None."""
    for position, character in enumerate(text, 1):
        if character in allow or character in JOINERS:
            continue
        category = unicodedata.category(character)
        if category in _REFUSED_CATEGORIES:
            name = unicodedata.name(character, "") or _UNNAMED.get(category, "unassigned code point")
            effect = (
                "it changes the order in which letters and numbers print"
                if character in _ORDERING
                else "it is invisible or cannot be printed"
            )
            return f"character {position} is U+{ord(character):04X} ({name}): {effect}; delete it"
    return None
