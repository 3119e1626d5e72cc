"""What counts as danger, by category: skill/data/danger.json read once, as patterns.

    category_of("i've got the pills ready")      -> Category('plan-or-means', ...)
    category_of("this breathing is killing me")  -> None

The webhook checks every slot value with it (handlers/crisis.py); the offline matcher
(skill/tools/utterances.py) checks typed text with it first; the interaction-model builder
gives Alexa each category's samples as that category's intent. One vocabulary, three uses.
Nothing here logs or keeps the text it is given.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_PATH = Path(__file__).resolve().parent / "data" / "danger.json"
GAP_WORDS = 3               # '...' in a pattern: up to this many words
LONG_GAP_WORDS = 8          # '~' in a pattern: up to this many words
NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty "
                "fifty sixty seventy eighty ninety hundred dozen dozens").split()
TEXT_END = r"(?= $)"        # what '$' compiles to without clause breaks
NEGATION_LOOKBACK = 1       # words (past transparent ones) before a match that may negate it

_APOSTROPHES = re.compile("[\u2018\u2019\u02bc`']")
_REWRITES = (("my self", "myself"), ("gonna", "going to"), ("wanna", "want to"), ("any more", "anymore"),
             ("can not", "cant"), ("cannot", "cant"), ("i am", "im"), ("do not", "dont"), ("does not", "doesnt"),
             ("did not", "didnt"), ("will not", "wont"), ("would not", "wouldnt"), ("is not", "isnt"),
             ("are not", "arent"), ("have not", "havent"), ("has not", "hasnt"), ("was not", "wasnt"))


def normalize(text: str) -> str:
    """Lower case words and single spaces; apostrophes dropped (i'm -> im), other punctuation
    a space, a few spoken contractions joined ("i am" -> "im", "do not" -> "dont")."""
    text = _APOSTROPHES.sub("", (text or "").lower())
    text = " " + " ".join(re.sub(r"[^a-z0-9]+", " ", text).split()) + " "
    for old, new in _REWRITES:
        text = text.replace(f" {old} ", f" {new} ")
    return " ".join(text.split())


@dataclass(frozen=True)
class Category:
    id: str
    intent: str          # the interaction model's intent for this category
    answer: str          # its dialog template (ssml/dialog/<answer>.ssml.j2)
    lines: tuple         # which helplines.json entries it gives, in order
    samples: tuple       # sentences Alexa is given for the intent
    negatable: bool


@dataclass(frozen=True)
class Hit:
    category: Category
    start: int           # character span in normalize(text)
    end: int


# ---------------------------------------------------------------- pattern compiler

_TOKEN = re.compile(r"\(|\)|\||<[a-z_]+>|\.\.\.|\$|\^|~|#|[a-z0-9*]+")


@dataclass(frozen=True)
class Choice:
    """'(a b|c|)' in a pattern: one of its options, each a sequence; a macro is a choice of one."""
    options: tuple[tuple, ...]


def parse(pattern: str, macros: dict[str, str]) -> tuple:
    """A pattern as a tree, parsed once for every reader (the compiler here, the classifier's
    trainer): a sequence of tokens (str: a word, 'word*', '...', '~', '#', '$', '^') and Choices."""
    tokens = _TOKEN.findall(pattern)
    seq, pos = _parse_seq(tokens, 0, macros, frozenset())
    if pos != len(tokens):
        raise ValueError(f"danger.json: unbalanced pattern {pattern!r}")
    return seq


def _parse_seq(tokens: list[str], pos: int, macros: dict[str, str], stop: frozenset[str]) -> tuple[tuple, int]:
    out: list = []
    while pos < len(tokens) and tokens[pos] not in stop:
        tok = tokens[pos]
        if tok == "(":
            options, pos = [], pos + 1
            while True:
                part, pos = _parse_seq(tokens, pos, macros, frozenset({"|", ")"}))
                options.append(part)
                if pos >= len(tokens):
                    raise ValueError(f"danger.json: unbalanced pattern {' '.join(tokens)!r}")
                pos += 1
                if tokens[pos - 1] == ")":
                    break
            out.append(Choice(tuple(options)))
            continue
        if tok.startswith("<"):
            name = tok[1:-1]
            if name not in macros:
                raise ValueError(f"danger.json: unknown macro <{name}>")
            out.append(Choice((parse(macros[name], macros),)))
        elif tok in ("|", ")"):   # outside any choice
            raise ValueError(f"danger.json: unbalanced pattern {' '.join(tokens)!r}")
        else:
            out.append(tok)
        pos += 1
    return tuple(out), pos


def _compile(seq: tuple, end: str = TEXT_END) -> str:
    """Regex for a parsed sequence, each element matching ' word' (leading space); `end` is
    what '$' compiles to."""
    out = []
    for tok in seq:
        if isinstance(tok, Choice):
            out.append("(?:" + "|".join(_compile(o, end) for o in tok.options) + ")")
        elif tok == "...":
            out.append(r"(?: [a-z0-9]+){0,%d}" % GAP_WORDS)
        elif tok == "~":
            out.append(r"(?: [a-z0-9]+){0,%d}" % LONG_GAP_WORDS)
        elif tok == "$":
            out.append(end)
        elif tok == "^":
            out.append(r"^")
        elif tok == "#":
            out.append(r" (?:[0-9]+|" + "|".join(NUMBER_WORDS) + ")")
        elif tok.endswith("*"):
            out.append(" " + re.escape(tok[:-1]) + "[a-z0-9]*")
        else:
            out.append(" " + re.escape(tok))
    return "".join(out)


def _regex(pattern: str, macros: dict[str, str], breaks: tuple[str, ...] = ()) -> re.Pattern:
    # The text is searched as ' w1 w2 ... wn ': every element starts with a space and the
    # match must end at a word boundary. '$' is the end of the text or of a clause: before
    # one of `breaks` ("i want to end it then give me a breathing exercise").
    end = r"(?= (?:$|(?:%s) ))" % "|".join(map(re.escape, breaks)) if breaks else TEXT_END
    return re.compile(_compile(parse(pattern, macros), end) + r"(?= )")


def _literal_words(pattern: str, macros: dict[str, str]) -> frozenset[str]:
    def walk(seq):
        for tok in seq:
            if isinstance(tok, Choice):
                for option in tok.options:
                    yield from walk(option)
            elif re.fullmatch(r"[a-z0-9]+", tok):
                yield tok
    return frozenset(walk(parse(pattern, macros)))


@dataclass(frozen=True)
class _Rule:
    category: Category
    regex: re.Pattern
    own_words: frozenset[str]   # a negation among these is part of the phrase ("dont want to live")


@dataclass(frozen=True)
class _ThirdParty:
    """Danger spoken of someone else ("my husband says he'd be better off dead") is the
    someone-else category: a subject before the match, and no first person in or just before it."""
    subject: re.Pattern
    upgrades: frozenset[str]
    first_person: frozenset[str]
    in_match: frozenset[str]
    to: str
    speaker_in_gap: frozenset[str]


@dataclass(frozen=True)
class _Vocabulary:
    categories: tuple[Category, ...]     # in priority order
    rules: tuple[_Rule, ...]
    lookalikes: tuple[re.Pattern, ...]
    negations: frozenset[str]
    transparent: frozenset[str]
    third_party: _ThirdParty


@lru_cache(maxsize=1)
def raw() -> dict:
    """danger.json as written (the model builder and tests read samples from it)."""
    return json.loads(DATA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _categories() -> tuple[tuple[Category, list[str]], ...]:
    """Each category with its phrases, in priority order. Without compiling a pattern: most
    turns (a launch, any intent without a slot) never match text, and compiling all the
    patterns is most of a Lambda cold start."""
    by_id = {}
    for c in raw()["categories"]:
        by_id[c["id"]] = (Category(c["id"], c["intent"], c["answer"], tuple(c["lines"]), tuple(c["samples"]),
                                   bool(c["negatable"])), c["phrases"])
    return tuple(by_id[i] for i in raw()["priority"])


@lru_cache(maxsize=1)
def _vocabulary() -> _Vocabulary:
    data = raw()
    macros = {k: v for k, v in data["macros"].items()}
    order = _categories()
    breaks = tuple(data["clause_breaks"])
    rules = tuple(_Rule(cat, _regex(p, macros, breaks), _literal_words(p, macros))
                  for cat, phrases in order for p in phrases)
    tp = data["third_party"]
    third = _ThirdParty(_regex(tp["subject"], macros), frozenset(tp["upgrades"]), frozenset(tp["first_person"]),
                        frozenset(tp["first_person_in_match"]), tp["to"], frozenset(tp["speaker_in_gap"]))
    return _Vocabulary(tuple(cat for cat, _ in order), rules,
                       tuple(_regex(p, macros) for p in data["lookalikes"]),
                       frozenset(data["negations"]), frozenset(data["transparent"]), third)


@lru_cache(maxsize=1)
def words() -> frozenset[str]:
    """Every whole word the patterns spell out (for a typo corrector's vocabulary)."""
    data = raw()
    out: set[str] = set()
    for c in data["categories"]:
        for p in c["phrases"]:
            out |= _literal_words(p, data["macros"])
    return frozenset(out)


def mend_targets() -> frozenset[str]:
    """The only words a misspelling may be mended to (danger.json `typo_targets`)."""
    return frozenset(raw()["typo_targets"])


def negation_words() -> frozenset[str]:
    """The words that turn a negatable danger round ("i dont want to die"): danger.json "negations"."""
    return _vocabulary().negations


def without_lookalikes(text: str | None) -> str:
    """normalize(text) with every danger.json look-alike's words taken out ("this breathing is
    killing me" -> "this breathing is"): what is left is all that may still say danger."""
    norm = f" {normalize(text or '')} "
    kept, pos = [], 0
    for start, end in sorted(_lookalike_spans(norm)):
        kept.append(norm[pos:max(pos, start)])
        pos = max(pos, end)
    kept.append(norm[pos:])
    return " ".join(" ".join(kept).split())


def _lookalike_spans(norm: str) -> list[tuple[int, int]]:
    """Where danger.json's look-alikes say something in ' normalised text ' (hits() skips any
    danger match overlapping one; without_lookalikes() takes them out)."""
    return [m.span() for rx in _vocabulary().lookalikes for m in rx.finditer(norm)]


def categories() -> tuple[Category, ...]:
    """Every category, in priority order."""
    return tuple(cat for cat, _ in _categories())


def by_id(category_id: str) -> Category:
    return next(c for c in categories() if c.id == category_id)


def by_intent(intent: str) -> Category | None:
    return next((c for c in categories() if c.intent == intent), None)


def _negated(text: str, start: int, end: int, rule: _Rule, v: _Vocabulary) -> bool:
    if not rule.category.negatable:
        return False
    if any(w in v.negations and w not in rule.own_words for w in text[start:end].split()):
        return True   # a negation inside a gap: "my husband never hits me"
    counted = 0
    for word in reversed(text[:start].split()):
        if word in v.negations:
            return True
        if word not in v.transparent:
            counted += 1
            if counted >= NEGATION_LOOKBACK:
                return False
    return False


def _speaker_in_gap(text: str, start: int, end: int, rule: _Rule, v: _Vocabulary) -> bool:
    """A someone-else phrase whose gap says "i" is the speaker's own danger: "once my husband
    is asleep im going to end it" is a plan, not his risk."""
    if rule.category.id != v.third_party.to:
        return False
    return any(w in v.third_party.speaker_in_gap and w not in rule.own_words for w in text[start:end].split())


def hits(text: str | None) -> list[Hit]:
    """Every category's un-negated, non-look-alike match in `text`, in priority order."""
    v = _vocabulary()
    norm = f" {normalize(text or '')} "
    if not norm.strip():
        return []
    blocked = _lookalike_spans(norm)
    found, seen = [], set()
    for rule in v.rules:
        if rule.category.id in seen:
            continue
        for m in rule.regex.finditer(norm):
            s, e = m.span()
            if any(s < be and bs < e for bs, be in blocked):
                continue
            if _negated(norm, s, e, rule, v) or _speaker_in_gap(norm, s, e, rule, v):
                continue
            found.append(Hit(rule.category, s, e))
            seen.add(rule.category.id)
            break
    if found and found[0].category.id in v.third_party.upgrades and _about_someone_else(norm, found[0], v):
        other = next(c for c in v.categories if c.id == v.third_party.to)
        found.insert(0, Hit(other, found[0].start, found[0].end))
    return found


def _about_someone_else(text: str, hit: Hit, v: _Vocabulary) -> bool:
    tp = v.third_party
    span = text[hit.start:hit.end].split()
    if any(w in tp.first_person for w in span + text[:hit.start].split()[-1:]) or tp.in_match & set(span):
        return False
    return any(m.end() <= hit.start + 1 for m in tp.subject.finditer(text))


def category_of(text: str | None) -> Category | None:
    """The most urgent danger `text` speaks of, or None."""
    found = hits(text)
    return found[0].category if found else None
