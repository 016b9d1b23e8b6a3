from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from explainer.errors import ContentError
from explainer.library import load_library
from explainer.procedures import GET_HELP, LEVELS, SECTIONS, load_procedure, parse_procedure

GOOD = Path(__file__).resolve().parent.parent / "procedures" / "63271.md"


def test_a_source_reads_into_its_sections_in_order(library):
    procedure = library.get("63271")
    assert [s.heading.text for s in procedure.sections] == list(SECTIONS)
    assert procedure.system == "CPT"
    assert procedure.related == ("63270", "63272", "63273")
    assert procedure.changed == datetime.date(2026, 12, 1)
    assert procedure.terms[:3] == ("spinal cord", "dura", "lamina")
    assert procedure.picture == "spine-layers" and "ninds-spinal-tumors" in procedure.references
    steps = procedure.sections[3].blocks[0]
    assert steps.kind == "steps" and len(steps.items) == 7
    help_blocks = procedure.sections[SECTIONS.index(GET_HELP)].blocks
    assert [b.items[0].text for b in help_blocks if b.kind == "level"] == list(LEVELS)
    # Every message remembers its line, for the catalogs' #: locations.
    assert procedure.title.line == 4 and procedure.subtitle.line == 5
    assert all(m.line > 13 for s in procedure.sections for b in s.blocks for m in b.items)


def test_lower_spine_handouts_speak_of_nerve_roots_and_saddle_numbness(library):
    for code in ("63267", "63268", "63272", "63282", "63283"):
        procedure = library.get(code)
        text = " ".join(m.text for m in procedure.messages())
        assert procedure.picture == "spine-layers-lower" and "nerve roots" in procedure.terms
        assert "saddle" in text and "Your spinal cord ends at about the top of the lower back" in text
    parents = " ".join(m.text for m in library.get("63295").messages())
    assert "This handout is for parents" in parents and "your child" in parents.lower()


def test_the_format_rules_are_named_with_their_lines(tmp_path):
    text = GOOD.read_text()
    text = text.replace("changed: 2026-12-01", "reviewed: 2026-12-01")
    text = text.replace("picture: spine-layers\n", "")
    text = text.replace(
        "title: Removing a cyst or infection from inside the dura",
        "title: " + " ".join(["word"] * 11),
    )
    text = text.replace("### Go to the emergency room now", "### Go to the hospital")
    start = text.index("- Most people stay in the hospital 2 to 5 days")
    text = text[:start] + text[text.index("\n", start) + 1 :]
    text = text.replace("- The surgeon opens the dura and closes it again", "- x")
    for line in [x for x in text.splitlines() if x.startswith("- ") and "stiff neck" in x][:1]:
        text = text.replace(line + "\n", "", 1)
    text = text.replace("\n1. **Wound:**", "\n- **Wound:**")
    with pytest.raises(ContentError) as caught:
        parse_procedure(text, tmp_path / "63271.md")
    messages = str(caught.value)
    assert "63271.md:12: 'reviewed' is now 'changed'" in messages
    assert "63271.md:4: the title has 11 words; keep it to 10" in messages
    assert "unknown level 'Go to the hospital'" in messages
    assert "'Key points' must be one '-' list of 3 to 5 points" in messages
    assert "missing header field 'changed'" in messages


def test_risks_and_other_choices_are_optional(tmp_path):
    text = GOOD.read_text()
    for name, following in (("Risks", "## Other choices"), ("Other choices", "## Getting ready")):
        start = text.index(f"## {name}\n")
        text = text[:start] + text[text.index(following) :]
    procedure = parse_procedure(text, tmp_path / "63271.md")
    assert "Risks" not in [s.heading.text for s in procedure.sections]


def test_unknown_references_and_pictures_are_named(source_copy):
    path = source_copy / "63278.md"
    text = path.read_text().replace("references: ninds-spinal-tumors", "references: no-such-source")
    path.write_text(text.replace("picture: spine-layers-lower", "picture: heart"))
    with pytest.raises(ContentError) as caught:
        load_library(source_copy)
    messages = str(caught.value)
    assert "63278.md:10: reference 'no-such-source' is not in references.toml" in messages
    assert "63278.md:9: unknown picture 'heart'" in messages


