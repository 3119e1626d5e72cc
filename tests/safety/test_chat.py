"""Each danger category through the real `local_voice.py chat` (typed text -> the offline
matcher -> the real webhook) in every locale: the numbers in order, no practice offered, and
what "no", silence (an empty line) and "yes" do next."""
import subprocess
import sys
from pathlib import Path

import pytest

from skill import danger, helplines

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))
LOCALES = ("en-US", "en-GB", "en-AU", "en-CA", "en-IN")
TIMEOUT_S = 120
SAID = {   # one typed line per category (the tests' own wording)
    "suicidal-thoughts": "honestly I just want to die",
    "plan-or-means": "I've got the pills ready",
    "harm-done": "I swallowed a bottle of pills",
    "self-harm": "I keep cutting",
    "abuse": "my husband hits me",
    "someone-else": "my son wants to kill himself",
    "medical": "my chest hurts",
    "panic": "I'm having a panic attack",
}


def chat(tmp_path, locale: str, lines: list[str]) -> list[str]:
    env = {"SKILL_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1"}
    res = subprocess.run([PYTHON, str(REPO / "local_voice.py"), "chat", "--transcript", "--locale", locale],
                         input="\n".join(lines) + "\n", capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=TIMEOUT_S)
    assert res.returncode == 0, res.stderr
    return [line[len("coach: "):] for line in res.stdout.splitlines() if line.startswith("coach: ")]


def order(text: str, numbers: list[str]) -> list[str]:
    found = sorted((text.find(n), n) for n in numbers if n in text)
    return [n for _, n in found]


# en-US in the fast tier; every other locale too in the slow one (./scripts/test, CI): each
# case is a whole chat process, about a second and a half.
@pytest.mark.parametrize("locale", [LOCALES[0], *(pytest.param(loc, marks=pytest.mark.slow)
                                                  for loc in LOCALES[1:])])
@pytest.mark.parametrize("category", list(SAID))
def test_chat_gives_the_categorys_numbers_first_and_keeps_the_listener(tmp_path, category, locale):
    cat = danger.by_id(category)
    want = [" ".join(e["number"]) for _, e in helplines.lines_for(cat.lines, locale) if "number" in e]
    emergency = " ".join(helplines.for_locale(locale)["emergency"]["number"])
    answers = chat(tmp_path, locale, [SAID[category], "", "no", "yes"])
    welcome, answer, silence, no, yes = answers[:5]
    assert emergency in welcome                                 # a first-time listener hears it first
    assert order(answer, want) == want, answer                  # every line, in the category's order
    assert "minutes of" not in answer and "rate" not in answer.lower()   # no practice, no rating offered
    assert want[0] in silence and silence.rstrip().endswith("?")           # silence: the numbers again
    assert order(no, want + [emergency])[0] == emergency                   # not safe: emergency first
    if category in ("medical", "harm-done"):    # yes, they can call: the number, then quiet
        assert "breath" not in answer.lower() and emergency in yes and "grounding" not in yes.lower()
        assert "quiet now" in yes and "take care" not in yes.lower()
    else:
        assert "?" in yes and "take care" not in yes.lower()


def test_goodbye_forever_gets_the_check_not_take_care(tmp_path):
    answers = chat(tmp_path, "en-US", ["goodbye forever"])
    assert "988" in answers[1] and answers[1].rstrip().endswith("?")
