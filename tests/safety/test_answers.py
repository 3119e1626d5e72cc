"""Each danger category's answer through the real webhook (Flask test client, request
envelopes) in every locale: the right numbers in the right order, digit by digit; the practice
stopped and none offered; then what "yes", "no", "I don't know", silence and "stop" do."""
import re

import pytest

from skill import danger, helplines, ssml
from skill.handlers import safety_check
from skill.tools import envelopes
from support.spoken import numbers

LOCALES = ("en-US", "en-GB", "en-AU", "en-CA", "en-IN")
CATEGORIES = [c.id for c in danger.categories()]
EMERGENCY_FIRST = {"plan-or-means", "harm-done", "medical", "someone-else"}
CRISIS_FIRST = {"medical": "crisis_call", "harm-done": "crisis_call", "panic": "crisis_easing"}   # else crisis_safe


class Person:
    def __init__(self, app, locale):
        self.client, self.locale = app.test_client(), locale
        self.session = envelopes.new_session(locale)

    def send(self, envelope):
        res = self.client.post("/alexa", json=envelope)
        assert res.status_code == 200, res.get_data(as_text=True)
        body = res.get_json()
        self.session.attributes = body.get("sessionAttributes") or {}
        return body

    def intent(self, name, **slots):
        return self.send(envelopes.intent_request(name, slots, self.locale, session=self.session))


def expected(category: str, locale: str) -> list[str]:
    return [" ".join(e["number"]) for _, e in helplines.lines_for(danger.by_id(category).lines, locale) if "number" in e]


def speech(body):
    return body["response"]["outputSpeech"]["ssml"]


def reprompt(body):
    return (body["response"].get("reprompt") or {}).get("outputSpeech", {}).get("ssml", "")


def is_open(body):
    return body["response"].get("shouldEndSession") is False


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("category", CATEGORIES)
def test_the_answer_stops_the_practice_and_gives_its_numbers_in_order(app, category, locale):
    person = Person(app, locale)
    person.intent("BreathingIntent")
    assert "practice" in person.session.attributes
    body = person.intent(danger.by_id(category).intent)
    doc = speech(body)
    assert ssml.check(doc, locale) == []
    assert "practice" not in person.session.attributes and "rating" not in person.session.attributes
    said, want = numbers(doc), expected(category, locale)
    first_heard = []
    for n in said:
        if n in want and n not in first_heard:
            first_heard.append(n)
    assert first_heard == want, (said, want)                              # every line, in the category's order
    if category in EMERGENCY_FIRST:
        assert said[0] == " ".join(helplines.for_locale(locale)["emergency"]["number"])
    card = body["response"]["card"]["content"]
    if category in safety_check.CARD_EMERGENCY_ONLY:   # a shared app must not show a violence line
        assert want[0] in card and not any(n in card for n in want[1:])
    else:
        assert all(n in card for n in want)
    assert is_open(body) and ssml.plain_text(doc).rstrip().endswith("?")
    assert all(n in numbers(reprompt(body)) for n in want[:1])           # silence: the numbers again
    asked = person.session.attributes["asked"]      # a crisis question, with its category: no practice offered
    assert asked == {"q": CRISIS_FIRST.get(category, "crisis_safe"), "cat": category}
    if category in ("medical", "harm-done"):                                # not "safe?": they are not
        assert "safe right now" not in ssml.plain_text(doc) and ssml.plain_text(doc).rstrip().endswith(
            "or is someone with you who can?")
    assert "rating" not in ssml.plain_text(doc).lower()


@pytest.mark.parametrize("locale", LOCALES)
def test_abuse_gets_the_violence_line_not_the_suicide_line(app, locale):
    doc = speech(Person(app, locale).intent("CrisisAbuseIntent"))
    crisis = " ".join(helplines.for_locale(locale)["crisis"]["number"])
    assert crisis not in numbers(doc)
    violence = helplines.for_locale(locale)["violence"]
    assert (" ".join(violence["number"]) in numbers(doc)) if "number" in violence else "shelter safe" in doc


