"""Two replicas behind nginx (Debian's), with the shipped deploy/nginx.conf, on loopback:
nginx's cache honours our Cache-Control, ETag and Vary, and a replica killed under
load costs no failed request."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx
import pytest

from explainer.languages import TAGS
from explainer.library import default_library

from .stack import Nginx, Server, kill_with_children


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
