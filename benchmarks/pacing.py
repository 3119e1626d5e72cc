"""4. Pacing fidelity: breathing cycle lengths measured in audio, against the pattern.

For every pattern, the practice is rendered (skill.render, en-US, normal rate) and heard two
ways, then cycle lengths are measured on the samples alone (speech onsets after silence):

(a) the local WAV export: skill.tools.voice.render_wav of the whole timeline (pyttsx3/espeak-ng,
    measured cues, corrected pauses). Target: every cycle within 1 %.
(b) the Alexa SSML of each turn, spoken by ``espeak-ng -m -w`` as a stand-in for Alexa's
    voice (with a silent 0 ms break that keeps an espeak-ng defect off the first phase:
    as_espeak_hears). Target: every cycle within 5 %. Cycles are measured within a turn (a
    turn ends where the listener says "continue").

The baseline is the target itself: breathing.cycles(pattern, minutes) says how long each
cycle should last. Onsets are matched to the expected phase starts by trying each onset as
the first cue and following the phases from there, re-anchoring on each matched onset, so
a cycle's measured length is the distance between two real onsets.
"""
from __future__ import annotations

import bisect
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

from benchmarks.common import Figure, Section, onsets_s, read_mono16, temp_dir

LOCALE, RATE, ESPEAK_VOICE = "en-US", "normal", "en-us"
MINUTES_FULL, MINUTES_QUICK = 5, 1
WAV_LIMIT_PCT, SSML_LIMIT_PCT = 1.0, 5.0
MATCH_TOLERANCE = 0.45         # an onset within this fraction of a phase from where it should
                               # start is its cue (less than half: never a neighbour's)
ESPEAK_TIMEOUT_S = 120
PHASE_BREAK_MS = 3000          # the silence after a cue in spoken_s, as in a breath phase


def _cues() -> dict[str, list[str]]:
    from skill.render import breathing_cues
    return breathing_cues()


def _turns(pattern: str, minutes: int):
    """[(ssml document, timeline, cycles in this turn, which of them have a reminder)].
    As guidance fades some phases are silent, so a turn's cycles are read from its parts'
    phases (one <break> each, skill.apl), not from the cues it says."""
    from skill import apl, breathing, render, ssml

    reminders_said = set(_cues()["reminder"])
    cycles = breathing.cycles(pattern, minutes * 60)
    bodies = render.parts("breathing", LOCALE, RATE, minutes=minutes, pattern=pattern)
    turns = render.render("breathing", LOCALE, RATE, minutes=minutes, pattern=pattern)
    out, used = [], 0
    for index, turn in enumerate(turns):
        doc = render.speech(turn.body, rate=RATE)
        i, j = apl._turn_range(bodies, turns, index)
        chunks = [c for body in bodies[i:j] for c in (apl._cue_chunks(body) or [])]
        mine, reminders = [], []
        while chunks:
            n = len(cycles[used].phases)
            assert len(chunks) >= n, "a turn split a breathing cycle"
            mine.append(cycles[used])
            reminders.append(any(said in reminders_said for _, said, _ in chunks[:n]))
            chunks, used = chunks[n:], used + 1
        out.append((doc, ssml.to_timeline(doc), mine, reminders))
    assert used == len(cycles)
    return out


def match_cycles(onsets: list[float], cycles) -> list[tuple[int, float, float]]:
    """(index, target s, measured s) for each cycle whose start and the next cycle's start
    were both found among `onsets` (sorted, seconds)."""
    if not cycles or not onsets:
        return []
    phase_s = [p.s for c in cycles for p in c.phases]
    # a phase the guidance keeps quiet may still carry a reminder: its onset is welcome,
    # its absence no miss
    quiet = [not (c.spoken[k] if c.spoken else True) for c in cycles for k in range(len(c.phases))]

    def nearest(t):
        i = bisect.bisect_left(onsets, t)
        near = [onsets[j] for j in (i - 1, i) if 0 <= j < len(onsets)]
        return min(near, key=lambda x: abs(x - t))

    def follow(anchor):
        starts, cost, pos = [anchor], 0.0, anchor
        for s, silent in zip(phase_s[:-1], quiet[1:]):
            want = pos + s
            got, tolerance = nearest(want), MATCH_TOLERANCE * s
            if abs(got - want) <= tolerance:
                starts.append(got)
                cost += abs(got - want)
                pos = got
            elif silent:                        # no cue due: keep time
                starts.append(None)
                pos = want
            else:                               # cue not found: keep time, count a miss
                starts.append(None)
                cost += tolerance
                pos = want
        return cost, starts

    _, starts = min((follow(a) for a in onsets), key=lambda r: r[0])
    out, k = [], 0
    cycle_starts = []
    for c in cycles:
        cycle_starts.append(starts[k])
        k += len(c.phases)
    for i, (c, begin, end) in enumerate(zip(cycles, cycle_starts, cycle_starts[1:])):
        if begin is not None and end is not None:
            out.append((i, c.s, end - begin))
    return out


