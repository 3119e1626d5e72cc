"""Alexa's SSML subset: the rules every spoken turn must pass, and the parse into a timeline.

One parser serves three callers: the renderer (estimating how long a part lasts), the lint
(finding the line that breaks a rule) and the offline runner (turning SSML into speech and
silence). Tag and value rules follow ../shared/reference/alexa_platform.md, section 1.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

from skill.timeline import NORMAL_RATE_PCT, Item, Pause, Phase, Speak, Step


# Not xml.sax.saxutils' escape/quoteattr: importing that module imports urllib.request (and
# with it mime types, temp files and compression), a tenth of a Lambda cold start.
def escape(text: str) -> str:
    """Text as XML character data: &, < and > escaped (as xml.sax.saxutils.escape)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(value: str) -> str:
    """A value as a quoted XML attribute (as xml.sax.saxutils.quoteattr)."""
    value = escape(value).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace('"', "&quot;") + '"'


MAX_BREAK_S = 10.0
MAX_SPEECH_CHARS = 8000
MAX_TURN_S = 240.0
MAX_AUDIO_TAGS = 5

# Speech-time estimate at rate 100 %: a model of the voice, per syllable rather than per
# word, because a breath cue is a few short words ("and a sip"), which a flat words-per-
# minute figure over-estimated by about a third, so every breath phase came out short.
# Fitted by least squares to espeak-ng, the one voice measurable here (the stand-in for
# Alexa's), over every cue, reminder, practice sentence and dialog line at both speaking
# rates: `python -m benchmarks.calibrate_speech` prints the fit. Alexa's voice is not measured.
SPEECH_SYLLABLE_S = 0.198
COMMA_PAUSE_S = 0.333        # a comma, semicolon or colon inside running text
SENTENCE_PAUSE_S = 0.313     # a full stop, ! or ? followed by more words
# Alexa's voice may be slower than espeak-ng's, and running over Alexa's hard limit
# (MAX_TURN_S) loses the whole turn, so the limit is checked, and turns are packed, with
# speech counted this many times its estimate: the 150 words a minute the estimate assumed
# before it was fitted, which espeak-ng says in about two thirds of the time.
SPEECH_LIMIT_FACTOR = 1.5
S_TAG_PAUSE_S = 0.5          # <s> ends with a strong break
P_TAG_PAUSE_S = 0.8          # <p> ends with an x-strong break
BREAK_STRENGTH_S = {"none": 0.0, "x-weak": 0.1, "weak": 0.25, "medium": 0.4,
                    "strong": 0.6, "x-strong": 0.9}
RATE_NAMES_PCT = {"x-slow": 60, "slow": 80, "medium": 100, "fast": 125, "x-fast": 150}
VOLUME_NAMES_DB = {"silent": -40.0, "x-soft": -9.0, "soft": -6.0, "medium": 0.0,
                   "loud": 3.0, "x-loud": 4.0}
MIN_RATE_PCT = 20
MAX_VOLUME_DB = 4.08
PITCH_RANGE_PCT = (-33.3, 50.0)
EMPHASIS_RATE_FACTOR = {"strong": 0.9, "moderate": 0.95, "reduced": 1.0}
EMPHASIS_VOLUME_DB = {"strong": 3.0, "moderate": 1.5, "reduced": -3.0}

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")
_SIGNED_PERCENT = re.compile(r"^[+-](\d+(?:\.\d+)?)%$")
_DB = re.compile(r"^([+-]\d+(?:\.\d+)?)dB$")
_WORD = re.compile(r"[\w']+")
_VOWELS = re.compile(r"[aeiouy]+")


def _enum(*values):
    return lambda v: v in values


def _duration_ok(v):
    return _DURATION.match(v) is not None


def _rate_ok(v):
    m = _PERCENT.match(v)
    return v in RATE_NAMES_PCT or (m is not None and float(m.group(1)) >= MIN_RATE_PCT)


def _pitch_ok(v):
    if v in ("x-low", "low", "medium", "high", "x-high"):
        return True
    m = _SIGNED_PERCENT.match(v)
    return m is not None and PITCH_RANGE_PCT[0] <= float(v[:-1]) <= PITCH_RANGE_PCT[1]


def _volume_ok(v):
    m = _DB.match(v)
    return v in VOLUME_NAMES_DB or (m is not None and float(m.group(1)) <= MAX_VOLUME_DB)


_ANY = lambda v: True  # noqa: E731
_SAY_AS = _enum("characters", "spell-out", "cardinal", "number", "ordinal", "digits",
                "fraction", "unit", "date", "time", "telephone", "address", "interjection",
                "expletive")

