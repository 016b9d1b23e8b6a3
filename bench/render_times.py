"""Median render time of one handout per language, PDF and HTML, in one process.

Run: .venv/bin/python bench/render_times.py [CODE] [--runs N]
Figures are from one run on one machine: compare the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

from explainer.languages import TAGS, get_language
from explainer.library import default_library
from explainer.pdf import harfbuzz_subsetting, render_pdf
from explainer.render import render_html


def median_seconds(action, runs: int) -> float:
    action()  # warm: fonts found, templates compiled, catalogs loaded
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("code", nargs="?", default="63271")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    library = default_library()
    procedure = library.get(args.code)
    print(f"handout {args.code}, median of {args.runs} warm runs")
    print(f"HarfBuzz subsetting: {harfbuzz_subsetting()}")
    print(f"{'lang':<5} {'pdf ms':>8} {'vs en':>6} {'html ms':>8}")
    english = None
    for tag in TAGS:
        language = get_language(tag)
        pdf = median_seconds(partial(render_pdf, procedure, language, library), args.runs)
        html = median_seconds(partial(render_html, procedure, language, library), args.runs * 4)
        english = english or pdf
        print(f"{tag:<5} {pdf * 1000:>8.0f} {pdf / english:>6.2f} {html * 1000:>8.1f}")


if __name__ == "__main__":
    main()
