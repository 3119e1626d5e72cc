"""Hypothesis strategies for Alexa request envelopes, from well-formed to hostile.

Everything starts from the developer-console fixtures in tests/fixtures/requests/ (the
shapes Alexa really sends) and is then bent: values of the wrong type at any depth,
fields removed or added, hostile strings, unknown request types and intents, numbers as
strings, out-of-range numbers, and session attributes of shapes the skill never wrote.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
from functools import lru_cache
from pathlib import Path

from hypothesis import strategies as st

from fuzz_harness import MARKER_PREFIX, next_id
from skill import catalogue
from skill.questions import QUESTIONS
from skill.tools import interaction_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "requests"
APP_ID = "amzn1.ask.skill.00000000-0000-4000-8000-00000c0ac4c1"


@lru_cache(maxsize=None)
def _fixture_text(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text()


FIXTURE_NAMES = sorted(p.stem for p in FIXTURES.glob("*.json"))
WITH_SESSION = [n for n in FIXTURE_NAMES if "session" in json.loads(_fixture_text(n))]
INTENT_FIXTURES = [n for n in FIXTURE_NAMES
                   if json.loads(_fixture_text(n))["request"]["type"] == "IntentRequest"]
SLOT_FIXTURES = [n for n in INTENT_FIXTURES
                 if json.loads(_fixture_text(n))["request"]["intent"].get("slots")]
INTENT_NAMES = sorted(interaction_model.intent_names())
LOCALES = list(catalogue.locales())
SCRIPT_IDS = list(catalogue.scripts())
REQUEST_TYPES = sorted({json.loads(_fixture_text(n))["request"]["type"] for n in FIXTURE_NAMES})


def fresh_envelope(name: str, *, user_id: str | None = None, locale: str | None = None) -> dict:
    """A fixture with a unique request id, a fresh timestamp and its own listener."""
    env = copy.deepcopy(json.loads(_fixture_text(name)))
    env["request"]["requestId"] = next_id("amzn1.echo-api.request")
    env["request"]["timestamp"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if locale is not None:
        env["request"]["locale"] = locale
    user_id = user_id or next_id("amzn1.ask.account.FUZZ")
    env["context"]["System"]["user"]["userId"] = user_id
    if "session" in env:
        env["session"]["user"]["userId"] = user_id
        env["session"]["sessionId"] = next_id("amzn1.echo-api.session")
    return env


# --------------------------------------------------------------------------- strings

#: Hand-picked trouble: markup, SSML that would change what Alexa does, XML edge cases,
#: template syntax, format strings, direction marks, combining marks, NUL, emoji.
NASTY = [
    "", " ", "?", "<", ">", "&", '"', "'", "]]>", "<![CDATA[", "<![CDATA[x]]>", "&amp;", "&lt;",
    "&#0;", "&#x1F600;", "&nbsp;", "&unknown;", "<!-- -->", "<?xml version='1.0'?>",
    '<!DOCTYPE speak [<!ENTITY x "y">]>', '<break time="60s"/>', '<break time="10s"/>',
    "</speak>", "<speak>", "</prosody>", '<prosody rate="20%">', '<audio src="https://x/y.mp3"/>',
    '<voice name="Joanna">', '<amazon:emotion name="excited" intensity="high">',
    '<say-as interpret-as="expletive">', "<p>", "</p><p>", "<s/>", "\x00", "a\x00b", "\x07",
    "\x1b[31m", "\r\n", "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff", "\U0010ffff",
    "\u202e\u0645\u0631\u062d\u0628\u0627", "\u200f\u05e9\u05dc\u05d5\u05dd\u200e", "\u200b\u200d",
    "e" + "\u0301" * 50, "Z\u0351\u0352\u0353\u0354\u0355\u0356", "\U0001f642", "\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "\U0001f3f3\ufe0f\u200d\U0001f308", "\u0928\u092e\u0938\u094d\u0924\u0947", "\u65e5\u672c\u8a9e",
    "{{ 7*7 }}", "{% raw %}", "{#", "${7*7}", "%s%s%n", "{0}", "\\", "\\u0000", "null", "None",
    "true", "NaN", "undefined", "../../etc/passwd", "' OR 1=1 --", "Robert'); DROP TABLE x;--",
    "I want to kill myself", "\u2019", "self\u2011critical", "ANXIOUS", " anxious ", "box",
    "4-7-8", "BOX", "soothing", "slower", "on", "off", "amzn1.ask.skill.other",
]

#: Numbers the way a slot could (mis)deliver them: as strings, out of range, exotic.
NUMBERISH = [
    "0", "1", "3", "7", "10", "11", "20", "21", "-1", "-5", "-0", "+3", "3.5", "1.5", "0.5",
    "20.0", "20.4", "19.999999999", "1e1", "1e309", "-1e309", "1e-400", "inf", "-inf",
    "Infinity", "nan", "NaN", " 7 ", "7\n", "7\x00", "0x10", "0b11", "1_0", "1,5", "1.5.5",
    "\u0663", "\u096a", "\uff13", "\u00bd", "\u2167", "three", "?", "",
    "99999999999999999999999999999999", "-99999999999999999999999999999",
    "1" * 400, "9" * 5000,
]

unicode_any = st.characters(codec=None, exclude_categories=())
surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"])
short_text = st.text(st.one_of(unicode_any, surrogates, st.sampled_from("<>&\"' \x00")),
                     max_size=24)


@st.composite
def huge_text(draw):
    """Up to ~120 k characters (a body near and past MAX_REQUEST_BYTES), built by repetition
    so generation stays fast."""
    unit = draw(st.sampled_from(["a", "<", "&amp;", "\u202e", "\U0001f642", "e\u0301",
                                 '<break time="60s"/>', "\x00", "\\", "\u00e9"]))
    return unit * draw(st.sampled_from([1000, 8000, 30000, 60000, 120000]))


evil_text = st.one_of(st.sampled_from(NASTY), st.sampled_from(NUMBERISH), short_text,
                      st.builds("".join, st.lists(st.sampled_from(NASTY), min_size=2,
                                                  max_size=5)))


@st.composite
def marked_markup(draw):
    """A hostile slot value that carries markup and the marker (see fuzz_harness)."""
    parts = draw(st.lists(st.sampled_from([s for s in NASTY if any(c in s for c in "<>&\"'")]),
                          min_size=1, max_size=3))
    filler = draw(st.sampled_from(["", "calm ", "anxious ", "box ", " "]))
    marker = f"{MARKER_PREFIX}{draw(st.integers(0, 9999))}"
    order = draw(st.integers(0, 2))
    pieces = [filler, *parts, marker] if order == 0 else \
        [*parts, filler, marker] if order == 1 else [marker, *parts, filler]
    return "".join(pieces)


slot_value_text = st.one_of(evil_text, marked_markup(), st.sampled_from(NUMBERISH))

# --------------------------------------------------------------------------- JSON values

big_ints = st.one_of(st.integers(-10, 30), st.integers(-2**63, 2**63),
                     st.sampled_from([2**64, -2**64, 10**30, -10**30, 2**1000]))
json_scalars = st.one_of(st.none(), st.booleans(), big_ints,
                         st.floats(allow_nan=False, allow_infinity=False),
                         st.sampled_from([0.5, -0.0, 1e308, -1e308, 5e-324]), evil_text)
json_values = st.recursive(
    json_scalars,
    lambda kids: st.one_of(st.lists(kids, max_size=4),
                           st.dictionaries(st.one_of(st.sampled_from(
                               ["id", "turn", "params", "type", "value", "name", "do", "yes",
                                "no", "stage", "before", "speech", "reprompt", ""]), short_text),
                               kids, max_size=4)),
    max_leaves=8)


# --------------------------------------------------------------------------- structure

def paths(node, prefix=()):
    """Every path (tuple of keys / indexes) into a JSON document, parents first."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, prefix + (i,))


