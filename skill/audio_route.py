"""GET /audio/<pattern>-<minutes>-<sample rate>.mp3: the tone tracks AudioPlayer streams.

Public and without an Alexa signature: a track holds nothing about anyone, and its name is
only values from bounded lists (skill.tones.spec), checked before any file is touched.
Range requests (AudioPlayer seeks with them on resume) and conditional GETs are Werkzeug's.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from skill import tones

if TYPE_CHECKING:
    from flask import Flask

AUDIO_ROUTE = "/audio/<name>"
MAX_NAME_CHARS = 40
TRACK_MAX_AGE_S = 7 * 24 * 3600    # a track never changes for the same name
_NAME = re.compile(r"^(?P<pattern>[a-z0-9-]{1,20}?)-(?P<minutes>\d{1,2})-(?P<rate>\d{5})\.mp3$")


def track_path(name: str) -> str:
    """The URL path of a track, for AudioPlayer.Play (skill.handlers.audio_player)."""
    return f"/audio/{name}.mp3"


def register(app: Flask, cache: tones.TrackCache) -> None:
    # Imported here: the Lambda handler needs track_path but serves no route, and Flask
    # would be a tenth of its cold start.
    from flask import jsonify, send_file

    def audio(name: str):
        m = _NAME.match(name) if len(name) <= MAX_NAME_CHARS else None
        try:
            if m is None:
                raise tones.TrackError("no such track")
            track = tones.spec(m["pattern"], m["minutes"], m["rate"])
        except tones.TrackError as err:
            response = jsonify({"error": "not_found", "message": str(err)})
            response.status_code = 404
            return response
        return send_file(cache.get(track), mimetype="audio/mpeg", conditional=True,
                         max_age=TRACK_MAX_AGE_S)

    app.add_url_rule(AUDIO_ROUTE, "audio", audio, methods=["GET"])