def test_every_problem_is_reported_with_its_line(tmp_path):
    source = GOOD.read_text().splitlines()
    source[1] = "code: 6327"  # malformed code
    source[3] = "colour: blue"  # unknown field
    source[11] = "changed: 2 November 2026"  # bad date
    broken = "\n".join(source)
    broken = broken.replace("## Getting ready", "## Getting Ready")  # unknown section
    broken = broken.replace("Your spinal cord is a bundle", "<b>Your</b> spinal cord is a bundle")
    broken = broken.replace("## Questions to ask\n", "## Questions to ask\n\n### Extra\n")
    path = tmp_path / "63271.md"
    path.write_text(broken)
    with pytest.raises(ContentError) as caught:
        load_procedure(path)
    lines = {(p.line, p.message.split(" ")[0]) for p in caught.value.problems}
    messages = "\n".join(str(p) for p in caught.value.problems)
    assert "63271.md:2: '6327' is not a CPT code" in messages
    assert "63271.md:4: unknown header field 'colour'" in messages
    assert "63271.md:12: changed date '2 November 2026' must be written YYYY-MM-DD" in messages
    assert "unknown section 'Getting Ready'" in messages
    assert "missing section '## Getting ready'" in messages
    assert "HTML is not allowed" in messages
    assert "only '## ' section headings, and '### ' levels in 'When to get help', are allowed" in messages
    assert "missing header field 'title'" in messages
    assert len(lines) >= 8


def test_sections_out_of_order_and_empty_are_named(tmp_path):
    text = GOOD.read_text()
    why_start = text.index("## Why it is done")
    what_start = text.index("## What happens")
    swapped = text.replace(text[why_start:what_start], "")
    swapped = swapped.replace("## Questions to ask", text[why_start:what_start] + "## Questions to ask")
    swapped = swapped.replace("## Getting ready\n", "## Getting ready\n\n## After the procedure\n", 1)
    with pytest.raises(ContentError) as caught:
        parse_procedure(swapped, tmp_path / "63271.md")
    messages = str(caught.value)
    assert "section 'Why it is done' is out of order" in messages
    assert "section 'Getting ready' is empty" in messages
    assert "section 'After the procedure' appears more than once" in messages


def test_file_name_must_match_code(tmp_path):
    with pytest.raises(ContentError, match=r"does not match the file name 63999\.md"):
        parse_procedure(GOOD.read_text(), tmp_path / "63999.md")


def test_related_codes_must_exist(source_copy):
    path = source_copy / "63278.md"
    path.write_text(path.read_text().replace("related: 63275, 63276, 63277", "related: 63275, 63276, 63279"))
    with pytest.raises(ContentError, match=r"63278.md:7: related code 63279 has no procedure file"):
        load_library(source_copy)


def test_related_codes_are_checked_for_form_and_self_reference(tmp_path):
    text = GOOD.read_text().replace("related: 63270, 63272, 63273", "related: 63271, 632x0, 63270, 63270")
    with pytest.raises(ContentError) as caught:
        parse_procedure(text, tmp_path / "63271.md")
    messages = str(caught.value)
    assert "cannot be related to itself" in messages
    assert "related code '632x0' is not a CPT code" in messages
    assert "listed twice" in messages


def test_a_shared_paragraph_is_one_message(library):
    shared = "Tell your care team about every medicine you take. This includes vitamins and herbs."
    users = [p.code for p in library.procedures.values() if shared in {m.text for m in p.messages()}]
    # Every handout for adults shares it; those for parents speak about their child.
    for_parents = {"63295", "42820", "42825", "42830", "69433", "69436"}
    assert users == [code for code in library.codes if code not in for_parents] and len(users) == 54


def test_the_glossary_defines_every_term_a_handout_lists(library):
    used = {term for procedure in library.procedures.values() for term in procedure.terms}
    assert used <= set(library.glossary.terms)
    assert library.glossary.get("Dura").definition.text.startswith("The tough covering")


def test_glossary_problems_are_located(tmp_path):
    from explainer.glossary import parse_glossary

    text = "## dura\n\nOne.\n\nTwo.\n\n## lamina\n\n## dura\n\nAgain.\n"
    with pytest.raises(ContentError) as caught:
        parse_glossary(text, tmp_path / "glossary.md")
    messages = str(caught.value)
    assert "glossary.md:1: term 'dura' needs exactly one paragraph" in messages
    assert "glossary.md:7: term 'lamina' needs exactly one paragraph" in messages


def test_parents_handouts_may_title_home_care_for_their_child(library):
    handout = library.get("42820")
    headings = [section.heading.text for section in handout.sections]
    assert "Caring for your child at home" in headings and "Caring for yourself at home" not in headings
    assert "caring-for-yourself-at-home" in [section.slug for section in handout.sections]  # same section