@pytest.mark.parametrize("locale", LOCALES)
def test_abuse_says_how_to_call_silently_right_after_the_emergency_number_where_police_take_it(app, locale):
    doc = speech(Person(app, locale).intent("CrisisAbuseIntent"))
    emergency = helplines.for_locale(locale)["emergency"]
    said = numbers(doc)
    silent = emergency.get("silent")
    if silent is None:     # no silent-call advice where it is not known to work
        assert "safe to speak" not in ssml.plain_text(doc)
        return
    first = " ".join(emergency["number"])
    code = " ".join(silent["number"])
    assert said[0] == first and code in said
    violence = " ".join(helplines.for_locale(locale)["violence"]["number"])
    assert said.index(code) < said.index(violence)    # before the helplines, after the emergency number
    assert "safe to speak" in ssml.plain_text(doc)


@pytest.mark.parametrize("locale", LOCALES)
def test_medical_never_gets_a_breathing_exercise(app, locale):
    person = Person(app, locale)
    body = person.intent("CrisisMedicalIntent")
    assert "breath" not in ssml.plain_text(speech(body)).lower()
    for answer in ("BreathingIntent", "GroundingIntent", "BreathingIntent"):
        body = person.intent(answer)
        assert "practice" not in person.session.attributes, answer
        assert "breath" not in ssml.plain_text(speech(body)).lower(), answer
        assert numbers(speech(body))[0] == " ".join(helplines.for_locale(locale)["emergency"]["number"])
        assert is_open(body)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_and_i_dont_know_repeat_the_numbers_and_offer_to_stay(app, locale):
    for unsure in ("AMAZON.NoIntent", "AMAZON.FallbackIntent"):
        person = Person(app, locale)
        person.intent("CrisisIntent")
        body = person.intent(unsure)
        doc = speech(body)
        assert numbers(doc)[0] == " ".join(helplines.for_locale(locale)["emergency"]["number"])
        assert all(n in numbers(doc) for n in expected("suicidal-thoughts", locale))
        assert is_open(body) and "grounding" in ssml.plain_text(doc)
        body = person.intent("AMAZON.YesIntent")                       # stay: a grounding exercise
        from skill import catalogue
        assert body["response"]["card"]["title"] == catalogue.get("grounding").title and is_open(body)


@pytest.mark.parametrize("locale", LOCALES)
def test_yes_is_glad_and_offers_to_stay_and_no_never_ends_abruptly(app, locale):
    person = Person(app, locale)
    person.intent("CrisisSelfHarmIntent")
    body = person.intent("AMAZON.YesIntent")
    assert is_open(body) and "glad" in ssml.plain_text(speech(body))
    for _ in range(4):                        # no, no, no, ...: always open, the numbers come back
        body = person.intent("AMAZON.NoIntent")
        assert is_open(body)
    assert any(numbers(speech(person.intent("AMAZON.NoIntent"))) for _ in range(2))


@pytest.mark.parametrize("locale", LOCALES)
def test_the_session_closes_kindly_only_when_they_say_so(app, locale):
    for close in (["AMAZON.StopIntent"], ["AMAZON.NoIntent", "AMAZON.NoIntent", "AMAZON.YesIntent"]):
        person = Person(app, locale)
        person.intent("CrisisPlanIntent")
        for name in close:
            body = person.intent(name)
        assert body["response"]["shouldEndSession"] is True
        text = ssml.plain_text(speech(body))
        assert "You matter" in text and "take care" not in text.lower()
        card = body["response"]["card"]["content"]
        assert " ".join(helplines.for_locale(locale)["emergency"]["number"]) in card


def test_silence_after_the_reprompt_ends_without_an_error(app):
    person = Person(app, "en-US")
    person.intent("CrisisIntent")
    body = person.send(envelopes.session_ended_request("EXCEEDED_MAX_REPROMPTS", "en-US", session=person.session))
    assert "outputSpeech" not in body["response"] or body["response"]["outputSpeech"] is None


@pytest.mark.parametrize("value, category", [("suicidal", "suicidal-thoughts"), ("like ending it all", "suicidal-thoughts"),
                                             ("scared of my husband", "abuse")])
def test_danger_words_inside_a_slot_get_that_categorys_answer(app, value, category):
    body = Person(app, "en-US").intent("CheckInIntent", feeling=value)
    assert numbers(speech(body))[:1] == expected(category, "en-US")[:1]


@pytest.mark.parametrize("locale", LOCALES)
def test_a_first_time_listeners_first_words_include_urgent_help(app, locale):
    emergency = " ".join(helplines.for_locale(locale)["emergency"]["number"])
    first = Person(app, locale)
    assert emergency in numbers(speech(first.send(envelopes.launch_request(locale, session=first.session))))
    one_shot = Person(app, locale)                      # "ask compassion coach for breathing"
    body = one_shot.intent("CheckInIntent", feeling="hopeless")
    assert numbers(speech(body))[:1] == [emergency]


