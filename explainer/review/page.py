"""The review page: a bilingual reviewer checks a translation, message by message.

`explainer review --lang es --reviewer mlopez` serves it on 127.0.0.1 only, with
no account: the reviewer named on the command line is the one recorded. Each
handout is shown as its messages, English beside the translation, both as the
patient sees them (emphasis, direction, script). For each message the reviewer
approves it, or writes a corrected translation and a comment:

- a correction becomes the PO file's translation at once (so the handout shows
  it), and the comment a translator comment; it counts as checked only when a
  second reviewer approves it, or at once when its author says so;
- every action is written to disk before the page answers, so closing the page
  loses nothing.

Corrections are not marked fuzzy, although gettext would: compilers leave fuzzy
entries out, and the handout would lose the message (English, or no handout at
all) until a second reviewer came. A correction awaiting approval is recorded
as "proposed" instead, and the handout counts it as unchecked.

Only forms carrying this run's random token are accepted, and only requests
addressed to the loopback host: another web page open in the same browser
cannot approve anything.
"""

from __future__ import annotations

import datetime
import io
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..catalogs import DOMAINS, Translator, catalog_path, template_messages
from ..languages import Language, get_language
from ..library import Library
from ..markup import inline_html
from ..output import write_atomic
from ..render import render_html
from ..resources import TEMPLATES_DIR
from ..typed import unprintable
from .coverage import MessageReview, language_reviews
from .records import Reviewer, ReviewError, digest, record

MAX_FORM = 64 * 1024
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]")
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Row:
    """One message on the page."""

    id: str  # its source digest, also the anchor
    english: Markup
    translation: Markup
    text: str  # the translation as plain text, for the correction box
    review: MessageReview
    who: str  # who approved or proposed it, and when