def _with_reminders(matched, reminders) -> list[tuple[float, float, bool]]:
    return [(target, measured, reminders[i]) for i, target, measured in matched]


def _wav_export(pattern: str, minutes: int, speech, work: Path):
    """The whole practice as the offline runner writes it: one timeline, one WAV."""
    from skill.tools.voice import render_wav

    turns = _turns(pattern, minutes)
    steps = [s for _, timeline, _, _ in turns for s in timeline]
    path = work / f"{pattern}.wav"
    render_wav(steps, path, speech=speech)
    samples, rate = read_mono16(path)
    cycles = [c for _, _, mine, _ in turns for c in mine]
    reminders = [r for _, _, _, flags in turns for r in flags]
    return _with_reminders(match_cycles(onsets_s(samples, rate), cycles), reminders)


def _espeak(doc: str, path: Path) -> None:
    subprocess.run(["espeak-ng", "-m", "-v", ESPEAK_VOICE, "-w", str(path), doc],
                   check=True, timeout=ESPEAK_TIMEOUT_S, capture_output=True)


def as_espeak_hears(doc: str) -> str:
    """`doc` with a 0 ms <break> first inside each <prosody>: silent, so the same SSML,
    but it takes an espeak-ng defect instead of a breath phase. espeak-ng turns a
    <break time> into its own units at the speed in force when it reads the tag, and takes
    up a new <prosody rate> only when it next speaks, so the first break after a rate
    change is scaled for the old rate (3 s comes out about 3.6 s at 90 %, measured in
    espeak_notes). A turn that starts with a breath cue would lose its first phase to it.
    Adjacent breaks are joined into one of their sum, as Alexa plays them: espeak-ng
    collapses them (espeak_notes), which would shorten every phase the guidance keeps quiet
    (a break straight after the previous phase's break). Volume-only <prosody> tags (the
    quieter cues as guidance fades) are dropped: they change loudness, not timing, and
    espeak-ng ends a clause at each one (about 0.7 s, measured when this was written),
    which Alexa is not documented to do; Alexa's own timing there is not measured here."""
    doc = _VOLUME_ONLY.sub(r"\1", doc)
    doc = _BREAK_RUN.sub(lambda m: f'<break time="{sum(int(t) for t in _BREAK_MS.findall(m.group(0)))}ms"/>', doc)
    return re.sub(r"(<prosody\b[^>]*>)", r'\1<break time="0ms"/>', doc)


_VOLUME_ONLY = re.compile(r'<prosody volume="[^"]*">((?:(?!<prosody\b).)*?)</prosody>', re.S)
_BREAK_MS = re.compile(r'<break time="(\d+)ms"/>')
_BREAK_RUN = re.compile(r'(?:<break time="\d+ms"/>){2,}')


def spoken_s(text: str, rate_pct: float) -> float:
    """How long espeak-ng takes to say `text` at `rate_pct` where a breath cue is said:
    from the first sound of the words to the next sound after a PHASE_BREAK_MS <break>,
    less the break. This is the time a phase's <break> must leave for its words (what
    skill.ssml.estimate_speech_s estimates): up to a tenth of a second shorter than the
    same words said alone, which espeak-ng ends more slowly, as the end of an utterance."""
    with tempfile.TemporaryDirectory(prefix="cc-spoken-") as work:
        path = Path(work) / "spoken.wav"
        _espeak(as_espeak_hears(f'<speak><prosody rate="{rate_pct:g}%">{escape(text)}'
                                f'<break time="{PHASE_BREAK_MS}ms"/>In</prosody></speak>'), path)
        samples, rate = read_mono16(path)
    starts = onsets_s(samples, rate)
    return starts[-1] - starts[0] - PHASE_BREAK_MS / 1000


