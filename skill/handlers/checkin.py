"""Check-in: a feeling gets a short reflection and a practice that fits (a no hears its
second choice, once); an optional 0 to 10 rating before and after, reflected back without
judging the change.

A rating of 9 or 10 before a practice brings a steadying practice first; a rise after one
offers a steadying practice. Ratings stay in the session unless the listener asked for
them to be remembered ("remember my ratings")."""
from __future__ import annotations

import json

from skill import catalogue, helplines, state
from skill.handlers import on_intent, practice
from skill.handlers.slots import raw, resolved_id
from skill.locations import DATA_DIR
from skill.respond import ask, choices, dialog, help_dialog

SUGGESTIONS = {k: v for k, v in json.loads((DATA_DIR / "checkin.json").read_text(encoding="utf-8")).items()
               if not k.startswith("_")}
RATING_MIN, RATING_MAX = 0, 10
STEADY_FIRST_AT = 9                     # a rating this strong before a practice: steady first
# The practices that steady, in order of preference. At 9 or 10 grounding comes first even
# before breathing: eyes open, nothing to control, and a breath focus can make intense
# anxiety or panic worse (content.md 5.3 "offer grounding first"; 2.4, 2.6; Gilbert 1.3).
STEADYING = ("grounding", "breathing")


def in_range(value) -> bool:
    return value is not None and RATING_MIN <= value <= RATING_MAX


def steadying_for(done: str | None) -> str:
    """The steadying practice to offer after `done` (never the one just done)."""
    return next(s for s in STEADYING if s != done)


@on_intent("CheckInIntent")
def check_in(hi):
    feeling = resolved_id(hi, "feeling")
    if feeling not in SUGGESTIONS:
        if raw(hi, "feeling") is None:
            return ask(hi, "feeling", dialog(hi, "checkin_unclear"))
        # a feeling said but not understood may be danger no sample foresaw ("like nothing
        # matters"): how to get urgent help comes too, as with any words not understood
        return ask(hi, "feeling", dialog(hi, "checkin_thanks"), help_dialog(hi, "urgent_note"),
                   dialog(hi, "checkin_unclear"))
    script_id = SUGGESTIONS[feeling]["practice"]
    state.session(hi).pop("rating", None)
    help_line = SUGGESTIONS[feeling].get("help", "")
    lines = {"help": helplines.for_locale(state.locale(hi))} if help_line else {}   # else kept rendered
    reflect = dialog(hi, "checkin_reflect", feeling=feeling, title=catalogue.get(script_id).title,
                     help_line=help_line, **lines)
    return ask(hi, "offer", reflect, id=script_id, feeling=feeling)


def offer_also(hi, feeling: str | None):
    """No to the suggestion: the feeling's second choice, offered once (then the menu)."""
    also = (SUGGESTIONS.get(feeling) or {}).get("also") if isinstance(feeling, str) else None
    if not catalogue.known(also):
        return choices(hi, dialog(hi, "okay"))
    return ask(hi, "offer_also", id=also, feeling=feeling)


def begin_after_checkin(hi, script_id: str, feeling: str | None):
    """Yes to a suggested practice: ask the rating first if the listener likes that."""
    if state.wants_rating(hi) and not catalogue.get(script_id).for_sleep:
        state.session(hi)["rating"] = {"stage": "before", "id": script_id, "feeling": feeling}
        return ask(hi, "rating_before")
    return practice.start_usual(hi, script_id)


def rate_before(hi, value: float):
    r = state.session(hi).get("rating") or {}
    if not catalogue.known(r.get("id")):
        return choices(hi)
    value = int(round(value))
    chosen, steady = r["id"], steadying_for(None)
    if value >= STEADY_FIRST_AT and chosen != steady:
        state.session(hi)["rating"] = {"stage": "started", "before": value, "then": chosen}
        first = dialog(hi, "steady_first", title=catalogue.get(steady).title, then=catalogue.get(chosen).title)
        return practice.start_usual(hi, steady, first)
    state.session(hi)["rating"] = {"stage": "started", "before": value}
    return practice.start_usual(hi, chosen)


def rate_after(hi, value: float):
    r = state.session(hi).pop("rating", None) or {}
    if not isinstance(r.get("before"), int):
        return choices(hi)
    after = int(round(value))
    state.rate_after(hi, r.get("entry"), after)
    thanks = dialog(hi, "rating_thanks", before=r["before"], after=after,
                    remembered="yes" if state.remembers_ratings(hi) else "no")
    if after > r["before"] or after >= STEADY_FIRST_AT:
        return ask(hi, "steady", thanks, id=steadying_for(r.get("id")))
    if catalogue.known(r.get("then")):
        return ask(hi, "then", thanks, id=r["then"])
    return ask(hi, "practice_end", thanks)


def skip_rating(hi):
    """'skip' or 'no' while a rating is asked: go on without one."""
    r = state.session(hi).pop("rating", None) or {}
    if r.get("stage") == "before" and catalogue.known(r.get("id")):
        return practice.start_usual(hi, r["id"])
    if catalogue.known(r.get("then")):
        return ask(hi, "then", id=r["then"])
    return ask(hi, "practice_end")


@on_intent("RatingIntent")
def rating(hi):
    """A number when no rating was asked (answers to questions never reach here)."""
    return choices(hi, dialog(hi, "fallback"))


HANDLERS = [check_in, rating]
