"""Fit the speech-time estimate (skill.ssml.estimate_speech_s) to espeak-ng's voice.

``.venv/bin/python -m benchmarks.calibrate_speech`` (about 30 s) has ``espeak-ng -m`` say
every breath cue and reminder, every sentence of every practice and every dialog line
(en-US), at each speaking rate of skill.render.RATES_PCT, each followed by a <break> as in
a breath phase (benchmarks.pacing.spoken_s). It fits SPEECH_SYLLABLE_S, COMMA_PAUSE_S and
SENTENCE_PAUSE_S by least squares and prints them beside the values in skill/ssml.py, with
each cue's and reminder's error under both, and how the offline voice (pyttsx3 at
BASE_RATE_WPM) compares with the estimate now in skill/ssml.py. It changes no file: copy
the constants into skill/ssml.py by hand when they move, then re-check BASE_RATE_WPM.

espeak-ng is the stand-in for Alexa's voice because it is the only voice measurable here;
the constants should be re-checked against a real Alexa device.
"""
from __future__ import annotations

import statistics
import subprocess

from benchmarks.pacing import ESPEAK_VOICE, spoken_s

LOCALE = "en-US"
# Sentences this long are what BASE_RATE_WPM is judged on: short lines end in a pause
# long enough to absorb any overrun.
OFFLINE_MIN_WORDS = 6


def corpus() -> dict[str, str]:
    """Every distinct text the skill says in LOCALE, with its kind: cue, reminder,
    sentence (of a practice or explanation) or dialog."""
    from skill import catalogue, render, ssml
    from skill.tools import lint
    from skill.timeline import Speak

    texts: dict[str, str] = {}
    for kind, options in render.breathing_cues().items():
        for text in options:
            texts.setdefault(text, "reminder" if kind == "reminder" else "cue")

    def add(doc: str, kind: str):
        for step in ssml.to_timeline(doc):
            if isinstance(step, Speak):
                texts.setdefault(step.text, kind)

    for script_id in catalogue.scripts():
        for turn in render.render(script_id, LOCALE):
            add(render.speech(turn.body), "sentence")
    values = lint.sample_values(LOCALE, text="calm")
    for name in render.dialog_names():
        add(render.speech(render.dialog(name, LOCALE, **values)), "dialog")
    return texts


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """x with a·x = b (a small square system), by Gaussian elimination."""
    n = len(b)
    rows = [list(r) + [v] for r, v in zip(a, b)]
    for i in range(n):
        pivot = max(range(i, n), key=lambda k: abs(rows[k][i]))
        rows[i], rows[pivot] = rows[pivot], rows[i]
        for k in range(n):
            if k != i:
                f = rows[k][i] / rows[i][i]
                rows[k] = [x - f * y for x, y in zip(rows[k], rows[i])]
    return [rows[i][n] / rows[i][i] for i in range(n)]


def fit(samples: list[tuple[str, str, float, float]]) -> tuple[float, float, float]:
    """(SPEECH_SYLLABLE_S, COMMA_PAUSE_S, SENTENCE_PAUSE_S) from (text, kind, rate %,
    measured s) samples: least squares on each sample's relative error, each kind of text
    weighing the same in all, so the dozen cues that pace the breath are not outvoted by
    two hundred longer sentences."""
    from skill import ssml
    from skill.timeline import NORMAL_RATE_PCT

    per_kind: dict[str, int] = {}
    for _, kind, _, _ in samples:
        per_kind[kind] = per_kind.get(kind, 0) + 1
    ata = [[0.0] * 3 for _ in range(3)]
    atb = [0.0] * 3
    for text, kind, rate_pct, measured_s in samples:
        x = ssml.speech_features(text)
        y = measured_s * rate_pct / NORMAL_RATE_PCT        # as at rate 100 %
        weight = 1 / (per_kind[kind] * y * y)
        for i in range(3):
            atb[i] += weight * x[i] * y
            for j in range(3):
                ata[i][j] += weight * x[i] * x[j]
    syllable_s, comma_s, stop_s = _solve(ata, atb)
    return syllable_s, comma_s, stop_s


