"""The lint names the file, the line and the rule of each failure, in a copy of ssml/."""
import datetime as dt
import shutil

import pytest

from skill import catalogue, helplines, render

from skill.tools import lint
from skill.catalogue import SSML_DIR


@pytest.fixture
def ssml_copy(tmp_path, monkeypatch):
    copy = tmp_path / "ssml"
    shutil.copytree(SSML_DIR, copy)
    for module in (catalogue, render, lint):
        monkeypatch.setattr(module, "SSML_DIR", copy)
    for cached in (catalogue.scripts, catalogue.locales, render._env, render._json, render._render, render._dialog):
        cached.cache_clear()
    monkeypatch.setattr(catalogue, "LOCALES_FILE", copy / "locales.json")
    yield copy
    for cached in (catalogue.scripts, catalogue.locales, render._env, render._json, render._render, render._dialog):
        cached.cache_clear()


def break_line(path, line_no, text):
    lines = path.read_text().splitlines()
    lines.insert(line_no - 1, text)
    path.write_text("\n".join(lines) + "\n")


def test_the_real_scripts_pass():
    assert lint.run() == []


def test_each_failure_names_file_line_and_rule(ssml_copy):
    grounding = ssml_copy / "grounding.ssml.j2"
    kind_action = ssml_copy / "kind-action.ssml.j2"
    line = next(i for i, l in enumerate(grounding.read_text().splitlines(), 1) if "<part>" in l) + 1
    break_line(grounding, line, '<p>Rest here.</p><break time="12s"/>')
    amp = next(i for i, l in enumerate(kind_action.read_text().splitlines(), 1) if "<part>" in l) + 1
    break_line(kind_action, amp, "<p>Tea & toast</p>")
    failures = lint.run()
    grounding_hits = [f for f in failures if f.file.endswith("grounding.ssml.j2")]
    action_hits = [f for f in failures if f.file.endswith("kind-action.ssml.j2")]
    assert len(failures) == len(grounding_hits) + len(action_hits)
    assert {(f.line, f.rule) for f in grounding_hits} == {(line, "break-max")}
    assert {(f.line, f.rule) for f in action_hits} == {(amp, "render")}
    assert "not well-formed" in action_hits[0].message
    # every locale and rate is covered, and each failure says which
    assert {f.where.split()[1] for f in grounding_hits} == set(catalogue.locales())
    assert {f.where.split()[2] for f in grounding_hits} == {f"rate={r}" for r in render.RATES_PCT}
    assert all(str(f).startswith(f"{f.file}:{f.line}: {f.rule}: ") for f in failures)


def test_a_cue_too_long_for_its_phase_is_named(ssml_copy):
    cues = ssml_copy / "breathing_cues.json"
    cues.write_text(cues.read_text().replace('"and a sip"', '"and a long slow sip of air right now"'))
    failures = [f for f in lint.run() if f.rule == "render"]
    assert failures and all(f.file.endswith("breathing.ssml.j2") for f in failures)
    assert "too long for its" in failures[0].message
    assert {f.where.split()[0] for f in failures} == {"breathing"}
    assert all("pattern=sigh" in f.where for f in failures)


def test_the_command_exits_non_zero_on_failure(ssml_copy, capsys):
    grounding = ssml_copy / "grounding.ssml.j2"
    line = next(i for i, l in enumerate(grounding.read_text().splitlines(), 1) if "<part>" in l) + 1
    break_line(grounding, line, "<p>Tea & toast</p>")
    assert lint.main([]) == 1
    assert "grounding.ssml.j2:" in capsys.readouterr().out


def test_the_helpline_review_date_warns_and_names_the_file(capsys):
    due = helplines.review_by()
    assert lint.warnings(today=due - dt.timedelta(days=lint.HELPLINE_REVIEW_AHEAD_DAYS + 1)) == []
    for today, words in ((due - dt.timedelta(days=3), "in 3 days"),
                         (due + dt.timedelta(days=1), "has passed")):
        [warning] = lint.warnings(today=today)
        assert warning.file == "skill/data/helplines.json" and warning.rule == "review-date"
        assert words in warning.message and warning.where == "warning"
        lines = (helplines.DATA_DIR / "helplines.json").read_text().splitlines()
        assert '"review_by"' in lines[warning.line - 1]


def test_a_past_review_date_is_printed_but_does_not_fail_the_lint(monkeypatch, capsys):
    monkeypatch.setattr(lint.helplines, "review_by", lambda: dt.date(2000, 1, 1))
    assert lint.main([]) == 0
    out = capsys.readouterr().out
    assert "skill/data/helplines.json:" in out and "review date 2000-01-01 has passed" in out
