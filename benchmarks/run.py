"""Entry point: ``.venv/bin/python -m benchmarks [--quick] [--only NAME ...]``.

Runs each measurement in turn, prints one table, and writes benchmarks/latest.md and
benchmarks/latest.json. Every figure is a ratio against a baseline measured in this run
on this machine. A FAIL is reported, not raised: the exit status is 0 unless a
measurement itself breaks.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if __package__ in (None, ""):          # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(HERE.parent))

from benchmarks.common import Section  # noqa: E402
#: name -> module (with measure(quick) -> Section, or a list of them) or "module:function", in the order they run
MEASUREMENTS = {"turns": "turn_cost", "http": "throughput", "prod": "throughput:measure_production",
                "cold": "cold_start", "lambda": "lambda_cold_start", "pacing": "pacing",
                "memory": "memory", "audio": "audio", "safety": "safety"}


def _num(value, unit="") -> str:
    if value is None:
        return "-"
    if unit == "%":
        return f"{value:.2f} %"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if abs(value) >= 1 else f"{value:.3f}"
    return f"{text} {unit}".strip()


def markdown(sections: list[Section], header: list[str]) -> str:
    lines = [*header, ""]
    for section in sections:
        detail = any(f.note for f in section.figures)
        lines += [f"### {section.title}", "",
                  "| figure | ours | baseline | ratio | target | result |" + (" detail |" if detail else ""),
                  "|---|---:|---:|---:|---|---|" + ("---|" if detail else "")]
        for f in section.figures:
            ratio = "-" if f.ratio is None else f"{f.ratio:.2f}x"
            result = "" if f.passed is None else ("PASS" if f.passed else "**FAIL**")
            lines.append(f"| {f.name} | {_num(f.ours, f.unit)} | {_num(f.baseline, f.unit)} | "
                         f"{ratio} | {f.target} | {result} |" + (f" {f.note} |" if detail else ""))
        lines.append("")
        lines += [f"- {n}" for n in section.notes]
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests and repetitions (< 1 min)")
    parser.add_argument("--only", nargs="+", choices=list(MEASUREMENTS), help="run only these")
    parser.add_argument("--out", default=str(HERE / "latest"),
                        help="write OUT.md and OUT.json (default benchmarks/latest)")
    args = parser.parse_args(argv)

    started = time.time()
    sections = []
    for name in args.only or MEASUREMENTS:
        t0 = time.perf_counter()
        print(f"[benchmarks] {name} ...", file=sys.stderr, flush=True)
        module, _, function = MEASUREMENTS[name].partition(":")
        measure = getattr(importlib.import_module(f"benchmarks.{module}"), function or "measure")
        measured = measure(args.quick)
        measured = measured if isinstance(measured, list) else [measured]
        measured[-1].notes.append(f"measured in {time.perf_counter() - t0:.0f} s")
        sections += measured
    header = [f"## Benchmark results ({'quick' if args.quick else 'full'} run)", "",
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}; "
              f"{platform.python_implementation()} {platform.python_version()}, "
              f"{os.cpu_count()} CPUs, {platform.machine()}; total "
              f"{time.time() - started:.0f} s. Ratios are ours / baseline, measured in this run "
              "on this machine; lower is better unless the target says >=."]
    text = markdown(sections, header)
    print(text)
    Path(args.out + ".md").write_text(text + "\n", encoding="utf-8")
    Path(args.out + ".json").write_text(json.dumps({
        "quick": args.quick, "started_unix_s": round(started),
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "sections": [{"title": s.title, "notes": s.notes,
                      "figures": [f.as_dict() for f in s.figures]} for s in sections],
    }, indent=1) + "\n", encoding="utf-8")
    failed = sum(1 for s in sections for f in s.figures if f.passed is False)
    print(f"[benchmarks] {failed} target(s) failed; wrote {args.out}.md and .json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