class ReviewPage:
    def __init__(
        self, language: Language, reviewer: Reviewer, library: Library, locales_dir: Path, port: int
    ) -> None:
        self.language = language
        self.reviewer = reviewer
        self.library = library
        self.locales_dir = locales_dir
        self.port = port
        self.token = secrets.token_urlsafe(24)
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=jinja2.StrictUndefined
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/", self.index),
                Route("/handout/{code}", self.handout),
                Route("/interface", self.interface),
                Route("/preview/{code}/{tag}", self.preview),
                Route("/approve", self.approve, methods=["POST"]),
                Route("/correct", self.correct, methods=["POST"]),
            ]
        )

    # Pages -------------------------------------------------------------------

    def _allowed(self, request: Request) -> bool:
        """Loopback addresses only: a rebinding web page arrives under its own host name."""
        return request.headers.get("host", "") in (f"127.0.0.1:{self.port}", f"localhost:{self.port}")

    def _page(self, request: Request, template: str, **context: Any) -> Response:
        if not self._allowed(request):
            return Response("Not served to this host.\n", status_code=421)
        html = self.templates.get_template(template).render(
            language=self.language, reviewer=self.reviewer, token=self.token, **context
        )
        return HTMLResponse(html, headers=HEADERS)

    async def index(self, request: Request) -> Response:
        reviews = language_reviews(self.language, self.locales_dir)
        handouts = [(p, reviews.handout(p, self.library)) for p in self.library.procedures.values()]
        return self._page(
            request,
            "review_index.html",
            handouts=handouts,
            interface=reviews.summary(reviews.interface()),
            whole=reviews.whole(),
            stale=reviews.stale(),
            translator_title=_titles(self.library, self.language, self.locales_dir),
        )

    async def handout(self, request: Request) -> Response:
        procedure = self.library.procedures.get(request.path_params["code"])
        if procedure is None:
            return Response("No such handout.\n", status_code=404)
        messages = [("procedures", m) for m in dict.fromkeys(self.library.messages_for(procedure))]
        review = language_reviews(self.language, self.locales_dir).handout(procedure, self.library)
        return self._page(
            request, "review_messages.html", procedure=procedure, rows=self._rows(messages), review=review
        )

    async def interface(self, request: Request) -> Response:
        messages = [("messages", m) for m in template_messages("messages")]
        reviews = language_reviews(self.language, self.locales_dir)
        return self._page(
            request,
            "review_messages.html",
            procedure=None,
            rows=self._rows(messages),
            review=reviews.summary(reviews.interface()),
        )

    async def preview(self, request: Request) -> Response:
        """The handout exactly as a patient gets it, in English or in the language."""
        if not self._allowed(request):
            return Response("Not served to this host.\n", status_code=421)
        procedure = self.library.procedures.get(request.path_params["code"])
        tag = request.path_params["tag"]
        if procedure is None or tag not in ("en", self.language.tag):
            return Response("No such handout.\n", status_code=404)
        html = render_html(
            procedure, get_language(tag), self.library, allow_fallback=True, locales_dir=self.locales_dir
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    def _rows(self, messages: list[tuple[str, str]]) -> list[Row]:
        reviews = language_reviews(self.language, self.locales_dir)
        names = reviews.reviewers
        rows = []
        for domain, english in messages:
            review = reviews.message(domain, english)
            text = (review.translation or "").replace("\0", " | ")
            records = review.approvals or review.proposals
            who = "; ".join(f"{names[r.reviewer].signature}, {r.date}" for r in records)
            rows.append(Row(digest(english), inline_html(english), inline_html(text), text, review, who))
        return rows

    # Actions -----------------------------------------------------------------

    async def approve(self, request: Request) -> Response:
        form, problem = await self._form(request)
        if problem:
            return problem
        review = language_reviews(self.language, self.locales_dir).message(form["domain"], form["english"])
        if review.translation is None:
            return _refused("This message has no translation to approve; write one first.")
        if any(r.reviewer == self.reviewer.id for r in review.proposals) and not review.approvals:
            return _refused("You proposed this translation: a second reviewer approves it.")
        record(
            self.locales_dir,
            self.language.tag,
            form["domain"],
            form["english"],
            review.translation,
            self.reviewer,
        )
        return _back(form)

    async def correct(self, request: Request) -> Response:
        form, problem = await self._form(request)
        if problem:
            return problem
        text = form.get("translation", "").strip()
        wrong = _wrong_translation(form["english"], text)
        if wrong:
            return _refused(wrong)
        comment = " ".join(form.get("comment", "").split())
        try:
            self._write_translation(form["domain"], form["english"], text, comment)
        except ReviewError as error:
            return _refused(str(error))
        kind = "approved" if form.get("approve") == "yes" else "proposed"
        record(
            self.locales_dir, self.language.tag, form["domain"], form["english"], text, self.reviewer, kind
        )
        return _back(form)

    async def _form(self, request: Request) -> tuple[dict[str, str], Response | None]:
        if not self._allowed(request):
            return {}, Response("Not served to this host.\n", status_code=421)
        body = await request.body()
        if len(body) > MAX_FORM:
            return {}, _refused(f"The form is over {MAX_FORM // 1024} kB.")
        # Plain url-encoded forms: no multipart parser needed (nor installed).
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if not secrets.compare_digest(form.get("token", ""), self.token):
            return form, _refused("This form is from another session of the review page: reload the page.")
        domain, source = form.get("domain", ""), form.get("source", "")
        known = {digest(m): m for m in template_messages(domain)} if domain in DOMAINS else {}
        if source not in known:
            return form, _refused("This message is no longer in the catalog: reload the page.")
        form["english"] = known[source]
        return form, None

    def _write_translation(self, domain: str, english: str, text: str, comment: str) -> None:
        """The PO file's translation, with the comment, then the compiled catalog."""
        po = catalog_path(self.language.tag, domain, ".po", self.locales_dir)
        with po.open("rb") as file:
            catalog = read_po(file)
        message = catalog[english]
        if message.pluralizable:
            raise ReviewError("Plural messages are corrected in a PO editor, not on this page.")
        message.string = text
        message.flags.discard("fuzzy")
        today = datetime.date.today().isoformat()
        note = f"Reviewer correction by {self.reviewer.signature}, {today}"
        note += f": {comment}" if comment else ""
        message.user_comments = [*message.user_comments, note]
        out = io.BytesIO()
        write_po(out, catalog, width=76)
        write_atomic(po, out.getvalue())
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        write_atomic(catalog_path(self.language.tag, domain, ".mo", self.locales_dir), compiled.getvalue())


def _wrong_translation(english: str, text: str) -> str | None:
    if not text:
        return "The corrected translation is empty."
    why = unprintable(text, allow="\n")
    if why:
        return f"The corrected translation cannot be printed as typed: {why}."
    wanted, found = sorted(PLACEHOLDER.findall(english)), sorted(PLACEHOLDER.findall(text))
    if wanted != found:
        return "The corrected translation must keep these placeholders exactly: " + (
            " ".join(wanted) or "none"
        )
    return None


def _refused(why: str) -> Response:
    page = f"<!DOCTYPE html><title>Not saved</title><p>{Markup.escape(why)}</p>"
    return HTMLResponse(page, status_code=400, headers=HEADERS)


def _back(form: dict[str, str]) -> Response:
    back = form.get("back", "")
    page = "/interface" if back == "interface" else f"/handout/{quote(back)}"
    return RedirectResponse(f"{page}#m-{form['source']}", status_code=303)


def _titles(library: Library, language: Language, locales_dir: Path) -> dict[str, str]:
    translator = Translator(language, locales_dir)
    return {code: translator.text(p.title.text).text for code, p in library.procedures.items()}


def serve(language: Language, reviewer: Reviewer, library: Library, locales_dir: Path, port: int) -> None:
    import uvicorn

    page = ReviewPage(language, reviewer, library, locales_dir, port)
    print(f"Review page for {language.english_name}, as {reviewer.signature}: http://127.0.0.1:{port}/")
    uvicorn.run(page.app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)
