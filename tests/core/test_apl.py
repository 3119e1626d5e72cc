"""The screens (skill/apl.py, skill/data/apl/): the pacer is timed by the pattern data to
the millisecond, the documents and commands keep to APL's documented structure and to
Alexa's size limits, and Amazon's own validator (apl-suggester) finds nothing in them."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from skill import apl, breathing, catalogue, render, ssml
from skill.serializer import FastSerializer

VALIDATOR_DIR = Path(apl.__file__).resolve().parent / "tools" / "apl_validate"
RATES = tuple(render.RATES_PCT)
BREATHING = catalogue.get("breathing")
PATTERNS = BREATHING.params["pattern"]["choices"]
MINUTES = (BREATHING.minutes["min"], BREATHING.minutes["default"], BREATHING.minutes["max"])

# From the APL reference (2023.3): what the screens use, and what the rules check.
COMPONENTS = {"Container", "Frame", "Text", "Image", "ScrollView", "Sequence", "TouchWrapper",
              "VectorGraphic", "Pager", "GridSequence", "EditText", "Video"}
COMMANDS = {"AnimateItem", "Idle", "Parallel", "Sequential", "SetValue", "SpeakItem", "SpeakList",
            "Scroll", "ScrollToIndex", "ScrollToComponent", "SetPage", "AutoPage", "SendEvent",
            "SetFocus", "ClearFocus", "Finish", "ControlMedia", "PlayMedia", "Select", "Reinflate",
            "OpenURL", "Log", "InsertItem", "RemoveItem", "ImportPackage"}
EASINGS = {"linear", "ease", "ease-in", "ease-out", "ease-in-out"}
ANIMATED = {"opacity", "transform"}
TRANSFORMERS = {"ssmlToSpeech", "ssmlToText", "textToHint", "textToSpeech", "aplAudioToSpeech"}


def all_pacers():
    """(pattern, minutes, rate, turn index, segments, directives) for every turn at every extreme."""
    for pattern in PATTERNS:
        for minutes in MINUTES:
            params = BREATHING.resolve(minutes, pattern)
            for rate in RATES:
                turns = render.render("breathing", "en-US", rate, **params)
                for i in range(len(turns)):
                    segments = apl.turn_segments(turns, i)
                    yield pattern, minutes, rate, i, segments, apl.pacer(
                        list(segments), apl.breathing_title(params), rate, apl.paced_total_s(params))


def as_json(directives) -> list[dict]:
    return FastSerializer().serialize(directives)


def phase_commands(execute: dict) -> list[dict]:
    (seq,) = execute["commands"]
    return [c for c in seq["commands"] if c["type"] == "Parallel"]


def test_every_turn_of_every_pattern_is_timed_exactly_by_the_pattern():
    checked = 0
    for pattern in PATTERNS:
        for minutes in MINUTES:
            params = BREATHING.resolve(minutes, pattern)
            expected = [round(p.s * 1000) for c in breathing.cycles(pattern, params["minutes"] * 60)
                        for p in c.phases]
            kinds = [p.breath for c in breathing.cycles(pattern, params["minutes"] * 60) for p in c.phases]
            for rate in RATES:
                got_idle, got_circle, moves = [], [], []
                turns = render.render("breathing", "en-US", rate, **params)
                for i in range(len(turns)):
                    segments = apl.turn_segments(turns, i)
                    _, execute = as_json(apl.pacer(list(segments), "t", rate, apl.paced_total_s(params)))
                    for par in phase_commands(execute):
                        idle = [c for c in par["commands"] if c["type"] == "Idle"]
                        circle = [c for c in par["commands"]
                                  if c["type"] == "AnimateItem" and c["componentId"] == "circle"]
                        assert len(idle) == 1
                        got_idle.append(idle[0]["delay"])
                        got_circle.append(circle[0]["duration"] if circle else None)
                        moves.append(circle[0]["value"][0] if circle else None)
                assert got_idle == expected, (pattern, minutes, rate)
                for ms, circle_ms, kind, move in zip(expected, got_circle, kinds, moves):
                    if kind in ("hold", "hold-empty"):
                        assert circle_ms is None, "a hold keeps the circle still"
                        continue
                    assert circle_ms == ms, (pattern, kind)
                    start, end = move["from"][0]["scale"], move["to"][0]["scale"]
                    assert (end > start) if kind in apl.GROWS else (end < start), (pattern, kind)
                checked += len(expected)
    assert checked > 1000


def test_the_voice_speaks_each_cue_as_its_phase_starts():
    params = BREATHING.resolve(3, "sigh")
    segments = apl.turn_segments(render.render("breathing", "en-US", "normal", **params), 0)
    render_doc, execute = as_json(apl.pacer(list(segments), "t", "normal", apl.paced_total_s(params)))
    props = render_doc["datasources"]["pacer"]["properties"]
    first = phase_commands(execute)[0]["commands"]
    speak = next(c for c in first if c["type"] == "SpeakItem")
    assert props[speak["componentId"]] == '<speak><prosody rate="90%">Breathing in</prosody></speak>'
    cue = next(c for c in first if c["type"] == "SetValue")
    assert cue["value"] == apl.words()["cue"]["in"]
    # the introduction is spoken first, whole, before the paced breathing starts
    (seq,) = execute["commands"]
    assert seq["commands"][0] == {"type": "SpeakItem", "componentId": "v0"}
    assert "Let's begin" in props["v0"]


def component_ids(node, out=None) -> set:
    out = set() if out is None else out
    if isinstance(node, dict):
        if "type" in node and ("item" in node or "items" in node or "text" in node or "width" in node):
            assert node["type"] in COMPONENTS, node["type"]
            if "id" in node and "${" not in node["id"]:
                assert node["id"] not in out, f"duplicate id {node['id']}"
                out.add(node["id"])
        for key in ("item", "items"):
            kids = node.get(key)
            for kid in kids if isinstance(kids, list) else [kids] if kids else []:
                component_ids(kid, out)
    return out


def check_command(cmd: dict, ids: set, voices: set) -> None:
    assert cmd["type"] in COMMANDS, cmd["type"]
    if cmd["type"] in ("Parallel", "Sequential"):
        for c in cmd["commands"]:
            check_command(c, ids, voices)
    elif cmd["type"] == "AnimateItem":
        assert isinstance(cmd["duration"], int) and cmd["duration"] >= 0
        assert cmd["easing"] in EASINGS
        assert cmd["componentId"] in ids
        for v in cmd["value"]:
            assert v["property"] in ANIMATED
            assert [list(t) for t in v["from"]] == [list(t) for t in v["to"]], "same transform shape"
    elif cmd["type"] == "Idle":
        assert isinstance(cmd["delay"], int) and cmd["delay"] >= 0
    elif cmd["type"] == "SpeakItem":
        assert cmd["componentId"] in voices
    elif cmd["type"] == "SetValue":
        assert cmd["componentId"] in ids and cmd["property"] == "text"


def check_directives(directives: list[dict]) -> None:
    render_doc = directives[0]
    assert render_doc["type"] == "Alexa.Presentation.APL.RenderDocument"
    doc = render_doc["document"]
    assert doc["type"] == "APL" and doc["version"] == "2023.3"
    assert doc["mainTemplate"]["parameters"] == ["payload"]
    assert "import" not in doc, "self-contained: nothing to fetch before the first frame"
    ids = component_ids(doc["mainTemplate"]["item"])
    for name, source in render_doc["datasources"].items():
        assert source["type"] == "object" and isinstance(source["properties"], dict)
        for t in source.get("transformers", []):
            assert t["transformer"] in TRANSFORMERS
            text = source["properties"][t["inputPath"]]
            assert text.startswith("<speak>") and not ssml.check(text, "en-US")
            assert len(text) <= ssml.MAX_SPEECH_CHARS
    voices = set(render_doc["datasources"].get("pacer", {}).get("properties", {}).get("voices", []))
    if voices:   # every voice is transformed, and says something (a quiet phase has none)
        pacer = render_doc["datasources"]["pacer"]
        assert voices == {t["inputPath"] for t in pacer["transformers"]}
        assert all(ssml.plain_text(pacer["properties"][v]).strip() for v in voices)
    for execute in directives[1:]:
        assert execute["type"] == "Alexa.Presentation.APL.ExecuteCommands"
        assert execute["token"] == render_doc["token"]
        for cmd in execute["commands"]:
            check_command(cmd, ids, voices)


def test_documents_and_commands_keep_to_apl_structure_and_alexa_limits():
    largest = 0
    for pattern, minutes, rate, i, _, directives in all_pacers():
        out = as_json(directives)
        check_directives(out)
        largest = max(largest, len(json.dumps(out).encode()))
    check_directives(as_json(apl.calm("Support, any time", "call 988")))
    check_directives(as_json(apl.practice_screen("body-scan", 0, 2)))
    # The whole response must stay under 120 KB; the pacer leaves more than half free.
    assert largest < apl.MAX_RESPONSE_BYTES / 2, largest


def test_the_rules_catch_a_broken_command():
    params = BREATHING.resolve(1, "even")
    segments = apl.turn_segments(render.render("breathing", "en-US", "normal", **params), 0)
    out = as_json(apl.pacer(list(segments), "t", "normal", apl.paced_total_s(params)))
    phase_commands(out[1])[0]["commands"][2]["delay"] = 4.5
    with pytest.raises(AssertionError):
        check_directives(out)


def flatten(commands: list[dict]) -> list[dict]:
    out = []
    for c in commands:
        out.append(c)
        out.extend(flatten(c.get("commands", [])))
    return out


def amazon_validator(documents: list[dict]) -> list[list[dict]]:
    if not shutil.which("node") or not (VALIDATOR_DIR / "node_modules" / "apl-suggester").is_dir():
        pytest.skip("Amazon's APL validator is not installed (scripts/setup installs it where npm is)")
    run = subprocess.run(["node", "validate.js"], cwd=VALIDATOR_DIR, input=json.dumps(documents),
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(run.stdout)


def test_amazons_validator_finds_nothing_in_the_screens_and_catches_a_mistake():
    params = BREATHING.resolve(3, "sigh")
    segments = apl.turn_segments(render.render("breathing", "en-US", "normal", **params), 0)
    render_doc, execute = as_json(apl.pacer(list(segments), "t", "normal", apl.paced_total_s(params)))
    # apl-suggester 2024.2 checks commands only when the whole document passes its schema,
    # whose resource `when` must be a boolean, not a data-binding expression; and it checks
    # onMount's commands one level deep. So a second copy has each `when` bound as a
    # device would bind it and every command flattened into onMount.
    with_commands = json.loads(json.dumps(render_doc["document"]))
    for block in with_commands["resources"]:
        if "when" in block:
            block["when"] = False
    with_commands["onMount"] = flatten(execute["commands"])
    broken = json.loads(json.dumps(with_commands))
    broken["mainTemplate"]["item"]["widht"] = "100vw"
    next(c for c in broken["onMount"] if c["type"] == "AnimateItem")["duration"] = "4 s"
    found = amazon_validator([render_doc["document"], apl.document("calm"), with_commands, broken])
    assert found[:3] == [[], [], []]
    bad = found[3]
    messages = " ".join(f["errorMessage"] for f in bad)
    assert "widht" in messages and "integer" in messages


def test_no_breath_phase_is_longer_than_one_break():
    """The pacer reads one <break> per phase (a cue, or silence as guidance fades)."""
    for name, spec in breathing.patterns().items():
        rows = [spec["cycle"], *spec.get("ramp", [])]
        assert all(ph["s"] <= ssml.MAX_BREAK_S for row in rows for ph in row), name
