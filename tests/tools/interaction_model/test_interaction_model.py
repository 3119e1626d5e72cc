"""The generated ASK project: in sync with its source, valid, the same intents everywhere."""
from __future__ import annotations

import copy
import json
import shutil

import pytest

from skill.tools import interaction_model as im

LOCALES = ["en-US", "en-GB", "en-AU", "en-CA", "en-IN"]

# The public contract with the request handlers (written elsewhere): exactly these names.
CUSTOM_INTENTS = {
    "BreathingIntent", "BodyScanIntent", "SafePlaceIntent", "KindMemoryIntent", "KindFriendIntent",
    "KindActionIntent", "GroundingIntent", "LovingKindnessIntent", "WhySelfCompassionIntent",
    "CompassionAttributesIntent", "SkillsOverviewIntent", "TellMeMoreIntent", "CheckInIntent",
    "RatingIntent", "CrisisIntent", "CrisisPlanIntent", "CrisisHarmDoneIntent", "CrisisSelfHarmIntent",
    "CrisisAbuseIntent", "CrisisSomeoneElseIntent", "CrisisMedicalIntent", "CrisisPanicIntent", "ContinueIntent", "SetSpeakingRateIntent", "ProgressIntent",
    "ForgetMeIntent", "CheckInPreferenceIntent", "RememberRatingsIntent", "ForgetRatingsIntent", "SleepBodyScanIntent", "CompassionateSelfIntent",
    "CompassionateImageIntent", "CompassionateColourIntent", "SoothingSensesIntent", "KindLetterIntent",
    "ReceivingKindnessIntent", "FearsOfCompassionIntent", "EverydayIntent",
}
BUILTIN_INTENTS = {
    "AMAZON.NextIntent", "AMAZON.RepeatIntent", "AMAZON.StartOverIntent", "AMAZON.PauseIntent",
    "AMAZON.ResumeIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.HelpIntent",
    "AMAZON.FallbackIntent", "AMAZON.NavigateHomeIntent", "AMAZON.YesIntent", "AMAZON.NoIntent",
}
SLOTS = {
    "BreathingIntent": {"minutes": "AMAZON.NUMBER", "pattern": "BreathingPattern"},
    "CheckInIntent": {"feeling": "Feeling"},
    "RatingIntent": {"rating": "AMAZON.NUMBER"},
    "SetSpeakingRateIntent": {"speed": "SpeakingRate"},
    "CheckInPreferenceIntent": {"toggle": "Toggle"},
}


# ---------------------------------------------------------------- generated == committed

def test_generated_files_match_committed():
    assert im.drift() == [], "run `python -m skill.tools.interaction_model build` and commit the result"


def test_every_generated_file_exists_where_ask_cli_expects_it():
    paths = {p.relative_to(im.PROJECT_DIR).as_posix() for p in im.render()}
    assert paths == {"ask-resources.json", "skill-package/skill.json"} | {
        f"skill-package/interactionModels/custom/{loc}.json" for loc in LOCALES}
    resources = json.loads((im.PROJECT_DIR / "ask-resources.json").read_text())
    assert resources["askcliResourcesVersion"] == "2020-03-31"
    assert resources["profiles"]["default"]["skillMetadata"]["src"] == "./skill-package"
    assert "code" not in resources["profiles"]["default"]   # self-hosted endpoint, no Lambda


def test_the_lambda_profile_builds_the_zip_and_names_the_real_handler():
    resources = json.loads((im.PROJECT_DIR / "ask-resources.json").read_text())
    profile = resources["profiles"]["lambda"]
    infra = profile["skillInfrastructure"]
    assert infra["type"] == "@ask-cli/lambda-deployer"
    assert infra["userConfig"]["runtime"] == "python3.11"
    module, _, function = infra["userConfig"]["handler"].rpartition(".")
    source = (im.PROJECT_DIR / profile["code"]["default"]["src"]).resolve()
    assert source == im.PROJECT_DIR.parent.resolve() / "skill"
    assert f"\ndef {function}(" in (source.parent / (module.replace(".", "/") + ".py")).read_text()
    hook = im.PROJECT_DIR / "hooks" / "build.sh"     # ASK CLI's custom build flow
    assert hook.stat().st_mode & 0o111 and "skill.tools.lambda_package --out" in hook.read_text()


