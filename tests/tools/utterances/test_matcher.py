"""skill.tools.utterances.match: typed text -> intent + slots, as Alexa would resolve it."""
from __future__ import annotations

import pytest

from skill import danger
from skill.tools import interaction_model as im
from skill.tools.utterances import (FALLBACK_INTENT, SlotValue, is_launch, match, normalize, number_to_words,
                              parse_number, resolve_slot)

LOCALES = ["en-US", "en-GB", "en-AU", "en-CA", "en-IN"]

# (typed text, expected intent, expected slots as {slot: resolved id, or digits for numbers})
TABLE = [
    ("ask compassion coach for three minutes of breathing", "BreathingIntent", {"minutes": "3"}),
    ("Alexa, ask Compassion Coach for 3 minutes of breathing.", "BreathingIntent", {"minutes": "3"}),
    ("Three minutes of breathing please", "BreathingIntent", {"minutes": "3"}),
    ("twenty five minutes of breathing", "BreathingIntent", {"minutes": "25"}),
    ("a box breathing exercise", "BreathingIntent", {"pattern": "BOX"}),
    ("Square breathing!", "BreathingIntent", {"pattern": "BOX"}),
    ("4-7-8 breathing for 5 minutes", "BreathingIntent", {"pattern": "FOUR_SEVEN_EIGHT", "minutes": "5"}),
    ("four seven eight breathing", "BreathingIntent", {"pattern": "FOUR_SEVEN_EIGHT"}),
    ("can we do some calm breathing", "BreathingIntent", {"pattern": "SOOTHING"}),
    ("physiological sigh breathing", "BreathingIntent", {"pattern": "SIGH"}),
    ("cyclic sighing breathing for ten minutes", "BreathingIntent", {"pattern": "SIGH", "minutes": "10"}),
    ("breathng exercize", "BreathingIntent", {}),
    ("could you do a body scan for me", "BodyScanIntent", {}),
    ("take me to my safe place", "SafePlaceIntent", {}),
    ("remember a time when someone was kind to me", "ReceivingKindnessIntent", {}),
    ("imagine a compassionate friend please", "KindFriendIntent", {}),
    ("I'd like to do something kind for myself", "KindActionIntent", {}),
    ("5 4 3 2 1", "GroundingIntent", {}),
    ("ground me", "GroundingIntent", {}),
    ("loving-kindness meditation", "LovingKindnessIntent", {}),
    ("why does self-compassion help?", "WhySelfCompassionIntent", {}),
    ("why is self compassion helpful", "WhySelfCompassionIntent", {}),
    ("what are the six attributes of compassion", "CompassionAttributesIntent", {}),
    ("What can you do?", "SkillsOverviewIntent", {}),
    ("what practices are there", "SkillsOverviewIntent", {}),
    ("tell me more", "TellMeMoreIntent", {}),
    ("More about that, please.", "TellMeMoreIntent", {}),
    ("i feel really anxious", "CheckInIntent", {"feeling": "ANXIOUS"}),
    ("I'm feeling pretty worried", "CheckInIntent", {"feeling": "ANXIOUS"}),
    ("I can't sleep", "CheckInIntent", {"feeling": "SLEEPLESS"}),
    ("panicky", "CheckInIntent", {"feeling": "ANXIOUS"}),
    ("I hate myself", "CheckInIntent", {"feeling": "SELF_CRITICAL"}),
    ("i feel like a failure", "CheckInIntent", {"feeling": "SELF_CRITICAL"}),
    ("I'm so overwhelmed", "CheckInIntent", {"feeling": "OVERWHELMED"}),
    ("I'm feeling lonely tonight", "CheckInIntent", {"feeling": "LONELY"}),
    ("i feel anxous", "CheckInIntent", {"feeling": "ANXIOUS"}),
    ("seven", "RatingIntent", {"rating": "7"}),
    ("it's a seven", "RatingIntent", {"rating": "7"}),
    ("about 4 out of 10", "RatingIntent", {"rating": "4"}),
    ("4/10", "RatingIntent", {"rating": "4"}),
    ("I'd say a 6", "RatingIntent", {"rating": "6"}),
    ("continue", "ContinueIntent", {}),
    ("go on", "ContinueIntent", {}),
    ("keep going", "ContinueIntent", {}),
    ("I'm ready", "ContinueIntent", {}),
    ("speak more slowly", "SetSpeakingRateIntent", {"speed": "SLOWER"}),
    ("slow down", "SetSpeakingRateIntent", {}),
    ("talk normally", "SetSpeakingRateIntent", {"speed": "NORMAL"}),
    ("how am I doing?", "ProgressIntent", {}),
    ("how is my practice going", "ProgressIntent", {}),
    ("delete my data", "ForgetMeIntent", {}),
    ("Forget me.", "ForgetMeIntent", {}),
    ("stop asking me for a rating", "CheckInPreferenceIntent", {"toggle": "OFF"}),
    ("turn check-ins on", "CheckInPreferenceIntent", {"toggle": "ON"}),
    ("turn off check ins", "CheckInPreferenceIntent", {"toggle": "OFF"}),
    ("Don't ask me for a rating", "CheckInPreferenceIntent", {"toggle": "OFF"}),
    ("skip the ratings", "CheckInPreferenceIntent", {"toggle": "OFF"}),
    ("ask me for ratings again", "CheckInPreferenceIntent", {"toggle": "ON"}),
    ("next", "AMAZON.NextIntent", {}),
    ("say that again", "AMAZON.RepeatIntent", {}),
    ("start over", "AMAZON.StartOverIntent", {}),
    ("pause", "AMAZON.PauseIntent", {}),
    ("resume", "AMAZON.ResumeIntent", {}),
    ("stop", "AMAZON.StopIntent", {}),
    ("Cancel", "AMAZON.CancelIntent", {}),
    ("forget it", "AMAZON.CancelIntent", {}),
    ("help", "AMAZON.HelpIntent", {}),
    ("go home", "AMAZON.NavigateHomeIntent", {}),
    ("yes please", "AMAZON.YesIntent", {}),
    ("nope", "AMAZON.NoIntent", {}),
    ("I'm not ready yet", "AMAZON.NoIntent", {}),
    ("what's the weather like in Leeds", FALLBACK_INTENT, {}),
    ("play some music", FALLBACK_INTENT, {}),
    ("order me a pizza", FALLBACK_INTENT, {}),
]

