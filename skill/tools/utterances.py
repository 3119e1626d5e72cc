"""Typed text -> intent and slots, the way Alexa would resolve it, for the offline `chat` runner.

    match("ask compassion coach for three minutes of breathing", "en-US")
    -> Match(intent='BreathingIntent', slots={'minutes': SlotValue(value='3', ...)}, score=0.99)

Resolution order (each step only when the previous found nothing good enough):
  1. safety first: danger anywhere in the text (skill/danger.py, the one danger vocabulary)
     gives that category's crisis intent;
  2. the text (then the text without politeness fillers) says a sample utterance exactly,
     with slot values that resolve (numbers in words or digits; custom values via synonyms);
  3. the safety net: a classifier trained on every intent's samples
     (skill/tools/danger_classifier.py), when it finds danger likely enough, gives its
     category's crisis intent (danger the patterns do not spell, as Alexa generalises);
  4. token similarity (difflib) against every sample, slot values replaced by their type;
  5. AMAZON.FallbackIntent.
Text that is empty or only the invocation ("open compassion coach") gives None: a launch.

Everything comes from the committed interaction model, skill/data/danger.json and
interaction_model/source/matcher.json;
each locale is compiled once (about a millisecond per match afterwards).
"""
from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from skill import danger
from skill.tools import interaction_model as im
from skill.tools import danger_classifier

MATCHER_DATA_PATH = im.PROJECT_DIR / "source" / "matcher.json"
NUMBER_TYPE = "AMAZON.NUMBER"
FALLBACK_INTENT = "AMAZON.FallbackIntent"
CRISIS_INTENT = "CrisisIntent"     # the broadest danger category's intent (suicidal thoughts)
ER_MATCH = "ER_SUCCESS_MATCH"
ER_NO_MATCH = "ER_SUCCESS_NO_MATCH"

# Scores are in [0, 1]. An exact literal sample scores 1; a sample with resolved slots a little
# less (so the more literal reading wins a tie), minus a hair per captured word (the tighter
# capture wins); an unresolved custom slot value much less, as Alexa would still send it.
SCORE_LITERAL = 1.0
SCORE_SLOTS = 0.99
SCORE_PER_CAPTURED_WORD = 0.001
SCORE_UNRESOLVED_SLOT = 0.75
MAX_UNRESOLVED_WORDS = 3        # longer unknown slot values are not taken as that slot
FILLER_STRIPPED_FACTOR = 0.98   # the text needed its politeness words removed first
EXACT_ENOUGH = 0.9              # an exact reading at least this good skips the fuzzy pass
RATIO_WEIGHT = 0.5              # fuzzy score = this * likeness + the rest * sample coverage
FUZZY_MIN = 0.78                # difflib ratio needed for a fuzzy match
TYPO_CUTOFF = 0.85              # difflib ratio to correct an unknown word to a known one
TYPO_MIN_LEN = 4                # shorter words are left alone ('die' must never become 'dye')

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
NUMBER_WORDS = frozenset(_UNITS + _TEENS + _TENS[2:] + ["hundred", "thousand", "and", "a"])
MAX_SPOKEN_NUMBER = 999_999


@dataclass(frozen=True)
class SlotValue:
    """One filled slot. `value` is what was said (Alexa's slot.value: digits for AMAZON.NUMBER);
    for a custom type `resolved_id`/`resolved_value` are the entity-resolution match, or None
    (ER_SUCCESS_NO_MATCH)."""

    value: str
    resolved_id: str | None = None
    resolved_value: str | None = None
    slot_type: str | None = None

    @property
    def er_status(self) -> str | None:
        """ER_SUCCESS_MATCH / ER_SUCCESS_NO_MATCH for custom types; None for AMAZON.* types."""
        if self.slot_type is None or self.slot_type.startswith("AMAZON."):
            return None
        return ER_MATCH if self.resolved_id else ER_NO_MATCH


@dataclass(frozen=True)
class Match:
    intent: str
    slots: dict[str, SlotValue] = field(default_factory=dict)
    score: float = 0.0
    sample: str | None = None   # the sample utterance it matched, for debugging


