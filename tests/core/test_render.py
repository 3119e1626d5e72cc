"""The renderer: one source, Alexa turns within limits, and a timeline from the same SSML."""
import json

import pytest

from skill import breathing, catalogue, render, ssml
from skill.catalogue import SSML_DIR
from skill.timeline import Pause, Speak, duration_s

PATTERNS = catalogue.get("breathing").params["pattern"]["choices"]
CUES = {t for k, v in json.loads((SSML_DIR / "breathing_cues.json").read_text()).items()
        if not k.startswith("_") for t in v}
TOLERANCE = 0.02


def phase_starts(steps):
    """(start time, cue) of every breath phase in a timeline: the cues mark them."""
    t, out = 0.0, []
    for s in steps:
        if isinstance(s, Speak) and s.text in CUES:
            out.append(t)
        t += s.est_s if isinstance(s, Speak) else s.seconds
    return out, t


@pytest.mark.parametrize("rate", list(render.RATES_PCT))
@pytest.mark.parametrize("pattern", PATTERNS)
def test_breathing_timeline_matches_the_pattern(pattern, rate):
    """Every cue is said at the start of its phase, and every phase the guidance speaks has
    its cue: silent phases (guidance fading) keep the rhythm with breaks alone."""
    minutes = 5
    turns = render.render("breathing", "en-GB", rate, minutes=minutes, pattern=pattern)
    steps = [s for t in turns for s in ssml.to_timeline(render.speech(t.body, rate=rate))]
    starts, _ = phase_starts(steps)
    cycles = breathing.cycles(pattern, minutes * 60)
    phase_at = [(c.start_s + sum(p.s for p in c.phases[:k]), c.spoken[k] or p.breath == "out")
                for c in cycles for k, p in enumerate(c.phases)]
    said = [at - starts[0] for at in starts]
    for at in said:
        nearest = min(phase_at, key=lambda x: abs(x[0] - at))
        assert nearest[0] == pytest.approx(at, abs=0.05), f"a cue {at:.2f} s in, not at a phase start"
        assert nearest[1], f"a cue {at:.2f} s in, on a phase the guidance keeps quiet"
    spoken = [at for c in cycles for k, p in enumerate(c.phases) if c.spoken[k]
              for at in [c.start_s + sum(q.s for q in c.phases[:k])]]
    for at in spoken:
        assert any(abs(at - s) < 0.05 for s in said), f"no cue for the phase {at:.2f} s in"
    total = sum(c.s for c in cycles)
    breathing_steps_s = sum(s.est_s if isinstance(s, Speak) else s.seconds for s in steps)
    assert breathing_steps_s > total, "the phases' silence is in the turns"


def test_guidance_fades_fewer_and_quieter_cues_as_the_practice_goes_on():
    cycles = breathing.cycles("soothing", 10 * 60)
    per_minute = [sum(sum(c.spoken) for c in cycles if m * 60 <= c.start_s < (m + 1) * 60) for m in range(10)]
    assert per_minute[0] > per_minute[3] > per_minute[9] > 0, per_minute
    assert cycles[0].stage.volume == "medium" and cycles[-1].stage.volume in ("soft", "x-soft")
    body = " ".join(t.body for t in render.render("breathing", "en-GB", minutes=10))
    assert body.count("<prosody volume=\"x-soft\">") == 2, "one per faded block (minutes 8 and 9)"
    assert not any(c.stage.every_cycles > 1 for c in breathing.cycles("box", 300)), "holds are always cued"


def test_soothing_reaches_its_slowest_rhythm_gradually_over_minutes():
    cycles = breathing.cycles("soothing", 300)
    slowest = next(c for c in cycles if c.s == cycles[-1].s)
    assert slowest.start_s >= 90, f"six a minute after only {slowest.start_s:.0f} s"
    lengths = [c.s for c in cycles]
    assert lengths == sorted(lengths), "the rhythm only ever slows"
    assert 60 / cycles[0].s > 8, "it starts near a natural resting rhythm"