# tag -> {attribute: value check}; attributes listed in REQUIRED must be present.
TAGS = {
    "speak": {},
    "p": {},
    "s": {},
    "break": {"strength": _enum(*BREAK_STRENGTH_S), "time": _duration_ok},
    "prosody": {"rate": _rate_ok, "pitch": _pitch_ok, "volume": _volume_ok},
    "emphasis": {"level": _enum("strong", "moderate", "reduced")},
    "amazon:effect": {"name": _enum("whispered")},
    "amazon:emotion": {"name": _enum("excited", "disappointed"),
                       "intensity": _enum("low", "medium", "high")},
    "amazon:domain": {"name": _enum("conversational", "long-form", "music", "news", "fun")},
    "say-as": {"interpret-as": _SAY_AS,
               "format": _enum("mdy", "dmy", "ymd", "md", "dm", "ym", "my", "d", "m", "y")},
    "sub": {"alias": _ANY},
    "phoneme": {"alphabet": _enum("ipa", "x-sampa"), "ph": _ANY},
    "w": {"role": _enum("amazon:VB", "amazon:VBD", "amazon:NN", "amazon:SENSE_1")},
    "voice": {"name": _ANY},
    "lang": {"xml:lang": _ANY},
    "audio": {"src": _ANY},
}
REQUIRED = {"amazon:emotion": ("name", "intensity"), "amazon:effect": ("name",),
            "amazon:domain": ("name",), "sub": ("alias",), "phoneme": ("ph",),
            "audio": ("src",), "say-as": ("interpret-as",), "voice": ("name",)}

# Features only some English locales have (alexa_platform.md 1.1).
EMOTION_LOCALES = frozenset({"en-US", "en-GB"})
DOMAIN_LOCALES = {"conversational": {"en-US"}, "long-form": {"en-US"},
                  "music": {"en-US", "en-CA", "en-GB"}, "news": {"en-US", "en-AU"},
                  "fun": set()}


class SsmlError(ValueError):
    """SSML that is not well-formed XML."""

    def __init__(self, message: str, line: int):
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Node | str] = field(default_factory=list)


def parse(text: str) -> Node:
    """Parse SSML into a small tree with line numbers; raise SsmlError if malformed.

    expat without namespace processing, because Alexa writes `amazon:effect` with no
    namespace declaration."""
    parser = expat.ParserCreate()
    root = Node("#document", {}, 1)
    stack = [root]

    def start(tag, attrs):
        node = Node(tag, dict(attrs), parser.CurrentLineNumber)
        stack[-1].children.append(node)
        stack.append(node)

    def end(_tag):
        stack.pop()

    def chars(data):
        kids = stack[-1].children
        if kids and isinstance(kids[-1], str):
            kids[-1] += data
        else:
            kids.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(text, True)
    except expat.ExpatError as err:
        raise SsmlError(expat.ErrorString(err.code), err.lineno) from None
    elements = [c for c in root.children if isinstance(c, Node)]
    return elements[0]


# A script's own element, never sent to Alexa: <phase s="4" breath="in">cue</phase> is a
# breath phase of 4 s with its cue (skill.render's timed()); in SSML it becomes the cue and a
# <break> for the rest of the phase.
PHASE_TAG = "phase"


def inner_xml(node: Node, phase_rests: Iterator[float] | None = None) -> str:
    """The node's children serialised back to SSML text; each <phase> becomes its cue and
    breaks of the next of `phase_rests` seconds."""
    return "".join(_serialise(c, phase_rests) for c in node.children)


def _serialise(item: Node | str, phase_rests: Iterator[float] | None) -> str:
    if isinstance(item, str):
        return escape(item)
    if item.tag == PHASE_TAG and phase_rests is not None:
        return inner_xml(item, phase_rests) + breaks(next(phase_rests))
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in item.attrs.items())
    if not item.children:
        return f"<{item.tag}{attrs}/>"
    return f"<{item.tag}{attrs}>{inner_xml(item, phase_rests)}</{item.tag}>"


def breaks(seconds: float) -> str:
    """Silence as <break> tags of at most MAX_BREAK_S each, to the millisecond."""
    ms = round(seconds * 1000)
    out = []
    while ms > 0:
        chunk = min(ms, int(MAX_BREAK_S * 1000))
        out.append(f'<break time="{chunk}ms"/>')
        ms -= chunk
    return "".join(out)


def break_seconds(attrs: dict[str, str]) -> float:
    if "time" in attrs:
        m = _DURATION.match(attrs["time"])
        if m:
            value = float(m.group(1))
            return value / 1000 if m.group(2) == "ms" else value
    return BREAK_STRENGTH_S.get(attrs.get("strength", "medium"), BREAK_STRENGTH_S["medium"])


