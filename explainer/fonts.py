"""Compact copies of the faces PDFs use.

WeasyPrint subsets every font it embeds while keeping each glyph's number. For
Noto Sans CJK (65,000 glyphs) that costs about 40 ms per weight and per PDF:
Chinese and Korean handouts took 1.7 times as long as English. So once per
catalog change we cut each face down, with fontTools, to the characters our
catalogs can show, and PDFs embed from that copy (Latin and Arabic faces gain
too, less). Characters outside a copy still fall back to the full system face.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.dates import format_date

from .catalogs import load_catalog, template_messages
from .languages import get_language
from .output import write_atomic
from .resources import LOCALES_DIR

FONT_SCHEME = "explainer-font"
# The face each script is set in (as in handout.css), and the languages whose
# catalogs it must cover. English is always covered: it is the fallback.
_FACES = {
    "Noto Sans": ("en", "es", "ru", "vi", "fr", "de", "tl"),
    "Noto Naskh Arabic": ("ar",),
    "Noto Sans CJK SC": ("zh",),
    "Noto Sans CJK KR": ("ko",),
}
# Each language's font stack, most specific face first.
_STACKS = {
    "zh": ("Noto Sans CJK SC",),
    "ko": ("Noto Sans CJK KR",),
    "ar": ("Noto Naskh Arabic", "Noto Sans"),
}
_WEIGHTS = {400: "regular", 700: "bold"}
# ASCII, typographic punctuation, CJK punctuation and full-width forms.
_RANGES = ((0x20, 0x7E), (0xB0, 0xB7), (0x2010, 0x2026), (0x3000, 0x303F), (0xFF01, 0xFF5E))
_ALWAYS = "".join(chr(c) for start, end in _RANGES for c in range(start, end + 1))


@dataclass(frozen=True)
class CompactFace:
    family: str  # the system family it was cut from
    weight: int
    path: Path

    @property
    def compact_family(self) -> str:
        return f"{self.family} Compact"


def cache_dir() -> Path:
    base = os.environ.get("EXPLAINER_CACHE") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "explainer" / "fonts"


@cache
def compact_faces(locales_dir: Path = LOCALES_DIR) -> tuple[CompactFace, ...]:
    """The compact faces, made on first use and kept in the cache folder."""
    faces = []
    for family, langs in _FACES.items():
        characters = _characters(langs, locales_dir)
        for weight, style in _WEIGHTS.items():
            source = _system_font(family, style)
            if source is None:
                continue
            path, index = source
            stat = path.stat()
            key = f"{path}:{index}:{stat.st_size}:{stat.st_mtime_ns}:{characters}"
            target = cache_dir() / f"{hashlib.sha256(key.encode()).hexdigest()}.otf"
            if not target.is_file():
                _cut(path, index, characters, target)
            faces.append(CompactFace(family, weight, target))
    return tuple(faces)


def compact_stylesheet(locales_dir: Path = LOCALES_DIR) -> str:
    """@font-face rules for the compact faces, and font stacks that put them first."""
    rules = []
    for face in compact_faces(locales_dir):
        rules.append(
            f'@font-face {{ font-family: "{face.compact_family}"; font-weight: {face.weight}; '
            f"src: url({FONT_SCHEME}:/{face.path.name}); }}"
        )
    compact = {face.family for face in compact_faces(locales_dir)}

    def stack(*families: str) -> str:
        names = []
        for family in families:
            names += [f'"{family} Compact"', f'"{family}"'] if family in compact else [f'"{family}"']
        return ", ".join([*names, "sans-serif"])

    rules.append(
        f".explainer-handout, .explainer-handout [lang], html {{ font-family: {stack('Noto Sans')}; }}"
    )
    for lang, families in _STACKS.items():
        selectors = f".explainer-handout:lang({lang}), .explainer-handout :lang({lang}), html:lang({lang})"
        rules.append(f"{selectors} {{ font-family: {stack(*families)}; }}")
    return "\n".join(rules)


def font_file(name: str) -> Path | None:
    """A compact face by its file name, or None: the fetcher serves nothing else."""
    for face in compact_faces():
        if face.path.name == name:
            return face.path
    return None


def _characters(langs: tuple[str, ...], locales_dir: Path) -> str:
    """Every character these languages' handouts can show."""
    found = set(_ALWAYS)
    for domain in ("messages", "procedures"):
        found.update("".join(template_messages(domain)))
        for lang in langs:
            catalog = load_catalog(lang, domain, locales_dir)
            for value in getattr(catalog, "_catalog", {}).values():
                found.update(value)
    for lang in langs:
        locale = get_language(lang).locale
        for month in range(1, 13):
            found.update(format_date(datetime.date(2026, month, 28), format="long", locale=locale))
    return "".join(sorted(found))


def _system_font(family: str, style: str) -> tuple[Path, int] | None:
    try:
        found = subprocess.run(
            ["fc-match", "--format", "%{file}\n%{index}\n%{family}", f"{family}:style={style.title()}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return None
    if len(found) < 3 or family not in found[2].split(","):
        return None
    return Path(found[0]), int(found[1] or 0)


def _cut(path: Path, index: int, characters: str, target: Path) -> None:
    from io import BytesIO

    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=index, recalcTimestamp=False, lazy=True)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in characters])
    subsetter.subset(font)
    data = BytesIO()
    font.save(data)
    write_atomic(target, data.getvalue())
