"""Every dialogue in tests/dialogues/*.txt through the real webhook, and every question of
skill/questions.py answered with every class of answer."""
import pytest

from skill import questions
from skill.app import create_app
from skill.tools import nlu_standin

from dialogue_support import APP_ID, Runner, all_dialogues, parse, run

LOCALES = ("en-US", "en-GB", "en-AU", "en-CA", "en-IN")
AUDIO_BASE_URL = "https://coach.example.org"


@pytest.fixture(autouse=True, params=["exact", pytest.param("embedding", marks=pytest.mark.slow)])
def understanding(request, monkeypatch):
    """Alexa's understanding, stood in for two ways (skill.tools.nlu_standin): exact samples
    only, as in CI, which has no embedding model; and, where the bench extra is installed,
    the nearest sample by sentence embedding. That one is slow (loading the model and
    embedding every sample of a locale take about 20 s), so ./scripts/test runs it."""
    if request.param == "exact":
        monkeypatch.setattr(nlu_standin, "embedding_available", lambda: False)
    elif not nlu_standin.embedding_available():
        pytest.skip("no embedding model here (the bench extra)")
    return request.param


@pytest.fixture
def app(tmp_path):
    # AUDIO_BASE_URL: tone-guided breathing is offered on devices that say they play streams
    # ("device: audio" dialogues); the others are asked nothing about it
    return create_app({"DEVELOPER_MODE": True, "ALEXA_SKILL_ID": APP_ID, "SKILL_DATA_DIR": str(tmp_path / "data"),
                       "AUDIO_BASE_URL": AUDIO_BASE_URL})


@pytest.mark.parametrize("path", all_dialogues(), ids=lambda p: p.stem)
def test_dialogue(app, path):
    failures = run(app, parse(path))
    assert not failures, "\n".join(failures)


def test_the_dialogues_cover_what_the_issue_asks():
    dialogues = [parse(p) for p in all_dialogues()]
    assert len(dialogues) >= 60
    assert {d.locale for d in dialogues} >= set(LOCALES)
    said = [t.said for d in dialogues for t in d.turns]
    assert said.count("(silence)") >= 10 and sum(s.startswith("(session ended") for s in said) >= 5


# ---------------------------------------------------------------- the table, question by question

# How to reach each question from a fresh listener (the last line's response asks it).
REACH = {
    "menu": ["open compassion coach"],
    "usual": ["ask compassion coach for a kind action", "continue", "stop", "open compassion coach"],
    "resume": ["ask compassion coach for twenty minutes of breathing", "stop", "open compassion coach"],
    "minutes": ["open compassion coach", "thirty minutes of breathing"],
    "pattern": ["open compassion coach", "fire breathing"],
    "turn_break": ["open compassion coach", "ten minutes of breathing"],
    "more": ["open compassion coach", "why does self compassion help"],
    "practise_now": ["open compassion coach", "how am i doing"],
    "offer": ["open compassion coach", "i feel lonely"],
    "offer_also": ["open compassion coach", "i feel lonely", "maybe later"],
    "feeling": ["open compassion coach", "i feel weird"],
    "rating_before": ["open compassion coach", "i feel lonely", "yes"],
    "rating_after": ["open compassion coach", "i feel anxious", "yes", "five"] + ["continue"] * 4,
    "steady": ["open compassion coach", "i feel anxious", "yes", "five"] + ["continue"] * 4 + ["eight"],
    "then": ["open compassion coach", "i feel lonely", "yes", "nine"] + ["continue"] * 3 + ["skip"],
    "practice_end": ["open compassion coach", "a kind action"] + ["continue"] * 2,
    "forget": ["open compassion coach", "forget me"],
    # after a crisis answer (skill/handlers/safety_check.py)
    "crisis_safe": ["open compassion coach", "i want to die"],
    "crisis_easing": ["open compassion coach", "i'm having a panic attack"],
    "crisis_easing_again": ["open compassion coach", "i'm having a panic attack", "no"],
    "crisis_call": ["open compassion coach", "i have chest pain"],
    "crisis_grounding": ["open compassion coach", "i want to die", "yes"],
    "crisis_stop": ["open compassion coach", "i want to die", "no", "no"],
}
# One way a listener says each class of answer (routing decides the intent, as on Alexa).
SAID = {
    questions.YES: "go ahead", questions.NO: "maybe later", questions.NUMBER: "ten",
    questions.PATTERN: "box", questions.SKIP: "skip", questions.STOP: "stop",
    questions.CANCEL: "never mind", questions.PAUSE: "pause", questions.RESUME: "resume",
    questions.MORE: "tell me more", questions.REPEAT: "repeat", questions.HELP: "help",
    questions.UNCLEAR: "purple elephants on the moon",
}
FALLBACK_WORDS = "I'm not sure I caught that"
UNCLEAR_WORDS = ("didn't quite catch", "I can guide breathing for", "I know a few ways to breathe")
ENDS = ("stop", "goodbye", "pause", "crisis_close", "crisis_call_yes", "forget")
# Actions that may ask the same question again: the next turn, or after a crisis answer the
# numbers and the question again (not understood, or "no, I can't call").
SAME_AGAIN = ("continue", "crisis_again", "crisis_call_no")
EMERGENCY = "911"   # en-US