def _espeak_ssml(pattern: str, minutes: int, work: Path):
    """Each Alexa turn's SSML document spoken by espeak-ng on its own."""
    pairs = []
    for i, (doc, _, mine, reminders) in enumerate(_turns(pattern, minutes)):
        if not mine:
            continue
        path = work / f"{pattern}-turn{i}.wav"
        _espeak(as_espeak_hears(doc), path)
        samples, rate = read_mono16(path)
        pairs += _with_reminders(match_cycles(onsets_s(samples, rate), mine), reminders)
    return pairs


def _figure(section: str, name: str, pairs, limit_pct: float, expected: int) -> Figure:
    if not pairs:
        return Figure(section, name, None, None, "s", None, f"each cycle within {limit_pct:g} %",
                      False, "no cycle could be measured")
    errors = [abs(m - t) / t * 100 for t, m, _ in pairs]
    bias = sum((m - t) / t * 100 for t, m, _ in pairs) / len(pairs)
    worst = max(errors)
    plain = [e for e, (_, _, reminder) in zip(errors, pairs) if not reminder]
    ours = sum(m for _, m, _ in pairs) / len(pairs)
    target = sum(t for t, _, _ in pairs) / len(pairs)
    return Figure(section, name, ours, target, "s", ours / target,
                  f"each cycle within {limit_pct:g} %", worst <= limit_pct,
                  f"mean error {sum(errors) / len(errors):.2f} %, worst {worst:.2f} % "
                  f"(worst without a reminder {max(plain, default=0):.2f} %), bias {bias:+.2f} %; "
                  f"{len(pairs)} of {expected} cycles measured")


