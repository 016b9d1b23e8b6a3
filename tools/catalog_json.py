"""Move messages between a language's PO files and plain JSON (msgid -> msgstr).

Translators and translation helpers work on JSON, which any tool can read and
write; the PO files stay the source of truth. `export` writes what still needs
a translation (untranslated or fuzzy) or, with --all, every translated message
for a review; `apply` sets the given translations, clears their fuzzy flag and
reports msgids that match nothing, so a stale draft cannot slip in silently.

    python tools/catalog_json.py export ko procedures todo.json [--all] [--files 45378,45380]
    python tools/catalog_json.py apply ko drafts.json [more.json ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent.parent / "locales"
DOMAINS = ("messages", "procedures")


def po_path(tag: str, domain: str) -> Path:
    return LOCALES / tag / "LC_MESSAGES" / f"{domain}.po"


def _needs_work(message) -> bool:
    return not message.string or message.fuzzy


def export(tag: str, domain: str, out: Path, every: bool, files: set[str]) -> int:
    with po_path(tag, domain).open("rb") as file:
        catalog = read_po(file)
    rows = {}
    for message in catalog:
        if not message.id or isinstance(message.id, tuple):
            continue
        if files and not any(Path(loc).stem in files for loc, _ in message.locations):
            continue
        if every and not _needs_work(message):
            rows[message.id] = message.string
        elif not every and _needs_work(message):
            rows[message.id] = ""
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return len(rows)


def apply(tag: str, drafts: dict[str, str]) -> tuple[int, list[str]]:
    used: set[str] = set()
    changed = 0
    for domain in DOMAINS:
        path = po_path(tag, domain)
        with path.open("rb") as file:
            catalog = read_po(file)
        for message in catalog:
            text = drafts.get(message.id) if isinstance(message.id, str) else None
            if not text:
                continue
            used.add(message.id)
            if message.string != text or message.fuzzy:
                message.string = text
                message.flags.discard("fuzzy")
                message.previous_id = []
                changed += 1
        tmp = path.with_suffix(".po.tmp")
        with tmp.open("wb") as file:
            write_po(file, catalog, width=76)
        tmp.replace(path)
    return changed, sorted(set(drafts) - used)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export")
    ex.add_argument("tag")
    ex.add_argument("domain", choices=DOMAINS)
    ex.add_argument("out", type=Path)
    ex.add_argument("--all", action="store_true", help="translated messages, for a review")
    ex.add_argument("--files", default="", help="only messages from these procedure codes")
    ap = sub.add_parser("apply")
    ap.add_argument("tag")
    ap.add_argument("json", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.command == "export":
        files = {code.strip() for code in args.files.split(",") if code.strip()}
        count = export(args.tag, args.domain, args.out, args.all, files)
        print(f"{args.out}: {count} messages")
        return 0
    drafts: dict[str, str] = {}
    for path in args.json:
        drafts.update(json.loads(path.read_text(encoding="utf-8")))
    changed, unmatched = apply(args.tag, drafts)
    print(f"{args.tag}: {changed} messages set, {len(unmatched)} match no msgid")
    for msgid in unmatched:
        print(f"  no such msgid: {msgid[:70]!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
