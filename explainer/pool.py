"""A bounded pool of PDF worker processes for the service.

At most `workers` PDFs render at once and `queue` more wait; past that the
service says 503 at once instead of queueing without limit. A render that takes
longer than `timeout` is abandoned: its caller gets an error, and its slot stays
taken until the worker really finishes, so the bound still holds.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .options import PLAIN, HandoutOptions
from .problems import Problem

# Workers are recycled now and then, so no slow growth can pile up in a long-running service.
TASKS_PER_WORKER = 200


@dataclass(frozen=True)
class PdfRequest:
    code: str
    lang: str
    paper: str
    allow_fallback: bool
    procedures_dir: Path
    locales_dir: Path
    options: HandoutOptions = PLAIN


def render_in_worker(request: PdfRequest) -> bytes:
    from .languages import get_language
    from .library import default_library
    from .pdf import render_pdf

    library = default_library(request.procedures_dir)
    return render_pdf(
        library.get(request.code),
        get_language(request.lang),
        library,
        paper=request.paper,
        allow_fallback=request.allow_fallback,
        locales_dir=request.locales_dir,
        options=request.options,
    )


def _warm_worker() -> None:
    from .pdf import warm_up

    warm_up()


class PdfPool:
    def __init__(self, workers: int, queue: int, timeout: float) -> None:
        self.workers = workers
        self.timeout = timeout
        self._slots = asyncio.Semaphore(workers + queue)
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["explainer.pdf", "weasyprint"])
        self._executor = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_warm_worker, max_tasks_per_child=TASKS_PER_WORKER
        )

    async def render(self, request: PdfRequest) -> bytes:
        if self._slots.locked():
            problem = Problem(503, "overloaded", "Too busy", "Every PDF worker is busy; try again shortly.")
            problem.headers["Retry-After"] = "2"
            raise problem
        await self._slots.acquire()
        loop = asyncio.get_running_loop()
        future: Future[bytes] = self._executor.submit(render_in_worker, request)
        future.add_done_callback(lambda _: loop.call_soon_threadsafe(self._slots.release))
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), self.timeout)
        except TimeoutError:
            raise Problem(
                504,
                "render-timeout",
                "PDF took too long",
                f"The PDF was not ready within {self.timeout:g} seconds and was abandoned.",
            ) from None

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
