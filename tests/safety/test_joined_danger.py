"""Danger said beside a request or small talk keeps its crisis answer offline: a pattern that
needs the end of the text also ends at a clause break ("i want to end it then give me a
breathing exercise"), and nothing lets the words around danger overrule the patterns. Two
vetoes that did were backed out after reviews found requests or small talk beside a plain
danger clause hid it (benchmarks/safety_runs.md runs 16 and 17); this test, with a reviewer's
small talk among its requests, is there to catch a third."""
from pathlib import Path

import pytest

from benchmarks import safety
from skill import danger
from skill.tools import train_danger
from skill.tools.utterances import match

# Slow: every danger sample beside every request, in every locale (about 310,000 matches).
pytestmark = pytest.mark.slow

REQUESTS_PATH = Path(__file__).parent / "joined_requests.txt"
MIN_KEPT_PCT = 99.8   # of samples x requests (run 18: 99.83 % in en-US; most go to the fallback,
                      # which says the emergency number, or a look-alike claims the words: "end things and ...")
CRISIS = {c.intent for c in danger.categories()}


def _templates() -> list[str]:
    lines = REQUESTS_PATH.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_the_requests_are_held_out_from_training():
    trained = {t for t, _, _ in train_danger.training_set()}
    parts = [danger.normalize(t.replace("{}", " ")) for t in _templates()]
    assert len(parts) >= 15 and all(t.count("{}") == 1 for t in _templates())
    assert [p for p in parts if p in trained] == []


@pytest.mark.parametrize("locale", safety.LOCALES)
def test_danger_beside_a_request_keeps_its_crisis_answer(locale):
    samples = [s for c in danger.categories() for s in c.samples]
    texts = [t.format(s) for t in _templates() for s in samples]
    lost = {t: intent for t in texts if (intent := match(t, locale).intent) not in CRISIS}
    assert 100.0 * (len(texts) - len(lost)) / len(texts) >= MIN_KEPT_PCT, list(lost)[:10]
    # Never a practice instead, unless a look-alike said the danger words another way.
    practice = [t for t, intent in lost.items() if intent not in {"AMAZON.FallbackIntent", "EverydayIntent"}]
    assert [t for t in practice if danger.without_lookalikes(t) == danger.normalize(t)] == []