def _get(node, path):
    for p in path:
        node = node[p]
    return node


def flipped(value):
    """The same information in the wrong JSON type (what a sloppy client might send)."""
    if isinstance(value, bool):
        return [str(value).lower(), int(value), None]
    if isinstance(value, (int, float)):
        return [str(value), [value], {"value": value}, bool(value)]
    if isinstance(value, str):
        out = [[value], {"value": value}, len(value), None, value.encode("utf-8", "surrogatepass").hex()]
        try:
            out.append(float(value))
        except (ValueError, OverflowError):
            pass
        return [v for v in out if not (isinstance(v, float) and v != v)]
    if isinstance(value, dict):
        return [list(value.values()), json.dumps(value), list(value), 0, True]
    if isinstance(value, list):
        return [{str(i): v for i, v in enumerate(value)}, json.dumps(value), (value[0] if value else None)]
    return [{}, [], "", 0]


@st.composite
def structurally_mutated(draw, names=FIXTURE_NAMES):
    """A fixture with 1 to 4 edits at random paths: delete, replace by a random JSON value,
    replace by the same value in the wrong type, or add an unknown field."""
    env = fresh_envelope(draw(st.sampled_from(names)),
                         locale=draw(st.one_of(st.none(), st.sampled_from(LOCALES))))
    for _ in range(draw(st.integers(1, 4))):
        all_paths = [p for p in paths(env) if p]
        if not all_paths:
            break
        path = draw(st.sampled_from(all_paths))
        parent = _get(env, path[:-1])
        key = path[-1]
        op = draw(st.sampled_from(["delete", "replace", "flip", "flip", "add"]))
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(json_values)
        elif op == "flip":
            parent[key] = draw(st.sampled_from(flipped(parent[key])))
        else:
            target = parent[key] if isinstance(parent[key], dict) else parent
            if isinstance(target, dict):
                target[draw(st.one_of(st.sampled_from(["extra", "request", "type", "slots", "value",
                                                       "attributes", "\u0000", ""]), short_text))] \
                    = draw(json_values)
            elif isinstance(target, list):
                target.append(draw(json_values))
    return env