def syllables(word: str) -> int:
    """About how many syllables `word` has: its vowel groups, less a silent final e; a
    number is read digit by digit."""
    w = word.lower()
    if w.isdigit():
        return len(w)
    n = len(_VOWELS.findall(w))
    if n > 1 and w.endswith("e") and not w.endswith(("le", "ee")):
        n -= 1
    return max(1, n)


def speech_features(text: str) -> tuple[int, int, int]:
    """(syllables, inner commas, inner sentence ends): what the speech estimate counts."""
    body = text.strip()
    commas = len(re.findall(r"[,;:](?=.*\w)", body))
    stops = len(re.findall(r"[.!?](?=\s+\w)", body))
    return sum(syllables(w) for w in _WORD.findall(body)), commas, stops


def estimate_speech_s(text: str, rate_pct: float = NORMAL_RATE_PCT) -> float:
    """How long the voice takes to say `text`, up to the silence after it: syllables at
    SPEECH_SYLLABLE_S, plus punctuation pauses."""
    n_syllables, commas, stops = speech_features(text)
    if not n_syllables:
        return 0.0
    seconds = n_syllables * SPEECH_SYLLABLE_S + commas * COMMA_PAUSE_S + stops * SENTENCE_PAUSE_S
    return seconds * NORMAL_RATE_PCT / rate_pct


def _rate_pct(value: str) -> float:
    m = _PERCENT.match(value)
    return float(m.group(1)) if m else RATE_NAMES_PCT.get(value, NORMAL_RATE_PCT)


def _volume_db(value: str) -> float:
    m = _DB.match(value)
    return float(m.group(1)) if m else VOLUME_NAMES_DB.get(value, 0.0)


@dataclass(frozen=True)
class _Style:
    rate_pct: float = NORMAL_RATE_PCT
    volume_db: float = 0.0
    whispered: bool = False


def to_timeline(ssml: str | Node, rate_pct: float = NORMAL_RATE_PCT, phases: bool = False,
                for_reading: bool = False) -> list[Item]:
    """Speech and pause steps, in order, with the estimates the renderer budgets with.

    `rate_pct`: the speaking rate around the whole document. A script's <phase> elements
    become Phase items when `phases`, else their cue and a pause, as the SSML says them.
    Digits in say-as are spaced ("9 1 1"), as they must be said where the tag is gone
    (APL-A, espeak); `for_reading` keeps them as written, for a card or a screen."""
    root = parse(ssml) if isinstance(ssml, str) else ssml
    steps: list[Item] = []
    words: list[str] = []
    style = [_Style(rate_pct=rate_pct)]

    def flush():
        text = " ".join("".join(words).split())
        words.clear()
        if _WORD.search(text):
            s = style[-1]
            steps.append(Speak(text, round(estimate_speech_s(text, s.rate_pct), 3),
                               round(s.rate_pct), s.volume_db, s.whispered))

    def pause(seconds):
        flush()
        if seconds <= 0:
            return
        if steps and isinstance(steps[-1], Pause):
            steps[-1] = Pause(round(steps[-1].seconds + seconds, 3))
        else:
            steps.append(Pause(round(seconds, 3)))

    def walk(node: Node):
        tag, a = node.tag, node.attrs
        if tag == "break":
            pause(break_seconds(a))
            return
        if tag == "audio":
            pause(0)   # sound files are not played offline; the words around them are
            return
        if tag == "sub":
            words.append(" " + a.get("alias", "") + " ")
            return
        if tag == "say-as" and a.get("interpret-as") == "digits" and not for_reading:
            said = "".join(c for c in node.children if isinstance(c, str))
            words.append(" " + " ".join(said.replace(" ", "")))
            return
        if tag == PHASE_TAG:
            phase(node)
            return
        s = style[-1]
        new = s
        if tag == "prosody":
            new = _Style(s.rate_pct * _rate_pct(a.get("rate", "100%")) / NORMAL_RATE_PCT,
                         s.volume_db + _volume_db(a.get("volume", "medium")), s.whispered)
        elif tag == "emphasis":
            level = a.get("level", "moderate")
            new = _Style(s.rate_pct * EMPHASIS_RATE_FACTOR.get(level, 1.0),
                         s.volume_db + EMPHASIS_VOLUME_DB.get(level, 0.0), s.whispered)
        elif tag == "amazon:effect" and a.get("name") == "whispered":
            new = _Style(s.rate_pct, s.volume_db, True)
        if new != s:
            flush()
        style.append(new)
        for child in node.children:
            if isinstance(child, str):
                words.append(child)
            else:
                walk(child)
        if new != s:
            flush()
        style.pop()
        if tag == "s":
            pause(S_TAG_PAUSE_S)
        elif tag == "p":
            pause(P_TAG_PAUSE_S)

    def phase(node: Node):
        flush()
        mark = len(steps)
        for child in node.children:
            if isinstance(child, str):
                words.append(child)
            else:
                walk(child)
        flush()
        said = steps[mark:]
        if len(said) > 1 or (said and not isinstance(said[0], Speak)):
            raise SsmlError("a <phase> holds one cue of plain words, or none", node.line)
        del steps[mark:]
        cue = said[0] if said else None
        seconds = float(node.attrs.get("s", "0"))
        rest = round(seconds - (cue.est_s if cue else 0.0), 3)
        if phases:
            steps.append(Phase(cue, seconds, node.attrs.get("breath", ""), rest))
        else:
            if cue is not None:
                steps.append(cue)
            pause(rest)

    walk(root)
    flush()
    return steps


