"""Print what a new requirements.lock changes against the old one: one line per
package added, removed, upgraded or downgraded, so a maintainer sees the move."""

from __future__ import annotations

import re
import sys
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins(path: Path) -> dict[str, str]:
    return {name.lower(): version for name, version in PIN.findall(path.read_text(encoding="utf-8"))}


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    lines = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if old is None:
            lines.append(f"  added    {name} {new}")
        elif new is None:
            lines.append(f"  removed  {name} {old}")
        else:
            lines.append(f"  changed  {name} {old} -> {new}")
    return lines


def main(argv: list[str]) -> int:
    before, after = (pins(Path(arg)) for arg in argv[1:3])
    lines = changes(before, after)
    print(f"requirements.lock: {len(lines)} change(s)" + (":" if lines else ""))
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
