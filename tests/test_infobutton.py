"""HL7 Infobutton as real clients call it, replayed over HTTP against the running service:
indexed criteria (OpenInfobutton), MedlinePlus Connect's parameters and JSON shape,
media types as clients write them, and languages we do not have."""

from __future__ import annotations

import json
from urllib.parse import urlencode
from xml.etree import ElementTree

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .stack import Server
from .test_service import ATOM, CPT

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SNOMED = "2.16.840.1.113883.6.96"


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("infobutton"), "--workers", "1")
    yield server
    server.stop()


def get(service: Server, query: str | dict) -> httpx.Response:
    """The query as the client wrote it (a string keeps its order and spelling)."""
    text = query if isinstance(query, str) else urlencode(query)
    return httpx.get(f"{service.url}/infobutton?{text}", timeout=30)


def atom(response: httpx.Response) -> ElementTree.Element:
    assert response.status_code == 200, response.text
    return ElementTree.fromstring(response.content)


def categories(feed: ElementTree.Element) -> dict[str, str]:
    return {c.get("scheme"): c.get("term") for c in feed.findall(f"{ATOM}category")}


def test_indexed_criteria_as_openinfobutton_sends_them(service):
    feed = atom(
        get(
            service,
            "representedOrganization.id.root=1.2.3&taskContext.c.c=ORDERENTRY"
            f"&mainSearchCriteria.v.c0=22551&mainSearchCriteria.v.cs0={SNOMED}&mainSearchCriteria.v.dn0=Other"
            f"&mainSearchCriteria.v.c1=63271&mainSearchCriteria.v.cs1={CPT}"
            "&mainSearchCriteria.v.dn1=Laminectomy&informationRecipient=pat",
        )
    )
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1 and "63271" in entries[0].find(f"{ATOM}id").text
    found = categories(feed)
    assert found["mainSearchCriteria.v.c"] == "63271" and found["mainSearchCriteria.v.dn"] == "Laminectomy"
    assert found["taskContext.c.c"] == "ORDERENTRY" and found["informationRecipient"] == "PAT"


@pytest.mark.parametrize(
    "media", ["APPLICATION/JSON", "application/json; charset=utf-8", "text/json", "application/json"]
)
def test_json_media_types_as_clients_write_them(service, media):
    response = get(service, {"mainSearchCriteria.v.c": "45378", "knowledgeResponseType": media})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert response.json()["feed"]["entry"][0]["title"]["_value"]


def test_medlineplus_connect_request_and_json_shape(service):
    """As a MedlinePlus Connect client asks: Spanish as `sp`, JSON."""
    response = get(
        service,
        f"mainSearchCriteria.v.cs={CPT}&mainSearchCriteria.v.c=45378&mainSearchCriteria.v.dn=Colonoscopy"
        "&informationRecipient.languageCode.c=sp&knowledgeResponseType=application/json",
    )
    feed = response.json()["feed"]
    assert feed["lang"] == "es" and "xml:lang" not in json.dumps(feed)
    assert feed["base"].endswith("/") and feed["author"]["uri"]["_value"] == feed["base"]
    assert feed["title"] == {"_value": "Información para el paciente", "type": "text"}
    assert feed["subtitle"]["type"] == "text" and "Colonoscopy" in feed["subtitle"]["_value"]
    entry = feed["entry"][0]
    assert entry["lang"] == "es" and entry["summary"]["type"] == "text"
    assert "colon" in entry["summary"]["_value"].lower()
    titles = {link["type"]: link["title"] for link in entry["link"]}
    assert titles["application/pdf"].endswith("(PDF)") and titles["text/html"].startswith(
        entry["title"]["_value"]
    )


def test_jsonp_with_a_callback_and_refused_callbacks(service):
    query = {"mainSearchCriteria.v.c": "63271", "knowledgeResponseType": "application/javascript"}
    response = get(service, {**query, "callback": "handle.feed_1"})
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.text.startswith("/**/handle.feed_1({") and response.text.endswith("});")
    bad = get(service, {**query, "callback": "alert(1)//"})
    assert bad.status_code == 400 and "callback" in bad.json()["detail"]


def test_an_unknown_media_type_or_recipient_says_what_is_served(service):
    wrong = get(service, {"mainSearchCriteria.v.c": "63271", "knowledgeResponseType": "image/png"})
    assert wrong.status_code == 400 and "application/json" in wrong.json()["detail"]
    nobody = get(service, {"mainSearchCriteria.v.c": "63271", "informationRecipient": "ROBOT"})
    assert nobody.status_code == 400 and "PAT, PROV" in nobody.json()["detail"]


@pytest.mark.parametrize(("code", "served"), [("sp", "es"), ("spa", "es"), ("es-US", "es"), ("AR", "ar")])
def test_language_codes_as_ehrs_send_them(service, code, served):
    feed = atom(
        get(service, {"mainSearchCriteria.v.c": "63271", "informationRecipient.languageCode.c": code})
    )
    assert feed.get(XML_LANG) == served and feed.find(f"{ATOM}entry").get(XML_LANG) == served
    assert "explainer.languageRequested" not in categories(feed)


@pytest.mark.parametrize("code", ["zh-TW", "ja", "xx"])
def test_a_language_we_do_not_have_is_english_and_the_feed_says_so(service, code):
    feed = atom(
        get(service, {"mainSearchCriteria.v.c": "63271", "informationRecipient.languageCode.c": code})
    )
    assert feed.get(XML_LANG) == "en" and feed.find(f"{ATOM}entry").get(XML_LANG) == "en"
    assert categories(feed)["explainer.languageRequested"] == code
    assert f"Not available in '{code}': shown in en" in feed.find(f"{ATOM}subtitle").text


def test_the_feed_labels_its_english_text_and_names_its_author(service):
    feed = atom(
        get(service, {"mainSearchCriteria.v.c": "63271", "informationRecipient.languageCode.c": "ko"})
    )
    assert feed.get(XML_LANG) == "ko" and feed.find(f"{ATOM}title").text == "환자 안내문"
    assert feed.find(f"{ATOM}subtitle").get(XML_LANG) == "en"  # the only English in a Korean feed
    assert feed.find(f"{ATOM}author/{ATOM}uri").text.endswith("/")
    links = feed.find(f"{ATOM}entry").findall(f"{ATOM}link")
    assert all(link.get("title") for link in links)


values = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "mainSearchCriteria.v.c",
                "mainSearchCriteria.v.c0",
                "mainSearchCriteria.v.cs",
                "mainSearchCriteria.v.dn",
                "mainSearchCriteria.v.dn0",
                "informationRecipient.languageCode.c",
                "taskContext.c.c",
            ]
        ),
        st.one_of(values, st.sampled_from(["63271", CPT, "\ufffe", "a\uffffb", "es"])),
        max_size=5,
    )
)
def test_the_atom_feed_is_well_formed_xml_for_any_input(service, query):
    response = get(service, query)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        ElementTree.fromstring(response.content)  # raises on ill-formed XML
