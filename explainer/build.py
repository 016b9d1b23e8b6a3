"""Build the handout library: parallel, incremental and reproducible.

Each output is recorded in output/.manifest.json with a digest of everything it
is made from: its source file, the translations of every message it shows, the
interface catalog, templates and CSS, the fonts (PDF), explainer's own code and
the options. A build renders only outputs whose digest changed or whose file is
missing or altered; every file is written atomically, so a build that is killed
leaves whole files and the next one finishes the job.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cache
from multiprocessing import get_context
from pathlib import Path

from .catalogs import catalog_path, load_catalog
from .clinic import NO_CLINIC, Clinic, load_clinic
from .errors import ExplainerError, OutputError
from .languages import SOURCE_LANGUAGE, get_language
from .library import Library, default_library
from .options import HandoutOptions
from .output import SUFFIXES, write_atomic
from .procedures import Procedure
from .resources import LOCALES_DIR, PACKAGE_DIR, PROCEDURES_DIR, TEMPLATES_DIR
from .review.coverage import language_reviews

MANIFEST = ".manifest.json"
MANIFEST_VERSION = 1
# Costly outputs first, so the last worker to finish is not left with a CJK PDF.
_COST = {"pdf": 0, "html": 1, "fragment": 2}


@dataclass(frozen=True)
class Job:
    code: str
    lang: str
    fmt: str

    @property
    def name(self) -> str:
        return f"{self.lang}/{self.code}{SUFFIXES[self.fmt]}"


@dataclass(frozen=True)
class Settings:
    """What every job of one build shares; small, so it crosses to worker processes."""

    root: Path
    paper: str = "letter"
    procedures_dir: Path = PROCEDURES_DIR
    locales_dir: Path = LOCALES_DIR
    clinic: Path | None = None  # clinic settings file: branding for the whole library


@dataclass
class BuildResult:
    rendered: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def plan(library: Library, tags: Iterable[str], codes: Iterable[str], formats: Iterable[str]) -> list[Job]:
    return [Job(code, tag, fmt) for tag in tags for code in codes for fmt in formats]


def build(
    jobs: list[Job],
    settings: Settings,
    *,
    workers: int | None = None,
    force: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
) -> BuildResult:
    """Render what changed, in `workers` processes (default: every core)."""
    started = time.perf_counter()
    result = BuildResult()
    library = default_library(settings.procedures_dir)
    root = settings.root
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create the output folder {root}: {error.strerror or error}") from None
    _remove_leftovers(root)
    manifest = read_manifest(root)
    digests = Digests(library, settings)

    todo: list[tuple[Job, str]] = []
    for job in jobs:
        digest = digests.of(job)
        recorded = manifest.get(job.name)
        if not force and recorded and recorded["inputs"] == digest and _unaltered(root / job.name, recorded):
            result.unchanged += 1
        else:
            todo.append((job, digest))
    todo.sort(key=lambda item: (_COST[item[0].fmt], item[0].lang not in {"zh", "ko"}, item[0].name))
    # A translation's PDF is held to the English page count (see pdf.Layout): known from the
    # manifest, or from this build's English PDF, rendered first so no worker lays it out twice.
    english_now = {job.code for job, _ in todo if _is_english_pdf(job)}
    english_pages = _recorded_english_pages(todo, manifest, digests, english_now)

    def waits_for_english(job: Job) -> bool:
        return job.fmt == "pdf" and job.lang != SOURCE_LANGUAGE and job.code in english_now

    first = [item for item in todo if not waits_for_english(item[0])]
    later = [item for item in todo if waits_for_english(item[0])]

    def finished(job: Job, digest: str, outcome: Outcome) -> None:
        if outcome.error is None:
            stat = (root / job.name).stat()
            entry = {"inputs": digest, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
            if outcome.pages:
                entry.update(pages=outcome.pages, last_page_fill=outcome.last_page_fill)
                if _is_english_pdf(job):
                    english_pages[job.code] = outcome.pages
            manifest[job.name] = entry
            result.rendered.append(job.name)
        else:
            manifest.pop(job.name, None)
            result.failed[job.name] = outcome.error
        if progress:
            progress(len(result.rendered) + len(result.failed), len(todo), job.name)

    workers = max(1, workers or os.cpu_count() or 1)
    pool = None
    if workers > 1 and len(todo) > 1:
        if any(job.fmt == "pdf" for job, _ in todo):
            from .pdf import warm_up

            warm_up()  # WeasyPrint, fonts and stylesheets, loaded once and shared by the forked workers
        pool = ProcessPoolExecutor(workers, mp_context=get_context("fork"))
    last_save = time.monotonic()
    try:
        for batch in (first, later):
            for job, digest, outcome in _rendered(batch, settings, english_pages, pool):
                finished(job, digest, outcome)
                if time.monotonic() - last_save > 1:
                    _write_manifest(root, manifest)
                    last_save = time.monotonic()
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    _write_manifest(root, manifest)
    result.seconds = time.perf_counter() - started
    return result


def _is_english_pdf(job: Job) -> bool:
    return job.fmt == "pdf" and job.lang == SOURCE_LANGUAGE


def _recorded_english_pages(
    todo: list[tuple[Job, str]], manifest: dict[str, dict], digests: Digests, rendering: set[str]
) -> dict[str, int]:
    """English page counts the manifest holds for today's inputs, for translations
    whose English PDF is not rendered in this build."""
    pages = {}
    for code in {job.code for job, _ in todo if job.fmt == "pdf"} - rendering:
        english = Job(code, SOURCE_LANGUAGE, "pdf")
        entry = manifest.get(english.name)
        if entry and entry["inputs"] == digests.of(english) and type(entry.get("pages")) is int:
            pages[code] = entry["pages"]
    return pages


def _rendered(
    batch: list[tuple[Job, str]],
    settings: Settings,
    english_pages: dict[str, int],
    pool: ProcessPoolExecutor | None,
) -> Iterator[tuple[Job, str, Outcome]]:
    """Each job of the batch with its outcome, as they finish. Every job is handed its
    code's English page count when known; only a translation's PDF uses it."""
    if pool is None:
        for job, digest in batch:
            yield job, digest, render_job(job, settings, english_pages.get(job.code))
        return
    futures = {
        pool.submit(render_job, job, settings, english_pages.get(job.code)): (job, digest)
        for job, digest in batch
    }
    for future in as_completed(futures):
        yield *futures[future], future.result()


@dataclass(frozen=True)
class Outcome:
    """What rendering one output gave: an error message, or for a PDF its paper."""

    error: str | None = None
    pages: int = 0
    last_page_fill: float = 0.0


def render_job(job: Job, settings: Settings, english_pages: int | None = None) -> Outcome:
    """Render one output to its file; returns an error message instead of raising,
    so one bad handout does not stop the others. `english_pages`: the English PDF's
    page count, when known, as a translation's page budget."""
    from .pdf import render_pdf_and_paper
    from .render import render_html

    try:
        library = default_library(settings.procedures_dir)
        procedure = library.get(job.code)
        language = get_language(job.lang)
        options = HandoutOptions(clinic=_clinic(settings.clinic))
        if job.fmt == "pdf":
            rendered = render_pdf_and_paper(
                procedure,
                language,
                library,
                paper=settings.paper,
                locales_dir=settings.locales_dir,
                options=options,
                english_pages=english_pages,
            )
            write_atomic(settings.root / job.name, rendered.data)
            return Outcome(pages=rendered.pages, last_page_fill=rendered.last_page_fill)
        html = render_html(
            procedure,
            language,
            library,
            fragment=job.fmt == "fragment",
            locales_dir=settings.locales_dir,
            options=options,
        )
        write_atomic(settings.root / job.name, html.encode("utf-8"))
    except ExplainerError as error:
        return Outcome(error=str(error))
    return Outcome()