# Regional wording that only some locales have.
LOCALE_TABLE = [
    ("en-GB", "practise breathing", "BreathingIntent", {}),
    ("en-US", "practice breathing", "BreathingIntent", {}),
    ("en-GB", "how am i getting along", "ProgressIntent", {}),
    ("en-GB", "I'm feeling gutted", "CheckInIntent", {"feeling": "LOW"}),
    ("en-IN", "I am very tensed", "CheckInIntent", {"feeling": "STRESSED"}),
    ("en-AU", "I'm cranky", "CheckInIntent", {"feeling": "ANGRY"}),
    ("en-GB", "a safe place visualisation", "SafePlaceIntent", {}),
    ("en-US", "a safe place visualization", "SafePlaceIntent", {}),
]

CRISIS_INTENTS = {c.intent for c in danger.categories()}

# Crisis statements, most of them NOT written like any sample (reworded, embedded, misspelt).
CRISIS_PHRASES = [
    "I want to die",
    "i really just want to die",
    "Sometimes I think I want to kill myself.",
    "i dont want to be here any more",
    "I keep thinking I should just end it all",
    "im thinking of ending everything",
    "I've been thinking about ending things",
    "everyone'd be better off if i was gone",
    "my kids would be better off without me",
    "I have been cutting myself again",
    "i hurt myself last night on purpose",
    "someone at home is hurting me",
    "I'm not feeling safe",
    "i feel suicidal tonight",
    "I feel hopeless and want to disappear",
    "there is no point in living anymore",
    "I took an overdose",
    "I'm anxious and I want to die",
    "i want to kill my self",
    "I'm having thoughts of suicde",
    "what's the point of living anymore",
    "life's not worth living",
]


