"""The library benchmark: render times per language, the full build, Chromium printing
the same handouts, and a worker's memory over 500 renders. All measured in one run.

Run: make bench   (or .venv/bin/python bench/library_bench.py [--json PATH] [--quick])
Machines are noisy: compare the ratios printed here, all taken in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from explainer.build import Settings, build, plan
from explainer.languages import TAGS, get_language
from explainer.library import default_library
from explainer.pdf import harfbuzz_subsetting, render_document, render_pdf
from explainer.quality.check import paper_lines
from explainer.quality.paper import PaperReport, paper_report
from explainer.render import render_html

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.stack import CHROMIUM, CHROMIUM_ARGS


def per_language(code: str, runs: int) -> dict:
    """Languages take turns within each round, so a noisy moment hits them all alike."""
    library = default_library()
    procedure = library.get(code)
    kinds = {
        "pdf_ms": (render_pdf, {}, 1),
        "html_ms": (render_html, {}, 4),
        "fragment_ms": (render_html, {"fragment": True}, 4),
    }
    times = {tag: {kind: [] for kind in kinds} for tag in TAGS}
    for round_ in range(runs + 1):  # round 0 warms up
        for tag in TAGS:
            for kind, (render, options, repeat) in kinds.items():
                action = partial(render, procedure, get_language(tag), library, **options)
                for _ in range(repeat):
                    start = time.perf_counter()
                    action()
                    if round_:
                        times[tag][kind].append((time.perf_counter() - start) * 1000)
    rows = {
        tag: {kind: statistics.median(values) for kind, values in row.items()} for tag, row in times.items()
    }
    english = rows["en"]["pdf_ms"]
    for row in rows.values():
        row["pdf_vs_en"] = row["pdf_ms"] / english
    return rows


def full_build(workers: int, formats: list[str]) -> dict:
    library = default_library()
    jobs = plan(library, TAGS, library.codes, formats)
    root = Path(tempfile.mkdtemp(prefix="explainer-bench-"))
    try:
        settings = Settings(root=root)
        cold = build(jobs, settings, workers=workers)
        start = time.perf_counter()
        unchanged = build(jobs, settings, workers=workers)
        noop = time.perf_counter() - start
        noop_process = _timed_command(["build", "--output-dir", str(root), "--jobs", str(workers)])
    finally:
        shutil.rmtree(root, ignore_errors=True)
    handouts = len(library.codes) * len(TAGS)
    return {
        "outputs": len(jobs),
        "handouts": handouts,
        "cold_s": cold.seconds,
        "handouts_per_s": handouts / cold.seconds,
        "failed": len(cold.failed),
        "unchanged_s": noop,
        "unchanged_rendered": len(unchanged.rendered),
        "unchanged_command_s": noop_process,
    }


def _timed_command(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "explainer", *args], check=True, capture_output=True)
    return time.perf_counter() - start


def chromium(workers: int) -> dict:
    """The same handouts printed to PDF by Debian's Chromium, warm, one page per worker."""
    from playwright.async_api import async_playwright

    library = default_library()
    pages_html = [
        render_html(library.get(code), get_language(tag), library) for tag in TAGS for code in library.codes
    ]

    async def run(concurrency: int) -> float:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            tabs = [await browser.new_page() for _ in range(concurrency)]
            for tab in tabs:  # warm each tab
                await tab.set_content(pages_html[0])
                await tab.pdf(format="Letter", tagged=True)
            queue = list(pages_html)
            start = time.perf_counter()

            async def worker(tab) -> None:
                while queue:
                    html = queue.pop()
                    await tab.set_content(html)
                    await tab.pdf(format="Letter", tagged=True)

            await asyncio.gather(*(worker(tab) for tab in tabs))
            elapsed = time.perf_counter() - start
            await browser.close()
            return elapsed

    sequential = asyncio.run(run(1))
    parallel = asyncio.run(run(workers))
    count = len(pages_html)
    return {
        "documents": count,
        "sequential_s": sequential,
        "sequential_docs_per_s": count / sequential,
        "parallel_workers": workers,
        "parallel_s": parallel,
        "parallel_docs_per_s": count / parallel,
    }