class Digests:
    """Digests of what each output is made from, sharing the parts common to many."""

    def __init__(self, library: Library, settings: Settings) -> None:
        self.library = library
        self.settings = settings

    def of(self, job: Job) -> str:
        procedure = self.library.procedures[job.code]
        digest = hashlib.sha256()
        for part in (
            f"v{MANIFEST_VERSION}",
            job.fmt,
            self.settings.paper if job.fmt == "pdf" else "",
            _code_digest(),
            _tree_digest(TEMPLATES_DIR),
            _fonts_digest() if job.fmt == "pdf" else "",
            self._translation_review(job.lang, procedure),
            self.library.review_status(procedure).state,
            str(self.library.review_status(procedure).current),
            _clinic_digest(self.settings.clinic),
            self._interface(job.lang),
            procedure.path.read_text(encoding="utf-8"),
        ):
            digest.update(part.encode("utf-8") + b"\0")
        catalog = load_catalog(job.lang, "procedures", self.settings.locales_dir)
        for message in self.library.messages_for(procedure):
            translated = message if job.lang == SOURCE_LANGUAGE else catalog.gettext(message)
            digest.update(f"{message}\0{translated}\0".encode())
        return digest.hexdigest()

    def _translation_review(self, lang: str, procedure: Procedure) -> str:
        """What the handout says of its translation's review: approvals change it."""
        if lang == SOURCE_LANGUAGE:
            return ""
        reviews = language_reviews(get_language(lang), self.settings.locales_dir)
        return repr(reviews.handout(procedure, self.library))

    @cache  # noqa: B019 - one Digests per build
    def _interface(self, lang: str) -> str:
        """Every handout shows nearly every interface string: one digest per language."""
        if lang == SOURCE_LANGUAGE:
            return ""
        load_catalog(lang, "messages", self.settings.locales_dir)  # refuses a stale catalog
        return _file_digest(catalog_path(lang, "messages", ".mo", self.settings.locales_dir))


