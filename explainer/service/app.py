"""The HTTP service: handouts for patient portals and EHRs, and HL7 Infobutton.

FastAPI (on Starlette and uvicorn) because it writes the OpenAPI document from
the routes themselves and validates query parameters, which we then report as
RFC 9457 problems. Run it with `explainer serve`, or under any ASGI server as
`explainer.service:app` (configured by EXPLAINER_* environment variables).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..build import Digests, Job, read_manifest
from ..build import Settings as BuildSettings
from ..catalogs import Translator, completeness
from ..clinic import NO_CLINIC, Clinic, load_clinic
from ..errors import MalformedCode, MissingGlyphs, MissingTranslations, UnknownProcedure, UnsupportedLanguage
from ..languages import TAGS, all_languages, get_language, match_language
from ..library import Library, load_library
from ..options import NOTE_LIMIT, HandoutOptions, OptionError, make_options
from ..output import OUTPUT_DIR
from ..procedures import GROUPS, Procedure, split_keywords
from ..render import render_html, render_json, review_json
from ..resources import LOCALES_DIR, PROCEDURES_DIR, TEMPLATES_DIR
from ..review.coverage import language_reviews
from ..search import search
from .cds_auth import CdsTrust, NotTrusted
from .cds_hooks import (
    SERVICES,
    CdsRequestError,
    CdsService,
    Feedback,
    Handout,
    card,
    codes_in,
    patient_language,
)
from .fast_path import FastPath, InputFiles
from .fhir import SYSTEM_URLS, attachment, capability_statement, handout_document, search_bundle
from .guards import HttpGuards, SecurityHeaders
from .infobutton import (
    CPT_OID,
    Criterion,
    Entry,
    Feed,
    InfobuttonError,
    InfobuttonRequest,
    atom_feed,
    json_feed,
)
from .negotiation import negotiate
from .pool import PdfPool, PdfRequest
from .problems import DESCRIPTIONS, Problem

FORMAT_TYPES = {
    "html": "text/html; charset=utf-8",
    "fragment": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
}
Format = Literal["html", "fragment", "pdf", "json"]


class PersonalHandout(BaseModel):
    """A handout for one patient: the note is printed as typed and never stored."""

    lang: str | None = Field(None, description="Language tag; overrides Accept-Language")
    format: Literal["html", "fragment", "pdf"] = "pdf"
    paper: Literal["letter", "a4"] = "letter"
    fallback: Literal["none", "en"] = "none"
    note: str = Field("", max_length=4 * NOTE_LIMIT, description=f"At most {NOTE_LIMIT} characters")
    note_lang: str = Field("en", description="Language the note is written in")
    also_lang: str | None = Field(None, description="A second language after each section")
    large_print: bool = False


Paper = Literal["letter", "a4"]
Fallback = Literal["none", "en"]


@dataclass(frozen=True)
class ServiceSettings:
    output_dir: Path = OUTPUT_DIR
    procedures_dir: Path = PROCEDURES_DIR
    locales_dir: Path = LOCALES_DIR
    pdf_workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    pdf_queue: int | None = None  # default: as many as workers
    render_timeout: float = 30.0
    frame_ancestors: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    cache_entries: int = 512  # handouts rendered here, by digest
    cache_mb: int = 128  # whole answers kept for repeated requests (fast_path.py)
    max_age: int = 300
    clinic: Path | None = None  # clinic settings: branding, taglines, QR target
    # Where clients reach this service, e.g. https://handouts.example.org: links in JSON,
    # Atom and redirects are made from it, never from the request's Host header (which a
    # client chooses, and a shared cache would keep). Unset: links are relative.
    public_url: str = ""
    max_body: int = 64 * 1024  # bytes of a POST body; a note is at most 4 kB
    # CDS Hooks: the EHRs trusted to call (their `iss`), and their keys (a JWKS file or
    # https URL). Development mode trusts any caller and says so in every card.
    cds_issuers: tuple[str, ...] = ()
    cds_jwks: str = ""
    cds_development: bool = False

    @classmethod
    def from_env(cls) -> ServiceSettings:
        env = os.environ.get

        def words(name: str) -> tuple[str, ...]:
            return tuple(env(name, "").split())

        return cls(
            output_dir=Path(env("EXPLAINER_OUTPUT_DIR", str(OUTPUT_DIR))),
            pdf_workers=int(env("EXPLAINER_PDF_WORKERS", str(os.cpu_count() or 1))),
            pdf_queue=int(env("EXPLAINER_PDF_QUEUE", "")) if env("EXPLAINER_PDF_QUEUE") else None,
            render_timeout=float(env("EXPLAINER_RENDER_TIMEOUT", "30")),
            cache_mb=int(env("EXPLAINER_CACHE_MB", "128")),
            frame_ancestors=words("EXPLAINER_FRAME_ANCESTORS"),
            cors_origins=words("EXPLAINER_CORS_ORIGINS"),
            clinic=Path(env("EXPLAINER_CLINIC")) if env("EXPLAINER_CLINIC") else None,
            public_url=env("EXPLAINER_PUBLIC_URL", "").rstrip("/"),
            cds_issuers=words("EXPLAINER_CDS_ISSUERS"),
            cds_jwks=env("EXPLAINER_CDS_JWKS", ""),
            cds_development=env("EXPLAINER_CDS_DEVELOPMENT", "") == "1",
        )

    def to_env(self) -> dict[str, str]:
        """The EXPLAINER_* variables `from_env` reads back: how `explainer serve` hands its
        options to server processes it starts."""
        return {
            "EXPLAINER_OUTPUT_DIR": str(self.output_dir),
            "EXPLAINER_PDF_WORKERS": str(self.pdf_workers),
            "EXPLAINER_PDF_QUEUE": "" if self.pdf_queue is None else str(self.pdf_queue),
            "EXPLAINER_RENDER_TIMEOUT": str(self.render_timeout),
            "EXPLAINER_CACHE_MB": str(self.cache_mb),
            "EXPLAINER_FRAME_ANCESTORS": " ".join(self.frame_ancestors),
            "EXPLAINER_CORS_ORIGINS": " ".join(self.cors_origins),
            "EXPLAINER_CLINIC": str(self.clinic) if self.clinic else "",
            "EXPLAINER_PUBLIC_URL": self.public_url,
            "EXPLAINER_CDS_ISSUERS": " ".join(self.cds_issuers),
            "EXPLAINER_CDS_JWKS": self.cds_jwks,
            "EXPLAINER_CDS_DEVELOPMENT": "1" if self.cds_development else "",
        }


class Outputs:
    """Rendered handouts, by the digest of what they were made from: those the
    library build wrote to disk, and those rendered here since the start."""

    def __init__(self, settings: ServiceSettings, library: Library, inputs: InputFiles) -> None:
        self.root = settings.output_dir
        self.inputs = inputs
        self.digests = {
            paper: Digests(
                library,
                BuildSettings(
                    settings.output_dir, paper, settings.procedures_dir, settings.locales_dir, settings.clinic
                ),
            )
            for paper in ("letter", "a4")
        }
        self.memory: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self.limit = settings.cache_entries
        self._manifest: tuple[float, dict[str, Any]] = (0.0, {})
        self._known: dict[tuple[Job, str], str] = {}  # digests, until an input file changes
        self._generation = inputs.generation
        self.rendering: dict[tuple[str, str], asyncio.Future[bytes]] = {}

    def digest(self, job: Job, paper: str) -> str:
        """Hashing every message of a handout costs milliseconds: once per input change."""
        if self.inputs.current() != self._generation:
            self._generation = self.inputs.generation
            self._known.clear()
        key = (job, paper)
        if key not in self._known:
            self._known[key] = self.digests[paper].of(job)
        return self._known[key]

    def find(self, job: Job, paper: str, digest: str, *, built_ok: bool = True) -> tuple[bytes, str] | None:
        """The bytes, and where they came from: "memory" or "built"."""
        key = (f"{job.name}:{paper}", digest)
        if key in self.memory:
            self.memory.move_to_end(key)
            return self.memory[key], "memory"
        if paper == "letter" and built_ok:
            recorded = self._built().get(job.name)
            path = self.root / job.name
            if recorded and recorded.get("inputs") == digest:
                try:
                    data = path.read_bytes()
                except OSError:
                    return None
                if len(data) == recorded.get("size"):
                    return data, "built"
        return None

    def keep(self, job: Job, paper: str, digest: str, data: bytes) -> None:
        self.memory[(f"{job.name}:{paper}", digest)] = data
        while len(self.memory) > self.limit:
            self.memory.popitem(last=False)

    def _built(self) -> dict[str, Any]:
        path = self.root / ".manifest.json"
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return {}
        if mtime != self._manifest[0]:
            self._manifest = (mtime, read_manifest(self.root))
        return self._manifest[1]


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or ServiceSettings.from_env()
    library = load_library(settings.procedures_dir)
    clinic = load_clinic(settings.clinic) if settings.clinic else NO_CLINIC  # a bad file stops the start
    inputs = InputFiles(
        (settings.locales_dir, settings.procedures_dir, TEMPLATES_DIR),
        (settings.output_dir / ".manifest.json", *((settings.clinic,) if settings.clinic else ())),
    )
    outputs = Outputs(settings, library, inputs)
    queue = settings.pdf_queue if settings.pdf_queue is not None else settings.pdf_workers

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = PdfPool(settings.pdf_workers, queue, settings.render_timeout)
        app.state.pool.supervise()
        yield
        app.state.pool.close()

    app = FastAPI(
        title="explainer",
        summary="Plain-language patient handouts for procedure codes, in ten languages.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # the interactive docs load scripts from a CDN; the OpenAPI document is enough
        redoc_url=None,
    )
    # Added innermost first. A request meets the fast path, then the security headers,
    # the guards and CORS: an answer is kept with all their headers.
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET"],
            allow_headers=["Accept-Language", "If-None-Match"],
            expose_headers=["Content-Language", "ETag"],
        )
    _install_error_handlers(app)
    app.add_middleware(HttpGuards, max_body=settings.max_body)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(FastPath, inputs=inputs, limit=settings.cache_mb * 1024 * 1024)

    async def kept_or_rendered(
        request: Request, job: Job, paper: str, allow: bool, options: HandoutOptions
    ) -> tuple[bytes, str]:
        """A handout's bytes, and where they came from: the build, memory, or rendered now
        (and kept). A variant (fallback, second language, large print) is never the build's."""
        variant = ("+fallback" if allow else "") + (f"+{options.also_lang}" if options.also_lang else "")
        variant += "+large" if options.large_print else ""
        digest = outputs.digest(job, paper) + variant
        found = outputs.find(job, paper, digest, built_ok=not variant)
        if found is not None:
            return found
        key = (f"{job.name}:{paper}", digest)
        if key in outputs.rendering:  # a burst for a new handout renders it once
            return await asyncio.shield(outputs.rendering[key]), "rendered"
        outputs.rendering[key] = asyncio.get_running_loop().create_future()
        try:
            body = await _render(request, library, job, paper, allow, settings, options)
        except Exception as error:  # those waiting get the same answer (409, 503, ...)
            waited = outputs.rendering.pop(key)
            waited.set_exception(error)
            waited.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        except BaseException:  # cancelled, at shutdown
            outputs.rendering.pop(key).cancel()
            raise
        outputs.rendering.pop(key).set_result(body)
        outputs.keep(job, paper, digest, body)
        return body, "rendered"

    @app.get("/healthz", summary="Health (503 while a dead PDF worker is replaced)", tags=["service"])
    async def healthz(request: Request) -> JSONResponse:
        pool = request.app.state.pool
        body = {
            "status": "ok" if pool.healthy else "degraded",
            "pdf_workers": {
                "healthy": pool.healthy,
                "workers": pool.workers,
                "restarts": pool.restarts,
                "rendered": pool.rendered,
            },
            "procedures": len(library.procedures),
            "languages": list(TAGS),
        }
        status = 200 if pool.healthy else 503
        return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    @app.get(
        "/v1/languages", summary="Languages, their own names, direction, completeness, review", tags=["api"]
    )
    def languages() -> dict[str, Any]:
        states = [library.review_status(p).state for p in library.procedures.values()]
        return {
            "languages": [
                {
                    "tag": language.tag,
                    "name": language.name,
                    "english_name": language.english_name,
                    "direction": language.direction,
                    "completeness": round(completeness(language), 4),
                    # "source" (English), or how much qualified translators checked
                    **_translation_review(library, language, settings.locales_dir),
                }
                for language in all_languages()
            ],
            # Clinical review of the English text, per handout (procedures/reviews.toml).
            "content_review": {
                "reviewed": states.count("reviewed"),
                "stale": states.count("stale"),
                "not_reviewed": states.count("not reviewed"),
                "total": len(states),
            },
        }

    @app.get(
        "/v1/procedures", summary="Every procedure with its title in the negotiated language", tags=["api"]
    )
    def procedures(
        request: Request,
        lang: Annotated[str | None, Query(description="Language tag; overrides Accept-Language")] = None,
        q: Annotated[
            str | None,
            Query(max_length=200, description="Words or a code: title, region, keywords, any language"),
        ] = None,
        accept_language: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        language = _negotiate(lang, accept_language)
        translator = Translator(language, settings.locales_dir)
        codes = library.codes if q is None else [hit.code for hit in search(library, translator, q)]
        items = [_summary(settings, library, translator, code) for code in codes]
        counts = {key: sum(item["group"]["id"] == key for item in items) for key in GROUPS}
        groups = [
            {"id": key, "name": translator.gettext(label), "count": counts[key]}
            for key, label in GROUPS.items()
            if counts[key]
        ]
        body: dict[str, Any] = {"language": language.tag, "groups": groups, "procedures": items}
        if q is not None:
            body["query"] = q
        return _json(request, body, language.tag, settings)

    @app.get("/v1/procedures/{code}", summary="One procedure, in the negotiated language", tags=["api"])
    def procedure(
        request: Request,
        code: Annotated[str, PathParam(description="CPT code, e.g. 63271")],
        lang: Annotated[str | None, Query()] = None,
        accept_language: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        language = _negotiate(lang, accept_language)
        found = _procedure(library, code)
        translator = Translator(language, settings.locales_dir)
        return _json(request, _summary(settings, library, translator, found.code), language.tag, settings)

    @app.get(
        "/v1/handouts/{code}",
        summary="A handout as a page, an embeddable fragment, a PDF or JSON",
        tags=["api"],
        responses={200: {"content": {t.split(";")[0]: {} for t in FORMAT_TYPES.values()}}, 304: {}},
    )
    async def handout(
        request: Request,
        code: Annotated[str, PathParam(description="CPT code, e.g. 63271")],
        lang: Annotated[str | None, Query(description="Language tag; overrides Accept-Language")] = None,
        format: Annotated[Format, Query()] = "html",
        paper: Annotated[Paper, Query(description="PDF paper size")] = "letter",
        fallback: Annotated[Fallback, Query(description="`en` shows untranslated parts in English")] = "none",
        also_lang: Annotated[str | None, Query(description="A second language after each section")] = None,
        large_print: Annotated[bool, Query(description="Body text of 18 pt or more")] = False,
        accept_language: Annotated[str | None, Header()] = None,
    ) -> Response:
        request.state.html_errors = format in ("html", "fragment", "pdf")
        language = _negotiate(lang, accept_language)
        found = _procedure(library, code)
        allow = fallback == "en"
        options = _options(language, clinic, also_lang=also_lang or "", large_print=large_print)
        if format == "json":
            data = _handout_json(request, library, found.code, language, allow, settings)
            system, asked = _matched(library, code).split(" ")
            data["matched"] = {"system": system, "code": asked}
            return _json(request, data, language.tag, settings)
        job = Job(found.code, language.tag, format)
        body, source = await kept_or_rendered(request, job, paper, allow, options)
        response = _send(
            request, body, FORMAT_TYPES[format], language.tag, settings, frameable=format == "html"
        )
        response.headers["X-Explainer-Source"] = source  # built, memory or rendered: for operators
        response.headers["X-Explainer-Code"] = _matched(library, code)
        return response

    @app.post(
        "/v1/handouts/{code}",
        summary="A handout for one patient, with a note from the care team (never cached or stored)",
        tags=["api"],
        responses={200: {"content": {t.split(";")[0]: {} for t in FORMAT_TYPES.values() if "json" not in t}}},
    )
    async def personal_handout(
        request: Request,
        code: Annotated[str, PathParam(description="CPT code, e.g. 63271")],
        body: PersonalHandout,
        accept_language: Annotated[str | None, Header()] = None,
    ) -> Response:
        request.state.html_errors = body.format in ("html", "fragment", "pdf")
        language = _negotiate(body.lang, accept_language)
        found = _procedure(library, code)
        options = _options(
            language,
            clinic,
            note=body.note,
            note_lang=body.note_lang,
            also_lang=body.also_lang or "",
            large_print=body.large_print,
        )
        job = Job(found.code, language.tag, body.format)
        data = await _render(request, library, job, body.paper, body.fallback == "en", settings, options)
        headers = {"Cache-Control": "no-store", "Content-Language": language.tag, "Vary": "Accept-Language"}
        if body.format != "pdf":
            headers["Content-Security-Policy"] = (
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
            )
        return Response(data, media_type=FORMAT_TYPES[body.format], headers=headers)

    @app.get(
        "/infobutton", summary="HL7 Infobutton (context-aware knowledge retrieval), URL-based", tags=["hl7"]
    )
    def infobutton(
        request: Request,
        code: Annotated[
            str | None, Query(alias="mainSearchCriteria.v.c", description="also indexed: .v.c0, .v.c1, ...")
        ] = None,
        code_system: Annotated[
            str | None, Query(alias="mainSearchCriteria.v.cs", description=f"CPT-4 is {CPT_OID}")
        ] = None,
        display_name: Annotated[str | None, Query(alias="mainSearchCriteria.v.dn")] = None,
        language_code: Annotated[
            str | None, Query(alias="informationRecipient.languageCode.c", description="es, es-US, spa, sp")
        ] = None,
        recipient: Annotated[str | None, Query(alias="informationRecipient", description="PAT, PROV")] = None,
        response_type: Annotated[
            str | None,
            Query(alias="knowledgeResponseType", description="text/xml, application/json, ..., text/html"),
        ] = None,
        accept_language: Annotated[str | None, Header()] = None,
    ) -> Response:
        try:
            query = InfobuttonRequest.from_query(request.query_params)
        except InfobuttonError as error:
            raise Problem(400, "invalid-parameter", "Invalid parameter", str(error)) from None
        unavailable = ""
        try:
            language = negotiate(query.language or None, accept_language).language
        except UnsupportedLanguage:  # an EHR is better served in English than with an error, and told so
            unavailable = query.language
            language = negotiate(None, accept_language).language
        matched = _infobutton_match(library, query)
        entries = [_entry(library, matched[0].code, language, settings)] if matched else []
        feed = Feed(
            query,
            entries,
            language.tag,
            Translator(language, settings.locales_dir).gettext("Patient information"),
            settings.public_url,
            matched[1] if matched else None,
            unavailable,
        )
        if query.response_type == "html":
            if entries:
                return RedirectResponse(entries[0].links["text/html"], status_code=303)
            return HTMLResponse(_no_information_page(query), headers={"Content-Language": "en"})
        if query.response_type == "json":
            return _json(request, json_feed(feed), language.tag, settings)
        if query.response_type == "jsonp":
            payload = json.dumps(json_feed(feed), ensure_ascii=False, separators=(",", ":"))
            body = f"/**/{query.callback}({payload});" if query.callback else payload
            media = "application/javascript" if query.callback else "application/json"
            return _send(request, body.encode("utf-8"), media, language.tag, settings)
        wanted = (response_type or "").split(";")[0].strip().lower()
        media = "application/atom+xml" if wanted == "application/atom+xml" else "text/xml"
        return _send(request, atom_feed(feed), f"{media}; charset=utf-8", language.tag, settings)

    trust = CdsTrust(settings.cds_issuers, settings.cds_jwks, settings.cds_development)
    feedback = Feedback(Counter())

    @app.get("/cds-services", summary="CDS Hooks discovery", tags=["cds-hooks"])
    def cds_discovery() -> JSONResponse:
        return JSONResponse({"services": [service.discovery() for service in SERVICES.values()]})

    @app.post("/cds-services/{service_id}", summary="A CDS Hooks service call", tags=["cds-hooks"])
    async def cds_call(
        request: Request, service_id: str, authorization: Annotated[str | None, Header()] = None
    ) -> JSONResponse:
        service, base = _cds_caller(request, settings, trust, service_id, authorization)
        body = await _json_body(request)
        try:
            found = codes_in(service, body, library)
        except CdsRequestError as error:
            raise Problem(400, "invalid-parameter", "Invalid CDS Hooks request", str(error)) from None
        language, language_note = patient_language(body)
        translator = Translator(language, settings.locales_dir)
        patient_id = str((body.get("context") or {}).get("patientId") or "")[:64]
        cards = []
        for item in found:
            procedure = library.procedures[item.code]
            handout = Handout(
                item,
                translator.text(procedure.title.text).text,
                procedure.title.text,
                language,
                _handout_url(base, item.code, language.tag, "html"),
                _handout_url(base, item.code, language.tag, "pdf"),
                "source"
                if language.is_source
                else language_reviews(language, settings.locales_dir).handout(procedure, library).state,
            )
            cards.append(card(handout, patient_id, f"{base}/", language_note, trust.development))
        return JSONResponse({"cards": cards}, headers={"Cache-Control": "no-store"})

    @app.post("/cds-services/{service_id}/feedback", summary="CDS Hooks feedback", tags=["cds-hooks"])
    async def cds_feedback(
        request: Request, service_id: str, authorization: Annotated[str | None, Header()] = None
    ) -> JSONResponse:
        service, _ = _cds_caller(request, settings, trust, service_id, authorization, "/feedback")
        try:
            feedback.record(service.id, await _json_body(request))
        except CdsRequestError as error:
            raise Problem(400, "invalid-parameter", "Invalid feedback", str(error)) from None
        return JSONResponse({}, headers={"Cache-Control": "no-store"})

    async def document(request: Request, code: str, language: Any) -> dict[str, Any]:
        """A handout as a FHIR DocumentReference: its page and its PDF, hashed and sized."""
        procedure = library.procedures[code]
        translator = Translator(language, settings.locales_dir)
        title = translator.text(procedure.title.text).text
        attachments = []
        for fmt in ("html", "pdf"):
            job = Job(code, language.tag, fmt)
            data, _ = await kept_or_rendered(request, job, "letter", False, _options(language, clinic))
            url = _handout_url(settings.public_url, code, language.tag, fmt)
            attachments.append(attachment(data, FORMAT_TYPES[fmt].split(";")[0], language.tag, url, title))
        return handout_document(
            code, procedure.system, language.tag, title, procedure.changed.isoformat(), attachments
        )

    @app.get("/fhir/metadata", summary="FHIR CapabilityStatement", tags=["fhir"])
    def fhir_metadata() -> JSONResponse:
        body = capability_statement(settings.public_url, app.version)
        return JSONResponse(body, media_type="application/fhir+json")

    @app.get(
        "/fhir/DocumentReference/{resource_id}",
        summary="A handout as a FHIR DocumentReference",
        tags=["fhir"],
    )
    async def fhir_read(request: Request, resource_id: str) -> JSONResponse:
        code, _, tag = resource_id.partition("-")
        if code not in library.procedures or tag not in TAGS:
            raise Problem(404, "not-found", "Not found", f"No DocumentReference {resource_id[:40]!r}.")
        body = await document(request, code, get_language(tag))
        return JSONResponse(body, media_type="application/fhir+json")

    @app.get("/fhir/DocumentReference", summary="Handouts by procedure code and language", tags=["fhir"])
    async def fhir_search(
        request: Request,
        event: Annotated[str | None, Query(description="CPT or HCPCS code, system|code or code")] = None,
        language: Annotated[str | None, Query(description="a language tag, e.g. es")] = None,
        resource_id: Annotated[str | None, Query(alias="_id")] = None,
    ) -> JSONResponse:
        if not event and not resource_id:
            raise Problem(
                400, "invalid-parameter", "Search too broad", "Search by event (a CPT or HCPCS code) or _id."
            )
        pairs: list[tuple[str, str]] = []
        if resource_id:
            code, _, tag = resource_id.partition("-")
            pairs = [(code, tag)] if code in library.procedures and tag in TAGS else []
        else:
            system_url, _, asked = (event or "").rpartition("|")
            try:
                procedure, system = library.lookup(asked)
            except (MalformedCode, UnknownProcedure):
                procedure, system = None, ""
            if procedure is not None and system_url in ("", SYSTEM_URLS.get(system)):
                pairs = [(procedure.code, tag) for tag in TAGS]
        if language:
            try:
                wanted = match_language(language).tag
            except UnsupportedLanguage:
                wanted = ""
            pairs = [(code, tag) for code, tag in pairs if tag == wanted]
        resources = [await document(request, code, get_language(tag)) for code, tag in pairs]
        return JSONResponse(search_bundle(resources, settings.public_url), media_type="application/fhir+json")

    @app.get("/problems/{kind}", include_in_schema=False)
    def problem_description(kind: str) -> Response:
        if kind not in DESCRIPTIONS:
            raise StarletteHTTPException(404)
        return Response(DESCRIPTIONS[kind] + "\n", media_type="text/plain; charset=utf-8")

    return app


def _translation_review(library: Library, language: Any, locales_dir: Path) -> dict[str, Any]:
    """A language's review by qualified translators: its messages, and its handouts by state."""
    if language.is_source:
        return {"translation": "source", "translation_review": None}
    reviews = language_reviews(language, locales_dir)
    handouts = {code: reviews.handout(p, library) for code, p in library.procedures.items()}
    whole = reviews.whole()
    return {
        "translation": whole.state,
        "translation_review": {
            **whole.as_json(),
            "handouts": {code: review.state for code, review in handouts.items()},
            "stale_approvals": [
                {"catalog": r.domain, "english": r.text, "reviewer": r.reviewer, "date": r.date}
                for r in reviews.stale()
            ],
        },
    }


# CDS Hooks -----------------------------------------------------------------------


def _cds_caller(
    request: Request,
    settings: ServiceSettings,
    trust: CdsTrust,
    service_id: str,
    authorization: str | None,
    suffix: str = "",
) -> tuple[CdsService, str]:
    """The service called and our public address, once the caller is trusted: the
    token's audience must be the very URL it was sent to."""
    service = _cds_service(service_id)
    base = _cds_base(request, settings)
    _cds_trusted(trust, authorization, f"{base}/cds-services/{service.id}{suffix}")
    return service, base


def _cds_service(service_id: str) -> CdsService:
    if service_id not in SERVICES:
        raise Problem(404, "not-found", "No such CDS service", f"Known services: {', '.join(SERVICES)}.")
    return SERVICES[service_id]


def _cds_base(request: Request, settings: ServiceSettings) -> str:
    """Cards need absolute links, and a JWT names the URL it was sent to: both come
    from the configured public address (the Host header only in development mode)."""
    if settings.public_url:
        return settings.public_url
    if settings.cds_development:
        return str(request.base_url).rstrip("/")
    raise Problem(
        503,
        "not-configured",
        "CDS Hooks not configured",
        "Start the service with --public-url for CDS Hooks.",
    )


def _cds_trusted(trust: CdsTrust, authorization: str | None, audience: str) -> None:
    try:
        trust.check(authorization, audience)
    except NotTrusted as error:
        problem = Problem(401, "not-trusted", "Caller not trusted", str(error))
        problem.headers["WWW-Authenticate"] = "Bearer"
        raise problem from None


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        raise Problem(400, "invalid-parameter", "Invalid JSON", "The request body is not JSON.") from None


# Handouts ------------------------------------------------------------------------


def _infobutton_match(library: Library, query: InfobuttonRequest) -> tuple[Procedure, Criterion] | None:
    """The handout for the first search criterion we explain: its code in its system
    (CPT or HCPCS); EHRs send several criteria, indexed, for one order."""
    for criterion in query.criteria:
        if criterion.system is None:
            continue
        try:
            procedure, system = library.lookup(criterion.code)
        except (MalformedCode, UnknownProcedure):
            continue
        if system == criterion.system:
            return procedure, criterion
    return None


async def _render(
    request: Request,
    library: Library,
    job: Job,
    paper: str,
    allow: bool,
    settings: ServiceSettings,
    options: HandoutOptions,
) -> bytes:
    procedure, language = library.procedures[job.code], get_language(job.lang)
    try:
        if job.fmt == "pdf":
            pdf_request = PdfRequest(
                job.code, job.lang, paper, allow, settings.procedures_dir, settings.locales_dir, options
            )
            return await request.app.state.pool.render(pdf_request)
        # In a thread, so answers from memory go on while a page renders.
        html = await asyncio.to_thread(
            render_html,
            procedure,
            language,
            library,
            fragment=job.fmt == "fragment",
            allow_fallback=allow,
            locales_dir=settings.locales_dir,
            options=options,
        )
        return html.encode("utf-8")
    except MissingTranslations as error:
        raise _untranslated(error) from None
    except MissingGlyphs as error:
        unprintable = sorted(set(error.characters) & set(options.note))
        if not unprintable:
            raise
        names = ", ".join(f"U+{ord(c):04X}" for c in unprintable)
        raise Problem(
            400,
            "unprintable-note",
            "Note cannot be printed",
            f"The note holds {names}, which no installed font can draw; remove it or choose HTML.",
            characters=[f"U+{ord(c):04X}" for c in unprintable],
        ) from None


def _options(language: Any, clinic: Clinic, **chosen: Any) -> HandoutOptions:
    try:
        return make_options(language, clinic=clinic, **chosen)
    except UnsupportedLanguage as error:
        raise Problem(
            400, "unsupported-language", "Unsupported language", str(error), available=list(TAGS)
        ) from None
    except OptionError as error:
        raise Problem(400, "invalid-parameter", "Invalid option", str(error)) from None


def _handout_json(
    request: Request, library: Library, code: str, language: Any, allow: bool, settings: ServiceSettings
) -> dict[str, Any]:
    try:
        data = render_json(
            library.procedures[code],
            language,
            library,
            allow_fallback=allow,
            locales_dir=settings.locales_dir,
        )
    except MissingTranslations as error:
        raise _untranslated(error) from None
    data["links"] = _links(settings, code, language.tag)
    return data


def _summary(
    settings: ServiceSettings, library: Library, translator: Translator, code: str
) -> dict[str, Any]:
    procedure = library.procedures[code]
    title = translator.text(procedure.title.text)
    region = translator.text(procedure.region.text)
    related = [
        {
            "code": c,
            "title": translator.text(library.procedures[c].title.text).text,
            "region": translator.text(library.procedures[c].region.text).text,
        }
        for c in procedure.related
    ]
    keywords = split_keywords(translator.text(procedure.keywords.text).text) if procedure.keywords else []
    item = {
        "code": code,
        "system": procedure.system,
        "title": title.text,
        "subtitle": translator.text(procedure.subtitle.text).text,
        "region": region.text,
        "group": {"id": procedure.group, "name": translator.gettext(GROUPS[procedure.group])},
        "keywords": keywords,
        "other_codes": [{"system": system, "code": other} for system, other in procedure.other_codes],
        "changed": procedure.changed.isoformat(),
        "clinical_review": review_json(library.review_status(procedure)),
        "related": related,
        "links": _links(settings, code, translator.language.tag),
    }
    if title.lang or region.lang:
        item["english_fallback"] = True
    return item


def _entry(library: Library, code: str, language: Any, settings: ServiceSettings) -> Entry:
    procedure = library.procedures[code]
    translator = Translator(language, settings.locales_dir)
    summary = translator.text(procedure.sections[0].blocks[0].items[0].text).text
    links = _links(settings, code, language.tag)
    return Entry(
        code=code,
        title=translator.text(procedure.title.text).text,
        summary=summary,
        lang=language.tag,
        updated=procedure.changed,
        links={
            "text/html": links["html"],
            "application/pdf": links["pdf"],
            "application/json": links["json"],
        },
    )


def _links(settings: ServiceSettings, code: str, lang: str) -> dict[str, str]:
    """From the configured public address, or relative: never from the Host header."""
    return {fmt: _handout_url(settings.public_url, code, lang, fmt) for fmt in FORMAT_TYPES}


def _handout_url(base: str, code: str, lang: str, fmt: str) -> str:
    return f"{base}/v1/handouts/{quote(code)}?{urlencode({'lang': lang, 'format': fmt})}"


# Responses -----------------------------------------------------------------------


def _json(request: Request, data: Any, lang: str, settings: ServiceSettings) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _send(request, body, "application/json", lang, settings)


def _send(
    request: Request,
    body: bytes,
    media_type: str,
    lang: str,
    settings: ServiceSettings,
    *,
    frameable: bool = False,
) -> Response:
    """With a strong ETag, caching headers and the language; 304 when the client has it."""
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={settings.max_age}",
        "Content-Language": lang,
        "Vary": "Accept-Language",
    }
    if media_type.startswith("text/html"):
        ancestors = " ".join(("'self'", *settings.frame_ancestors)) if frameable else "'none'"
        headers["Content-Security-Policy"] = (
            f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors {ancestors}"
        )
    matches = [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]
    if etag in matches or "*" in matches:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _no_information_page(query: InfobuttonRequest) -> str:
    return Problem(
        200,
        "not-found",
        "No handout for this code",
        f"explainer has no patient handout for code {query.first.code[:20] or '(none)'} in code system "
        f"{query.first.code_system[:64] or CPT_OID}.",
    ).as_html()


# Errors --------------------------------------------------------------------------


def _negotiate(lang: str | None, accept_language: str | None) -> Any:
    try:
        return negotiate(lang, accept_language).language
    except UnsupportedLanguage as error:
        raise Problem(
            400, "unsupported-language", "Unsupported language", str(error), available=list(TAGS)
        ) from None


def _matched(library: Library, code: str) -> str:
    """Which code system and code a request matched, e.g. 'HCPCS G0121' (for a known code)."""
    code = code.strip().upper()
    return f"{library.lookup(code)[1]} {code}"


def _procedure(library: Library, code: str) -> Any:
    try:
        return library.get(code)
    except MalformedCode as error:
        raise Problem(400, "malformed-code", "Not a CPT or HCPCS code", str(error)) from None
    except UnknownProcedure as error:
        raise Problem(
            404,
            "unknown-code",
            "Unknown procedure code",
            str(error),
            closest=library.closest(code.strip().upper()),
        ) from None


def _untranslated(error: MissingTranslations) -> Problem:
    return Problem(
        409,
        "untranslated",
        "Translation incomplete",
        str(error).replace("--allow-fallback", "fallback=en"),
        untranslated=len(error.messages),
    )


def _install_error_handlers(app: FastAPI) -> None:
    def respond(request: Request, problem: Problem) -> Response:
        """JSON problem details unless the client wants a page: it asked for a page or a
        PDF, or accepts HTML, and did not ask for JSON."""
        accept = request.headers.get("accept", "")
        page_request = getattr(request.state, "html_errors", False) or (
            "text/html" in accept and not request.url.path.startswith(("/v1/procedures", "/v1/languages"))
        )
        if page_request and "json" not in accept:
            return HTMLResponse(problem.as_html(), status_code=problem.status, headers=problem.headers)
        return JSONResponse(
            problem.as_json(request.url.path),
            status_code=problem.status,
            media_type="application/problem+json",
            headers=problem.headers,
        )

    @app.exception_handler(Problem)
    async def on_problem(request: Request, problem: Problem) -> Response:
        return respond(request, problem)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> Response:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ())[1:]) or "request"
        allowed = first.get("ctx", {}).get("expected", "")
        detail = f"'{where}' is not valid: {first.get('msg', 'invalid value')}" + (
            f" ({allowed})" if allowed else ""
        )
        request.state.html_errors = request.query_params.get("format") in ("html", "fragment", "pdf")
        return respond(
            request, Problem(400, "invalid-parameter", "Invalid parameter", detail, parameter=where)
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404:
            return respond(
                request, Problem(404, "not-found", "Not found", f"Nothing is served at {request.url.path}.")
            )
        problem = Problem(error.status_code, "http-error", str(error.detail), str(error.detail))
        problem.headers.update(error.headers or {})  # 405 keeps its Allow
        return respond(request, problem)

    @app.exception_handler(Exception)
    async def on_crash(request: Request, error: Exception) -> Response:  # no stack traces to clients
        import logging
        import traceback

        # The type and the stack, never the message or the chained causes: they can hold
        # what the client sent (a care-team note), and notes never reach the logs.
        stack = "".join(traceback.format_tb(error.__traceback__))
        logging.getLogger("explainer").error(
            "unexpected %s on %s %s\n%s", type(error).__name__, request.method, request.url.path, stack
        )
        return respond(
            request, Problem(500, "internal", "Internal error", "Something went wrong on our side.")
        )
