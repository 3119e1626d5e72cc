"""Check-in: a feeling gets a short reflection and a practice that fits; an optional 0 to 10
rating before and after, reflected back without judging the change."""
from __future__ import annotations

import json

from skill import catalogue, state
from skill.helplines import DATA_DIR
from skill.handlers import on_intent, practice
from skill.handlers.slots import number, raw, resolved_id
from skill.respond import choices, dialog, reply

SUGGESTIONS = {k: v for k, v in json.loads((DATA_DIR / "checkin.json").read_text(encoding="utf-8")).items()
               if not k.startswith("_")}
RATING_MIN, RATING_MAX = 0, 10


@on_intent("CheckInIntent")
def check_in(hi):
    feeling = resolved_id(hi, "feeling")
    if feeling not in SUGGESTIONS:
        ask = dialog(hi, "checkin_unclear")
        return reply(hi, ask, reprompt=ask)
    script_id = SUGGESTIONS[feeling]["practice"]
    state.session(hi).pop("rating", None)
    state.set_pending(hi, yes={"do": "checkin_start", "id": script_id, "feeling": feeling}, no={"do": "choices"})
    return reply(hi, dialog(hi, "checkin_reflect", feeling=feeling, title=catalogue.get(script_id).title),
                 reprompt=dialog(hi, "choices_reprompt"))


def begin_after_checkin(hi, script_id: str, feeling: str | None):
    """Yes to a suggested practice: ask the rating first if the listener likes that."""
    if state.wants_rating(hi) and not catalogue.get(script_id).for_sleep:
        state.session(hi)["rating"] = {"stage": "before", "id": script_id, "feeling": feeling}
        return reply(hi, dialog(hi, "rating_before"), reprompt=dialog(hi, "rating_reprompt"))
    return practice.start(hi, script_id, _params(script_id))


def _params(script_id: str) -> dict:
    return catalogue.get(script_id).resolve()


def skip_rating(hi):
    """'skip', 'no' or anything unclear while a rating is asked: go on without one."""
    r = state.session(hi).pop("rating", None) or {}
    if r.get("stage") == "before":
        return practice.start(hi, r["id"], _params(r["id"]))
    state.set_pending(hi, yes={"do": "choices"}, no={"do": "goodbye"})
    return reply(hi, dialog(hi, "practice_end"), reprompt=dialog(hi, "practice_end_reprompt"))


@on_intent("RatingIntent")
def rating(hi):
    r = state.session(hi).get("rating")
    value = number(hi, "rating")
    if not r:
        return choices(hi)
    if value is None or not RATING_MIN <= value <= RATING_MAX:
        if raw(hi, "rating") is None and r.get("stage") == "before":
            return skip_rating(hi)
        ask = dialog(hi, "rating_unclear")
        return reply(hi, ask, reprompt=dialog(hi, "rating_reprompt"))
    value = int(round(value))
    if r["stage"] == "started":
        # A number said while the practice is under way: the rating after comes at its end.
        return reply(hi, dialog(hi, "continue_prompt"), reprompt=dialog(hi, "continue_reprompt"))
    if r["stage"] == "before":
        state.session(hi)["rating"] = {"stage": "started", "before": value}
        return practice.start(hi, r["id"], _params(r["id"]))
    state.session(hi).pop("rating", None)
    state.rate_after(hi, r.get("entry"), value)
    state.set_pending(hi, yes={"do": "choices"}, no={"do": "goodbye"})
    return reply(hi, dialog(hi, "rating_thanks", before=r["before"], after=value),
                 reprompt=dialog(hi, "practice_end_reprompt"))


HANDLERS = [check_in, rating]
