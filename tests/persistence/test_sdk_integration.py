"""The adapter inside a real ASK SDK skill: handlers see only attributes_manager."""
from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.skill_builder import CustomSkillBuilder

from persistence_helpers import USER_ID, envelope
from skill.persistence import make_persistence_adapter


class _Practise(AbstractRequestHandler):
    """Appends one history record per launch, the way the conversation layer does."""

    def can_handle(self, handler_input):
        return True

    def handle(self, handler_input):
        am = handler_input.attributes_manager
        attrs = am.persistent_attributes
        history = attrs.setdefault("history", [])
        history.append({"id": handler_input.request_envelope.request.request_id,
                        "ts": f"2026-11-26T03:{len(history):02d}:00+00:00"})
        am.save_persistent_attributes()
        return handler_input.response_builder.speak(f"Practice {len(history)}.").response


def test_skill_remembers_across_requests(config, db_path):
    adapter = make_persistence_adapter(config)
    builder = CustomSkillBuilder(persistence_adapter=adapter)
    builder.add_request_handler(_Practise())
    skill = builder.create()
    for expected in (1, 2, 3):
        response = skill.invoke(request_envelope=envelope(), context=None)
        assert response.response.output_speech.ssml == f"<speak>Practice {expected}.</speak>"
    assert len(make_persistence_adapter(config).get_attributes(envelope())["history"]) == 3
    assert USER_ID.encode() not in db_path.read_bytes()
