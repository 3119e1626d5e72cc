"""skill.tools.prune_phrasings: a new set loses, unread, what copies the vocabulary or another set."""
import shutil

from skill import danger
from skill.tools import phrasing_sets, prune_phrasings

FRESH = "the kettle sings while i fold the laundry"


def _a_read_line() -> str:
    readable = next(s for s in phrasing_sets.all_sets() if s.readable and s.directory.exists())
    return next(t for t, _ in phrasing_sets.lines(readable.directory) if len(t.split()) >= 6)


def test_it_removes_copies_and_near_copies_and_keeps_the_rest(tmp_path, capsys):
    sample = danger.categories()[0].samples[0]
    line = _a_read_line()
    near = " ".join(reversed(line.split()))            # the same word set: a near-copy
    (tmp_path / "panic.txt").write_text(
        f"# a comment stays\n{sample}\n[en-GB] {near}\n{FRESH}\n{FRESH.upper()}\n", encoding="utf-8")
    (tmp_path / "not-crisis.txt").write_text(f"{line}\nmy sourdough starter smells of apples\n", encoding="utf-8")
    assert prune_phrasings.main([str(tmp_path)]) == 0
    assert (tmp_path / "panic.txt").read_text(encoding="utf-8") == f"# a comment stays\n{FRESH}\n"
    assert (tmp_path / "not-crisis.txt").read_text(encoding="utf-8") == "my sourdough starter smells of apples\n"
    out = capsys.readouterr().out
    assert "panic: kept 1, removed 3" in out and "not-crisis: kept 1, removed 1" in out
    assert sample not in out and line not in out                 # counts only, never a phrasing


def test_near_copy_is_the_held_out_rule():
    a = frozenset("i have the pills ready now".split())
    assert phrasing_sets.near_copy(a, a | {"tonight"})             # 6 of 7 words
    assert not phrasing_sets.near_copy(a, a | {"tonight", "again"})   # 6 of 8
    assert not phrasing_sets.near_copy(frozenset("im so tired".split()), frozenset("im so tired now".split()))
    index = phrasing_sets.NearCopyIndex(["i have the pills ready now tonight", "hello there"])
    assert "now i have the pills ready" in index and "there hello" in index and "hello" not in index


def test_a_bad_argument_gets_one_line_and_a_non_zero_exit(tmp_path, capsys):
    assert prune_phrasings.main([str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_it_refuses_a_set_already_learned_into_the_model(tmp_path, capsys):
    trained = next(s for s in phrasing_sets.training_sets() if s.directory.exists() and s.readable and s.benchmarked)
    copy = tmp_path / trained.directory.name
    shutil.copytree(trained.directory, copy)
    before = {p.name: p.read_text(encoding="utf-8") for p in copy.glob("*.txt")}
    assert prune_phrasings.main([str(copy)]) == 2
    assert "already learned" in capsys.readouterr().err
    assert {p.name: p.read_text(encoding="utf-8") for p in copy.glob("*.txt")} == before