# --------------------------------------------------------------------------- slots

RESOLUTION_CODES = ["ER_SUCCESS_MATCH", "ER_SUCCESS_NO_MATCH", "ER_ERROR_TIMEOUT",
                    "ER_ERROR_EXCEPTION", "NOT_A_CODE"]


@st.composite
def resolution(draw, slot_name: str, value: str):
    authority = f"amzn1.er-authority.echo-sdk.{APP_ID}.{slot_name}"
    names = draw(st.lists(st.one_of(st.sampled_from(
        ["anxious", "self-critical", "ANXIOUS", "box", "4-7-8", "soothing", "even", "sigh",
         "slower", "normal", "on", "off"]), slot_value_text), min_size=0, max_size=3))
    return {"resolutionsPerAuthority": [{
        "authority": authority,
        "status": {"code": draw(st.sampled_from(RESOLUTION_CODES))},
        "values": [{"value": {"name": n, "id": draw(st.one_of(st.just(n.upper()), short_text))}}
                   for n in names]}]}


@st.composite
def slot(draw, name: str):
    value = draw(st.one_of(st.none(), slot_value_text))
    s = {"name": name, "confirmationStatus": draw(st.sampled_from(["NONE", "CONFIRMED", "DENIED"]))}
    if value is not None:
        s["value"] = value
    if draw(st.booleans()):
        s["resolutions"] = draw(resolution(name, value or ""))
    if value is not None and draw(st.booleans()):
        s["slotValue"] = {"type": "Simple", "value": value}
        if "resolutions" in s:
            s["slotValue"]["resolutions"] = s["resolutions"]
    return s


