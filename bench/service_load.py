"""`make bench-service`: the service's requests/s and latency beside a minimal app, in one run.

Every load is wrk on loopback: 16 connections, 2 threads, a few seconds each.
1. A built handout (HTML and PDF), a 304 and /healthz: our service, one process,
   beside a minimal Starlette app on uvicorn returning the same bytes; the ratio.
2. The built HTML with one server process per core, against one process.
3. First renders (HTML and PDF), one at a time: latency only.
4. Two replicas behind nginx (deploy/nginx.conf): a cached handout; /healthz,
   which always reaches a replica; and /healthz while one replica is killed,
   counting failed requests.
The figures go to bench/service-last-run.json. Only loopback is ever loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.stack import Nginx, Server, children, free_port, kill_with_children, wait_for  # noqa: E402

BUILT = ("45378", "43239")  # built before the run: colonoscopy, upper endoscopy
SECONDS = 5
UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: int = SECONDS, headers: tuple[str, ...] = ()) -> dict:
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url]
    for header in headers:
        command[1:1] = ["-H", header]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(percent: str) -> float:
        value, unit = re.search(rf"\s{percent}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * UNIT[unit]

    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "failed": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in errors.groups()) if errors else 0),
    }


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    return total / 1024


def family(pid: int) -> list[int]:
    tree, found = children(), [pid]
    for member in found:
        found.extend(tree.get(member, []))
    return found


class Minimal:
    """The yardstick (bench/minimal_app.py) on uvicorn, serving the given bytes."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "uvicorn", "minimal_app:app", "--app-dir", str(ROOT / "bench")]
        command += ["--port", str(self.port), "--log-level", "warning", "--no-access-log"]
        environment = {**os.environ, "MINIMAL_DIR": str(folder)}
        self.process = subprocess.Popen(command, env=environment)
        wait_for(lambda: _answers(f"{self.url}/healthz"), 30)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def line(name: str, ours: dict, theirs: dict | None = None) -> str:
    text = f"{name:<34} {figures(ours)}"
    if theirs:
        ratio = ours["per_second"] / theirs["per_second"]
        text += f"   minimal app {figures(theirs)}   ratio {ratio:.2f}x"
    return text + (f"   ({ours['failed']} failed)" if ours["failed"] else "")


