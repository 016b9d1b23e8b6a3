"""Two replicas behind nginx (Debian's), with the shipped deploy/nginx.conf, on loopback:
nginx's cache honours our Cache-Control, ETag and Vary, and a replica killed under
load costs no failed request."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from string import Template

import httpx
import pytest

from explainer.languages import TAGS
from explainer.library import default_library

from .test_service import Server, free_port
from .test_service_faults import _children, wait_for

DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

MAIN = """\
daemon off;
worker_processes 1;
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


class Nginx:
    """nginx in the foreground, with the shipped file in front of the given replicas."""

    def __init__(self, tmp: Path, replicas: list[Server]) -> None:
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
        (tmp / "nginx.conf").write_text(Template(MAIN).substitute(tmp=tmp, user=user))
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


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nginx")
    replicas = [Server(tmp, "--workers", "1") for _ in range(2)]  # one output folder, shared
    proxy = None
    try:
        proxy = Nginx(tmp, replicas)
        yield proxy, replicas
    finally:
        if proxy is not None:
            proxy.stop()
        for replica in replicas:
            if replica.process.poll() is None:
                replica.stop()


def test_nginx_keeps_one_copy_per_language_and_honours_etags(stack):
    proxy, _ = stack
    with httpx.Client(base_url=proxy.url) as client:

        def get(language: str, **headers: str) -> httpx.Response:
            return client.get("/v1/procedures/63271", headers={"Accept-Language": language, **headers})

        spanish, french = get("es"), get("fr")
        assert [spanish.headers["x-cache-status"], french.headers["x-cache-status"]] == ["MISS", "MISS"]
        again = {language: get(language) for language in ("es", "fr", "es")}
        assert {r.headers["x-cache-status"] for r in again.values()} == {"HIT"}
        assert again["es"].content == spanish.content and again["fr"].content == french.content
        assert again["es"].headers["content-language"] == "es"
        assert again["fr"].headers["content-language"] == "fr"
        assert again["es"].headers["cache-control"] == "public, max-age=300"
        assert again["es"].headers["vary"] == "Accept-Language"
        etag = spanish.headers["etag"]
        assert again["es"].headers["etag"] == etag != french.headers["etag"]
        unchanged = get("es", **{"If-None-Match": etag})
        assert unchanged.status_code == 304 and unchanged.headers["x-cache-status"] == "HIT"
        assert get("fr", **{"If-None-Match": etag}).status_code == 200
        # no-store is never kept: health and personal handouts always reach a replica
        assert {client.get("/healthz").headers["x-cache-status"] for _ in range(3)} == {"MISS"}
        note = {"format": "html", "note": "Take 5 mg"}
        posts = [client.post("/v1/handouts/63271", json=note) for _ in range(2)]
        assert [p.status_code for p in posts] == [200, 200]
        assert [p.headers.get("x-cache-status", "not cached") for p in posts] == ["not cached"] * 2


def test_a_replica_killed_under_load_costs_no_request(stack):
    proxy, replicas = stack
    library = default_library()
    paths = [f"/v1/procedures/{code}?lang={tag}" for tag in TAGS for code in library.codes]
    paths = [p for pair in zip(paths, ["/healthz"] * len(paths), strict=True) for p in pair]  # 1,200
    victim = replicas[0]
    before = proxy.upstreams()
    outcomes: Counter[str] = Counter()
    done = 0

    async def load() -> None:
        nonlocal done
        queue = iter(paths)
        async with httpx.AsyncClient(base_url=proxy.url, timeout=30) as client:

            async def worker() -> None:
                nonlocal done
                for path in queue:
                    try:
                        response = await client.get(path)
                        outcomes[str(response.status_code)] += 1
                    except httpx.HTTPError as error:
                        outcomes[type(error).__name__] += 1
                    done += 1
                    if done == len(paths) // 3:
                        kill_with_children(victim.process.pid)

            await asyncio.gather(*(worker() for _ in range(16)))

    started = time.monotonic()
    asyncio.run(load())
    took = time.monotonic() - started
    assert victim.process.poll() is not None  # it really died mid-run
    assert outcomes == Counter({"200": len(paths)}), outcomes
    served = proxy.upstreams() - before
    both = [served[f"127.0.0.1:{r.port}"] for r in replicas]
    assert min(both) > 20, both  # both replicas took load before the kill
    assert served["retried"] >= 1  # requests in flight to, or next sent to, the dead replica
    print(f"{len(paths)} requests, 16 at a time, in {took:.1f} s; {outcomes}; attempts by replica {both}")
    print(f"{served['retried']} retried on the other replica")


def kill_with_children(pid: int) -> None:
    family = [pid]
    children = _children()
    for member in family:
        family.extend(children.get(member, []))
    for member in family:
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGKILL)