def limit_s(steps: list[Step]) -> float:
    """How long a (flat) timeline may last on Alexa, for its hard limits: silence as
    written, speech SPEECH_LIMIT_FACTOR times its estimate."""
    return sum(s.est_s * SPEECH_LIMIT_FACTOR if isinstance(s, Speak) else s.seconds for s in steps)


def plain_text(ssml: str) -> str:
    """The words of a turn without markup, for the Alexa app card."""
    return " ".join(s.text for s in to_timeline(ssml, for_reading=True) if isinstance(s, Speak))


@dataclass(frozen=True)
class Problem:
    rule: str
    message: str
    line: int
    element: tuple = ()     # (tag, attribute values...) of the offending element, if any

    def __str__(self):
        return f"line {self.line}: {self.rule}: {self.message}"


def _element(node: Node) -> tuple:
    return (f"<{node.tag}", *node.attrs.values())


def check(ssml: str, locale: str, max_s: float = MAX_TURN_S) -> list[Problem]:
    """Every way `ssml` would fail on Alexa in `locale`; empty when it is valid."""
    try:
        root = parse(ssml)
    except SsmlError as err:
        return [Problem("xml", str(err).split(": ", 1)[1], err.line)]
    problems: list[Problem] = []
    if root.tag != "speak":
        problems.append(Problem("root", f"the root element is <{root.tag}>, not <speak>", root.line))
    audio = 0

    def walk(node: Node):
        nonlocal audio
        rules = TAGS.get(node.tag)
        if rules is None:
            problems.append(Problem("tag", f"<{node.tag}> is not an Alexa SSML tag", node.line, _element(node)))
        else:
            for name, value in node.attrs.items():
                ok = rules.get(name)
                if ok is None:
                    problems.append(Problem("attribute", f"<{node.tag}> has no attribute {name!r}", node.line,
                                            _element(node)))
                elif not ok(value):
                    problems.append(Problem("value", f"<{node.tag} {name}={value!r}> is not allowed", node.line,
                                            _element(node)))
            for name in REQUIRED.get(node.tag, ()):
                if name not in node.attrs:
                    problems.append(Problem("attribute", f"<{node.tag}> needs {name!r}", node.line, _element(node)))
        if node.tag == "break" and break_seconds(node.attrs) > MAX_BREAK_S:
            problems.append(Problem("break-max", f"<break time={node.attrs.get('time')!r}> is over "
                                                 f"{MAX_BREAK_S:g} s", node.line, _element(node)))
        if node.tag == "amazon:emotion" and locale not in EMOTION_LOCALES:
            problems.append(Problem("locale", f"amazon:emotion is not available in {locale}", node.line,
                                    _element(node)))
        if node.tag == "amazon:domain":
            name = node.attrs.get("name", "")
            if locale not in DOMAIN_LOCALES.get(name, ()):
                problems.append(Problem("locale", f"amazon:domain {name!r} is not available in {locale}",
                                        node.line, _element(node)))
        if node.tag == "audio":
            audio += 1
        for child in node.children:
            if isinstance(child, Node):
                walk(child)

    walk(root)
    if audio > MAX_AUDIO_TAGS:
        problems.append(Problem("audio-count", f"{audio} <audio> tags; at most {MAX_AUDIO_TAGS}", 1))
    if len(ssml) > MAX_SPEECH_CHARS:
        problems.append(Problem("chars", f"{len(ssml)} characters; at most {MAX_SPEECH_CHARS}", 1))
    seconds = limit_s(to_timeline(root))
    if seconds > max_s:
        problems.append(Problem("duration", f"up to {seconds:.0f} s of speech and silence "
                                            f"(speech at {SPEECH_LIMIT_FACTOR:g}x its estimate); "
                                            f"at most {max_s:g} s", 1))
    return problems
