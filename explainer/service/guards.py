"""Checks on HTTP input before any route sees it, for a service that runs unattended.

- HEAD is answered wherever GET is (load balancers probe `/healthz` with HEAD):
  the GET route runs and its body is dropped, its headers kept.
- A request body larger than `max_body` is refused with 413 before it is parsed,
  whether or not it says its length: a 50 MB JSON body must not stall the server.
- A query parameter holding a control character is refused with 400: such
  characters have no place in a code or a tag, and would make ill-formed XML.

`SecurityHeaders` adds the headers every answer carries, errors included.
Both are plain ASGI, not Starlette's BaseHTTPMiddleware, which costs a task
and a stream per request on a path that answers thousands a second.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import parse_qsl

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import Problem

# CDS Hooks requests carry prefetched FHIR bundles: larger, but still bounded.
CDS_MAX_BODY = 2 * 1024 * 1024


class HttpGuards:
    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = _control_character(scope)
        if refusal is None and scope["method"] in ("POST", "PUT", "PATCH"):
            refusal, receive = await self._bounded(scope, receive)
        if refusal is not None:
            await _answer(refusal, scope["path"])(scope, receive, send)
            return
        if scope["method"] == "HEAD":
            await self.app({**scope, "method": "GET"}, receive, _without_body(send))
            return
        await self.app(scope, receive, send)

    async def _bounded(self, scope: Scope, receive: Receive) -> tuple[Problem | None, Receive]:
        """The whole body, read up to the limit, and a `receive` that replays it."""
        limit = CDS_MAX_BODY if scope["path"].startswith("/cds-services") else self.max_body
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        too_large = Problem(413, "too-large", "Request too large", f"The request body is over {limit} bytes.")
        if declared.isdigit() and int(declared) > limit:
            return too_large, receive
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return too_large, receive
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return None, replay


class SecurityHeaders:
    HEADERS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"))

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {bytes(name).lower() for name, _ in headers}
                headers += [(name, value) for name, value in self.HEADERS if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _answer(problem: Problem, path: str) -> JSONResponse:
    """A problem answered by the guard itself, before any route: RFC 9457 JSON."""
    return JSONResponse(
        problem.as_json(path), status_code=problem.status, media_type="application/problem+json"
    )


def _control_character(scope: Scope) -> Problem | None:
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="replace"):
        for character in name + value:
            if unicodedata.category(character) == "Cc":
                where = name if len(name) <= 40 else name[:39] + "…"
                return Problem(
                    400,
                    "invalid-parameter",
                    "Invalid parameter",
                    f"'{where}' contains the control character U+{ord(character):04X}; remove it.",
                    parameter=where,
                )
    return None


def _without_body(send: Send) -> Send:
    async def send_headers_only(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return send_headers_only
