"""Answers that do not change, given again without the framework.

A handout, once built or rendered, is the same bytes until a catalog, a
procedure source, a template, the clinic settings or the build changes. So a GET
answered 200 with `Cache-Control: public` and an ETag is kept whole (status,
headers, body) under the request that asked for it: path, query,
Accept-Language (such answers say `Vary: Accept-Language`) and Origin (CORS
headers depend on it). The next identical request is answered from memory
before the guards, routing, validation or hashing: the same request passed
them already. `If-None-Match` is answered 304 by comparing one string, and HEAD
with the headers alone.

`InputFiles` notices changes: it compares the files' sizes and modification
times at most once a second, and every kept answer and digest from before a
change is dropped. Nothing patient-specific is kept: POST answers (notes) say
`no-store` and never pass here.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A kept answer served again was kept in memory, whatever made it first.
SOURCE_HEADER = b"x-explainer-source"
NOT_IN_304 = {b"content-length", b"content-type"}
Key = tuple[str, bytes, bytes, bytes]  # path, query, Accept-Language, Origin


class InputFiles:
    """The files answers are made from, and a generation number that moves when any
    of them changes (checked at most every `interval` seconds)."""

    def __init__(self, folders: Iterable[Path], files: Iterable[Path], interval: float = 1.0) -> None:
        self.folders = tuple(folders)
        self.files = tuple(files)
        self.interval = interval
        self.generation = 0
        self._stamp = self._read()
        self._checked = time.monotonic()

    def current(self) -> int:
        now = time.monotonic()
        if now - self._checked >= self.interval:
            self._checked = now
            stamp = self._read()
            if stamp != self._stamp:
                self._stamp = stamp
                self.generation += 1
        return self.generation

    def _read(self) -> tuple[tuple[str, int, int], ...]:
        paths = [*self.files]
        for folder in self.folders:
            for root, dirs, names in os.walk(folder):
                dirs[:] = [d for d in dirs if d != "__pycache__"]
                paths.extend(Path(root, name) for name in names)
        stamp = []
        for path in sorted(paths):
            try:
                status = path.stat()
            except OSError:
                continue
            stamp.append((str(path), status.st_mtime_ns, status.st_size))
        return tuple(stamp)


@dataclass(frozen=True)
class KeptAnswer:
    generation: int
    etag: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @property
    def not_modified_headers(self) -> list[tuple[bytes, bytes]]:
        return [(name, value) for name, value in self.headers if name not in NOT_IN_304]


class FastPath:
    """ASGI middleware: kept answers for repeated GETs, at most `limit` bytes of them."""

    def __init__(self, app: ASGIApp, inputs: InputFiles, limit: int) -> None:
        self.app = app
        self.inputs = inputs
        self.limit = limit
        self.size = 0
        self.generation = inputs.generation
        self.kept: OrderedDict[Key, KeptAnswer] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if scope["type"] != "http" or method not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        accept_language = if_none_match = origin = b""
        for name, value in scope["headers"]:
            if name == b"accept-language":
                accept_language = value
            elif name == b"if-none-match":
                if_none_match = value
            elif name == b"origin":
                origin = value
        key = (scope["path"], scope["query_string"], accept_language, origin)
        generation = self.inputs.current()
        if generation != self.generation:  # an input changed: nothing kept still holds
            self.kept.clear()
            self.size, self.generation = 0, generation
        kept = self.kept.get(key)
        if kept is not None and kept.generation == generation:
            self.kept.move_to_end(key)
            await _answer(kept, if_none_match, method == "HEAD", send)
        elif method == "HEAD":  # its body is dropped on the way: nothing to keep
            await self.app(scope, receive, send)
        else:
            await self.app(scope, receive, self._keeping(key, generation, send))

    def _keeping(self, key: Key, generation: int, send: Send) -> Send:
        """`send`, passing everything on, and keeping the answer if it may be kept."""
        start: Message = {}
        chunks: list[bytes] = []

        async def send_and_keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body" and start:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._keep(key, generation, start, b"".join(chunks))
            await send(message)

        return send_and_keep

    def _keep(self, key: Key, generation: int, start: Message, body: bytes) -> None:
        headers = [(bytes(name).lower(), bytes(value)) for name, value in start.get("headers", ())]
        found = dict(headers)
        etag = found.get(b"etag")
        public = found.get(b"cache-control", b"").startswith(b"public")
        if start["status"] != 200 or etag is None or not public:
            return
        if len(body) > self.limit // 8:  # one answer never fills the memory
            return
        headers = [(n, b"memory" if n == SOURCE_HEADER and v == b"rendered" else v) for n, v in headers]
        self._drop(key)
        self.kept[key] = KeptAnswer(generation, etag, headers, body)
        self.size += len(body)
        while self.size > self.limit:
            self._drop(next(iter(self.kept)))

    def _drop(self, key: Key) -> None:
        old = self.kept.pop(key, None)
        if old is not None:
            self.size -= len(old.body)


async def _answer(kept: KeptAnswer, if_none_match: bytes, head: bool, send: Send) -> None:
    if if_none_match and _matches(kept.etag, if_none_match):
        await send({"type": "http.response.start", "status": 304, "headers": kept.not_modified_headers})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": kept.headers})
    await send({"type": "http.response.body", "body": b"" if head else kept.body})


def _matches(etag: bytes, if_none_match: bytes) -> bool:
    """RFC 9110's weak comparison, as If-None-Match asks: W/"x" matches "x"."""
    return any(tag.strip().removeprefix(b"W/") in (etag, b"*") for tag in if_none_match.split(b","))
