"""The catalogs: complete, current with the sources, and with the right plural rules."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from explainer.catalogs import DOMAINS, Translator, completeness, template_messages
from explainer.languages import TAGS, get_language
from explainer.resources import LOCALES_DIR

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [tag for tag in TAGS if tag != "en"]
EXTRACTION = {"messages": ["explainer", "templates"], "procedures": ["procedures"]}
CATEGORY_ORDER = ("zero", "one", "two", "few", "many", "other")


def read_catalog(tag: str, domain: str):
    with (LOCALES_DIR / tag / "LC_MESSAGES" / f"{domain}.po").open("rb") as file:
        return read_po(file)


@pytest.mark.parametrize("domain", DOMAINS)
def test_templates_are_current_with_the_sources(domain):
    """A changed paragraph or template string needs `make extract update`."""
    method_map = [
        ("**.py", "python"),
        ("glossary.md", "explainer.extract.extract_glossary"),
        ("**.html", "jinja2.ext.babel_extract"),
        ("**.md", "explainer.extract.extract_procedure"),
    ]
    found = set()
    for folder in EXTRACTION[domain]:
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder, method_map, options_map={"**.html": {"trimmed": "true"}}
        ):
            found.add(message if isinstance(message, str) else message[0])
    assert found == set(template_messages(domain)), "run `make extract update`"


@pytest.mark.parametrize("tag", TRANSLATED)
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_is_translated(tag, domain):
    catalog = read_catalog(tag, domain)
    pot = set(template_messages(domain))
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert ids == pot, f"{tag}/{domain}.po is out of date: run `make update`"
    forms = lambda m: m.string if isinstance(m.string, tuple) else (m.string,)  # noqa: E731
    untranslated = [m.id for m in catalog if m.id and (m.fuzzy or not all(forms(m)))]
    assert untranslated == []
    assert completeness(get_language(tag)) == 1.0


@pytest.mark.parametrize("tag", TRANSLATED)
def test_plural_rules_agree_with_cldr(tag):
    """Each header's forms must split the counts a handout can show (0 to 1000) as
    CLDR's categories do, in CLDR's order. Babel's hand-kept Arabic rule fails this
    (python-babel/babel#816)."""
    rule = Locale.parse(tag).plural_form
    for domain in DOMAINS:
        catalog = read_catalog(tag, domain)
        choose = gettext.c2py(catalog.plural_expr)
        pairs = {(choose(n), rule(n)) for n in range(1001)}
        by_form = dict(sorted(pairs))
        assert len(by_form) == len(pairs) == len({c for _, c in pairs}), f"{tag}/{domain}: {sorted(pairs)}"
        assert set(by_form) == set(range(catalog.num_plurals)), f"{tag}/{domain}: unused forms"
        order = [CATEGORY_ORDER.index(category) for category in by_form.values()]
        assert order == sorted(order), f"{tag}/{domain}: forms out of CLDR order {by_form}"


@pytest.mark.parametrize(
    ("tag", "counts"),
    [
        ("ar", {0: 0, 1: 1, 2: 2, 3: 3, 10: 3, 11: 4, 99: 4, 100: 5, 102: 5}),
        ("ru", {1: 0, 21: 0, 2: 1, 4: 1, 22: 1, 5: 2, 11: 2, 12: 2, 0: 2}),
    ],
)
def test_arabic_and_russian_pick_the_right_plural_form(tag, counts):
    singular = "Reading time: about %(num)s minute"
    entry = read_catalog(tag, "messages")[singular]
    forms = entry.string
    assert len(set(forms)) > 2, "the forms should differ"
    translator = Translator(get_language(tag))
    for n, index in counts.items():
        assert translator.ngettext(singular, "Reading time: about %(num)s minutes", n) == forms[index]
    assert translator.missing == []


def test_a_missing_translation_is_noticed_and_falls_back_to_english():
    translator = Translator(get_language("es"))
    assert translator.text("Not a message of ours.").lang == "en"
    assert translator.missing == ["Not a message of ours."]