def figures(load: dict) -> str:
    return f"{load['per_second']:>6.0f}/s p50 {load['p50_ms']:5.2f} ms p99 {load['p99_ms']:5.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "service-last-run.json")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench-service: wrk is not installed (make bench-service installs it)")
    cores = os.cpu_count() or 1
    tmp = Path(tempfile.mkdtemp(prefix="explainer-bench-"))
    results: dict = {"cores": cores, "seconds_per_load": SECONDS, "connections": 16}
    build = [sys.executable, "-m", "explainer", "build", "--output-dir", str(tmp / "output"), "--lang", "es"]
    for code in BUILT:
        build += ["--code", code]
    subprocess.run(build, check=True, capture_output=True)
    started: list = []
    try:
        one = Server(tmp, "--workers", "1")
        started.append(one)
        html = f"{one.url}/v1/handouts/{BUILT[0]}?lang=es&format=html"
        pdf = f"{one.url}/v1/handouts/{BUILT[0]}?lang=es&format=pdf"
        first = httpx.get(html)
        assert first.headers["x-explainer-source"] == "built", first.headers
        etag = first.headers["etag"]
        yardstick = tmp / "minimal"
        yardstick.mkdir()
        (yardstick / "html").write_bytes(first.content)
        (yardstick / "pdf").write_bytes(httpx.get(pdf).content)
        (yardstick / "healthz.json").write_bytes(httpx.get(f"{one.url}/healthz").content)
        (yardstick / "etag").write_text(etag)
        minimal = Minimal(yardstick)
        started.append(minimal)

        print(f"explainer service, one process, beside a minimal Starlette app ({cores} cores, wrk -c16)")
        pairs = {
            "built HTML handout": (html, f"{minimal.url}/html", ()),
            "built PDF handout": (pdf, f"{minimal.url}/pdf", ()),
            "304 Not Modified": (html, f"{minimal.url}/304", (f"If-None-Match: {etag}",)),
            "/healthz": (f"{one.url}/healthz", f"{minimal.url}/healthz", ()),
        }
        for name, (ours_url, theirs_url, headers) in pairs.items():
            ours, theirs = wrk(ours_url, headers=headers), wrk(theirs_url, headers=headers)
            results[name] = {
                "ours": ours,
                "minimal": theirs,
                "ratio": ours["per_second"] / theirs["per_second"],
            }
            print(line(name, ours, theirs))

        renders = {"HTML": [], "PDF": []}
        for code in ("63265", "63266", "63267", "63268", "63270", "63271"):
            for fmt, kind in (("html", "HTML"), ("pdf", "PDF")):
                began = time.perf_counter()
                response = httpx.get(f"{one.url}/v1/handouts/{code}?lang=fr&format={fmt}", timeout=60)
                assert response.headers["x-explainer-source"] == "rendered"
                renders[kind].append((time.perf_counter() - began) * 1000)
        for kind, times in renders.items():
            median = statistics.median(times)
            results[f"first render {kind}"] = {"median_ms": median, "max_ms": max(times)}
            print(f"first render, {kind}, one at a time: median {median:.0f} ms, max {max(times):.0f} ms")
        server = results["rss_mb_server_process"] = rss_mb([one.process.pid])
        helpers = results["rss_mb_pdf_worker_and_forkserver"] = rss_mb(family(one.process.pid)[1:])
        print(f"memory after these renders: server {server:.0f} MB, PDF worker + forkserver {helpers:.0f} MB")
        one.stop()
        started.remove(one)

        many = Server(tmp, "--processes", str(cores))
        started.append(many)
        for _ in range(4 * cores):  # every process keeps its answer
            httpx.get(f"{many.url}/v1/handouts/{BUILT[0]}?lang=es&format=html")
        spread = wrk(f"{many.url}/v1/handouts/{BUILT[0]}?lang=es&format=html")
        single = results["built HTML handout"]["ours"]
        results["processes"] = {
            "count": cores,
            "built HTML": spread,
            "ratio_to_one": spread["per_second"] / single["per_second"],
        }
        memory = results["rss_mb_all_processes_idle_pdf"] = rss_mb(family(many.process.pid))
        print(
            line(f"built HTML, {cores} processes", spread)
            + f"   {results['processes']['ratio_to_one']:.2f}x one"
        )
        print(f"memory of {cores} server processes, the supervisor, no PDF rendered yet: {memory:.0f} MB")
        many.stop()
        started.remove(many)

        replicas = [Server(tmp, "--workers", "1") for _ in range(2)]
        started.extend(replicas)
        (tmp / "nginx").mkdir()
        proxy = Nginx(tmp / "nginx", replicas, workers=cores)
        started.append(proxy)
        cached = f"{proxy.url}/v1/handouts/{BUILT[0]}?lang=es&format=html"
        httpx.get(cached)
        assert httpx.get(cached).headers["x-cache-status"] == "HIT"
        print("two replicas (one process each) behind nginx (deploy/nginx.conf)")
        results["nginx cached HTML"] = wrk(cached)
        print(line("built HTML, from nginx's cache", results["nginx cached HTML"]))
        results["nginx /healthz"] = wrk(f"{proxy.url}/healthz")
        print(line("/healthz, through to a replica", results["nginx /healthz"]))
        killer = threading.Timer(2.0, kill_with_children, (replicas[0].process.pid,))
        killer.start()
        failover = wrk(f"{proxy.url}/healthz", seconds=6)
        killer.join()
        results["nginx /healthz, a replica killed after 2 s"] = failover
        print(line("/healthz, one replica killed at 2 s", failover))
        print(f"failed requests while a replica died: {failover['failed']} of {failover['requests']}")
    finally:
        for process in reversed(started):
            if process.process.poll() is None:
                process.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"figures written to {args.json.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
