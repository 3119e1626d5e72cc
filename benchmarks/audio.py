"""6. Audio: building the tone track, serving it, and a turn's cost with APL-A.

(a) Build speed: a 20-minute tone track (PCM and MP3, from nothing: the tone cache cleared)
    against real time. Target: at least 50x faster than it plays.
(b) Time to first byte of GET /audio under gunicorn (the benchmark config), for a cached
    track and for one built on request, against GET /healthz on the same server. The skill
    builds a track in the background when it sends AudioPlayer.Play, while the spoken
    introduction plays, so Alexa's fetch normally finds it cached.
(c) Turn cost: the 5-minute breathing turn and its "continue" with APL-A (a device that
    lists Alexa.Presentation.APLA) against the same turns as SSML, in process; and against
    the benchmarks' baseline (the hello skill's launch, as in 1), with 1's target.
"""
from __future__ import annotations

import copy
import http.client
import shutil
import time

from benchmarks.common import (LOOPBACK, Section, baseline_app, envelope, median, our_app, percentile,
                               ratio_figure, temp_dir, user_id)
from benchmarks.turn_cost import MEDIAN_LIMIT_X

MINUTES_FULL, MINUTES_QUICK = 20, 5
BUILD_LIMIT_X = 50.0
TTFB_ROUNDS_FULL, TTFB_ROUNDS_QUICK = 200, 30
TTFB_LIMIT_X = 5.0           # a cached track's first byte, against /healthz's
TURN_ROUNDS_FULL, TURN_ROUNDS_QUICK = 400, 60
APLA_LIMIT_X = 1.5           # an APL-A turn against the same turn in SSML
APLA = {"Alexa.Presentation.APLA": {}}


def _build_speed(minutes: int) -> tuple[float, float]:
    from skill import tones
    tones._tone.cache_clear()
    track = tones.spec("soothing", minutes)
    t0 = time.perf_counter()
    samples = tones.pcm(track)
    tones.mp3(samples, track.sample_rate)
    return len(samples) / 2 / track.sample_rate, time.perf_counter() - t0


def _ttfb_ms(port: int, path: str) -> float:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=120)
    try:
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Range": "bytes=0-4095"})
        res = conn.getresponse()
        res.read(1)
        elapsed = (time.perf_counter() - t0) * 1000
        res.read()
        assert res.status in (200, 206), res.status
        return elapsed
    finally:
        conn.close()


def _turn_ms(client, body) -> float:
    t0 = time.perf_counter()
    res = client.post("/alexa", json=body)
    elapsed = (time.perf_counter() - t0) * 1000
    assert res.status_code == 200
    return elapsed


def _with_apla(env: dict) -> dict:
    env = copy.deepcopy(env)
    env["context"]["System"]["device"]["supportedInterfaces"] = dict(APLA)
    return env


def measure(quick: bool) -> Section:
    from benchmarks.server import gunicorn

    section = Section("6. Audio: tone track build, /audio first byte, APL-A turn cost")
    minutes = MINUTES_QUICK if quick else MINUTES_FULL
    track_s, build_s = _build_speed(minutes)
    section.figures.append(ratio_figure(section.title, f"{minutes}-min tone track, x real time",
                                        track_s / build_s, 1.0, "x", BUILD_LIMIT_X, higher_is_better=True,
                                        note=f"{track_s:.0f} s of audio built and encoded in {build_s:.1f} s"))

    data_dir = temp_dir("audio")
    rounds = TTFB_ROUNDS_QUICK if quick else TTFB_ROUNDS_FULL
    try:
        with gunicorn("ours", data_dir) as (port, _):
            cold_ms = _ttfb_ms(port, f"/audio/soothing-{minutes}-24000.mp3")
            health, cached = [], []
            for _ in range(rounds):
                health.append(_ttfb_ms(port, "/healthz"))
                cached.append(_ttfb_ms(port, f"/audio/soothing-{minutes}-24000.mp3"))
        section.figures.append(ratio_figure(section.title, "/audio first byte, cached (median)",
                                            median(cached), median(health), "ms", TTFB_LIMIT_X,
                                            note=f"p99 {percentile(cached, 99):.2f} ms; baseline GET /healthz"))
        section.figures.append(ratio_figure(section.title, "/audio first byte, built on request",
                                            cold_ms, median(health), "ms",
                                            note="once per track and sample rate; AudioPlayer.Play starts "
                                                 "the build while the introduction is spoken"))

        client = our_app(temp_dir("audio-turns")).test_client()
        user = user_id(1)
        first = envelope("breathing_no_slots", user, minutes="5")
        attrs = client.post("/alexa", json=first).get_json().get("sessionAttributes") or {}
        cont = envelope("continue", user, attributes=attrs, new=False)
        kinds = {"breathing_5min": first, "continue": cont}
        turn_rounds = TURN_ROUNDS_QUICK if quick else TURN_ROUNDS_FULL
        times = {(k, form): [] for k in kinds for form in ("ssml", "apla")}
        hello, hello_body, hello_ms = baseline_app().test_client(), envelope("launch", user), []
        for body in kinds.values():                 # warm-up: renders and documents cached
            _turn_ms(client, body), _turn_ms(client, _with_apla(body)), _turn_ms(hello, hello_body)
        for _ in range(turn_rounds):
            for k, body in kinds.items():
                times[(k, "ssml")].append(_turn_ms(client, body))
                times[(k, "apla")].append(_turn_ms(client, _with_apla(body)))
            hello_ms.append(_turn_ms(hello, hello_body))
        for k in kinds:
            section.figures.append(ratio_figure(section.title, f"{k} with APL-A (median)",
                                                median(times[(k, "apla")]), median(times[(k, "ssml")]), "ms",
                                                APLA_LIMIT_X, note="baseline: the same turn as SSML"))
        for k in kinds:
            section.figures.append(ratio_figure(section.title, f"{k} with APL-A against the hello skill (median)",
                                                median(times[(k, "apla")]), median(hello_ms), "ms",
                                                MEDIAN_LIMIT_X, note="baseline: the hello skill's launch, as in 1"))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    section.notes.append(f"TTFB: {rounds} requests each, Range bytes=0-4095, one connection per request; "
                         f"turns: {turn_rounds} of each kind and form, interleaved.")
    return section
