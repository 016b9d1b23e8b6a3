"""The `explainer` command: render handouts, list languages and procedures."""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .clinic import load_clinic
from .errors import ContentError, ExplainerError, shorten
from .languages import TAGS, all_languages, match_language
from .library import Library, default_library
from .options import NOTE_LIMIT, PLAIN, HandoutOptions, make_options
from .output import OUTPUT_DIR, default_path, write_atomic
from .render import FORMATS

PAPERS = ("letter", "a4")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="explainer",
        description="Plain-language patient handouts for procedure codes, in ten languages.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    render = commands.add_parser("render", help="render one handout")
    render.add_argument("code", help="CPT code, for example 63271")
    render.add_argument("--lang", default="en", help=f"language tag ({', '.join(TAGS)}); default en")
    render.add_argument("--format", choices=FORMATS, default="pdf", help="default pdf")
    render.add_argument("-o", "--output", help="file to write; '-' for standard output")
    render.add_argument("--paper", choices=PAPERS, help="PDF paper size; default letter, or the clinic's")
    render.add_argument(
        "--allow-fallback", action="store_true", help="show untranslated parts in English instead of failing"
    )
    render.add_argument("--clinic", type=Path, help="clinic settings (TOML); default $EXPLAINER_CLINIC")
    render.add_argument("--note", help="a note from the care team, printed as typed")
    render.add_argument("--notes-file", type=Path, help="read the care-team note from a file")
    render.add_argument("--note-lang", default="en", help="language the note is written in; default en")
    render.add_argument("--also-lang", help="a second language shown after each section")
    render.add_argument("--large-print", action="store_true", help="body text of 18 pt or more")

    build = commands.add_parser("build", help="render every handout into output/")
    build.add_argument("--lang", action="append", help="only this language (repeatable)")
    build.add_argument("--code", action="append", help="only this code (repeatable)")
    build.add_argument("--format", action="append", choices=FORMATS, help="only this format (repeatable)")
    build.add_argument("--paper", choices=PAPERS, help="default letter, or the clinic's")
    build.add_argument("--clinic", type=Path, help="clinic settings (TOML); default $EXPLAINER_CLINIC")
    build.add_argument("--jobs", type=int, help="worker processes; default: one per core")
    build.add_argument("--force", action="store_true", help="render everything, changed or not")
    build.add_argument("--output-dir", type=Path, default=OUTPUT_DIR, help="default: output/")

    commands.add_parser("languages", help="list languages, completeness and review status")

    check = commands.add_parser("check", help="check sources, catalogs and plain language")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--procedures", type=Path, help="procedure sources folder (default: the library's)")
    check.add_argument("--locales", type=Path, help="catalogs folder (default: the library's)")
    check.add_argument(
        "--built",
        type=Path,
        default=OUTPUT_DIR,
        help="built library whose PDFs' paper to report (default: output/)",
    )

    serve = commands.add_parser("serve", help="serve handouts over HTTP (API, fragments, HL7 Infobutton)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--processes",
        type=int,
        help="server processes sharing the port; default: one per core",
    )
    serve.add_argument(
        "--workers",
        type=int,
        help="PDF worker processes per server process; default: cores divided by --processes, at least 1",
    )
    serve.add_argument(
        "--cache-mb",
        type=int,
        help="memory per server process for answers kept for repeated requests; default 128",
    )
    serve.add_argument(
        "--queue", type=int, help="PDFs that may wait for a worker; default: as many as workers"
    )
    serve.add_argument(
        "--render-timeout", type=float, default=30.0, help="seconds a PDF may take; default 30"
    )
    serve.add_argument(
        "--frame-ancestor",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="origin allowed to frame handout pages (repeatable)",
    )
    serve.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="origin allowed to fetch the API and fragments (repeatable)",
    )
    serve.add_argument("--output-dir", type=Path, default=OUTPUT_DIR, help="built library to serve from")
    serve.add_argument("--clinic", type=Path, help="clinic settings (TOML); default $EXPLAINER_CLINIC")
    serve.add_argument(
        "--cds-issuer",
        action="append",
        default=[],
        metavar="ISS",
        help="an EHR trusted to call the CDS Hooks services: its JWT issuer (repeatable)",
    )
    serve.add_argument("--cds-jwks", metavar="FILE_OR_URL", help="the trusted EHRs' public keys (JWK Set)")
    serve.add_argument(
        "--cds-development",
        action="store_true",
        help="CDS Hooks without authentication, for a sandbox only: trusts any caller",
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="address clients reach the service at, for absolute links (default $EXPLAINER_PUBLIC_URL; "
        "unset: relative links)",
    )

    review = commands.add_parser(
        "review",
        help="check a translation on a local page (explainer review --lang es --reviewer ID), "
        "or write its report (explainer review report --lang es)",
    )
    review.add_argument("action", nargs="?", choices=["page", "report"], default="page")
    review.add_argument("--lang", required=True, help="the translation to review, e.g. es")
    review.add_argument("--reviewer", help="your id in locales/reviewers.toml (for the page)")
    review.add_argument("--port", type=int, default=8765, help="page on 127.0.0.1; default 8765")
    review.add_argument(
        "--code", action="append", default=[], help="report: only this handout (repeatable); default all"
    )
    review.add_argument("-o", "--output-dir", type=Path, default=Path("."), help="report: default here")
    review.add_argument("--locales", type=Path, help="catalogs and review records; default locales/")

    procedures = commands.add_parser("procedures", help="list procedure codes and titles")
    procedures.add_argument("--lang", default="en", help="language of the titles; default en")
    procedures.add_argument(
        "--search",
        metavar="WORDS",
        help="only handouts whose code, title, region or keywords match every word (any language)",
    )
    procedures.add_argument(
        "--digest",
        action="store_true",
        help="print each handout's English-text digest and clinical review status (procedures/reviews.toml)",
    )
    return parser


