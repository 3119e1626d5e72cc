"""Check-in routes (skill/data/checkin.json) through the real app: each feeling gets the
practice that fits it, low mood something gentle before any remembering, loneliness a
choice that needs no one to hand, and "can't sleep" the bedtime body scan, which ends
quietly with no rating."""
import json

import pytest

from skill import catalogue, ssml
from skill.helplines import DATA_DIR
from support.conversation import is_open, speech

ROUTES = {k: v for k, v in json.loads((DATA_DIR / "checkin.json").read_text()).items() if not k.startswith("_")}


def feel(listener, feeling: str, said: str | None = None) -> dict:
    """A check-in with `feeling` resolved as Alexa would, the words `said` (or the id) heard."""
    env = listener.envelope("checkin_anxious")
    slot = env["request"]["intent"]["slots"]["feeling"]
    slot["value"] = said or feeling
    for holder in (slot, slot["slotValue"]):
        holder["resolutions"]["resolutionsPerAuthority"][0]["values"][0]["value"] = {
            "name": feeling, "id": feeling.upper().replace("-", "_")}
    res = listener.client.post("/alexa", json=env)
    assert res.status_code == 200
    body = res.get_json()
    listener.attributes, listener.new = body.get("sessionAttributes") or {}, False
    if body["response"].get("shouldEndSession", True):
        listener.new_session()
    return body


def text(body) -> str:
    return ssml.plain_text(speech(body))


def test_every_route_names_a_practice():
    for feeling, route in ROUTES.items():
        for key in ("practice", "also"):
            assert catalogue.get(route[key]).kind == "practice", (feeling, key)


@pytest.mark.parametrize("feeling", sorted(ROUTES))
def test_each_feeling_is_offered_its_practice_then_starts_it(listener, feeling):
    body = feel(listener, feeling)
    title = catalogue.get(ROUTES[feeling]["practice"]).title
    assert f"{title} might help" in text(body) and is_open(body)
    listener.say("checkin_preference_off")   # no rating: "yes" starts the practice itself
    body = feel(listener, feeling)
    body = listener.say("yes")
    assert listener.attributes.get("practice", {}).get("id") == ROUTES[feeling]["practice"], text(body)[:200]


@pytest.mark.parametrize("feeling", sorted(ROUTES))
def test_no_to_the_suggestion_offers_the_second_choice_once(listener, feeling):
    """'also' is how soothing-senses and compassionate-self are reached from a check-in."""
    listener.say("checkin_preference_off")
    feel(listener, feeling)
    body = listener.say("no")
    also = catalogue.get(ROUTES[feeling]["also"]).title
    assert f"There's also {also.lower()}" in text(body) and listener.attributes["asked"]["q"] == "offer_also"
    listener.say("yes")
    assert listener.attributes.get("practice", {}).get("id") == ROUTES[feeling]["also"]
    feel(listener, feeling)
    listener.say("no")
    body = listener.say("no")
    assert listener.attributes["asked"]["q"] == "menu", "offered once, then the main choices"


def test_every_practice_a_feeling_fits_is_reachable_from_a_check_in():
    reached = {r[k] for r in ROUTES.values() for k in ("practice", "also")}
    for script_id in ("soothing-senses", "compassionate-self", "compassionate-other", "receiving-kindness",
                      "body-scan-sleep", "grounding", "breathing", "kind-friend", "loving-kindness"):
        assert script_id in reached, script_id


@pytest.mark.parametrize("said", ["low", "hopeless", "depressed", "down"])
def test_low_mood_gets_something_gentle_before_any_remembering(listener, said):
    body = feel(listener, "low", said)
    assert ROUTES["low"]["practice"] in ("breathing", "receiving-kindness")
    assert "memory" not in text(body).lower()


def test_lonely_is_not_sent_straight_to_wishes_for_someone_easy_to_love(listener):
    assert ROUTES["lonely"]["practice"] != "loving-kindness"
    body = feel(listener, "lonely", "alone")
    assert "Your compassionate image might help" in text(body)


def test_cant_sleep_gets_the_bedtime_body_scan_which_ends_quietly(listener):
    feel(listener, "sleepless", "can't sleep")
    body = listener.say("yes")     # the listener likes ratings (the default), but none comes
    assert listener.attributes["practice"]["id"] == "body-scan-sleep"
    assert "0 to 10" not in text(body)
    while listener.attributes.get("practice"):
        body = listener.say("continue")
    words = text(body)
    assert not is_open(body), "the session just ends"
    assert not words.rstrip().endswith("?") and "open your eyes" not in words
    assert "how strong" not in words.lower()


@pytest.mark.parametrize("feeling", sorted(f for f, r in ROUTES.items() if r["practice"] != "body-scan-sleep"))
@pytest.mark.parametrize("rating", ["9", "10"])
def test_a_nine_or_ten_before_grounds_first_then_offers_the_practice(listener, feeling, rating):
    """Grounding first, even before breathing (content.md 5.3); afterwards the practice
    chosen is offered, and starts on yes."""
    feel(listener, feeling)
    assert "from 0, not at all, to 10, the strongest it gets" in text(listener.say("yes"))
    body = listener.say("rating_seven", rating=rating)
    chosen = ROUTES[feeling]["practice"]
    if chosen == "grounding":
        assert listener.attributes["practice"]["id"] == "grounding" and "steady ourselves" not in text(body)
        return
    assert "steady ourselves first" in text(body) and listener.attributes["practice"]["id"] == "grounding"
    while listener.attributes.get("practice"):
        body = listener.say("continue")
    assert "from 0, not at all, to 10, the strongest it gets" in text(body).lower(), "the rating after, same anchors"
    body = listener.say("rating_seven", rating="6")
    assert listener.attributes["asked"]["q"] == "then"
    listener.say("yes")
    assert listener.attributes["practice"]["id"] == chosen


@pytest.mark.parametrize("done", ["breathing", "grounding"])
def test_a_rise_after_a_practice_offers_the_other_steadying_one_and_yes_starts_it(listener, done):
    feeling = next(f for f, r in ROUTES.items() if r["practice"] == done)
    feel(listener, feeling)
    listener.say("yes")
    listener.say("rating_seven", rating="5")
    while listener.attributes.get("practice"):
        body = listener.say("continue")
    body = listener.say("rating_seven", rating="6")
    other = "grounding" if done == "breathing" else "breathing"
    assert listener.attributes["asked"]["q"] == "steady" and catalogue.get(other).title.lower() in text(body)
    listener.say("yes")
    assert listener.attributes["practice"]["id"] == other