@pytest.fixture
def project_copy(tmp_path, monkeypatch):
    """The ASK project copied to a temp dir, with the module pointed at it."""
    dst = tmp_path / "interaction_model"
    shutil.copytree(im.PROJECT_DIR, dst)
    monkeypatch.setattr(im, "PROJECT_DIR", dst)
    monkeypatch.setattr(im, "SOURCE_PATH", dst / "source" / "model.json")
    monkeypatch.setattr(im, "PACKAGE_DIR", dst / "skill-package")
    monkeypatch.setattr(im, "MODELS_DIR", dst / "skill-package" / "interactionModels" / "custom")
    return dst


@pytest.mark.slow
def test_check_names_a_hand_edited_generated_file_and_build_repairs_it(project_copy, capsys):
    assert im.main(["check"]) == 0
    gb = project_copy / "skill-package" / "interactionModels" / "custom" / "en-GB.json"
    gb.write_text(gb.read_text().replace('"tell me more"', '"tell me much more"'))
    assert im.main(["check"]) == 1
    err = capsys.readouterr().err
    assert "en-GB.json" in err and "en-US.json" not in err
    assert im.main(["build"]) == 0
    assert im.main(["check"]) == 0


def test_check_fails_when_the_source_changes_without_a_build(project_copy, capsys):
    source_path = project_copy / "source" / "model.json"
    source = json.loads(source_path.read_text())
    next(i for i in source["intents"] if i["name"] == "GroundingIntent")["samples"].append("anchor me")
    source_path.write_text(json.dumps(source, indent=2))
    assert im.main(["check"]) == 1
    err = capsys.readouterr().err
    assert all(f"{loc}.json" in err for loc in LOCALES)
    assert "skill.json" not in err


@pytest.mark.slow
def test_check_fails_on_a_broken_model_even_when_in_sync(project_copy, capsys):
    source_path = project_copy / "source" / "model.json"
    source = json.loads(source_path.read_text())
    next(i for i in source["intents"] if i["name"] == "GroundingIntent")["samples"].append("tell me more")
    source_path.write_text(json.dumps(source, indent=2))
    assert im.main(["build"]) == 1
    assert "same as a sample of" in capsys.readouterr().err
    assert im.main(["check"]) == 1


def test_generated_text_is_deterministic():
    assert im.render() == im.render()


# ---------------------------------------------------------------- the model itself

def test_committed_model_has_no_problems():
    assert im.validate_all() == []


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_has_exactly_the_contract_intents(locale):
    assert im.intent_names(locale) == CUSTOM_INTENTS | BUILTIN_INTENTS


@pytest.mark.parametrize("locale", LOCALES)
def test_slots_and_types(locale):
    for intent, slots in SLOTS.items():
        assert im.intent_slots(locale, intent) == slots
    for intent in CUSTOM_INTENTS - set(SLOTS):
        assert im.intent_slots(locale, intent) == {}
    assert set(im.slot_types(locale)) == {"BreathingPattern", "Feeling", "SpeakingRate", "Toggle"}


@pytest.mark.parametrize("locale", LOCALES)
def test_slot_values_and_synonyms(locale):
    def by_value(type_name):
        return {v["value"]: v for v in im.slot_values(locale, type_name)}

    pattern = by_value("BreathingPattern")
    assert set(pattern) == {"soothing", "even", "sigh", "box", "4-7-8"}
    assert {"calm", "slow"} <= set(pattern["soothing"]["synonyms"])
    assert "square" in pattern["box"]["synonyms"]
    assert {"cyclic sighing", "physiological sigh"} <= set(pattern["sigh"]["synonyms"])
    assert "four seven eight" in pattern["4-7-8"]["synonyms"]
    feeling = by_value("Feeling")
    assert set(feeling) == {"anxious", "angry", "self-critical", "overwhelmed", "low", "stressed",
                            "sleepless", "lonely", "ashamed", "sad"}
    assert "can't sleep" in feeling["sleepless"]["synonyms"]
    assert {"worried", "panicky"} <= set(feeling["anxious"]["synonyms"])
    assert set(by_value("SpeakingRate")) == {"slower", "normal"}
    assert set(by_value("Toggle")) == {"on", "off"}
    ids = [v["id"] for t in im.slot_types(locale) for v in im.slot_values(locale, t)]
    assert all(i == i.upper() and " " not in i for i in ids)


