"""A bounded load run against the service on loopback: HTML, then PDF, then overload.

Run: make bench-service   (or .venv/bin/python bench/service_load.py [--json PATH])
It starts `explainer serve` on 127.0.0.1, sends a fixed number of requests with
a fixed concurrency, and stops by itself. It never targets anything but loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from explainer.languages import TAGS
from explainer.library import default_library


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(workers: int, queue: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    output = tempfile.mkdtemp(prefix="explainer-load-")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "explainer",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--queue",
            str(queue),
            "--output-dir",
            output,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("service did not start")


def rss_mb(pid: int) -> float:
    """The service and its PDF workers together."""
    total = 0
    for child in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{child}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
        except (OSError, StopIteration):
            continue
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    except OSError:
        return []
    nested = [int(p) for p in found]
    return nested + [grand for child in nested for grand in _children(child)]


async def load(url: str, paths: list[str], concurrency: int) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = list(paths)
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:

        async def worker() -> None:
            while queue:
                path = queue.pop()
                start = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - start)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(paths),
        "concurrency": concurrency,
        "seconds": elapsed,
        "per_second": len(paths) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def report(name: str, figures: dict, memory: float) -> None:
    print(
        f"{name}: {figures['requests']} requests, {figures['concurrency']} at a time: "
        f"{figures['per_second']:.0f}/s, p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
        f"statuses {figures['statuses']}, service RSS {memory:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=Path("bench/service-last-run.json"))
    args = parser.parse_args()
    workers = os.cpu_count() or 1
    library = default_library()
    handouts = [(code, tag) for tag in TAGS for code in library.codes]
    results: dict = {"pdf_workers": workers}

    process, url = start(workers, workers)
    try:
        html = [f"/v1/handouts/{c}?lang={t}&format={f}" for c, t in handouts for f in ("html", "fragment")]
        asyncio.run(load(url, html[:20], 4))  # warm
        results["html_cold"] = asyncio.run(load(url, html, 16))
        report("HTML, first render of each", results["html_cold"], rss_mb(process.pid))
        results["html_cached"] = asyncio.run(load(url, html * 3, 32))
        report("HTML, served again", results["html_cached"], rss_mb(process.pid))
        pdfs = [f"/v1/handouts/{c}?lang={t}&format=pdf" for c, t in handouts[:60]]
        results["pdf_within_capacity"] = asyncio.run(load(url, pdfs, workers * 2))
        report(
            f"PDF, {workers * 2} at a time (workers + queue)",
            results["pdf_within_capacity"],
            rss_mb(process.pid),
        )
        more = [f"/v1/handouts/{c}?lang={t}&format=pdf&paper=a4" for c, t in handouts[60:180]]
        results["pdf_overload"] = asyncio.run(load(url, more, workers * 8))
        memory = rss_mb(process.pid)
        report(f"PDF overload, {workers * 8} at a time", results["pdf_overload"], memory)
        results["service_rss_mb"] = memory
        results["alive_after"] = httpx.get(f"{url}/healthz").status_code == 200
        print(f"service healthy after overload: {results['alive_after']}")
    finally:
        process.terminate()
        process.wait(10)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