def _reach(app, question):
    runner = Runner(app, "en-US")
    for line in REACH[question]:
        runner.say(line)
        if (runner.body["sessionAttributes"].get("asked") or {}).get("q") == question:
            return runner
    raise AssertionError(f"could not reach {question}: last asked {runner.body['sessionAttributes'].get('asked')}")


def test_every_question_has_a_way_to_reach_it():
    # try_again: an error's apology; guide: only on AudioPlayer devices (tests/conversation/test_audio_player.py)
    assert set(REACH) == set(questions.QUESTIONS) - {"try_again", "guide"}


@pytest.mark.parametrize("answer", questions.CLASSES)
@pytest.mark.parametrize("question", sorted(REACH))
def test_every_answer_to_every_question(app, question, answer):
    """No answer class at any question falls back to the generic menu; each does what the
    table says: asks again, ends, or moves on."""
    runner = _reach(app, question)
    asked_before = runner.body["sessionAttributes"]["asked"]
    runner.say(SAID[answer])
    response, attrs = runner.body["response"], runner.body.get("sessionAttributes") or {}
    assert FALLBACK_WORDS not in runner.heard, runner.heard
    act = questions.action(question, answer)
    if question.startswith("crisis_"):
        # never another handler's answer; the numbers on the card (unless the grounding
        # practice begins), and said again to anything but a yes or a no; only stopping ends
        assert act is not None and act.startswith("crisis_"), act
        assert act == "crisis_grounding" or EMERGENCY in response["card"]["content"], (act, response["card"])
        if answer not in (questions.YES, questions.NO, questions.STOP, questions.CANCEL):
            assert EMERGENCY in runner.heard, (act, runner.heard)
        assert response.get("shouldEndSession") is (act in ("crisis_close", "crisis_call_yes")), (act, runner.heard)
    if answer == questions.UNCLEAR and runner.sent_intent != "AMAZON.FallbackIntent":
        pytest.skip(f"the stand-in routed the unclear words to {runner.sent_intent}")
    if act is None:   # a request of its own: its handler answers, never a dead end
        assert response.get("outputSpeech")
        return
    now = (attrs.get("asked") or {}).get("q") if response.get("shouldEndSession") is False else None
    if act == "clarify":
        assert now == question and any(w in runner.heard for w in UNCLEAR_WORDS), runner.heard
        assert EMERGENCY in runner.heard, runner.heard     # not understood: it may be danger
    elif act == "help":
        assert now == question and "Compassion Coach guides" in runner.heard, runner.heard
    elif act in ENDS:
        assert response.get("shouldEndSession") is True, (act, runner.heard)
    elif act in ("repeat", "repeat_turn"):
        assert now == asked_before["q"]
    else:   # it moved on: a practice, its next turn, another question; never asked again
        assert response.get("shouldEndSession") is False and now is not None, (act, runner.heard)
        assert not any(w in runner.heard for w in UNCLEAR_WORDS), (act, runner.heard)
        assert now != question or act in SAME_AGAIN, (act, runner.heard)