def render_bytes(
    code: str,
    lang: str,
    fmt: str,
    *,
    paper: str = "letter",
    allow_fallback: bool = False,
    options: HandoutOptions = PLAIN,
) -> bytes:
    """One handout as the bytes of its file."""
    library = default_library()
    procedure = library.get(code)
    language = match_language(lang)
    if fmt == "pdf":
        from .pdf import render_pdf

        return render_pdf(
            procedure, language, library, paper=paper, allow_fallback=allow_fallback, options=options
        )
    from .render import render_html

    html = render_html(
        procedure,
        language,
        library,
        fragment=fmt == "fragment",
        allow_fallback=allow_fallback,
        options=options,
    )
    return html.encode("utf-8")


def _render(args: argparse.Namespace) -> None:
    language = match_language(args.lang)
    procedure, system = default_library().lookup(args.code)
    code = procedure.code
    if system != "CPT":  # say which handout an HCPCS code found
        print(
            f"{system} {args.code.strip().upper()} is explained by the handout for CPT {code}",
            file=sys.stderr,
        )
    clinic = load_clinic(args.clinic)
    if args.note and args.notes_file:
        raise ExplainerError("give the note with --note or --notes-file, not both")
    note = read_note(args.notes_file) if args.notes_file else args.note or ""
    options = make_options(
        language,
        clinic=clinic,
        note=note,
        note_lang=args.note_lang,
        also_lang=args.also_lang or "",
        large_print=args.large_print,
    )
    paper = args.paper or clinic.paper
    data = render_bytes(
        code, language.tag, args.format, paper=paper, allow_fallback=args.allow_fallback, options=options
    )
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    path = Path(args.output) if args.output else default_path(code, language.tag, args.format)
    if options.personal and not args.output:
        path = path.with_name(f"{code}-personal{path.name[len(code) :]}")  # never over a library file
    write_atomic(path, data)
    print(path)