@pytest.mark.parametrize("locale", LOCALES)
def test_crisis_intent_has_many_direct_and_indirect_phrasings(locale):
    # The samples come from skill/data/danger.json; phrasings the held-out evaluation set also
    # holds are kept out of them (tests/safety/test_overlap.py), so these are checked as caught
    # by the vocabulary the samples are built from, and every category has its own intent.
    from skill import danger
    samples = im.sample_utterances(locale)
    assert len(samples["CrisisIntent"]) >= 60
    assert all(len(samples[c.intent]) >= 20 for c in danger.categories())
    for phrase in ["I want to die", "I want to kill myself", "I don't want to be here anymore",
                   "I'm thinking of ending it all", "I've been hurting myself", "I cut myself", "I'm not safe",
                   "someone is hurting me", "there's no point in living",
                   "everyone would be better off without me"]:
        assert danger.category_of(phrase) is not None, phrase


@pytest.mark.parametrize("locale", LOCALES)
def test_samples_are_unique_across_intents_ignoring_case_punctuation_and_slot_names(locale):
    seen = {}
    lm = im.load_model(locale)["interactionModel"]["languageModel"]
    for intent in lm["intents"]:
        types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            key = im.normalize_sample(sample, types)
            assert key not in seen, f"{sample!r} in {intent['name']} and {seen[key]}"
            seen[key] = intent["name"]


@pytest.mark.parametrize("locale", LOCALES)
def test_builtins_have_no_samples_and_custom_samples_avoid_builtin_phrases(locale):
    samples = im.sample_utterances(locale)
    # warm yeses and deferrals ("maybe later"); ending the practice in words ("end the exercise"),
    # which would otherwise sit nearest "end it" and the like
    extended = {"AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.StopIntent"}
    for name in BUILTIN_INTENTS - extended:
        assert samples[name] == []
    builtin_words = {im.normalize_sample(p) for n in extended for p in im.builtin_phrases(locale)[n]}
    assert not builtin_words & {im.normalize_sample(s) for n in extended for s in samples[n]}
    builtin = {im.normalize_sample(p) for ps in im.builtin_phrases(locale).values() for p in ps}
    custom = {im.normalize_sample(s) for name in CUSTOM_INTENTS for s in samples[name]}
    assert builtin & custom == set()


@pytest.mark.parametrize("locale", LOCALES)
def test_check_in_preference_always_carries_on_or_off(locale):
    # The handler cannot tell 'don't ask me' from 'ask me again' without the slot.
    assert all("{toggle}" in s for s in im.sample_utterances(locale)["CheckInPreferenceIntent"])


def test_one_shot_breathing_request_is_a_sample():
    for locale in LOCALES:
        assert im.phrase_matches_sample("three minutes of breathing", locale) == "BreathingIntent"
        assert im.phrase_matches_sample("a box breathing exercise", locale) == "BreathingIntent"


def test_locale_wording_differs_where_it_should():
    us, gb = im.sample_utterances("en-US"), im.sample_utterances("en-GB")
    assert "practice breathing" in us["BreathingIntent"] and "practise breathing" not in us["BreathingIntent"]
    assert "practise breathing" in gb["BreathingIntent"] and "practice breathing" not in gb["BreathingIntent"]
    for locale in LOCALES:
        assert not any("[" in s for ss in im.sample_utterances(locale).values() for s in ss)


# ---------------------------------------------------------------- validation catches mistakes

def _model(locale="en-US"):
    return copy.deepcopy(im.load_model(locale))


def _intent(model, name):
    return next(i for i in model["interactionModel"]["languageModel"]["intents"] if i["name"] == name)


@pytest.mark.parametrize("mutate, expected", [
    (lambda m: _intent(m, "GroundingIntent")["samples"].append("Tell me more!"), "same as a sample of"),
    (lambda m: _intent(m, "BreathingIntent")["samples"].append("about {rating} of breathing"), "not declared"),
    (lambda m: _intent(m, "CheckInIntent")["slots"].append({"name": "when", "type": "When"}), "unknown slot type"),
    (lambda m: _intent(m, "BodyScanIntent")["samples"].append("a 3 minute body scan"), "numbers in words"),
    (lambda m: _intent(m, "BodyScanIntent")["samples"].append("body scan?"), "numbers in words"),
    (lambda m: _intent(m, "RatingIntent")["samples"].append("{rating} minutes"), "same as a sample of"),
    (lambda m: _intent(m, "ContinueIntent")["samples"].append("never mind"), "same as a sample of"),
    (lambda m: _intent(m, "ContinueIntent")["samples"].append("box breathing"), "clashes with BreathingIntent"),
    (lambda m: _intent(m, "AMAZON.FallbackIntent")["samples"].append("whatever"), "takes no samples"),
    (lambda m: _intent(m, "GroundingIntent")["samples"].append("ground me compassion coach"), "names the skill"),
    (lambda m: m["interactionModel"]["languageModel"].update(invocationName="Compassion Coach"), "lowercase"),
    (lambda m: m["interactionModel"]["languageModel"].update(invocationName="compassion"), "two or more words"),
    (lambda m: m["interactionModel"]["languageModel"].update(invocationName="compassion coach skill"), "uses"),
    (lambda m: _intent(m, "CrisisIntent").update(samples=_intent(m, "CrisisIntent")["samples"][:10]),
     "at least 60"),
    (lambda m: m["interactionModel"]["languageModel"]["intents"].remove(_intent(m, "AMAZON.StopIntent")),
     "missing required built-in AMAZON.StopIntent"),
])
@pytest.mark.slow
def test_validate_model_reports_each_mistake(mutate, expected):
    model = _model()
    assert im.validate_model(model, "en-US", im.builtin_phrases()) == []
    mutate(model)
    problems = im.validate_model(model, "en-US", im.builtin_phrases())
    assert any(expected in p for p in problems), problems