# ---------------------------------------------------------------- the questions after the answer

LONG_BREAK = re.compile(r'<break time="(\d+)ms"/>')
STEADYING_PAUSE_MIN_S = 8     # each grounding step of the panic steadying leaves this long, at least


def text(body):
    return ssml.plain_text(speech(body))


def emergency(locale):
    return " ".join(helplines.for_locale(locale)["emergency"]["number"])


def long_pauses(doc: str) -> int:
    return sum(int(ms) >= STEADYING_PAUSE_MIN_S * 1000 for ms in LONG_BREAK.findall(doc))


@pytest.mark.parametrize("locale", LOCALES)
def test_panic_not_easing_gets_a_second_round_before_the_emergency_number(app, locale):
    person = Person(app, locale)
    first = person.intent("CrisisPanicIntent")
    assert "chest pain" in text(first) and numbers(speech(first))[0] == emergency(locale)
    assert long_pauses(speech(first)) >= 5 and text(first).rstrip().endswith("Is it easing a little?")
    second = person.intent("AMAZON.NoIntent")
    assert person.session.attributes["asked"] == {"q": "crisis_easing_again", "cat": "panic"} and is_open(second)
    assert "Please call" not in text(second) and "chest pain" in text(second)     # call only if chest pain
    assert long_pauses(speech(second)) >= 5 and "practice" not in person.session.attributes
    third = person.intent("AMAZON.NoIntent")                                      # still not easing
    assert numbers(speech(third))[0] == emergency(locale) and "Please call" in text(third) and is_open(third)
    assert person.session.attributes["asked"]["q"] == "crisis_grounding"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("intent", ["CrisisMedicalIntent", "CrisisHarmDoneIntent"])
def test_medical_and_harm_done_are_asked_whether_they_can_call(app, intent, locale):
    asking = re.compile(rf"Can you call {re.escape(emergency(locale))} now.*, or is someone with you who can\?$")
    person = Person(app, locale)
    body = person.intent(intent)
    assert asking.search(text(body).rstrip()) and "safe right now" not in text(body)
    yes = person.intent("AMAZON.YesIntent")                      # brief and kind; no practice
    assert "Stay on the line" in text(yes) and "unlock your door" in text(yes)
    assert "grounding" not in text(yes) and "practice" not in person.session.attributes
    # then quiet: a reprompt must not speak over their call; the number stays on the card
    assert not is_open(yes) and emergency(locale) in yes["response"]["card"]["content"]
    assert emergency(locale) in numbers(speech(yes))
    for unsure in ("AMAZON.NoIntent", "AMAZON.FallbackIntent"):  # the number again, slowly; asked again
        person = Person(app, locale)
        person.intent(intent)
        body = person.intent(unsure)
        assert numbers(speech(body)).count(emergency(locale)) >= 2 and 'rate="slow"' in speech(body)
        assert asking.search(text(body).rstrip()) and is_open(body)
        assert person.session.attributes["asked"] == {"q": "crisis_call", "cat": danger.by_intent(intent).id}


ANSWERS = ("AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.FallbackIntent")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("category", CATEGORIES)
def test_every_question_after_the_answer_is_said_well_and_never_ends_on_its_own(app, category, locale):
    """Every crisis question this category reaches by yes, no and 'I don't know': valid SSML,
    the emergency number on the card and in the reprompt, open, a practice only where allowed."""
    person = Person(app, locale)
    frontier, seen = [(None, None, person.intent(danger.by_id(category).intent))], set()
    while frontier:
        before, answer, body = frontier.pop()
        asked = body["sessionAttributes"].get("asked") or {}
        if not is_open(body):       # only a yes to stopping ends, or a yes to "can you call?"
            assert (before, answer) in {("crisis_stop", "AMAZON.YesIntent"), ("crisis_call", "AMAZON.YesIntent")}
            assert "You matter" in text(body) or "quiet now" in text(body), text(body)
            assert emergency(locale) in body["response"]["card"]["content"]
            continue
        if "practice" in body["sessionAttributes"]:                   # the grounding practice began
            assert category not in ("medical", "harm-done") and before == "crisis_grounding", (category, before)
            continue
        assert ssml.check(speech(body), locale) == [], asked
        assert asked.get("cat") == category and asked["q"].startswith("crisis_"), asked
        assert emergency(locale) in numbers(reprompt(body)) and emergency(locale) in body["response"]["card"]["content"]
        if asked["q"] in seen:
            continue
        seen.add(asked["q"])
        for answer in ANSWERS:
            person.session.attributes = dict(body["sessionAttributes"])
            frontier.append((asked["q"], answer, person.intent(answer)))
    assert ("crisis_stop" in seen) is (category not in ("medical", "harm-done")), seen
    assert ("crisis_grounding" in seen) is (category not in ("medical", "harm-done")), seen
    if category == "panic":
        assert {"crisis_easing", "crisis_easing_again"} <= seen



