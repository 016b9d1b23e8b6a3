"""The errors explainer raises: each says what was wrong and what is accepted."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class ExplainerError(Exception):
    """Base of every error a user can cause; the CLI prints it as one line."""


@dataclass(frozen=True)
class ContentProblem:
    """One problem in a source file, located so an editor can jump to it."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}: {self.message}"


class ContentError(ExplainerError):
    """A procedure source is invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def __reduce__(self):  # errors cross back from worker processes
        return type(self), (self.problems,)


class UnknownProcedure(ExplainerError):
    """A well-formed code that the library has no handout for."""


class MalformedCode(ExplainerError):
    """Something that cannot be a CPT code at all."""


class UnsupportedLanguage(ExplainerError):
    """A language tag explainer has no catalogs for."""


class CatalogError(ExplainerError):
    """A compiled catalog is missing, stale or unreadable."""


class MissingTranslations(ExplainerError):
    """Rendering would mix languages: some messages have no translation."""

    def __init__(self, lang: str, messages: list[str]) -> None:
        self.lang = lang
        self.messages = messages
        shown = "; ".join(repr(shorten(m)) for m in messages[:3])
        more = f" and {len(messages) - 3} more" if len(messages) > 3 else ""
        count = f"{len(messages)} message{'s' if len(messages) != 1 else ''}"
        super().__init__(
            f"{count} not translated into '{lang}': {shown}{more}. "
            "Translate them in the PO files, or pass --allow-fallback to show them in English."
        )

    def __reduce__(self):
        return type(self), (self.lang, self.messages)


class MissingGlyphs(ExplainerError):
    """The fonts cannot draw some characters; the PDF would show empty boxes."""

    def __init__(self, message: str, characters: str) -> None:
        self.characters = characters
        super().__init__(message)

    def __reduce__(self):
        return type(self), (str(self), self.characters)


class OutputError(ExplainerError):
    """A file cannot be written, or its place holds something that must not be replaced."""


class FetchRefused(ExplainerError):
    """A template or text tried to load something that is not a packaged asset."""


def shorten(text: str, limit: int = 60) -> str:
    """Input echoed in an error, cut so a huge value cannot flood a response or a terminal."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def display_path(path: Path) -> str:
    """A path relative to the working directory when it is inside it, as editors print."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
