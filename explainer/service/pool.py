"""A bounded, supervised pool of PDF worker processes for the service.

At most `workers` PDFs render at once and `queue` more wait; past that the
service says 503 at once instead of queueing without limit. A render that takes
longer than `timeout` is abandoned: its caller gets an error, and its slot stays
taken until the worker really finishes, so the bound still holds.

A worker that dies (killed, out of memory) breaks a ProcessPoolExecutor for
good. The pool notices, within a second even when idle, replaces the executor,
and renders the requests that were in flight once more on the new one; until
then `healthy` is false, so `/healthz` tells the truth. On shutdown the workers
are stopped, abandoned renders too, so no process outlives the service.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from ..options import PLAIN, HandoutOptions
from .problems import Problem

# Workers are recycled now and then, so no slow growth can pile up in a long-running service.
TASKS_PER_WORKER = 200
SUPERVISE_EVERY = 0.5  # seconds between checks for a broken executor


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
    from ..languages import get_language
    from ..library import default_library
    from ..pdf import render_pdf

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
    from ..pdf import warm_up

    warm_up()


class PdfPool:
    def __init__(self, workers: int, queue: int, timeout: float) -> None:
        self.workers = workers
        self.timeout = timeout
        self.restarts = 0  # executors replaced after a worker died
        self.rendered = 0  # PDFs rendered since the start
        self._slots = asyncio.Semaphore(workers + queue)
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["explainer.pdf", "weasyprint"])
        self._executor = self._start()
        self._supervisor: asyncio.Task[None] | None = None

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers,
            mp_context=self._context,
            initializer=_warm_worker,
            max_tasks_per_child=TASKS_PER_WORKER,
        )

    @property
    def healthy(self) -> bool:
        """False from the moment a worker dies until its executor is replaced."""
        return not _broken(self._executor)

    def supervise(self) -> None:
        """Check for a dead worker in the background, so recovery needs no request."""

        async def watch() -> None:
            while True:
                await asyncio.sleep(SUPERVISE_EVERY)
                if _broken(self._executor):
                    self._replace(self._executor)

        self._supervisor = asyncio.get_running_loop().create_task(watch())

    async def render(self, request: PdfRequest, *, retry: bool = True) -> bytes:
        """The PDF's bytes. A render whose worker died is tried once more on a new
        executor (the worker was probably killed from outside); a second death is
        reported as 503, not retried."""
        if self._slots.locked():
            problem = Problem(503, "overloaded", "Too busy", "Every PDF worker is busy; try again shortly.")
            problem.headers["Retry-After"] = "2"
            raise problem
        await self._slots.acquire()
        executor = self._executor
        try:
            future: Future[bytes] = executor.submit(render_in_worker, request)
        except BaseException:
            self._slots.release()  # a failed submission must not keep its slot
            if not _broken(executor):
                raise
            future = None
        if future is None:
            self._replace(executor)
            return await self._again(request, retry)
        # The slot is released when the worker is really done, not when the caller
        # stops waiting (a timeout), so the bound holds.
        loop = asyncio.get_running_loop()
        future.add_done_callback(lambda _: loop.call_soon_threadsafe(self._slots.release))
        try:
            pdf = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), self.timeout)
            self.rendered += 1
            return pdf
        except TimeoutError:
            raise Problem(
                504,
                "render-timeout",
                "PDF took too long",
                f"The PDF was not ready within {self.timeout:g} seconds and was abandoned.",
            ) from None
        except BrokenProcessPool:
            self._replace(executor)
            return await self._again(request, retry)

    async def _again(self, request: PdfRequest, retry: bool) -> bytes:
        if retry:
            return await self.render(request, retry=False)
        problem = Problem(
            503, "worker-lost", "PDF worker stopped", "The PDF worker stopped while rendering; try again."
        )
        problem.headers["Retry-After"] = "1"
        raise problem

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        if self._executor is not broken:
            return  # someone else already did
        self.restarts += 1
        self._executor = self._start()
        broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop every worker, busy or not: a render abandoned after a timeout would
        otherwise keep its process, and the forkserver, alive after the service."""
        if self._supervisor is not None:
            self._supervisor.cancel()
        _stop_workers(self._executor)
        self._executor.shutdown(wait=True, cancel_futures=True)


def _broken(executor: ProcessPoolExecutor) -> bool:
    # CPython marks a pool whose worker died in `_broken`; there is no public flag
    # before Python 3.14.
    return bool(getattr(executor, "_broken", False))


def _stop_workers(executor: ProcessPoolExecutor) -> None:
    # Python 3.14 has executor.terminate_workers(); before it, the processes are only
    # reachable through `_processes`.
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        process.terminate()