def test_synonym_shared_by_two_values_is_reported():
    model = _model()
    types = model["interactionModel"]["languageModel"]["types"]
    feeling = next(t for t in types if t["name"] == "Feeling")
    feeling["values"][0]["name"]["synonyms"].append("blue")   # already LOW's
    assert any("is both" in p for p in im.validate_model(model, "en-US"))


# ---------------------------------------------------------------- manifest

def test_manifest_store_text_per_locale():
    manifest = im.load_manifest()["manifest"]
    pub = manifest["publishingInformation"]
    assert set(pub["locales"]) == set(LOCALES)
    assert pub["category"] == "HEALTH_AND_FITNESS"
    emergency = {"en-US": "911", "en-GB": "999", "en-AU": "000", "en-CA": "911", "en-IN": "112"}
    for locale, info in pub["locales"].items():
        assert info["name"] == "Compassion Coach"
        assert info["summary"] and info["keywords"]
        assert ("Compassion Coach is not a therapist or a medical service and cannot help in an emergency"
                in info["description"])
        assert f"call {emergency[locale]} now" in info["description"]
        assert "[" not in info["description"] and "{" not in info["description"]
        assert 1 <= len(info["examplePhrases"]) <= 3


@pytest.mark.parametrize("locale", LOCALES)
def test_every_example_phrase_is_a_sample_utterance(locale):
    phrases = im.load_manifest()["manifest"]["publishingInformation"]["locales"][locale]["examplePhrases"]
    assert "Alexa, ask compassion coach for three minutes of breathing" in phrases
    for phrase in phrases:
        assert im._example_phrase_problems(phrase, locale, "compassion coach") == []
    assert im._example_phrase_problems("Alexa, ask compassion coach to bake a cake", locale, "compassion coach")
    assert im._example_phrase_problems("Alexa, start compassion coach", locale, "compassion coach")


def test_manifest_privacy_endpoint_and_interfaces():
    manifest = im.load_manifest()["manifest"]
    privacy = manifest["privacyAndCompliance"]
    assert {k: privacy[k] for k in ("allowsPurchases", "usesPersonalInfo", "isChildDirected",
                                    "isExportCompliant", "containsAds")} == {
        "allowsPurchases": False, "usesPersonalInfo": True, "isChildDirected": False,
        "isExportCompliant": True, "containsAds": False}   # history, preferences; ratings by consent
    for locale in LOCALES:
        urls = privacy["locales"][locale]
        assert "PLACEHOLDER" in urls["privacyPolicyUrl"] and "PLACEHOLDER" in urls["termsOfUseUrl"]
    custom = manifest["apis"]["custom"]
    assert custom["endpoint"] == {"uri": "https://example.com/alexa", "sslCertificateType": "Trusted"}
    assert {"type": "CAN_FULFILL_INTENT_REQUEST"} in custom["interfaces"]
    events = manifest["events"]
    assert events["endpoint"]["uri"] == custom["endpoint"]["uri"]
    assert {e["eventName"] for e in events["subscriptions"]} == set(im.REQUIRED_EVENTS)


def test_event_checks_catch_a_missing_subscription_and_a_foreign_endpoint():
    m = copy.deepcopy(im.load_manifest())["manifest"]
    m["events"]["subscriptions"] = [{"eventName": "SKILL_ENABLED"}]
    m["events"]["endpoint"]["uri"] = "http://elsewhere.example/alexa"
    problems = im.validate_events(m)
    assert any("lacks SKILL_DISABLED" in p for p in problems)
    assert any("events.endpoint.uri" in p for p in problems)
    m["events"]["subscriptions"].append({"eventName": "SKILL_NOTIFICATION_SUBSCRIPTION_CHANGED"})
    m["events"]["endpoint"]["uri"] = m["apis"]["custom"]["endpoint"]["uri"]
    assert any("SKILL_NOTIFICATION_SUBSCRIPTION_CHANGED has no handler" in p for p in im.validate_events(m))