def _grounding_after(person, intent):
    person.intent(intent)
    person.intent("AMAZON.YesIntent")                       # safe: grounding offered
    body = person.intent("AMAZON.YesIntent")                # grounding starts
    assert "practice" in person.session.attributes and is_open(body)


@pytest.mark.parametrize("locale", LOCALES)
def test_stop_during_the_grounding_after_abuse_never_reads_a_violence_line_aloud(app, locale):
    person = Person(app, locale)
    _grounding_after(person, "CrisisAbuseIntent")
    body = person.intent("AMAZON.StopIntent")
    said = numbers(speech(body))
    help = helplines.for_locale(locale)
    assert not is_open(body) and said[0] == " ".join(help["emergency"]["number"])
    violence = help["violence"]
    assert "number" not in violence or " ".join(violence["number"]) not in said
    assert "shelter" not in ssml.plain_text(speech(body)).lower()
    card = body["response"]["card"]["content"]
    assert all(n not in card for n in expected("abuse", locale)[1:])


@pytest.mark.parametrize("locale", LOCALES)
def test_pause_during_the_grounding_after_a_crisis_answer_says_the_numbers_and_keeps_no_place(app, locale):
    person = Person(app, locale)
    _grounding_after(person, "CrisisIntent")
    body = person.intent("AMAZON.PauseIntent")
    assert not is_open(body)
    assert all(n in numbers(speech(body)) for n in expected("suicidal-thoughts", locale))
    person.session = envelopes.new_session(locale)       # next time: no paused grounding offered
    person.send(envelopes.launch_request(locale, session=person.session))
    assert person.session.attributes["asked"]["q"] != "resume"


def test_a_practice_that_ends_a_crisis_session_by_itself_leaves_the_help_card(app):
    person = Person(app, "en-US")
    _grounding_after(person, "CrisisIntent")
    person.intent("AMAZON.YesIntent")                       # another practice? yes: the menu
    body = person.intent("SleepBodyScanIntent")             # the bedtime scan ends quietly
    for _ in range(20):
        if not is_open(body):
            break
        body = person.intent("AMAZON.NextIntent")
    card = body["response"]["card"]["content"]
    assert all(n in card for n in expected("suicidal-thoughts", "en-US"))


@pytest.mark.parametrize("locale", LOCALES)
def test_words_not_understood_are_answered_with_how_to_get_urgent_help(app, locale):
    """A danger no sample foresaw reaches the skill as the fallback (the held-out sets measure
    how often): every "not sure" says the emergency number and the crisis line."""
    person = Person(app, locale)
    person.send(envelopes.launch_request(locale, session=person.session))
    body = person.intent("AMAZON.FallbackIntent")
    help = helplines.for_locale(locale)
    said = numbers(speech(body))
    assert " ".join(help["emergency"]["number"]) in said and " ".join(help["crisis"]["number"]) in said
    assert is_open(body)


@pytest.mark.parametrize("locale", LOCALES)
def test_first_words_not_understood_say_the_urgent_help_once(app, locale):
    """A new listener's first words, not understood: the disclaimer says how to get urgent
    help, so the fallback's own note is not said again straight after it."""
    person = Person(app, locale)
    person.session.new = False
    body = person.intent("AMAZON.FallbackIntent")
    help = helplines.for_locale(locale)
    said = numbers(speech(body))
    for kind in ("emergency", "crisis"):
        assert said.count(" ".join(help[kind]["number"])) == 1, (kind, said)
    assert "not a therapist" in speech(body)


