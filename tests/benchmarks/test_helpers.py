"""Cheap checks of the benchmark helpers: onsets, cycle matching, statistics, the baseline
skill (which imports oscrypto, so it fails if the fix in benchmarks/oscrypto_fix.py stops working)."""
import array
import json

import pytest

from benchmarks.common import envelope, median, onsets_s, percentile, user_id
from benchmarks.pacing import match_cycles

RATE_HZ = 8000


def _tone_at(starts_s, total_s, length_s=0.3):
    samples = array.array("h", bytes(2 * round(total_s * RATE_HZ)))
    for start in starts_s:
        first = round(start * RATE_HZ)
        for i in range(first, first + round(length_s * RATE_HZ)):
            samples[i] = 8000 if i % 2 else -8000
    return samples


def test_onsets_are_found_to_the_sample():
    starts = [0.5, 1.5, 3.25, 7.0]
    assert onsets_s(_tone_at(starts, 8.0), RATE_HZ) == pytest.approx(starts, abs=1 / RATE_HZ)


def test_cycles_are_matched_after_unrelated_speech():
    from skill import breathing

    cycles = breathing.cycles("sigh", 60)
    intro = [0.0, 1.1, 2.9, 4.0]                # sentences before the first cue
    t, onsets = 6.0, list(intro)
    for k, c in enumerate(cycles):
        for p in c.phases:
            onsets.append(t)
            t += p.s * (0.9 if k == 1 else 1.0)   # the second cycle runs 10 % short
    onsets.append(t + 1.0)                       # the closing words
    got = match_cycles(onsets, cycles)
    assert [i for i, _, _ in got] == list(range(len(cycles) - 1))
    assert got[1][2] == pytest.approx(0.9 * cycles[1].s)
    assert all(measured == pytest.approx(target) for i, target, measured in got if i != 1)


def test_statistics():
    assert median([3, 1, 2]) == 2 and median([1, 2, 3, 4]) == 2.5
    assert percentile(range(1, 101), 99) == 99 and percentile([5], 99) == 5


def test_baseline_says_hello_and_envelopes_stay_on_this_machine():
    from benchmarks.baseline_skill import create_app

    body = envelope("launch", user_id(1))
    assert "apiEndpoint" not in body["context"]["System"]
    res = create_app().test_client().post("/alexa", data=json.dumps(body),
                                          content_type="application/json")
    assert res.status_code == 200
    assert res.get_json()["response"]["outputSpeech"]["ssml"] == "<speak>hello</speak>"


def test_a_level_counts_its_median_trial_and_any_error():
    from benchmarks.throughput import _median_trial

    trials = [{"rps": r, "errors": e, "p50_ms": r / 1000, "p99_ms": 1.0}
              for r, e in ((1800, 0), (3900, 0), (3600, 0))]
    level = _median_trial(trials)
    assert level["rps"] == 3600 and level["p50_ms"] == 3.6 and level["trials_rps"] == [1800, 3900, 3600]
    assert _median_trial([*trials[:2], {**trials[2], "errors": 2}])["errors"] == 2