def read_note(path: Path) -> str:
    """A note from a file, read only up to what a note may hold: `/dev/zero` or a
    huge file is refused after a few kilobytes, not read into memory."""
    limit = 6 * NOTE_LIMIT  # up to 4 UTF-8 bytes per character, and room for CRLF line ends
    try:
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError as error:
        raise ExplainerError(f"cannot read the notes file {path}: {error.strerror or error}") from None
    if len(data) > limit:
        raise ExplainerError(
            f"the notes file {path} is larger than a note can be ({NOTE_LIMIT} characters at most)"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ExplainerError(
            f"the notes file {path} is not UTF-8 text (byte {error.start + 1}); save it as UTF-8"
        ) from None


def _build(args: argparse.Namespace) -> int:
    from .build import Settings, TerminalProgress, build, plan
    from .index import render_index
    from .quality.paper import paper_report

    library = default_library()
    clinic = load_clinic(args.clinic)
    codes = [library.get(code).code for code in args.code] if args.code else library.codes
    tags = (
        list(dict.fromkeys(match_language(tag).tag for tag in args.lang))
        if args.lang
        else list(clinic.languages)
    )
    formats = args.format or list(FORMATS)
    if args.jobs is not None and args.jobs < 1:
        raise ExplainerError(f"--jobs must be 1 or more, not {args.jobs}")
    settings = Settings(root=args.output_dir, paper=args.paper or clinic.paper, clinic=clinic.source)
    result = build(
        plan(library, tags, codes, formats),
        settings,
        workers=args.jobs,
        force=args.force,
        progress=TerminalProgress(),
    )
    index = render_index(args.output_dir, library, list(TAGS)).encode("utf-8")
    index_path = args.output_dir / "index.html"
    if not index_path.is_file() or index_path.read_bytes() != index:
        write_atomic(index_path, index)
    for name, error in sorted(result.failed.items()):
        print(f"explainer: {name}: {error}", file=sys.stderr)
    print(
        f"rendered {len(result.rendered)}, unchanged {result.unchanged}, failed {len(result.failed)} "
        f"in {result.seconds:.2f} s; library page {index_path}"
    )
    paper = paper_report(args.output_dir)
    if paper.measured:
        print(
            f"paper: {paper.pages} pages in {paper.measured} PDFs, {paper.wasteful} wasting paper "
            "(see explainer check)"
        )
    return 1 if result.failed else 0


def _serve(args: argparse.Namespace) -> None:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from .service import ServiceSettings

    for origin in (*args.frame_ancestor, *args.cors_origin):
        if not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
            raise ExplainerError(f"'{origin}' is not an origin: write it as https://portal.example.org")
    for name in ("processes", "workers"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise ExplainerError(f"--{name} must be 1 or more, not {getattr(args, name)}")
    if args.cache_mb is not None and args.cache_mb < 0:
        raise ExplainerError(f"--cache-mb must be 0 or more, not {args.cache_mb}")
    public_url = (args.public_url or "").rstrip("/")
    if public_url and (not public_url.startswith(("http://", "https://")) or "?" in public_url):
        raise ExplainerError(
            f"--public-url '{public_url}' must be an http(s) address such as https://handouts.example.org"
        )
    cores = os.cpu_count() or 1
    processes = args.processes or cores
    defaults = ServiceSettings.from_env()  # EXPLAINER_* variables; options given here win
    settings = replace(
        defaults,
        output_dir=args.output_dir,
        pdf_workers=args.workers or max(1, cores // processes),
        pdf_queue=args.queue if args.queue is not None else defaults.pdf_queue,
        render_timeout=args.render_timeout,
        cache_mb=args.cache_mb if args.cache_mb is not None else defaults.cache_mb,
        frame_ancestors=tuple(args.frame_ancestor) or defaults.frame_ancestors,
        cors_origins=tuple(args.cors_origin) or defaults.cors_origins,
        clinic=args.clinic or defaults.clinic,
        public_url=public_url or defaults.public_url,
        cds_issuers=tuple(args.cds_issuer) or defaults.cds_issuers,
        cds_jwks=args.cds_jwks or defaults.cds_jwks,
        cds_development=args.cds_development or defaults.cds_development,
    )
    if settings.clinic:
        load_clinic(settings.clinic)  # a bad file stops the start here, not in every process
    # Each server process builds the app from these variables (uvicorn starts them afresh).
    os.environ.update(settings.to_env())
    # No access log: a URL can carry a patient's language choice, and nothing patient-specific is logged.
    config = uvicorn.Config(
        "explainer.service.app:create_app",
        factory=True,
        workers=processes,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
    )
    if processes == 1:
        uvicorn.Server(config).run()
        return
    sock = config.bind_socket()
    # Processes that share a socket get connections without TCP_NODELAY (asyncio sets it only
    # on sockets it made), and each answer's body would wait 40 ms for the client's delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()


def _check(args: argparse.Namespace) -> int:
    from .quality.check import format_text, run_checks
    from .resources import LOCALES_DIR, PROCEDURES_DIR

    report = run_checks(args.procedures or PROCEDURES_DIR, args.locales or LOCALES_DIR, args.built)
    if args.format == "json":
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_text(report))
    return 1 if report.errors else 0


def _languages(args: argparse.Namespace) -> None:
    from .catalogs import completeness
    from .review.coverage import language_reviews

    library = default_library()
    rows = [("tag", "name", "direction", "complete", "translation", "checked", "handouts checked", "stale")]
    for language in all_languages():
        if language.is_source:
            rows.append((language.tag, language.name, language.direction, "100%", "source", "-", "-", "-"))
            continue
        reviews = language_reviews(language)
        whole = reviews.whole()
        states = [reviews.handout(p, library).state for p in library.procedures.values()]
        rows.append(
            (
                language.tag,
                language.name,
                language.direction,
                f"{completeness(language):.0%}",
                whole.state,
                f"{whole.approved}/{whole.total}",
                f"{states.count('reviewed')} of {len(states)}, {states.count('partly reviewed')} partly",
                str(len(reviews.stale())),
            )
        )
    _print_table(rows)
    print(
        "A message counts as checked only when a qualified translator approved it (explainer review); "
        "explainer check lists stale approvals."
    )
    print(content_review_line(library))


def _review(args: argparse.Namespace) -> None:
    from .resources import LOCALES_DIR
    from .review.records import load_reviewers

    language = match_language(args.lang)
    if language.is_source:
        raise ExplainerError("English is the source text: review a translation (--lang es, zh, ...)")
    locales = args.locales or LOCALES_DIR
    library = default_library()
    if args.action == "report":
        from .review.report import write_report

        unknown = [code for code in args.code if code not in library.procedures]
        if unknown:
            raise ExplainerError(f"no handout for code {', '.join(unknown)}")
        for path in write_report(language, library, locales, args.output_dir, args.code or library.codes):
            print(path)
        return
    reviewers = load_reviewers(locales)
    if args.reviewer not in reviewers:
        known = ", ".join(reviewers) or f"none yet: add yourself to {locales / 'reviewers.toml'}"
        raise ExplainerError(f"--reviewer must be an id from reviewers.toml ({known})")
    from .review.page import serve

    serve(language, reviewers[args.reviewer], library, locales, args.port)


def _procedures(args: argparse.Namespace) -> int:
    from .catalogs import Translator
    from .search import search

    library = default_library()
    translator = Translator(match_language(args.lang))
    found = list(library.procedures.values())
    if args.search is not None:
        hits = search(library, translator, args.search)
        found = [library.procedures[hit.code] for hit in hits]
        if not found:
            print(f"explainer: no handout matches {args.search!r}", file=sys.stderr)
            return 1
    for procedure in found:
        title = translator.text(procedure.title.text).text
        region = translator.text(procedure.region.text).text
        line = f"{procedure.code}  {title} · {region}"
        if args.digest:
            line = f"{procedure.code}  {library.digest(procedure)}  {library.review_status(procedure).state}"
        print(line)
    return 0


def content_review_line(library: Library) -> str:
    """One honest line: how many English handouts a clinician has checked as they read today."""
    states = [library.review_status(p).state for p in library.procedures.values()]
    stale = f", {states.count('stale')} stale (text changed since)" if "stale" in states else ""
    return (
        f"Clinical review of the English text: {states.count('reviewed')} of {len(states)} handouts"
        f"{stale} (procedures/reviews.toml)"
    )


def _print_table(rows: list[tuple[str, ...]]) -> None:
    def width(text: str) -> int:  # wide CJK characters take two terminal columns
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell + " " * (size - width(cell)) for cell, size in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    for position, argument in enumerate(arguments, 1):
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:  # bytes that were not UTF-8, kept by Python as surrogates
            shown = argument.encode("utf-8", "backslashreplace").decode("ascii", "replace")
            print(
                f"explainer: error: argument {position} ({shorten(shown, 40)}) is not valid UTF-8",
                file=sys.stderr,
            )
            return 2
    args = _parser().parse_args(arguments)
    command = {
        "render": _render,
        "build": _build,
        "check": _check,
        "serve": _serve,
        "languages": _languages,
        "procedures": _procedures,
        "review": _review,
    }
    try:
        status = command[args.command](args)
    except ContentError as error:
        print(f"explainer: {len(error.problems)} problem(s) in procedure sources:", file=sys.stderr)
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    except ExplainerError as error:
        print(f"explainer: error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
    return status or 0
