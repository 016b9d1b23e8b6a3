"""The service as a real process on 127.0.0.1, exercised over real HTTP."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import LIBRARY_SIZE, run_cli
from .stack import Server

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PORTAL = "http://127.0.0.1:9"  # an origin allowed to frame pages and fetch fragments
CPT = "2.16.840.1.113883.6.12"
HCPCS = "2.16.840.1.113883.6.285"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("service")
    clinic = str(EXAMPLES / "clinic.toml")
    build = [
        "build",
        "--output-dir",
        str(tmp / "output"),
        "--code",
        "63286",
        "--lang",
        "ko",
        "--format",
        "pdf",
    ]
    run_cli(*build, "--clinic", clinic, cwd=tmp, check=True)
    running = Server(
        tmp, "--workers", "2", "--cors-origin", PORTAL, "--frame-ancestor", PORTAL, "--clinic", clinic
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


def test_health_and_openapi(client):
    assert client.get("/healthz").json()["procedures"] == LIBRARY_SIZE
    spec = client.get("/openapi.json").json()
    assert {"/v1/handouts/{code}", "/v1/procedures", "/v1/languages", "/infobutton", "/healthz"} <= set(
        spec["paths"]
    )


def test_languages(client):
    languages = {item["tag"]: item for item in client.get("/v1/languages").json()["languages"]}
    assert list(languages) == ["en", "es", "zh", "ru", "ar", "vi", "fr", "de", "ko", "tl"]
    assert languages["ar"]["name"] == "العربية" and languages["ar"]["direction"] == "rtl"
    assert all(item["completeness"] == 1.0 for item in languages.values())
    assert languages["en"]["translation"] == "source" and languages["en"]["translation_review"] is None
    review = languages["es"]["translation_review"]
    assert languages["es"]["translation"] == review["state"] == "draft"
    assert (review["approved"], review["stale_approvals"]) == (0, []) and review["messages"] > 1000
    assert set(review["handouts"].values()) == {"draft"} and len(review["handouts"]) == LIBRARY_SIZE


@pytest.mark.parametrize(
    ("headers", "params", "expected"),
    [
        ({"Accept-Language": "fr-CA;q=0.9, de;q=0.8"}, {}, "fr"),
        ({"Accept-Language": "ja, zh-TW;q=0.9, es-MX;q=0.5"}, {}, "es"),
        ({"Accept-Language": "de;q=0.2, vi;q=0.7"}, {}, "vi"),
        ({"Accept-Language": "ja"}, {}, "en"),
        ({}, {}, "en"),
        ({"Accept-Language": "fr"}, {"lang": "ko"}, "ko"),
    ],
)
def test_language_negotiation(client, headers, params, expected):
    response = client.get("/v1/procedures", headers=headers, params=params)
    assert response.status_code == 200
    assert response.headers["content-language"] == expected
    assert "Accept-Language" in response.headers["vary"]
    data = response.json()
    assert data["language"] == expected and len(data["procedures"]) == LIBRARY_SIZE


def test_one_procedure_in_a_language(client):
    data = client.get("/v1/procedures/63271", params={"lang": "de"}).json()
    assert data["code"] == "63271" and "Rücken" in data["region"] and "Dura" in data["title"]
    assert [r["code"] for r in data["related"]] == ["63270", "63272", "63273"]
    assert data["links"]["pdf"].endswith("/v1/handouts/63271?lang=de&format=pdf")


def test_handout_as_page_fragment_pdf_and_json(client, server):
    page = client.get("/v1/handouts/63271", params={"lang": "ar"})
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.text.startswith('<!DOCTYPE html>\n<html lang="ar" dir="rtl">')
    assert f"frame-ancestors 'self' {PORTAL}" in page.headers["content-security-policy"]

    fragment = client.get("/v1/handouts/63271", params={"lang": "ar", "format": "fragment"})
    assert fragment.text.startswith('<article class="explainer-handout" lang="ar" dir="rtl">')
    assert "frame-ancestors 'none'" in fragment.headers["content-security-policy"]

    pdf = client.get("/v1/handouts/63271", params={"lang": "vi", "format": "pdf", "paper": "a4"})
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")

    data = client.get("/v1/handouts/63271", params={"lang": "es", "format": "json"}).json()
    assert data["language"] == {"tag": "es", "name": "Español", "direction": "ltr"}
    assert data["sections"][0]["id"] == "key-points"
    assert data["sections"][0]["html"].startswith('<section class="xh-section xh-key-points">')
    assert data["draft_translation"] and data["draft_notice"].startswith("Un traductor")
    assert data["links"]["fragment"] == f"{server.url}/v1/handouts/63271?lang=es&format=fragment"


def test_built_and_already_rendered_outputs_are_not_rendered_again(client, server):
    built = client.get("/v1/handouts/63286", params={"lang": "ko", "format": "pdf"})
    assert built.headers["x-explainer-source"] == "built"
    assert built.content == (server.output / "ko" / "63286.pdf").read_bytes()
    first = client.get("/v1/handouts/63287", params={"lang": "fr", "format": "fragment"})
    again = client.get("/v1/handouts/63287", params={"lang": "fr", "format": "fragment"})
    assert (first.headers["x-explainer-source"], again.headers["x-explainer-source"]) == (
        "rendered",
        "memory",
    )


def test_etag_and_not_modified(client):
    first = client.get("/v1/handouts/63290", params={"lang": "ru"})
    etag = first.headers["etag"]
    assert etag.startswith('"') and "max-age" in first.headers["cache-control"]
    again = client.get("/v1/handouts/63290", params={"lang": "ru"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = client.get("/v1/handouts/63290", params={"lang": "tl"}, headers={"If-None-Match": etag})
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "status", "kind", "extra"),
    [
        (
            "/v1/handouts/63279",
            {"format": "json"},
            404,
            "unknown-code",
            {"closest": ["63278", "63280", "63277"]},
        ),
        ("/v1/handouts/6327", {"format": "json"}, 400, "malformed-code", {}),
        ("/v1/handouts/63271", {"format": "json", "lang": "ja"}, 400, "unsupported-language", {}),
        ("/v1/handouts/63271", {"format": "json", "lang": "zh-TW"}, 400, "unsupported-language", {}),
        ("/v1/handouts/63271", {"format": "docx"}, 400, "invalid-parameter", {"parameter": "format"}),
        ("/v1/procedures", {"lang": "xx"}, 400, "unsupported-language", {}),
        ("/v1/nothing", {}, 404, "not-found", {}),
    ],
)
def test_errors_are_problem_details(client, path, params, status, kind, extra):
    response = client.get(path, params=params, headers={"Accept": "application/json"})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == f"/problems/{kind}" and problem["status"] == status and problem["detail"]
    assert extra.items() <= problem.items()
    assert "Traceback" not in response.text
    assert client.get(problem["type"]).status_code == 200


def test_html_requests_get_an_html_error_page(client):
    response = client.get("/v1/handouts/63271", params={"lang": "zh-Hant"})
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    assert "only Simplified Chinese is available" in response.text


def test_cors_only_for_configured_origins(client):
    allowed = client.get("/v1/handouts/63271", params={"format": "fragment"}, headers={"Origin": PORTAL})
    assert allowed.headers["access-control-allow-origin"] == PORTAL
    denied = client.get(
        "/v1/handouts/63271", params={"format": "fragment"}, headers={"Origin": "http://evil.test"}
    )
    assert "access-control-allow-origin" not in denied.headers


def test_no_request_reads_a_file_outside_the_library(client):
    for path in [
        "/v1/handouts/..%2F..%2Fetc%2Fpasswd",
        "/v1/handouts/%2e%2e/%2e%2e/etc/passwd",
        "/problems/..%2F..%2Fetc%2Fpasswd",
        "/v1/procedures/....//....//etc/passwd",
    ]:
        response = client.get(path)
        assert response.status_code in (400, 404) and "root:" not in response.text


def infobutton(client, **params):
    return client.get("/infobutton", params=params)


def test_infobutton_atom_for_cpt(client):
    response = infobutton(
        client,
        **{
            "mainSearchCriteria.v.c": "63271",
            "mainSearchCriteria.v.cs": CPT,
            "mainSearchCriteria.v.dn": "Laminectomy",
            "informationRecipient": "PAT",
            "informationRecipient.languageCode.c": "es",
        },
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
    feed = ElementTree.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    assert entries[0].get("{http://www.w3.org/XML/1998/namespace}lang") == "es"
    links = {link.get("type"): link.get("href") for link in entries[0].findall(f"{ATOM}link")}
    assert links["text/html"].endswith("/v1/handouts/63271?lang=es&format=html")
    assert client.get(links["application/pdf"]).content.startswith(b"%PDF-")
    assert "cirugía" in entries[0].find(f"{ATOM}summary").text  # the first key point


def test_infobutton_json_and_redirect(client):
    query = {
        "mainSearchCriteria.v.c": "63280",
        "mainSearchCriteria.v.cs": CPT,
        "informationRecipient.languageCode.c": "vi",
    }
    data = infobutton(client, knowledgeResponseType="application/json", **query).json()
    assert data["feed"]["entry"][0]["title"]["_value"].startswith("Phẫu thuật")
    redirect = client.get("/infobutton", params={**query, "knowledgeResponseType": "text/html"})
    assert redirect.status_code == 303 and "format=html" in redirect.headers["location"]


@pytest.mark.parametrize(
    "query",
    [
        {"mainSearchCriteria.v.c": "22551", "mainSearchCriteria.v.cs": "2.16.840.1.113883.6.96"},  # SNOMED CT
        {"mainSearchCriteria.v.c": "63271", "mainSearchCriteria.v.cs": "2.16.840.1.113883.6.96"},
        {"mainSearchCriteria.v.c": "99999", "mainSearchCriteria.v.cs": CPT},
        {"mainSearchCriteria.v.c": "not a code"},
        {"mainSearchCriteria.v.c": "G9999", "mainSearchCriteria.v.cs": HCPCS},
    ],
)
def test_infobutton_unknown_code_or_system_gives_an_empty_feed(client, query):
    atom = infobutton(client, **query)
    assert atom.status_code == 200 and not ElementTree.fromstring(atom.content).findall(f"{ATOM}entry")
    data = infobutton(client, knowledgeResponseType="application/json", **query).json()
    assert data["feed"]["entry"] == []


def test_infobutton_unsupported_language_falls_back_to_english(client):
    response = infobutton(
        client, **{"mainSearchCriteria.v.c": "63271", "informationRecipient.languageCode.c": "ja"}
    )
    entry = ElementTree.fromstring(response.content).find(f"{ATOM}entry")
    assert entry.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"


text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    code=st.one_of(text, st.sampled_from(["63271", "6327", "63295", "0042T", ""])),
    params=st.dictionaries(
        st.sampled_from(
            [
                "lang",
                "format",
                "paper",
                "fallback",
                "mainSearchCriteria.v.c",
                "mainSearchCriteria.v.cs",
                "knowledgeResponseType",
                "informationRecipient",
                "informationRecipient.languageCode.c",
            ]
        ),
        st.one_of(
            text, st.sampled_from(["html", "fragment", "json", "ar", "zh-TW", "en", "a4", CPT, "text/html"])
        ),
        max_size=4,
    ),
    accept_language=st.one_of(
        st.none(), st.sampled_from(["*", "es;q=abc", "de;q=0", "q=1", ",,,", "fr-FR;q=0.5"])
    ),
    path=st.sampled_from(["/v1/handouts/{}", "/v1/procedures/{}", "/infobutton", "/v1/procedures"]),
)
def test_no_input_gives_a_server_error(client, code, params, accept_language, path):
    if params.get("format") == "pdf":
        params = {**params, "format": "html"}  # PDFs are covered elsewhere; keep this fast
    headers = {"Accept-Language": accept_language} if accept_language else {}
    url = path.format(quote(code, safe="") or "%20")
    response = client.get(url, params=params, headers=headers)
    assert response.status_code < 500, response.text


def test_overload_gives_503_with_retry_after(tmp_path):
    server = Server(tmp_path, "--workers", "1", "--queue", "0")
    try:
        jobs = [(code, lang) for code in ("63265", "63266", "63267") for lang in ("ar", "zh")]

        def fetch(job):
            return httpx.get(
                f"{server.url}/v1/handouts/{job[0]}",
                params={"lang": job[1], "format": "pdf"},
                timeout=60,
                headers={"Accept": "application/json"},
            )

        with ThreadPoolExecutor(len(jobs)) as pool:
            responses = list(pool.map(fetch, jobs))
        statuses = sorted(r.status_code for r in responses)
        assert 200 in statuses and 503 in statuses, statuses
        busy = next(r for r in responses if r.status_code == 503)
        assert busy.headers["retry-after"] == "2" and busy.json()["type"] == "/problems/overloaded"
    finally:
        server.stop()


def test_a_pdf_over_the_time_limit_is_abandoned(tmp_path):
    server = Server(tmp_path, "--workers", "1", "--render-timeout", "0.001")
    try:
        response = httpx.get(
            f"{server.url}/v1/handouts/63271",
            params={"format": "pdf"},
            headers={"Accept": "application/json"},
            timeout=60,
        )
        assert response.status_code == 504
        assert json.loads(response.text)["type"] == "/problems/render-timeout"
        assert httpx.get(f"{server.url}/healthz").status_code == 200
    finally:
        server.stop()


def test_clinic_branding_second_language_and_large_print(client):
    page = client.get("/v1/handouts/63271", params={"lang": "es", "also_lang": "ar", "large_print": "true"})
    assert page.status_code == 200
    assert '<article class="explainer-handout xh-large" lang="es" dir="ltr">' in page.text
    assert "Riverside Spine Center" in page.text and '<aside class="xh-taglines">' in page.text
    assert 'xh-second" lang="ar" dir="rtl"' in page.text
    bad = client.get(
        "/v1/handouts/63271",
        params={"lang": "es", "also_lang": "es", "format": "json"},
        headers={"Accept": "application/json"},
    )
    assert bad.status_code == 400 and "own language" in bad.json()["detail"]


def test_a_personal_handout_is_never_cached(client):
    note = "Ven el lunes a las 7:30.\n<script>alert(1)</script> {{ 7*7 }}"
    body = {"lang": "es", "format": "html", "note": note, "note_lang": "es"}
    first = client.post("/v1/handouts/63271", json=body)
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    assert "etag" not in first.headers and "x-explainer-source" not in first.headers
    assert (
        '<p lang="es" dir="ltr">Ven el lunes a las 7:30.\n&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}</p>'
        in first.text
    )
    plain = client.get("/v1/handouts/63271", params={"lang": "es"})
    assert "Ven el lunes" not in plain.text
    pdf = client.post("/v1/handouts/63271", json={**body, "format": "pdf"})
    assert pdf.content.startswith(b"%PDF-") and pdf.headers["cache-control"] == "no-store"
    too_long = client.post("/v1/handouts/63271", json={**body, "note": "x" * 1001})
    assert too_long.status_code == 400 and "at most 1000" in too_long.text
    wrong = client.post(
        "/v1/handouts/63271", json={**body, "note_lang": "xx"}, headers={"Accept": "application/json"}
    )
    assert wrong.status_code == 400 and wrong.json()["type"] == "/problems/unsupported-language"


@pytest.mark.parametrize(
    ("lang", "words", "code"),
    [
        ("en", "tumor spinal cord", "63286"),
        ("es", "médula", "63286"),
        ("zh", "脊髓", "63286"),
        ("ar", "الحبل الشوكي", "63286"),
        ("en", "63286", "63286"),
        ("en", "colonoscopy", "45378"),
        ("es", "colonoscopia", "45378"),
        ("zh", "结肠镜", "45378"),
        ("ar", "تنظير القولون", "45378"),
        ("en", "G0121", "45378"),
    ],
)
def test_procedures_are_found_by_words_in_each_language(client, lang, words, code):
    data = client.get("/v1/procedures", params={"q": words, "lang": lang}).json()
    codes = [item["code"] for item in data["procedures"]]
    assert code in codes, codes
    assert data["query"] == words


def test_procedures_are_grouped_by_body_system_in_the_language(client):
    data = client.get("/v1/procedures", params={"lang": "fr"}).json()
    groups = {group["id"]: group for group in data["groups"]}
    assert list(groups) == ["digestive", "eye", "spine", "joints", "hand", "ent", "heart"]
    assert groups["spine"]["count"] == 29 and groups["digestive"]["count"] == 11
    assert sum(group["count"] for group in groups.values()) == LIBRARY_SIZE
    assert groups["spine"]["name"] != "Spine and nerves"  # translated
    colonoscopy = next(item for item in data["procedures"] if item["code"] == "45378")
    assert colonoscopy["group"]["id"] == "digestive" and colonoscopy["other_codes"]


def test_the_matched_code_system_is_reported(client):
    page = client.get("/v1/handouts/63271", params={"lang": "es"})
    assert page.headers["x-explainer-code"] == "CPT 63271"
    data = client.get("/v1/handouts/63271", params={"format": "json"}).json()
    assert data["matched"] == {"system": "CPT", "code": "63271"}
    feed = infobutton(client, **{"mainSearchCriteria.v.c": "63271", "mainSearchCriteria.v.cs": HCPCS})
    assert not ElementTree.fromstring(feed.content).findall(f"{ATOM}entry")  # a CPT code asked as HCPCS


def test_hcpcs_screening_codes_lead_to_the_colonoscopy_handout(client):
    page = client.get("/v1/handouts/G0121", params={"lang": "zh"})
    assert page.status_code == 200 and page.headers["x-explainer-code"] == "HCPCS G0121"
    data = client.get("/v1/handouts/g0105", params={"format": "json"}).json()
    assert data["code"] == "45378" and data["matched"] == {"system": "HCPCS", "code": "G0105"}
    feed = infobutton(client, **{"mainSearchCriteria.v.c": "G0121", "mainSearchCriteria.v.cs": HCPCS})
    entries = ElementTree.fromstring(feed.content).findall(f"{ATOM}entry")
    assert len(entries) == 1 and "45378" in ElementTree.tostring(entries[0], encoding="unicode")
