"""Every benchmark section can be run: `python -m benchmarks --only NAME` knows each module
that measures one, and the README lists every name."""
import ast
import re
from pathlib import Path

from benchmarks.run import MEASUREMENTS

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
README = BENCHMARKS.parent / "README.md"


def _measuring_modules() -> set[str]:
    """Modules of benchmarks/ that define a section's measure(quick) function."""
    out = set()
    for path in BENCHMARKS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(n, ast.FunctionDef) and n.name == "measure" for n in tree.body):
            out.add(path.stem)
    return out


def test_every_measuring_module_is_registered():
    registered = {target.partition(":")[0] for target in MEASUREMENTS.values()}
    assert _measuring_modules() - registered == set()


def test_the_readme_names_every_section():
    m = re.search(r"`--only ([a-z ]+)`", README.read_text(encoding="utf-8"))
    assert m, "the README's --only list"
    assert set(m.group(1).split()) == set(MEASUREMENTS)