# Near misses of crisis samples that are not crisis statements (negation, one word changed).
NOT_CRISIS = [
    "my partner is kind to me",
    "I feel safe now",
    "someone is helping me",
    "I hurt my back",
    "take me to my safe place",
    "I don't want to do breathing",
    "i'm not sure",
]


def _slots(m):
    return {k: (v.resolved_id or v.value) for k, v in m.slots.items()}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("text, intent, slots", TABLE, ids=[t[0] for t in TABLE])
def test_typed_phrases(text, intent, slots, locale):
    m = match(text, locale)
    assert m is not None
    assert (m.intent, _slots(m)) == (intent, slots), m


@pytest.mark.parametrize("locale, text, intent, slots", LOCALE_TABLE)
def test_regional_phrases(locale, text, intent, slots):
    m = match(text, locale)
    assert (m.intent, _slots(m)) == (intent, slots), m


def test_regional_synonyms_stay_in_their_locale():
    assert match("I'm feeling gutted", "en-US").slots["feeling"].resolved_id is None


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("text", CRISIS_PHRASES)
def test_crisis_phrasings_map_to_crisis(text, locale):
    assert match(text, locale).intent in CRISIS_INTENTS


# "someone is helping me" was the nearest-sample safety net's known false alarm (one word from
# "someone is hurting me"); EverydayIntent samples of people helping now sit nearer.
@pytest.mark.parametrize("text", NOT_CRISIS)
def test_near_misses_are_not_crisis(text):
    assert match(text, "en-US").intent not in CRISIS_INTENTS


def test_a_negation_keeps_a_phrase_away_from_its_positive_sample():
    assert match("i'm not ready", "en-US").intent == "AMAZON.NoIntent"
    assert match("i'm not sure", "en-US").intent == FALLBACK_INTENT   # not a feeling 'not sure'
    assert match("I don't want to do breathing", "en-US").intent != "BreathingIntent"


@pytest.mark.parametrize("locale", ["en-GB", "en-AU"])
def test_regional_crisis_phrasing(locale):
    assert match("I'm going to top myself tonight", locale).intent == "CrisisPlanIntent"


def _fill(sample: str, slots: dict[str, str], locale: str, value_index=0):
    """A sample with each {slot} replaced by a real value; and the expected resolved slots."""
    expected = {}

    def sub(m):
        stype = slots[m.group(1)]
        if stype == "AMAZON.NUMBER":
            expected[m.group(1)] = "3"
            return "three"
        values = im.slot_values(locale, stype)
        v = values[value_index % len(values)]
        expected[m.group(1)] = v["id"]
        return v["value"]
    return im.SLOT_REF.sub(sub, sample), expected


@pytest.mark.parametrize("locale", LOCALES)
def test_every_sample_matches_its_own_intent(locale):
    failures = []
    samples = im.sample_utterances(locale)
    for name, phrases in im.builtin_phrases(locale).items():
        samples[name] = samples[name] + phrases
    for intent, phrases in samples.items():
        slot_types = im.intent_slots(locale, intent)
        for i, sample in enumerate(phrases):
            text, expected = _fill(sample, slot_types, locale, value_index=i)
            m = match(text, locale)
            if m is None or m.intent != intent or _slots(m) != expected or m.score < 0.95:
                failures.append((text, intent, expected, m))
    assert failures == []


@pytest.mark.parametrize("locale", ["en-US", "en-GB"])
def test_every_slot_synonym_resolves_in_a_carrier_sample(locale):
    carriers = {"BreathingPattern": ("BreathingIntent", "a {pattern} breathing exercise", "pattern"),
                "Feeling": ("CheckInIntent", "i'm feeling {feeling}", "feeling"),
                "SpeakingRate": ("SetSpeakingRateIntent", "speak {speed}", "speed"),
                "Toggle": ("CheckInPreferenceIntent", "turn check ins {toggle}", "toggle")}
    for stype, (intent, carrier, slot) in carriers.items():
        for v in im.slot_values(locale, stype):
            for said in [v["value"]] + v["synonyms"]:
                m = match(carrier.replace("{" + slot + "}", said), locale)
                assert m.intent == intent and m.slots[slot].resolved_id == v["id"], (said, m)
                assert m.slots[slot].resolved_value == v["value"]


