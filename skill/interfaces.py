"""What the device that sent a request can do, from its supportedInterfaces. Cheap, so every
response can ask without importing the screen (skill.apl) or APL-A (skill.apla) modules,
which a launch on a speaker never needs (the Lambda cold start)."""
from __future__ import annotations

APLA = "Alexa.Presentation.APLA"     # key in context.System.device.supportedInterfaces


def _supported(hi):
    device = getattr(getattr(hi.request_envelope.context, "system", None), "device", None)
    return getattr(device, "supported_interfaces", None)


def screen(hi) -> bool:
    """Whether the device draws APL (Alexa.Presentation.APL); a request without a device (a
    hand-made one) has no screen."""
    return getattr(_supported(hi), "alexa_presentation_apl", None) is not None


def apla(hi) -> bool:
    """Whether the device plays APL for Audio. ask-sdk-model has no field for it; the
    serializer keeps unknown keys as attributes."""
    return getattr(_supported(hi), APLA, None) is not None


def audio_player(hi) -> bool:
    """Whether the device plays audio streams (AudioPlayer)."""
    return getattr(_supported(hi), "audio_player", None) is not None
