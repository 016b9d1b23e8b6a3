"""The yardstick for `make bench-service`: a minimal Starlette app on uvicorn that
returns the very bytes our service returns, with no work at all.

Run by bench/service_load.py as `uvicorn minimal_app:app --app-dir bench`, with
MINIMAL_DIR holding html, pdf, healthz.json and etag.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

FILES = Path(os.environ["MINIMAL_DIR"])
HTML = (FILES / "html").read_bytes()
PDF = (FILES / "pdf").read_bytes()
HEALTH = (FILES / "healthz.json").read_bytes()
ETAG = (FILES / "etag").read_text()


async def html(request: Request) -> Response:
    return Response(HTML, media_type="text/html; charset=utf-8")


async def pdf(request: Request) -> Response:
    return Response(PDF, media_type="application/pdf")


async def not_modified(request: Request) -> Response:
    return Response(status_code=304, headers={"ETag": ETAG})


async def healthz(request: Request) -> Response:
    return Response(HEALTH, media_type="application/json")


app = Starlette(
    routes=[
        Route("/html", html),
        Route("/pdf", pdf),
        Route("/304", not_modified),
        Route("/healthz", healthz),
    ]
)