# ---------------------------------------------------------------- numbers

def number_to_words(n: int) -> str:
    if n < 10:
        return _UNITS[n]
    if n < 20:
        return _TEENS[n - 10]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _UNITS[n % 10])
    if n < 1000:
        rest = n % 100
        return _UNITS[n // 100] + " hundred" + ("" if rest == 0 else " " + number_to_words(rest))
    rest = n % 1000
    return number_to_words(n // 1000) + " thousand" + ("" if rest == 0 else " " + number_to_words(rest))


def parse_number(text: str) -> int | None:
    """'three' -> 3, 'twenty one' -> 21, 'a hundred and five' -> 105, '7' -> 7;
    None for anything else, including digit strings like 'four seven eight'."""
    toks = text.lower().replace("-", " ").split()
    if len(toks) == 1 and toks[0].isdigit():
        return int(toks[0])
    toks = [t for t in toks if t != "and"]
    if not toks:
        return None
    total, current, last = 0, 0, None
    for i, t in enumerate(toks):
        if t == "a" and i + 1 < len(toks) and toks[i + 1] in ("hundred", "thousand") and last is None:
            current, last = 1, "unit"
        elif t in _UNITS:
            if last in ("unit", "teen"):
                return None
            current += _UNITS.index(t)
            last = "unit"
        elif t in _TEENS:
            if last in ("unit", "teen", "tens"):
                return None
            current += 10 + _TEENS.index(t)
            last = "teen"
        elif t in _TENS[2:]:
            if last in ("unit", "teen", "tens"):
                return None
            current += 10 * _TENS.index(t)
            last = "tens"
        elif t == "hundred":
            if last not in ("unit", "teen", "tens") or current % 100 == 0:
                return None
            current *= 100
            last = "hundred"
        elif t == "thousand":
            if last is None or last == "thousand":
                return None
            total += current * 1000
            current, last = 0, "thousand"
        else:
            return None
    return total + current


# ---------------------------------------------------------------- normalization

_APOSTROPHES = re.compile("[\u2018\u2019\u02bc`']")
_OUT_OF_TEN = re.compile(r"(\d+)\s*/\s*10\b")   # '4/10' is said 'four out of ten'


def normalize(text: str) -> str:
    """Lowercase words separated by single spaces; apostrophes dropped (i'm == im), other
    punctuation and hyphens become spaces, digits become words (Alexa transcribes numbers)."""
    text = _OUT_OF_TEN.sub(r"\1 out of 10", text.lower())
    text = _APOSTROPHES.sub("", text)
    text = re.sub(r"[^a-z0-9 ]", " ", text)
    text = re.sub(r"(\d+)", lambda m: " " + _digits_to_words(m.group(1)) + " ", text)
    return " ".join(text.split())


def _digits_to_words(digits: str) -> str:
    n = int(digits)
    if n > MAX_SPOKEN_NUMBER or (len(digits) > 1 and digits[0] == "0"):
        return " ".join(_UNITS[int(d)] for d in digits)   # a code, say it digit by digit
    return number_to_words(n)


def _norm(text: str) -> str:
    """normalize() plus matcher.json rewrites ('my self' -> 'myself'), for samples and input alike."""
    text = f" {normalize(text)} "
    for old, new in _rewrites():
        text = text.replace(f" {old} ", f" {new} ")
    return " ".join(text.split())


@lru_cache(maxsize=1)
def _rewrites() -> list[tuple[str, str]]:
    pairs = _matcher_data()["rewrites"]
    return [(normalize(k), normalize(v)) for k, v in pairs.items() if not k.startswith("_")]


def _strip_phrases(toks: list[str], phrases: list[tuple[str, ...]], leading: bool) -> list[str]:
    changed = True
    while changed and toks:
        changed = False
        for p in phrases:   # longest first
            if leading and tuple(toks[:len(p)]) == p and len(toks) > len(p):
                toks, changed = toks[len(p):], True
                break
            if not leading and tuple(toks[-len(p):]) == p and len(toks) > len(p):
                toks, changed = toks[:-len(p)], True
                break
    return toks


# ---------------------------------------------------------------- compiled locale

@dataclass
class _Entry:
    intent: str
    sample: str
    regex: re.Pattern
    slot_names: list[str]
    slot_types: dict[str, str]
    template: tuple[str, ...]     # tokens; a slot is '\x00TYPE'
    types_used: frozenset[str]
    crisis: bool = False          # one of the danger categories' intents

    @property
    def bare_slot(self) -> bool:
        """The sample is nothing but slots, e.g. '{feeling}'."""
        return all(t.startswith("\x00") for t in self.template)


@dataclass
class _Compiled:
    locale: str
    entries: list[_Entry]
    # type -> {normalized spoken form: (id, canonical value)}
    spoken: dict[str, dict[str, tuple[str, str]]]
    vocab: set[str]
    invocation: tuple[str, ...]
    wake: list[tuple[str, ...]]
    verbs: set[str]
    connectors: set[str]
    leading: list[tuple[str, ...]]
    trailing: list[tuple[str, ...]]
    intensifiers: list[tuple[str, ...]]
    negations: frozenset[str]
    weights: dict[str, float]     # token -> informativeness (rarer across samples = heavier)
    unknown_weight: float         # for words no sample uses
    max_span: int = 6             # longest slot value, in words, looked for in typed text


def _phrases(items: list[str]) -> list[tuple[str, ...]]:
    return sorted({tuple(_norm(p).split()) for p in items if _norm(p)}, key=len, reverse=True)


@lru_cache(maxsize=1)
def _matcher_data() -> dict:
    return json.loads(MATCHER_DATA_PATH.read_text(encoding="utf-8"))


def _slot_re(sample: str) -> tuple[re.Pattern, list[str], tuple[str, ...]]:
    names, parts, template, pos = [], [], [], 0
    for m in im.SLOT_REF.finditer(sample):
        lit = _norm(sample[pos:m.start()])
        if lit:
            parts.append(re.escape(lit).replace(r"\ ", " "))
            template.extend(lit.split())
        parts.append("(.+?)")
        names.append(m.group(1))
        template.append("\x00" + m.group(1))
        pos = m.end()
    lit = _norm(sample[pos:])
    if lit:
        parts.append(re.escape(lit).replace(r"\ ", " "))
        template.extend(lit.split())
    return re.compile("^" + " ".join(parts) + "$"), names, tuple(template)


@lru_cache(maxsize=None)
def _compile(locale: str) -> _Compiled:
    data = _matcher_data()
    lm = im.load_model(locale)["interactionModel"]["languageModel"]
    spoken: dict[str, dict[str, tuple[str, str]]] = {}
    vocab: set[str] = set()
    for t in lm["types"]:
        forms = {}
        for v in t["values"]:
            for s in [v["name"]["value"]] + v["name"].get("synonyms", []):
                forms[_norm(s)] = (v["id"], v["name"]["value"])
        spoken[t["name"]] = forms
        vocab.update(w for f in forms for w in f.split())
    samples = im.sample_utterances(locale)
    for name, phrases in im.builtin_phrases(locale).items():
        samples[name] = samples.get(name, []) + phrases
    entries = []
    for intent in lm["intents"]:
        declared = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in samples.get(intent["name"], []):
            regex, names, template = _slot_re(sample)
            template = tuple("\x00" + declared[t[1:]] if t.startswith("\x00") else t for t in template)
            entries.append(_Entry(intent["name"], sample, regex, names, declared, template,
                                  frozenset(declared[n] for n in names), danger.by_intent(intent["name"]) is not None))
            vocab.update(t for t in template if not t.startswith("\x00"))
    all_lists = [data[k] for k in ("wakeWords", "invocationVerbs", "invocationConnectors", "leadingFillers",
                                   "trailingFillers", "intensifiers")]
    for lst in all_lists:
        for p in lst:
            vocab.update(_norm(p).split())
    invocation = tuple(normalize(lm["invocationName"]).split())
    vocab.update(invocation)
    vocab.update(danger.words())
    vocab.update(NUMBER_WORDS)
    # Inverse document frequency over the samples: 'hurting' says more than 'my' or 'to'.
    doc_freq: dict[str, int] = {}
    for e in entries:
        for t in set(e.template):
            doc_freq[t] = doc_freq.get(t, 0) + 1
    weights = {t: math.log(1 + len(entries) / n) for t, n in doc_freq.items()}
    return _Compiled(
        negations=frozenset(_norm(w) for w in data["negations"]),
        weights=weights, unknown_weight=max(weights.values()),
        locale=locale, entries=entries, spoken=spoken, vocab=vocab, invocation=invocation,
        wake=_phrases(data["wakeWords"]), verbs={normalize(v) for v in data["invocationVerbs"]},
        connectors={normalize(c) for c in data["invocationConnectors"]},
        leading=_phrases(data["leadingFillers"]), trailing=_phrases(data["trailingFillers"]),
        intensifiers=_phrases(data["intensifiers"]),
    )


# ---------------------------------------------------------------- matching steps

def _correct_typos(toks: list[str], c: _Compiled) -> list[str]:
    out = []
    for t in toks:
        if t in c.vocab or len(t) < TYPO_MIN_LEN:
            out.append(t)
            continue
        close = difflib.get_close_matches(t, c.vocab, n=1, cutoff=TYPO_CUTOFF)
        out.append(close[0] if close else t)
    return out


def _mend_danger_typos(text: str, c: _Compiled) -> str:
    """Only unknown words that are near a danger word change ('suicde' -> 'suicide'): a
    correction towards an ordinary word can't make or unmake a danger reading."""
    out = []
    for t in danger.normalize(text).split():
        if t in c.vocab or len(t) < TYPO_MIN_LEN + 1:
            out.append(t)
            continue
        close = difflib.get_close_matches(t, danger.mend_targets(), n=1, cutoff=TYPO_CUTOFF)
        out.append(close[0] if close else t)
    return " ".join(out)


def _strip_invocation(toks: list[str], c: _Compiled) -> list[str]:
    """'alexa, ask compassion coach for X' -> X; 'open compassion coach' -> []."""
    for w in c.wake:
        if tuple(toks[:len(w)]) == w:
            toks = toks[len(w):]
            break
    n = len(c.invocation)
    for i in range(min(len(toks), 3)):   # verb (and maybe 'the') before the name
        if tuple(toks[i:i + n]) == c.invocation and all(t in c.verbs or t == "the" for t in toks[:i]):
            toks = toks[i + n:]
            while toks and toks[0] in c.connectors:
                toks = toks[1:]
            return toks
    return toks


def _resolve(stype: str, said: str, c: _Compiled) -> SlotValue | None:
    """A slot value for text said in a slot, or None when it cannot fill that slot type."""
    if stype == NUMBER_TYPE:
        n = parse_number(said)
        return None if n is None else SlotValue(str(n), slot_type=stype)
    if stype.startswith("AMAZON."):
        return SlotValue(said, slot_type=stype)
    forms = c.spoken.get(stype, {})
    if said in forms:
        rid, canonical = forms[said]
        return SlotValue(said, rid, canonical, stype)
    bare = " ".join(_strip_words(said.split(), c.intensifiers))
    if bare in forms:
        rid, canonical = forms[bare]
        return SlotValue(said, rid, canonical, stype)
    close = difflib.get_close_matches(bare, list(forms), n=1, cutoff=TYPO_CUTOFF + 0.05)
    if close:
        rid, canonical = forms[close[0]]
        return SlotValue(said, rid, canonical, stype)
    return SlotValue(said, None, None, stype)   # Alexa sends it with ER_SUCCESS_NO_MATCH


def _strip_words(toks: list[str], phrases: list[tuple[str, ...]]) -> list[str]:
    out, i = [], 0
    while i < len(toks):
        for p in phrases:
            if tuple(toks[i:i + len(p)]) == p:
                i += len(p)
                break
        else:
            out.append(toks[i])
            i += 1
    return out or toks


def _read_slots(e: _Entry, captures: tuple[str, ...], c: _Compiled) -> tuple[dict[str, SlotValue], float] | None:
    """Slot values and score for one sample's regex captures; None if they cannot be its slots."""
    slots, score = {}, SCORE_SLOTS
    for name, said in zip(e.slot_names, captures):
        sv = _resolve(e.slot_types[name], said, c)
        if sv is None:
            return None
        words = len(said.split())
        if sv.er_status == ER_NO_MATCH:
            # An unknown value is believable only inside a carrier phrase and when short
            # ('i feel grumpy'); a bare '{feeling}' would otherwise swallow every sentence.
            if e.bare_slot or words > MAX_UNRESOLVED_WORDS or not c.negations.isdisjoint(said.split()):
                return None
            score = min(score, SCORE_UNRESOLVED_SLOT)
        slots[name] = sv
        score -= SCORE_PER_CAPTURED_WORD * words
    return slots, score


def _exact(text: str, c: _Compiled) -> Match | None:
    """Best reading of the text as one sample said word for word."""
    best: Match | None = None
    for e in c.entries:
        m = e.regex.match(text)
        if not m:
            continue
        read = _read_slots(e, m.groups(), c) if e.slot_names else ({}, SCORE_LITERAL)
        if read is None:
            continue
        slots, score = read
        if best is None or score > best.score:
            best = Match(e.intent, slots, round(score, 4), e.sample)
    return best


def _typed_tokens(toks: list[str], types: frozenset[str], c: _Compiled):
    """Replace spans that are values of `types` by '\x00TYPE'; also return the span texts."""
    out, spans, i = [], {}, 0
    while i < len(toks):
        hit = None
        for length in range(min(c.max_span, len(toks) - i), 0, -1):
            span = " ".join(toks[i:i + length])
            for stype in sorted(types):
                if stype == NUMBER_TYPE:
                    ok = toks[i] in NUMBER_WORDS and toks[i] not in ("and", "a") and parse_number(span) is not None
                else:
                    ok = span in c.spoken.get(stype, {})
                if ok:
                    hit = (stype, length, span)
                    break
            if hit:
                break
        if hit:
            out.append("\x00" + hit[0])
            spans.setdefault(hit[0], hit[2])
            i += hit[1]
        else:
            out.append(toks[i])
            i += 1
    return tuple(out), spans


def _similarity(typed: tuple[str, ...], template: tuple[str, ...], c: _Compiled) -> float:
    """Weighted token likeness in [0, 1]: in-order matching words (difflib), each counted by
    its informativeness. Half overall likeness, half how much of the sample was said: extra
    words around a whole sample ('why is self compassion helpful') cost less than missing ones."""
    def w(t: str) -> float:
        return c.weights.get(t, c.unknown_weight)
    sm = difflib.SequenceMatcher(None, typed, template, autojunk=False)
    matched = sum(w(t) for b in sm.get_matching_blocks() for t in template[b.b:b.b + b.size])
    total_template = sum(w(t) for t in template)
    total_typed = sum(w(t) for t in typed)
    likeness = 2 * matched / (total_template + total_typed)
    covered = matched / total_template
    return RATIO_WEIGHT * likeness + (1 - RATIO_WEIGHT) * covered


def _fuzzy(toks: list[str], c: _Compiled) -> Match | None:
    """Best reading by weighted token likeness. Never a crisis intent: what counts as danger is
    the danger vocabulary's call alone (its negations and look-alikes), checked before this."""
    typed_cache: dict[frozenset, tuple] = {}
    best = None
    for e in c.entries:
        if e.crisis:
            continue
        if e.types_used not in typed_cache:
            typed_cache[e.types_used] = _typed_tokens(toks, e.types_used, c)
        typed, spans = typed_cache[e.types_used]
        # 'i'm not ready' is not 'i'm ready': a negation on one side only rules the sample out.
        if (c.negations.isdisjoint(typed)) != (c.negations.isdisjoint(e.template)):
            continue
        ratio = _similarity(typed, e.template, c)
        if best is not None and ratio <= best.score:
            continue
        slots = {}
        for name in e.slot_names:
            stype = e.slot_types[name]
            if stype in spans and typed.count("\x00" + stype) == 1:
                sv = _resolve(stype, spans[stype], c)
                if sv is not None:
                    slots[name] = sv
        best = Match(e.intent, slots, round(ratio, 4), e.sample)
    return best


def match(text: str, locale: str = "en-US") -> Match | None:
    """The intent and slots Alexa would most likely send for `text`; AMAZON.FallbackIntent when
    nothing is close; None when the text is empty or only opens the skill (a LaunchRequest)."""
    c = _compile(locale)
    toks = _strip_invocation(_correct_typos(_norm(text).split(), c), c)
    if not toks:
        return None
    # Safety first: danger anywhere in the text, as typed or with misspelt danger words mended.
    found = danger.category_of(text) or danger.category_of(_mend_danger_typos(text, c))
    if found is not None:
        return Match(found.intent, {}, SCORE_LITERAL, found.id)
    best = _exact(" ".join(toks), c)
    if best is None or best.score < EXACT_ENOUGH:
        core = _strip_phrases(_strip_phrases(list(toks), c.leading, True), c.trailing, False)
        if core != toks:
            m = _exact(" ".join(core), c)
            if m is not None:
                m = Match(m.intent, m.slots, round(m.score * FILLER_STRIPPED_FACTOR, 4), m.sample)
                if best is None or m.score > best.score:
                    best = m
        if best is not None and best.score >= EXACT_ENOUGH:
            return best
        near = danger_classifier.classify(" ".join(toks), locale)
        if near.category is not None:
            return Match(near.category.intent, {}, near.danger_prob, near.category.id)
        fuzzy = _fuzzy(core, c)
        if core != toks:   # fillers may matter ('i want to ...'): read both
            fuzzy = max((x for x in (fuzzy, _fuzzy(toks, c)) if x), key=lambda x: x.score, default=None)
        if fuzzy is not None and fuzzy.score >= FUZZY_MIN and (best is None or fuzzy.score > best.score):
            return fuzzy
    if best is not None:
        return best
    return Match(FALLBACK_INTENT, {}, 0.0)


def resolve_slot(slot_type: str, said: str, locale: str = "en-US") -> SlotValue | None:
    """Entity resolution for one slot value: resolve_slot('BreathingPattern', 'square') ->
    SlotValue('square', 'BOX', 'box', 'BreathingPattern'); None if it cannot fill the type."""
    return _resolve(slot_type, _norm(said), _compile(locale))


def is_launch(text: str, locale: str = "en-US") -> bool:
    """True when the text only opens the skill ('Alexa, open compassion coach')."""
    c = _compile(locale)
    toks = _norm(text).split()
    return bool(toks) and not _strip_invocation(_correct_typos(toks, c), c)


def exact(text: str, locale: str = "en-US") -> Match | None:
    """Only the readings Alexa is sure of: the text (invocation and politeness words aside)
    says one sample utterance word for word, with slot values that fill their types. No
    danger step and no fuzzy guess (skill.tools.nlu_standin builds on this without a model)."""
    c = _compile(locale)
    toks = _strip_invocation(_norm(text).split(), c)
    if not toks:
        return None
    best = _exact(" ".join(toks), c)
    core = _strip_phrases(_strip_phrases(list(toks), c.leading, True), c.trailing, False)
    if (best is None or best.score < EXACT_ENOUGH) and core != toks:
        m = _exact(" ".join(core), c)
        if m is not None and (best is None or m.score * FILLER_STRIPPED_FACTOR > best.score):
            best = Match(m.intent, m.slots, round(m.score * FILLER_STRIPPED_FACTOR, 4), m.sample)
    return best


def spans_of(slot_type: str, text: str, locale: str = "en-US") -> SlotValue | None:
    """The first value of `slot_type` said anywhere in `text` (longest span first), or None."""
    c = _compile(locale)
    toks = _norm(text).split()
    typed, spans = _typed_tokens(toks, frozenset({slot_type}), c)
    said = spans.get(slot_type)
    return None if said is None else _resolve(slot_type, said, c)