def test_unknown_feeling_in_a_carrier_is_sent_unresolved_like_alexa():
    m = match("i feel grumpy", "en-US")
    assert m.intent == "CheckInIntent"
    assert m.slots["feeling"] == SlotValue("grumpy", None, None, "Feeling")
    assert m.slots["feeling"].er_status == "ER_SUCCESS_NO_MATCH"
    assert match("i feel anxious", "en-US").slots["feeling"].er_status == "ER_SUCCESS_MATCH"
    assert match("three", "en-US").slots["rating"].er_status is None


def test_exact_matches_score_higher_than_fuzzy_ones():
    exact = match("tell me more", "en-US")
    fuzzy = match("what are the six attributes of compassion", "en-US")
    assert exact.score == 1.0
    assert 0.78 <= fuzzy.score < 1.0
    assert match("play some music", "en-US").score == 0.0


@pytest.mark.parametrize("text", ["", "   ", "Alexa, open compassion coach", "open Compassion Coach",
                                  "alexa launch compassion coach", "compassion coach"])
def test_launch_phrases_give_none(text):
    assert match(text, "en-US") is None
    if text.strip():
        assert is_launch(text)


def test_invocation_words_are_not_mistaken_for_content():
    assert not is_launch("tell me more")
    assert match("tell compassion coach to tell me more", "en-US").intent == "TellMeMoreIntent"
    assert match("ask compassion coach what can you do", "en-US").intent == "SkillsOverviewIntent"


def test_crisis_wins_over_politeness_and_other_readings():
    # 'please help' would otherwise read as AMAZON.HelpIntent; 'i feel ...' as CheckInIntent.
    assert match("I want to die, please help", "en-US").intent == "CrisisIntent"
    assert match("i feel like everyone would be better off without me", "en-US").intent == "CrisisIntent"


@pytest.mark.parametrize("words, n", [("zero", 0), ("seven", 7), ("ten", 10), ("twenty one", 21),
                                      ("a hundred and five", 105), ("one hundred twenty", 120),
                                      ("two thousand twenty six", 2026), ("12", 12)])
def test_parse_number(words, n):
    assert parse_number(words) == n
    if not words.isdigit() and "a " not in words and "and" not in words:
        assert number_to_words(n) == words


@pytest.mark.parametrize("words", ["four seven eight", "five four three two one", "seven three", "twenty ten",
                                   "hundred", "a", "minutes", "", "one two"])
def test_parse_number_rejects_non_numbers(words):
    assert parse_number(words) is None


def test_normalize():
    assert normalize("I’m  FEELING: anxious!!") == "im feeling anxious"
    assert normalize("4-7-8") == "four seven eight"
    assert normalize("about 4/10") == "about four out of ten"
    assert normalize("call 0800") == "call zero eight zero zero"


def test_resolve_slot():
    assert resolve_slot("BreathingPattern", "square") == SlotValue("square", "BOX", "box", "BreathingPattern")
    assert resolve_slot("AMAZON.NUMBER", "twelve").value == "12"
    assert resolve_slot("AMAZON.NUMBER", "lots") is None
    assert resolve_slot("Feeling", "zzz").resolved_id is None


def test_each_locale_is_compiled_once_however_many_matches(monkeypatch):
    # What keeps a match cheap (about 1 ms) is that a locale's samples are compiled into
    # patterns once; count the compilations rather than time the matches.
    from skill.tools import utterances
    compiled = []
    real_slot_re = utterances._slot_re
    monkeypatch.setattr(utterances, "_slot_re", lambda s: compiled.append(s) or real_slot_re(s))
    utterances._compile.cache_clear()
    match("warm up", "en-AU")
    first = len(compiled)
    for text in [t for t, _, _ in TABLE] + CRISIS_PHRASES:
        match(text, "en-AU")
    assert first > 100 and len(compiled) == first
    assert utterances._compile.cache_info().misses == 1
