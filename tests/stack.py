"""Real processes on loopback for the tests and `make bench-service`: the service
(`explainer serve`), nginx in front of replicas, and the process tree around them."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from string import Template

import httpx

# Debian's Chromium, headless, with nothing that reaches out to the network.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]
DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

MAIN = """\
daemon off;
worker_processes $workers;
$user
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 512; }
http {
    client_body_temp_path $tmp/body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    log_format upstream '$$upstream_addr $$status';
    access_log $tmp/access.log upstream;
    include $tmp/explainer.conf;
}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Loopback:
    """A process of ours answering HTTP on 127.0.0.1: started, waited for, stopped."""

    def __init__(self, command: list[str], cwd: Path | None = None, ready: str = "/") -> None:
        self.process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}{ready}", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{command[3]} did not start: {self.process.stdout.read().decode()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Server(Loopback):
    """`explainer serve`, one server process unless a test asks for more."""

    def __init__(self, tmp: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = tmp / "output"
        command = [
            sys.executable,
            "-m",
            "explainer",
            "serve",
            "--port",
            str(self.port),
            "--output-dir",
            str(self.output),
            "--public-url",
            self.url,
            *(() if "--processes" in args else ("--processes", "1")),
            *args,
        ]
        super().__init__(command, cwd=tmp, ready="/healthz")


class ReviewPage(Loopback):
    """`explainer review`: the translation review page, for one language and reviewer."""

    def __init__(self, locales: Path, lang: str, reviewer: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "explainer", "review", "--lang", lang, "--reviewer", reviewer]
        super().__init__([*command, "--locales", str(locales), "--port", str(self.port)])


class Nginx:
    """nginx in the foreground, with the shipped file in front of the given replicas."""

    def __init__(self, tmp: Path, replicas: list[Server], workers: int = 1) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        servers = " ".join(f"server 127.0.0.1:{r.port} max_fails=1 fail_timeout=30s;" for r in replicas)
        listen, cache = f"127.0.0.1:{self.port}", tmp / "cache"
        site = Template(DEPLOY.read_text()).safe_substitute(
            EXPLAINER_REPLICAS=servers, EXPLAINER_LISTEN=listen, EXPLAINER_CACHE=cache
        )
        (tmp / "explainer.conf").write_text(site)
        user = "user root;" if os.geteuid() == 0 else ""  # else workers run as nobody
        (tmp / "nginx.conf").write_text(Template(MAIN).substitute(tmp=tmp, user=user, workers=workers))
        command = [NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait_for(self.answers, 10)
        except AssertionError:
            self.stop()
            raise RuntimeError(f"nginx did not start: {(tmp / 'error.log').read_text()}") from None

    def answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def upstreams(self) -> Counter[str]:
        """Attempts per replica, from nginx's log ("a, b" when a failed and b answered),
        and how many requests were retried ("retried")."""
        lines = (self.tmp / "access.log").read_text().splitlines()
        tried = [line.rsplit(" ", 1)[0].split(", ") for line in lines]
        return Counter([a for attempts in tried for a in attempts] + ["retried" for a in tried if len(a) > 1])

    def stop(self) -> None:
        self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish, then exit
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def children() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            found.setdefault(parent, []).append(int(entry.name))
    return found


def wait_for(condition, seconds: float = 20.0) -> float:
    """Seconds until `condition()` held; fails after `seconds`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not within {seconds} s")
        time.sleep(0.05)
    return time.monotonic() - started


def kill_with_children(pid: int) -> None:
    family = [pid]
    tree = children()
    for member in family:
        family.extend(tree.get(member, []))
    for member in family:
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGKILL)
