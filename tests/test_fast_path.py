"""The fast path and several server processes, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from explainer.service import ServiceSettings
from explainer.service.fast_path import InputFiles

from .conftest import run_cli
from .stack import Server, children, wait_for

PORTAL = "http://127.0.0.1:9"
HANDOUT = "/v1/handouts/63271"


def test_input_files_move_their_generation_only_when_a_file_changes(tmp_path):
    folder = tmp_path / "locales"
    (folder / "es").mkdir(parents=True)
    (folder / "es" / "procedures.mo").write_bytes(b"one")
    manifest = tmp_path / ".manifest.json"  # not there yet
    inputs = InputFiles([folder], [manifest], interval=0)
    assert [inputs.current(), inputs.current()] == [0, 0]
    (folder / "es" / "procedures.mo").write_bytes(b"two!")
    assert inputs.current() == 1
    (folder / "fr").mkdir()
    (folder / "fr" / "procedures.mo").write_bytes(b"new")
    assert inputs.current() == 2
    manifest.write_text("{}")
    assert inputs.current() == 3
    slow = InputFiles([folder], [], interval=60)  # checked at most once a minute
    (folder / "fr" / "procedures.mo").write_bytes(b"changed")
    assert slow.current() == 0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fast")
    build = ["build", "--output-dir", str(tmp / "output"), "--code", "63271", "--lang", "en"]
    run_cli(*build, "--format", "html", cwd=tmp, check=True)
    running = Server(tmp, "--workers", "1", "--cors-origin", PORTAL)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


def test_a_repeated_request_gets_the_same_answer_from_memory(client):
    params = {"lang": "de", "format": "fragment"}
    first = client.get(HANDOUT, params=params)
    again = client.get(HANDOUT, params=params)
    sources = (first.headers["x-explainer-source"], again.headers["x-explainer-source"])
    assert sources == ("rendered", "memory")
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    for name in ("cache-control", "content-language", "vary", "content-security-policy", "referrer-policy"):
        assert again.headers[name] == first.headers[name], name
    head = client.head(HANDOUT, params=params)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(first.content))


def test_a_kept_answer_says_304_to_a_client_that_has_it_weak_or_strong(client):
    params = {"lang": "vi", "format": "html"}
    etag = client.get(HANDOUT, params=params).headers["etag"]
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = client.get(HANDOUT, params=params, headers={"If-None-Match": sent})
        assert again.status_code == 304 and again.content == b"", sent
        assert again.headers["etag"] == etag and "content-type" not in again.headers
        assert again.headers["vary"].startswith("Accept-Language") and again.headers["x-content-type-options"]
    assert client.get(HANDOUT, params=params, headers={"If-None-Match": '"other"'}).status_code == 200


def test_kept_answers_are_per_language_and_per_origin(client):
    spanish = client.get(HANDOUT, headers={"Accept-Language": "es"})
    french = client.get(HANDOUT, headers={"Accept-Language": "fr"})
    assert (spanish.headers["content-language"], french.headers["content-language"]) == ("es", "fr")
    assert client.get(HANDOUT, headers={"Accept-Language": "es"}).content == spanish.content
    fragment = {"lang": "ar", "format": "fragment"}
    portal = client.get(HANDOUT, params=fragment, headers={"Origin": PORTAL})
    other = client.get(HANDOUT, params=fragment, headers={"Origin": "http://127.0.0.1:10"})
    none = client.get(HANDOUT, params=fragment)
    assert portal.headers["access-control-allow-origin"] == PORTAL
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in none.headers
    assert other.headers["x-explainer-source"] == none.headers["x-explainer-source"] == "memory"


def test_errors_and_personal_handouts_are_never_kept(client):
    for _ in range(2):
        assert client.get("/v1/handouts/63279").status_code == 404
        personal = client.post(HANDOUT, json={"lang": "en", "format": "html", "note": "Take 5 mg"})
        assert personal.headers["cache-control"] == "no-store" and "etag" not in personal.headers


def test_a_rebuilt_file_is_served_within_a_second_or_two(client, server):
    path = server.output / "en" / "63271.html"
    before = client.get(HANDOUT, params={"lang": "en", "format": "html"})
    assert before.headers["x-explainer-source"] == "built" and before.content == path.read_bytes()
    changed = before.content.replace(b"<!DOCTYPE html>", b"<!doctype HTML>")
    assert changed != before.content and len(changed) == len(before.content)
    path.write_bytes(changed)  # the same size, so the manifest still vouches for it
    manifest = server.output / ".manifest.json"
    manifest.write_text(json.dumps(json.loads(manifest.read_text())))
    os.utime(manifest, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    waited = wait_for(
        lambda: client.get(HANDOUT, params={"lang": "en", "format": "html"}).content == changed, 5
    )
    assert waited < 3


def test_a_burst_for_a_new_pdf_renders_it_once(client):
    before = client.get("/healthz").json()["pdf_workers"]["rendered"]
    params = {"lang": "ko", "format": "pdf", "paper": "a4"}
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: client.get(HANDOUT, params=params), range(6)))
    assert [a.status_code for a in answers] == [200] * 6
    assert len({a.content for a in answers}) == 1 and answers[0].content.startswith(b"%PDF-")
    assert client.get("/healthz").json()["pdf_workers"]["rendered"] == before + 1


def server_processes(server: Server) -> list[int]:
    """The server processes uvicorn started (not its resource tracker)."""
    return [
        pid
        for pid in children().get(server.process.pid, [])
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def test_several_processes_serve_one_port_and_a_dead_one_is_replaced(tmp_path):
    server = Server(tmp_path, "--processes", "2", "--workers", "1")
    try:
        first = server_processes(server)
        assert len(first) == 2
        # A new connection for each request: one kept open to the killed process would die with it.
        answers = [httpx.get(f"{server.url}/healthz").status_code for _ in range(20)]
        os.kill(first[0], signal.SIGKILL)
        # The other process answers at once; uvicorn starts a new one in its place.
        answers += [httpx.get(f"{server.url}{HANDOUT}?format=json").status_code for _ in range(20)]
        assert answers == [200] * 40
        wait_for(lambda: len(server_processes(server)) == 2 and first[0] not in server_processes(server))
        assert httpx.get(f"{server.url}/healthz").status_code == 200
    finally:
        server.stop()
    assert server.process.returncode == 0  # SIGTERM: every process stopped in order


def test_serve_options_reach_every_process_unchanged():
    settings = ServiceSettings(
        output_dir=Path("/srv/out"),
        pdf_workers=3,
        pdf_queue=0,
        render_timeout=12.5,
        cache_mb=64,
        frame_ancestors=("https://a.example", "https://b.example"),
        cors_origins=("https://portal.example",),
        clinic=Path("/etc/clinic.toml"),
        public_url="https://handouts.example",
        cds_issuers=("https://ehr.example",),
        cds_jwks="/etc/jwks.json",
        cds_development=True,
    )
    with pytest.MonkeyPatch.context() as patch:
        for name, value in settings.to_env().items():
            patch.setenv(name, value)
        assert ServiceSettings.from_env() == settings
        for name in settings.to_env():
            patch.delenv(name)
        assert ServiceSettings.from_env() == ServiceSettings()


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (("--processes", "0"), "--processes must be 1 or more, not 0"),
        (("--workers", "-1"), "--workers must be 1 or more, not -1"),
        (("--cache-mb", "-5"), "--cache-mb must be 0 or more, not -5"),
    ],
)
def test_serve_refuses_impossible_counts_in_one_line(option, message):
    result = run_cli("serve", "--port", "9", *option)
    lines = result.stderr.decode().strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1 and message in lines[0]