def _estimate_s(constants, text: str, rate_pct: float) -> float:
    """skill.ssml.estimate_speech_s with other constants."""
    from skill import ssml
    from skill.timeline import NORMAL_RATE_PCT
    return (sum(c * x for c, x in zip(constants, ssml.speech_features(text)))
            * NORMAL_RATE_PCT / rate_pct)


def _offline_voice(texts) -> str:
    """How the offline voice compares with the estimate: pauses after its sentences grow
    when it is faster, and are squeezed when it is slower."""
    from skill import render, ssml
    from skill.timeline import Speak
    from skill.tools.voice import BASE_RATE_WPM, Pyttsx3Engine, SpeechCache

    pct = render.RATES_PCT[render.DEFAULT_RATE]
    speech = SpeechCache(Pyttsx3Engine())
    long = [t for t in texts if len(t.split()) >= OFFLINE_MIN_WORDS]
    ratios = sorted(speech.duration_s(Speak(t, ssml.estimate_speech_s(t, pct), pct))
                    / ssml.estimate_speech_s(t, pct) for t in long)
    p90 = ratios[int(0.9 * (len(ratios) - 1))]
    return (f"offline voice (pyttsx3, BASE_RATE_WPM = {BASE_RATE_WPM}) at {pct} %: real length / "
            f"estimate over the {len(long)} practice sentences of {OFFLINE_MIN_WORDS}+ words: "
            f"median {statistics.median(ratios):.2f}, p90 {p90:.2f}")


def main() -> int:
    from skill import render, ssml

    version = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout
    texts = corpus()
    samples = [(text, kind, pct, spoken_s(text, pct))
               for text, kind in texts.items() for pct in render.RATES_PCT.values()]
    fitted = fit(samples)
    current = (ssml.SPEECH_SYLLABLE_S, ssml.COMMA_PAUSE_S, ssml.SENTENCE_PAUSE_S)
    names = ("SPEECH_SYLLABLE_S", "COMMA_PAUSE_S", "SENTENCE_PAUSE_S")
    print(f"{version.split(' Data')[0].strip()}, voice {ESPEAK_VOICE}; {len(texts)} texts at "
          f"{', '.join(f'{p} %' for p in render.RATES_PCT.values())}; "
          "measured: words, then a <break>, up to the next sound, less the break")
    print("fitted:          " + "  ".join(f"{n} = {v:.3f}" for n, v in zip(names, fitted)))
    print("in skill/ssml.py: " + "  ".join(f"{n} = {v:.3f}" for n, v in zip(names, current)))
    print(f"\nestimate - espeak-ng (s; positive: the phase comes out short)\n"
          f"{'rate':>4}  {'text':44} {'espeak':>6} {'fitted':>7} {'ssml.py':>7}")
    for text, kind, pct, measured in samples:
        if kind in ("cue", "reminder"):
            print(f"{pct:>3}%  {text!r:44} {measured:6.2f} "
                  f"{_estimate_s(fitted, text, pct) - measured:+7.2f} "
                  f"{_estimate_s(current, text, pct) - measured:+7.2f}")
    for kind in ("cue", "reminder", "sentence", "dialog"):
        rows = [(t, p, m) for t, k, p, m in samples if k == kind]
        for label, constants in (("fitted", fitted), ("ssml.py", current)):
            errors = [_estimate_s(constants, t, p) - m for t, p, m in rows]
            print(f"{kind + 's':9} ({label:7}): {len(rows):3} samples, mean error {statistics.mean(errors):+.2f} s, "
                  f"mean |error| {statistics.mean(map(abs, errors)):.2f} s, "
                  f"worst {max(errors, key=abs):+.2f} s")
    print("\n" + _offline_voice([t for t, k in texts.items() if k == "sentence"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