def test_box_is_capped_at_five_minutes_and_says_so():
    assert sum(c.s for c in breathing.cycles("box", 20 * 60)) <= 5 * 60
    text = ssml.plain_text(render.speech(render.parts("breathing", "en-GB", minutes=20, pattern="box")[0]))
    assert "at most, so we'll stop at 5" in text
    short = ssml.plain_text(render.speech(render.parts("breathing", "en-GB", minutes=3, pattern="box")[0]))
    assert "we'll stop at" not in short


def test_soothing_slows_to_about_six_breaths_a_minute_without_holds():
    cycles = breathing.cycles("soothing", 300)
    assert cycles[0].s < cycles[-1].s
    last = cycles[-1]
    assert 60 / last.s == pytest.approx(6, abs=0.5)
    out_s = sum(p.s for p in last.phases if p.breath == "out")
    in_s = sum(p.s for p in last.phases if p.breath == "in")
    assert out_s > in_s
    assert not any(p.breath.startswith("hold") for c in cycles for p in c.phases)


def test_four_seven_eight_is_capped_at_four_cycles():
    assert len(breathing.cycles("4-7-8", 20 * 60)) == 4


def test_minutes_fill_the_session():
    for minutes in (1, 5, 20):
        total = sum(c.s for c in breathing.cycles("even", minutes * 60))
        assert minutes * 60 - 10 <= total <= minutes * 60


def test_timeline_and_ssml_come_from_the_same_render():
    turns = render.render("breathing", "en-US", minutes=5)
    assert len(turns) > 1 and turns[-1].last
    for turn in turns:
        doc = render.speech(turn.body)
        steps = ssml.to_timeline(doc)
        assert duration_s(steps) == pytest.approx(turn.est_s, abs=0.01)
        for step in steps:
            if isinstance(step, Speak):
                assert step.text.split()[0] in doc
        # every pause in the timeline is a <break> or sentence end in this very document
        breaks = sum(ssml.break_seconds({"time": t}) for t in
                     __import__("re").findall(r'<break time="([^"]+)"', doc))
        assert sum(s.seconds for s in steps if isinstance(s, Pause)) >= breaks - 0.01


def test_every_turn_fits_alexa():
    for pattern in PATTERNS:
        for turn in render.render("breathing", "en-AU", "slower", minutes=20, pattern=pattern):
            assert turn.est_s <= render.TURN_BUDGET_S
            assert ssml.check(render.speech(turn.body, rate="slower"), "en-AU") == []


@pytest.mark.parametrize("kwargs,match", [
    ({"minutes": 0}, "minutes must be from 1 to 20"),
    ({"minutes": 21}, "minutes must be from 1 to 20"),
    ({"minutes": "many"}, "minutes must be a number"),
    ({"pattern": "fast"}, "pattern must be one of soothing, even, sigh, box, 4-7-8"),
])
def test_bad_parameters_name_the_valid_choices(kwargs, match):
    with pytest.raises(catalogue.ParamError, match=match):
        render.render("breathing", "en-US", **kwargs)


def test_unknown_practice_and_locale():
    with pytest.raises(catalogue.ParamError, match="unknown practice 'yoga'; choose from breathing"):
        render.render("yoga", "en-US")
    with pytest.raises(catalogue.ParamError, match="unknown locale 'fr-FR'"):
        render.render("breathing", "fr-FR")


def test_a_cue_longer_than_its_phase_is_refused(tmp_path):
    with pytest.raises(render.RenderError, match="too long for its 1 s"):
        render._helpers(90)["timed"](1, "a very long cue that cannot possibly fit")


def test_spelling_follows_the_locale():
    assert render.words("en-US")["colour"] == "color"
    assert render.words("en-GB")["colour"] == "colour"
    assert render.words("en-IN")["practise"] == "practise"