SLOT_NAMES = ["minutes", "pattern", "feeling", "rating", "speed", "toggle"]


@st.composite
def slot_fuzzed(draw):
    """A real intent (or an unknown one) with hostile values in real and unknown slots."""
    env = fresh_envelope(draw(st.sampled_from(INTENT_FIXTURES)),
                         locale=draw(st.sampled_from(LOCALES + ["en-NZ", "fr-FR", "", "EN-us"])))
    intent = env["request"]["intent"]
    if draw(st.integers(0, 9)) == 0:
        intent["name"] = draw(st.sampled_from(INTENT_NAMES))
    names = list(intent.get("slots") or {}) + draw(st.lists(st.sampled_from(SLOT_NAMES + ["x", "Slot"]),
                                                           max_size=2))
    intent["slots"] = {n: draw(slot(n)) for n in names}
    return env


# --------------------------------------------------------------------------- session

def _opt(**kv):
    return st.fixed_dictionaries({}, optional=kv)


asked = st.one_of(
    _opt(q=st.one_of(st.sampled_from(sorted(QUESTIONS)), json_values),
         id=st.one_of(st.sampled_from(SCRIPT_IDS), json_values),
         minutes=st.one_of(st.integers(-5, 40), json_values),
         pattern=st.one_of(st.sampled_from(["soothing", "box", "4-7-8", "fire"]), json_values),
         feeling=st.one_of(st.sampled_from(["anxious", "self-critical"]), json_values),
         cat=st.one_of(st.sampled_from(["medical", "panic", "abuse", "nobody"]), json_values),
         params=st.one_of(st.just({}), json_values)),
    json_values)
numberish_json = st.one_of(big_ints, st.sampled_from(NUMBERISH), st.floats(allow_nan=False,
                                                                         allow_infinity=False),
                           json_values)
practice_attr = st.one_of(
    _opt(id=st.one_of(st.sampled_from(SCRIPT_IDS), json_values),
         params=st.one_of(_opt(minutes=numberish_json,
                               pattern=st.one_of(st.sampled_from(["soothing", "box", "4-7-8"]),
                                                 json_values)),
                          json_values),
         turn=numberish_json, count=numberish_json),
    json_values)
SESSION_KEYS = {
    "practice": practice_attr,
    "asked": asked,
    "rating": st.one_of(_opt(stage=st.one_of(st.sampled_from(["before", "after", "started"]),
                                             json_values),
                             before=numberish_json, id=st.one_of(st.sampled_from(SCRIPT_IDS),
                                                                 json_values),
                             entry=json_values, feeling=json_values),
                        json_values),
    "last": st.one_of(_opt(speech=st.one_of(evil_text, json_values),
                           reprompt=st.one_of(evil_text, json_values)), json_values),
    "rate": st.one_of(st.sampled_from(["normal", "slower"]), json_values),
    "memory_off": json_values,
    "zone_offset_min": numberish_json,
}


@st.composite
def session_attributes(draw):
    keys = draw(st.lists(st.sampled_from(sorted(SESSION_KEYS)), min_size=1, max_size=4, unique=True))
    attrs = {k: draw(SESSION_KEYS[k]) for k in keys}
    if draw(st.integers(0, 4)) == 0:
        attrs[draw(short_text)] = draw(json_values)
    return attrs


@st.composite
def session_fuzzed(draw):
    """A real request whose session carries attributes of shapes the skill never wrote."""
    env = fresh_envelope(draw(st.sampled_from(WITH_SESSION)),
                         locale=draw(st.sampled_from(LOCALES)))
    env["session"]["new"] = draw(st.booleans())
    env["session"]["attributes"] = draw(session_attributes())
    return env


# --------------------------------------------------------------------------- request kinds

