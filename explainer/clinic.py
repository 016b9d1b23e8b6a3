"""Clinic settings: who hands the handout over, and how.

One TOML file (`--clinic PATH` or EXPLAINER_CLINIC). Every field is checked when
the file is read, and every bad field is reported, so a clinic fixes its file
once. Everything in it is treated as untrusted text: escaped wherever shown.
"""

from __future__ import annotations

import base64
import io
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ExplainerError
from .languages import TAGS, match_language
from .typed import unprintable

ENVIRONMENT = "EXPLAINER_CLINIC"
LOGO_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}
LOGO_MAX_BYTES = 200_000
LOGO_MAX_PIXELS = 4_000_000
FIELDS = (
    "name",
    "phone",
    "after_hours_phone",
    "address",
    "website",
    "logo",
    "paper",
    "languages",
    "online_url",
    "language_help",
)
_PHONE = re.compile(r"[+0-9 ().\-]{7,25}")


class ClinicSettingsError(ExplainerError):
    """A settings file with one or more bad fields; says what each should be."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


@dataclass(frozen=True)
class Clinic:
    name: str = ""
    phone: str = ""
    after_hours_phone: str = ""  # printed under "Call your care team today"
    address: str = ""
    website: str = ""
    logo: bytes = b""
    logo_type: str = ""
    paper: str = "letter"
    languages: tuple[str, ...] = TAGS
    online_url: str = ""  # with {code} and {lang}: where the same handout can be read online
    language_help: bool = False
    source: Path | None = field(default=None, compare=False)

    @property
    def shown(self) -> bool:
        return bool(self.name or self.phone or self.address or self.website or self.logo)

    def logo_data_uri(self) -> str:
        return (
            f"data:{self.logo_type};base64,{base64.b64encode(self.logo).decode('ascii')}" if self.logo else ""
        )

    def online_link(self, code: str, lang: str) -> str:
        return self.online_url.replace("{code}", code).replace("{lang}", lang) if self.online_url else ""


NO_CLINIC = Clinic()


def load_clinic(path: Path | None = None) -> Clinic:
    """The settings at `path`, or from EXPLAINER_CLINIC, or none."""
    if path is None:
        configured = os.environ.get(ENVIRONMENT)
        if not configured:
            return NO_CLINIC
        path = Path(configured)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ClinicSettingsError(path, [f"cannot be read ({error.strerror})"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ClinicSettingsError(path, [f"is not valid TOML ({error})"]) from None
    except RecursionError:
        raise ClinicSettingsError(path, ["is nested too deeply to be clinic settings"]) from None
    section = data.get("clinic", data)
    if not isinstance(section, dict):
        raise ClinicSettingsError(
            path,
            [f"'clinic' must be one table of fields ([clinic], then name = ...), not {_kind(section)}"],
        )
    return parse_clinic(section, path)


def _kind(value: object) -> str:
    return {str: "text", list: "a list", int: "a number", float: "a number", bool: "true or false"}.get(
        type(value), "a value of another kind"
    )


def parse_clinic(data: dict, path: Path) -> Clinic:
    problems: list[str] = []
    values: dict = {}
    for key in data:
        if key not in FIELDS:
            problems.append(f"unknown field '{key}' (known: {', '.join(FIELDS)})")

    def text(key: str, limit: int) -> str:
        value = data.get(key, "")
        if not isinstance(value, str):
            problems.append(f"field '{key}' must be text")
            return ""
        problem = unprintable(value, allow="\n\t")
        if problem:
            problems.append(f"field '{key}' cannot be printed as typed: {problem}")
            return ""
        value = " ".join(value.split())
        if len(value) > limit:
            problems.append(f"field '{key}' is {len(value)} characters; at most {limit}")
        return value

    values["name"] = text("name", 120)
    values["address"] = text("address", 200)
    for key in ("phone", "after_hours_phone"):
        number = text(key, 30)
        if number and (not _PHONE.fullmatch(number) or sum(c.isdigit() for c in number) < 7):
            problems.append(
                f"field '{key}' is '{number}': use digits, spaces and + ( ) - . only, at least 7 digits"
            )
        values[key] = number
    phone = values["phone"]
    website = text("website", 200)
    if website and not _is_web_address(website):
        problems.append(f"field 'website' is '{website}': it must start with https:// or http://")
    values["website"] = website
    online = text("online_url", 300)
    if online and (not _is_web_address(online) or "{code}" not in online or "{lang}" not in online):
        problems.append(
            "field 'online_url' must be an http(s) address containing {code} and {lang}, "
            "e.g. https://handouts.example.org/{lang}/{code}.html"
        )
    values["online_url"] = online
    paper = data.get("paper", "letter")
    if paper not in ("letter", "a4"):
        problems.append(f"field 'paper' is '{paper}': use 'letter' or 'a4'")
    values["paper"] = paper
    languages = data.get("languages", list(TAGS))
    if not isinstance(languages, list) or not languages:
        problems.append('field \'languages\' must be a list of language tags, e.g. ["en", "es"]')
        languages = list(TAGS)
    tags: list[str] = []
    for tag in languages:
        try:
            tags.append(match_language(str(tag)).tag)
        except ExplainerError as error:
            problems.append(f"field 'languages': {error}")
    values["languages"] = tuple(dict.fromkeys(tags)) or TAGS
    help_wanted = data.get("language_help", bool(phone))
    if not isinstance(help_wanted, bool):
        problems.append("field 'language_help' must be true or false")
        help_wanted = bool(phone)
    if help_wanted and not phone:
        problems.append("field 'language_help' needs a 'phone' to tell patients where to call")
    values["language_help"] = help_wanted and bool(phone)
    logo = data.get("logo", "")
    if logo:
        values["logo"], values["logo_type"] = _read_logo(path.parent / str(logo), problems)
    if problems:
        raise ClinicSettingsError(path, problems)
    return Clinic(**values, source=path)


def _read_logo(path: Path, problems: list[str]) -> tuple[bytes, str]:
    kind = LOGO_TYPES.get(path.suffix.lower())
    if kind is None:
        problems.append(f"field 'logo': {path.name} must be a .png or .svg file")
        return b"", ""
    try:
        data = path.read_bytes()
    except OSError as error:
        problems.append(f"field 'logo': {path} cannot be read ({error.strerror})")
        return b"", ""
    if len(data) > LOGO_MAX_BYTES:
        problems.append(f"field 'logo': {path.name} is {len(data)} bytes; at most {LOGO_MAX_BYTES}")
    elif kind == "image/png" and (problem := _png_problem(data)):
        problems.append(f"field 'logo': {path.name} {problem}")
    elif kind == "image/svg+xml" and (
        b"<svg" not in data[:2048] or re.search(rb"<script|href=[\"'](?!#)", data)
    ):
        problems.append(f"field 'logo': {path.name} must be a self-contained SVG (no scripts, no links)")
    else:
        return data, kind
    return b"", ""


def _png_problem(data: bytes) -> str | None:
    """Why a PNG logo cannot be used, read by Pillow (WeasyPrint's own image library):
    not a PNG at all, damaged, or so many pixels that drawing it would take gigabytes."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            width, height = image.size
            if width * height > LOGO_MAX_PIXELS:
                return (
                    f"is {width}x{height} pixels; at most {LOGO_MAX_PIXELS // 1_000_000} million "
                    "(a printed logo needs about 600x200)"
                )
            image.verify()
    except Exception:  # Pillow raises many kinds for a file that is not a good PNG
        return "is not a readable PNG image"
    return None


def _is_web_address(text: str) -> bool:
    parts = urlsplit(text.replace("{code}", "x").replace("{lang}", "x"))
    return parts.scheme in ("http", "https") and bool(parts.netloc)