def pdf_build(workers: int) -> tuple[dict, PaperReport]:
    """Our PDFs alone, the same documents Chromium printed; and their paper."""
    library = default_library()
    jobs = plan(library, TAGS, library.codes, ["pdf"])
    root = Path(tempfile.mkdtemp(prefix="explainer-bench-pdf-"))
    try:
        result = build(jobs, Settings(root=root), workers=workers)
        paper = paper_report(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    figures = {
        "documents": len(jobs),
        "seconds": result.seconds,
        "docs_per_s": len(jobs) / result.seconds,
        "paper": dataclasses.asdict(paper),
    }
    return figures, paper


def weasyprint_floor(step: int) -> dict:
    """How near WeasyPrint's own floor our PDFs are: one process, a sample of the
    handouts, each rendered by us and by WeasyPrint alone from the same HTML (its own
    stylesheet and the page size, still a tagged PDF/UA-1; none of our CSS, footer or
    paper fitting). No stylesheet of ours can make a PDF faster than the second."""
    library = default_library()
    sample = [(library.get(code), get_language(tag)) for code in library.codes[::step] for tag in TAGS]
    page = "<head><style>@page { size: letter; margin: 12mm 14mm 14mm }</style>"

    def bare(procedure, language) -> None:
        html = render_html(procedure, language, library, inline_css=False, for_pdf=True)
        render_document(html.replace("<head>", page, 1))

    actions = {"ours": partial(render_pdf, library=library), "weasyprint_alone": bare}
    seconds = dict.fromkeys(actions, 0.0)
    for action in actions.values():
        action(*sample[0])  # warm
    for procedure, language in sample:  # taking turns, so a noisy moment hits both alike
        for name, action in actions.items():
            start = time.perf_counter()
            action(procedure, language)
            seconds[name] += time.perf_counter() - start
    return {
        "documents": len(sample),
        "ours_docs_per_s": len(sample) / seconds["ours"],
        "weasyprint_alone_docs_per_s": len(sample) / seconds["weasyprint_alone"],
        "ours_vs_alone": seconds["weasyprint_alone"] / seconds["ours"],
    }


def memory(renders: int) -> dict:
    """Memory of one worker process across many PDF renders (all codes, all languages):
    resident set, and its anonymous part (the heap, without mapped font files)."""
    script = f"""
import json
from explainer.languages import TAGS, get_language
from explainer.library import default_library
from explainer.pdf import render_pdf
library = default_library()
jobs = [(c, t) for t in TAGS for c in library.codes]
samples = []
for i in range({renders}):
    code, tag = jobs[i % len(jobs)]
    render_pdf(library.get(code), get_language(tag), library)
    fields = dict(line.split(':', 1) for line in open('/proc/self/status'))
    samples.append([int(fields[k].split()[0]) / 1024 for k in ('VmRSS', 'RssAnon')])
print(json.dumps(samples))
"""
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    samples = json.loads(out)
    rss, anon = [s[0] for s in samples], [s[1] for s in samples]
    first, last = statistics.mean(rss[:100]), statistics.mean(rss[-100:])
    return {
        "renders": renders,
        "first_100_mb": first,
        "last_100_mb": last,
        "growth": last / first - 1,
        "peak_mb": max(rss),
        "anon_first_100_mb": statistics.mean(anon[:100]),
        "anon_last_100_mb": statistics.mean(anon[-100:]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=Path("bench/last-run.json"))
    parser.add_argument("--quick", action="store_true", help="fewer runs, 100 renders for memory")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    runs = 3 if args.quick else 7
    figures = {
        "machine": {"cores": cores, "python": platform.python_version()},
        "harfbuzz_subsetting": harfbuzz_subsetting(),
    }

    print(f"{cores} cores; HarfBuzz subsetting {'on' if figures['harfbuzz_subsetting'] else 'OFF'}")
    figures["per_language"] = rows = per_language("63271", runs)
    print("\nOne handout (63271), median of warm renders")
    print(f"{'lang':<5} {'pdf ms':>7} {'vs en':>6} {'html ms':>8} {'fragment ms':>12}")
    for tag, row in rows.items():
        pdf, ratio = row["pdf_ms"], row["pdf_vs_en"]
        print(f"{tag:<5} {pdf:>7.0f} {ratio:>6.2f} {row['html_ms']:>8.2f} {row['fragment_ms']:>12.2f}")
    print(f"slowest language vs English: {max(r['pdf_vs_en'] for r in rows.values()):.2f}x")

    figures["full_build"] = fb = full_build(cores, ["pdf", "html", "fragment"])
    print(
        f"\nFull build: {fb['handouts']} handouts, {fb['outputs']} files (PDF, HTML, fragment), "
        f"{cores} workers"
    )
    print(
        f"cold: {fb['cold_s']:.1f} s ({fb['handouts_per_s']:.1f} handouts/s); nothing changed: "
        f"{fb['unchanged_s'] * 1000:.0f} ms in process, {fb['unchanged_command_s']:.2f} s as a command "
        f"({fb['unchanged_rendered']} rendered)"
    )

    ours, paper = pdf_build(cores)
    figures["pdf_build"] = ours
    figures["chromium"] = chrome = chromium(cores)
    best = max(chrome["sequential_docs_per_s"], chrome["parallel_docs_per_s"])
    figures["ratio_to_chromium"] = ours["docs_per_s"] / best
    print(f"\nSame {ours['documents']} handouts as PDF")
    print(f"explainer build, {cores} workers: {ours['docs_per_s']:.1f} docs/s")
    print(
        f"Chromium warm, 1 tab: {chrome['sequential_docs_per_s']:.1f} docs/s; "
        f"{cores} tabs: {chrome['parallel_docs_per_s']:.1f} docs/s"
    )
    print(f"ratio to Chromium's best: {figures['ratio_to_chromium']:.2f}x")
    figures["weasyprint_floor"] = floor = weasyprint_floor(12 if args.quick else 6)
    ceiling = figures["ratio_to_chromium"] / floor["ours_vs_alone"]
    figures["ratio_to_chromium_at_floor"] = ceiling
    print(
        f"One process, {floor['documents']} of them: ours {floor['ours_docs_per_s']:.2f} docs/s, "
        f"WeasyPrint alone (no CSS of ours) {floor['weasyprint_alone_docs_per_s']:.2f} docs/s "
        f"({floor['ours_vs_alone']:.2f}x its speed); at that floor, the ratio to Chromium "
        f"would be {ceiling:.2f}x"
    )
    print()
    print("\n".join(paper_lines(paper)))
    for problem in paper.problems:
        print(f"  {problem.output}: {problem.message}")

    figures["memory"] = mem = memory(100 if args.quick else 500)
    print(
        f"\nWorker memory over {mem['renders']} PDF renders: RSS first 100 {mem['first_100_mb']:.0f} MB, "
        f"last 100 {mem['last_100_mb']:.0f} MB ({mem['growth']:+.1%}), peak {mem['peak_mb']:.0f} MB; "
        f"anonymous {mem['anon_first_100_mb']:.0f} -> {mem['anon_last_100_mb']:.0f} MB"
    )
    print(f"`explainer procedures` as a fresh process: {_timed_command(['procedures']):.2f} s")

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