@st.composite
def kinds_fuzzed(draw):
    """Unknown request types and intents, odd locales, odd timestamps and ids."""
    env = fresh_envelope(draw(st.sampled_from(FIXTURE_NAMES)))
    req = env["request"]
    choice = draw(st.integers(0, 4))
    if choice == 0:
        req["type"] = draw(st.one_of(st.sampled_from(
            REQUEST_TYPES + ["Alexa.Presentation.APL.UserEvent", "AudioPlayer.PlaybackStarted",
                             "Connections.Response", "Dialog.API.Invoked", "Messaging.MessageReceived",
                             "AlexaSkillEvent.SkillEnabled", "AlexaSkillEvent.ProactiveSubscriptionChanged",
                             "PlaybackController.PlayCommandIssued", "Display.ElementSelected",
                             "LaunchRequest ", "launchrequest", "IntentRequest\x00"]),
            st.text(min_size=1, max_size=30)))
    elif choice == 1:
        req.setdefault("intent", {})
        if not isinstance(req["intent"], dict):
            req["intent"] = {}
        req["intent"]["name"] = draw(st.one_of(
            st.sampled_from(INTENT_NAMES + ["AMAZON.ScrollDownIntent", "AMAZON.ShuffleOnIntent",
                                            "AMAZON.SendToPhoneIntent", "UnknownIntent", "",
                                            "CrisisIntent ", "amazon.stopintent"]),
            evil_text))
        req["intent"].setdefault("confirmationStatus", "NONE")
    elif choice == 2:
        req["locale"] = draw(st.one_of(st.sampled_from(["en-NZ", "de-DE", "ja-JP", "en", "EN-US", "en_US",
                                                        "", "xx-YY", "en-US\u202e"]), short_text))
    elif choice == 3:
        req["timestamp"] = draw(st.one_of(st.sampled_from(
            ["1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "yesterday",
             "2026-11-26T03:16:40+14:00", "0", "2026-11-26"]), st.text(min_size=1, max_size=30)))
    else:
        req["requestId"] = draw(st.one_of(st.text(min_size=1, max_size=40), huge_text()))
    return env


@st.composite
def truncated_envelope(draw):
    """A serialised (mutated) envelope cut off anywhere: what a dropped connection leaves."""
    raw = json.dumps(draw(structurally_mutated())).encode()
    return raw[:draw(st.integers(0, len(raw)))]


# --------------------------------------------------------------------------- stored memory

history_entry = st.one_of(
    _opt(id=st.one_of(st.uuids().map(lambda u: u.hex), json_values),
         ts=st.one_of(st.just("2026-11-20T10:00:00+00:00"), json_values),
         date=st.one_of(st.sampled_from(["2026-11-20", "2026-02-30", "yesterday"]), json_values),
         practice=st.one_of(st.sampled_from(SCRIPT_IDS), json_values),
         minutes=numberish_json, before=numberish_json, after=numberish_json),
    json_values)
STORED_KEYS = {
    "paused": st.one_of(_opt(id=st.one_of(st.sampled_from(SCRIPT_IDS), json_values),
                             params=st.one_of(_opt(minutes=numberish_json, pattern=json_values),
                                              json_values),
                             turn=numberish_json, at=json_values), json_values),
    "prefs": st.one_of(_opt(rate=st.one_of(st.sampled_from(["normal", "slower"]), json_values),
                            checkin=json_values, minutes=numberish_json,
                            pattern=st.one_of(st.sampled_from(["soothing", "box", "4-7-8"]),
                                              json_values)), json_values),
    "history": st.one_of(st.lists(history_entry, max_size=6), json_values),
}


@st.composite
def stored_memory(draw):
    """A listener's stored record of shapes an older version, a hand edit or a bug could
    have left: the skill must cope with it in every later session."""
    keys = draw(st.lists(st.sampled_from(sorted(STORED_KEYS)), min_size=1, max_size=3, unique=True))
    memory = {k: draw(STORED_KEYS[k]) for k in keys}
    if draw(st.integers(0, 4)) == 0:
        memory[draw(short_text)] = draw(json_values)
    return memory