def measure(quick: bool) -> Section:
    from skill import breathing, catalogue
    from skill.tools.voice import Pyttsx3Engine, SpeechCache

    minutes = MINUTES_QUICK if quick else MINUTES_FULL
    section = Section(f"4. Pacing fidelity (breathing, {minutes} min, {LOCALE}, {RATE} rate): "
                      "mean cycle length measured vs target")
    work = Path(temp_dir("pacing"))
    speech = SpeechCache(Pyttsx3Engine())        # shared: each distinct cue synthesized once
    try:
        for pattern in catalogue.get("breathing").params["pattern"]["choices"]:
            n = len(breathing.cycles(pattern, minutes * 60))
            section.figures.append(_figure(section.title, f"{pattern}: WAV export",
                                           _wav_export(pattern, minutes, speech, work),
                                           WAV_LIMIT_PCT, n - 1))
            turns = _turns(pattern, minutes)
            section.figures.append(_figure(section.title, f"{pattern}: Alexa SSML via espeak-ng -m",
                                           _espeak_ssml(pattern, minutes, work), SSML_LIMIT_PCT,
                                           sum(max(0, len(m) - 1) for _, _, m, _ in turns)))
        section.notes += espeak_notes(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return section


PROBE_BREAK_MS = 3000


def _gaps_s(doc: str, work: Path) -> list[float]:
    """Silences between the sounds espeak-ng makes of `doc` (onset to previous sound's end)."""
    path = work / "probe.wav"
    _espeak(doc, path)
    samples, rate = read_mono16(path)
    starts = onsets_s(samples, rate)
    rev = onsets_s(samples[::-1], rate)              # onsets backwards are sound ends
    ends = sorted(len(samples) / rate - t for t in rev)
    return [b - e for e, b in zip(ends, starts[1:])]


def espeak_notes(work: Path) -> list[str]:
    """What espeak-ng does with the SSML the renderer uses, measured now."""
    from skill import render, ssml

    brk = f'<break time="{PROBE_BREAK_MS}ms"/>'
    single = _gaps_s(f"<speak>In{brk}Out</speak>", work)
    double = _gaps_s(f"<speak>In{brk}{brk}Out</speak>", work)
    prosody = _gaps_s(f'<speak><prosody rate="90%">In{brk}and out{brk}In</prosody></speak>', work)
    cues = _cues()
    phase_cues = sorted({t for kind, texts in cues.items() if kind != "reminder" for t in texts})

    pct = render.RATES_PCT[RATE]

    def spoken_vs_estimate(texts) -> tuple[float, float]:
        """Mean seconds espeak-ng leaves each text before its break, and the estimate."""
        return (sum(spoken_s(t, pct) for t in texts) / len(texts),
                sum(ssml.estimate_speech_s(t, pct) for t in texts) / len(texts))

    cue_s, cue_est_s = spoken_vs_estimate(phase_cues)
    rem_s, rem_est_s = spoken_vs_estimate(cues["reminder"])
    return [
        f"espeak-ng SSML, measured in this run: one {PROBE_BREAK_MS} ms <break> gives "
        f"{single[0] * 1000:.0f} ms of silence; two adjacent ones give "
        f"{sum(double) * 1000:.0f} ms (Alexa: {2 * PROBE_BREAK_MS} ms), so chained breaks "
        "collapse; inside <prosody rate=\"90%\"> the first break gives "
        f"{prosody[0] * 1000:.0f} ms and the next {prosody[1] * 1000:.0f} ms (so the SSML "
        "figures give espeak-ng a 0 ms break first in each <prosody>, which takes that "
        f"stretch). At {pct:g} % a phase cue takes {cue_s:.2f} s on average before its break "
        f"(the renderer's estimate: {cue_est_s:.2f} s) and a reminder {rem_s:.2f} s "
        f"(estimate {rem_est_s:.2f} s); a phase is long by the difference, short when the "
        "estimate is the larger. The estimate is fitted to espeak-ng "
        "(python -m benchmarks.calibrate_speech); Alexa's own voice is not measured here.",
        "A cycle is measured from the onset of its first cue to the onset of the next "
        "cycle's; the last cycle of a WAV, and of each Alexa turn, has no next cue and is not "
        "counted.",
    ]


def main(argv=None) -> int:
    """`python -m benchmarks.pacing --recording FILE --pattern P`: per-cycle error of a
    recording (benchmarks.recording); without --recording, this section of the benchmarks."""
    import argparse
    import sys

    from benchmarks import recording
    from skill import breathing, catalogue

    patterns = catalogue.get("breathing").params["pattern"]["choices"]
    limits = catalogue.get("breathing").minutes
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pacing", description=" ".join(main.__doc__.split()))
    parser.add_argument("--recording", metavar="FILE", help="a recording of a practice (WAV; MP3/M4A with ffmpeg)")
    parser.add_argument("--pattern", choices=patterns, default=catalogue.get("breathing").params["pattern"]["default"])
    parser.add_argument("--minutes", type=int, default=int(catalogue.get("breathing").minutes["default"]),
                        help=f"the practice's length, {limits['min']:g} to {limits['max']:g} "
                             f"(default {catalogue.get('breathing').minutes['default']:g})")
    parser.add_argument("--form", choices=("ssml", "apla", "tones"), default="ssml",
                        help="what the device played: SSML turns, APL-A turns, or the tone track")
    parser.add_argument("--locale", default="en-US", help="the device's locale (spoken forms)")
    parser.add_argument("--rate", default="normal", help="the listener's speaking rate: normal or slower")
    parser.add_argument("--quick", action="store_true", help="without --recording: the short benchmark")
    args = parser.parse_args(argv)
    if not args.recording:
        section = measure(args.quick)
        for f in section.figures:
            print(f"{f.name}: {f.note}")
        return 0
    try:
        results = recording.measure_recording(args.recording, args.pattern, args.minutes, args.form,
                                              args.locale, args.rate)
    except (recording.RecordingError, catalogue.ParamError) as err:
        print(f"benchmarks.pacing: {err}", file=sys.stderr)
        return 2
    expected = max(0, len(breathing.cycles(args.pattern, args.minutes * 60)) - 1)
    for line in recording.report(results, args.pattern, args.form, expected):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