@cache
def _clinic(path: Path | None) -> Clinic:
    return load_clinic(path) if path else NO_CLINIC


def _clinic_digest(path: Path | None) -> str:
    if path is None:
        return ""
    clinic = _clinic(path)
    return hashlib.sha256(repr(clinic).encode() + clinic.logo).hexdigest()


@cache
def _code_digest() -> str:
    return _tree_digest(PACKAGE_DIR, "*.py")


@cache
def _tree_digest(folder: Path, pattern: str = "*") -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def _fonts_digest() -> str:
    """The installed fonts, as fontconfig lists them: a font update re-renders PDFs."""
    try:
        listing = subprocess.run(
            ["fc-list", "--format", "%{file}\\n"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return ""
    digest = hashlib.sha256()
    for name in sorted(set(listing.split())):
        try:
            stat = os.stat(name)
        except OSError:
            continue
        digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _unaltered(path: Path, recorded: dict) -> bool:
    try:
        stat = path.stat()
    except OSError:
        return False
    return stat.st_size == recorded.get("size") and stat.st_mtime_ns == recorded.get("mtime_ns")


def read_manifest(root: Path) -> dict[str, dict]:
    """The recorded outputs; anything unreadable or of the wrong shape counts as not
    recorded, so the build renders it again instead of stopping."""
    try:
        data = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        return {}
    outputs = data.get("outputs")
    if not isinstance(outputs, dict):
        return {}
    return {name: entry for name, entry in outputs.items() if _well_formed(entry)}


def _well_formed(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("inputs"), str)
        and all(type(entry.get(key)) is int for key in ("size", "mtime_ns"))
    )


def _write_manifest(root: Path, outputs: dict[str, dict]) -> None:
    data = {"version": MANIFEST_VERSION, "outputs": dict(sorted(outputs.items()))}
    write_atomic(root / MANIFEST, (json.dumps(data, indent=1) + "\n").encode("utf-8"))


def _remove_leftovers(root: Path) -> None:
    """Temporary files of a build that was killed mid-write."""
    for leftover in root.glob("**/.*.tmp"):
        leftover.unlink(missing_ok=True)


class TerminalProgress:
    """A one-line bar on a terminal; plain log lines otherwise (CI, pipes)."""

    def __init__(self, stream=sys.stderr) -> None:
        self.stream = stream
        self.tty = stream.isatty()

    def __call__(self, done: int, total: int, name: str) -> None:
        if not self.tty:
            print(f"[{done}/{total}] {name}", file=self.stream, flush=True)
            return
        width = 30
        filled = width * done // max(total, 1)
        line = f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name}"
        self.stream.write(line[:100].ljust(100))
        if done == total:
            self.stream.write("\n")
        self.stream.flush()