@pytest.mark.parametrize("locale", LOCALES)
def test_everyday_words_that_sound_like_danger_hear_the_urgent_help(app, locale):
    """Alexa puts "my back is killing me" in EverydayIntent, and now and then danger said in
    everyday words ("I sliced my hand and it's pouring blood") too: the numbers are said there."""
    person = Person(app, locale)
    person.send(envelopes.launch_request(locale, session=person.session))
    body = person.intent("EverydayIntent")
    help, said = helplines.for_locale(locale), numbers(speech(body))
    assert " ".join(help["emergency"]["number"]) in said and " ".join(help["crisis"]["number"]) in said
    assert is_open(body)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_feeling_not_understood_hears_the_urgent_help_and_no_feeling_does_not(app, locale):
    """Alexa puts "I feel like nothing matters any more" in CheckInIntent with a feeling it
    cannot resolve: words not understood, so the numbers are said with the question again;
    a check-in with no feeling yet ("can we check in") is only asked how they feel."""
    person = Person(app, locale)
    person.send(envelopes.launch_request(locale, session=person.session))
    help = helplines.for_locale(locale)
    body = person.intent("CheckInIntent", feeling="like nothing matters any more")
    said = numbers(speech(body))
    assert " ".join(help["emergency"]["number"]) in said and " ".join(help["crisis"]["number"]) in said
    assert is_open(body) and "anxious, stressed, low" in speech(body)
    body = person.intent("CheckInIntent")
    assert numbers(speech(body)) == [] and "anxious, stressed, low" in speech(body)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("said, feeling, heard", [
    ("hopeless", "low", ("emergency", "crisis")), ("can't cope", "overwhelmed", ("emergency", "crisis")),
    ("worthless", "self-critical", ("emergency", "crisis")),
    ("panicky", "anxious", ("emergency",)), ("stressed", "stressed", ())])
def test_a_check_in_says_the_help_lines_where_its_feeling_may_be_danger(app, locale, said, feeling, heard):
    """Alexa resolves "hopeless" and "numb" to low, "can't cope" to overwhelmed: said, they
    hear the emergency number and the crisis line after the suggestion; anxiety, which may be
    panic or feel like a heart attack, hears when to call the emergency number instead."""
    from skill.tools.utterances import SlotValue
    person = Person(app, locale)
    person.send(envelopes.launch_request(locale, session=person.session))
    value = SlotValue(said, feeling.upper().replace("-", "_"), feeling, "Feeling")
    body = person.intent("CheckInIntent", feeling=value)
    help = helplines.for_locale(locale)
    want = [" ".join(help[kind]["number"]) for kind in heard]
    if heard == ("emergency",) and "ambulance" in help["emergency"]:   # the body alarm says it too
        want.append(" ".join(help["emergency"]["ambulance"]))
    assert numbers(speech(body)) == want
    assert "might help" in speech(body) and is_open(body)
    if heard:
        assert speech(body).index("might help") < speech(body).index("<say-as")


@pytest.mark.parametrize("locale", LOCALES)
def test_breathing_asked_for_too_long_first_says_to_call_for_chest_pain(app, locale):
    """"My chest has hurt for thirty minutes", heard as thirty minutes of breathing (more than
    it guides): the question about the length says the emergency number first."""
    person = Person(app, locale)
    person.send(envelopes.launch_request(locale, session=person.session))
    body = person.intent("BreathingIntent", minutes="30")
    assert numbers(speech(body))[0] == " ".join(helplines.for_locale(locale)["emergency"]["number"])
    assert "practice" not in person.session.attributes and is_open(body)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_new_listeners_check_in_says_the_urgent_help_once(app, locale):
    """A first-time one-shot "tell compassion coach I feel hopeless": the disclaimer says how to
    get urgent help, so the check-in's own note is not said again straight after it."""
    from skill.tools.utterances import SlotValue
    person = Person(app, locale)
    body = person.intent("CheckInIntent", feeling=SlotValue("hopeless", "LOW", "low", "Feeling"))
    help = helplines.for_locale(locale)
    said = numbers(speech(body))
    for kind in ("emergency", "crisis"):
        assert said.count(" ".join(help[kind]["number"])) == 1, (kind, said)
    assert "not a therapist" in speech(body) and "might help" in speech(body)


def test_every_check_in_help_line_is_a_dialog():
    from skill import render
    from skill.handlers.checkin import SUGGESTIONS
    lines = {s["help"] for s in SUGGESTIONS.values() if "help" in s}
    assert lines == {"urgent_note", "body_alarm"} and lines <= set(render.dialog_names())