def test_the_wake_word_is_said_only_in_the_stop_hint():
    assert not im.WAKE_WORD.search("You can stop at any time, just say, Alexa, stop.")
    assert im.WAKE_WORD.search("Just say, Alexa, ask compassion coach to resume.")
    assert im.WAKE_WORD.search("The numbers are also in your Alexa app.")


def test_speech_checks_catch_a_reprompt_that_asks_something_else(monkeypatch):
    from skill import questions
    broken = dict(questions.QUESTIONS)
    broken["menu"] = questions.Question("q_menu", "q_more_reprompt", {})
    monkeypatch.setattr(questions, "QUESTIONS", broken)
    problems = im.validate_speech()
    assert any("question menu: the reprompt does not repeat" in p for p in problems)
    assert not [p for p in problems if "menu" not in p]


def test_the_dialog_model_elicits_breathing_slots_within_the_catalogue_limits():
    from skill import catalogue
    spec = catalogue.get("breathing").minutes
    im_json = im.load_model("en-GB")["interactionModel"]
    minutes = im_json["dialog"]["intents"][0]["slots"][0]
    assert {v["value"] for v in minutes["validations"]} == {f"{spec['min']:g}", f"{spec['max']:g}"}
    assert im.validate_dialog_model(im.load_source()) == []


def test_manifest_validation_catches_a_missing_disclaimer_and_a_bad_example():
    source = im.load_source()
    manifest = copy.deepcopy(im.load_manifest())
    loc = manifest["manifest"]["publishingInformation"]["locales"]["en-AU"]
    loc["description"] = "Be kind to yourself."
    loc["examplePhrases"].append("Alexa, ask compassion coach for a pizza")
    problems = im.validate_manifest(manifest, source)
    assert any("en-AU: description lacks the disclaimer" in p for p in problems)
    assert any("4 example phrases" in p for p in problems)
    assert any("matches no sample" in p for p in problems)


def test_placeholders_are_listed():
    todo = im.placeholders()
    assert "manifest.apis.custom.endpoint.uri" in todo
    assert "manifest.privacyAndCompliance.locales.en-GB.privacyPolicyUrl" in todo


# ---------------------------------------------------------------- loader API

def test_loader_api():
    model = im.load_model("en-IN")
    assert model["interactionModel"]["languageModel"]["invocationName"] == "compassion coach"
    model["interactionModel"]["languageModel"]["intents"].clear()   # a copy: the cache is untouched
    assert "CrisisIntent" in im.intent_names("en-IN")
    assert "{minutes} minutes of breathing" in im.sample_utterances("en-IN")["BreathingIntent"]
    with pytest.raises(KeyError):
        im.load_model("de-DE")
    with pytest.raises(KeyError):
        im.slot_values("en-US", "Colour")
    assert im.locales() == LOCALES


# ---------------------------------------------------------------- source errors and the CLI

def test_unknown_wording_marker_is_refused():
    source = im.load_source()
    source["intents"][1]["samples"].append("[flavour] breathing")
    with pytest.raises(im.ModelError, match=r"\[flavour\]"):
        im.build_locale_model(source, "en-GB")


def test_locale_synonyms_for_an_unknown_value_are_refused():
    source = im.load_source()
    source["localeSynonyms"]["en-GB"]["Feeling"]["GRUMPY"] = ["grumpy"]
    with pytest.raises(im.ModelError, match="unknown type or value id"):
        im.build_locale_model(source, "en-GB")


def test_locale_samples_for_an_unknown_intent_are_refused():
    source = im.load_source()
    source["localeSamples"]["en-IN"]["TeaIntent"] = ["make tea"]
    with pytest.raises(im.ModelError, match="TeaIntent"):
        im.build_locale_model(source, "en-IN")


@pytest.mark.slow
def test_cli_check_passes_on_the_committed_tree():
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "skill.tools.interaction_model", "check"],
                            cwd=im.PROJECT_DIR.parent, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "in sync" in result.stdout
    bad = subprocess.run([sys.executable, "-m", "skill.tools.interaction_model", "deploy"],
                         cwd=im.PROJECT_DIR.parent, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "usage" in bad.stderr
