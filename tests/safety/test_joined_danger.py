"""Danger said beside a request or small talk keeps its crisis answer offline: the patterns
read '$' as the end of a clause too, and the classifier, trained on danger joined to requests
(skill/tools/train_danger.joined), does not let the request drown it out when it is asked to
overrule the patterns (danger_classifier.vetoes). A review found the veto without that training
lost 151 to 178 of the 1,592 samples behind one request (benchmarks/safety_runs.md run 16)."""
from pathlib import Path

import pytest

from benchmarks import safety
from skill import danger
from skill.tools import train_danger
from skill.tools.utterances import match

# Slow: every danger sample beside every request, in every locale (about 140,000 matches).
pytestmark = pytest.mark.slow

REQUESTS_PATH = Path(__file__).parent / "joined_requests.txt"
MIN_KEPT_PCT = 99.9   # of samples x requests: a look-alike can rightly claim a few ("end things and ...")
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
    lost = [t for t in texts if match(t, locale).intent not in CRISIS]
    assert 100.0 * (len(texts) - len(lost)) / len(texts) >= MIN_KEPT_PCT, lost[:10]
    # Never a practice instead, unless a look-alike said the danger words another way.
    practice = [t for t in lost if match(t, locale).intent not in {"AMAZON.FallbackIntent", "EverydayIntent"}]
    assert [t for t in practice if danger.without_lookalikes(t) == danger.normalize(t)] == []
