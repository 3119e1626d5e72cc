"""One pyttsx3 job in a fresh process: synthesize one utterance to WAV, or list voices.

Run as a script (no imports from the project) by skill.tools.voice.engine. Why a process per
job: pyttsx3 2.99's espeak driver runs espeak-ng asynchronously and can only initialise
it once per process; reusing an engine lets property changes lag one utterance behind
and makes the audio depend on what was said before, and runAndWait can spin forever if
espeak never reports the end. A fresh process costs ~50 ms and is killed on a timeout.

Why properties go straight to the espeak driver: set through the engine they are queued
and sent to espeak-ng's command FIFO inside runAndWait, which immediately calls the
driver's stop(); if espeak-ng has not yet taken them from the FIFO, stop() cancels them
and the text is spoken at pyttsx3's default 200 wpm (seen in ~1 of 150 runs under load).
So they are set directly, and espeak-ng is allowed to drain its FIFO first.

Why the wait after runAndWait: in 2.99 the espeak driver ends its loop before synthesis
starts, so runAndWait returns while espeak-ng is still speaking into the buffer; for a
sentence or two the process would exit before the WAV is written. The driver announces
"finished-utterance" only after writing the file, so we wait for that.

Usage: python _pyttsx3_worker.py REQUEST_JSON  (the result goes to request["out"];
stdout is discarded because pyttsx3 prints to it; errors go to stderr, exit status 1).
"""
import json
import sys
import threading

EXIT_RETRY = 75  # EX_TEMPFAIL: espeak-ng stalled; a fresh process may well succeed


def _voices(engine):
    return [
        {"id": v.id, "name": v.name, "languages": [str(x) for x in (v.languages or [])],
         "gender": v.gender}
        for v in engine.getProperty("voices")
    ]


def _property_setter(engine):
    """Sets a property at once on the espeak driver, else the public (queued) way."""
    driver = getattr(getattr(engine, "proxy", None), "_driver", None)
    if type(driver).__name__ == "EspeakDriver":
        return driver.setProperty
    return engine.setProperty


def main(argv):
    request = json.loads(argv[1])
    import pyttsx3  # imported here so a bad request fails before espeak starts

    engine = pyttsx3.init(request.get("driver"))
    if request["op"] == "voices":
        with open(request["out"], "w", encoding="utf-8") as f:
            json.dump(_voices(engine), f)
        return 0
    set_now = _property_setter(engine)
    voice = request.get("voice")
    if request.get("variant"):  # espeak-ng "voice+variant", replacing any variant it had
        base = voice or str(engine.getProperty("voice") or "")
        voice = base.split("+", 1)[0] + "+" + request["variant"]
    if voice:
        set_now("voice", voice)
    set_now("rate", request["rate_wpm"])
    set_now("volume", request["volume"])
    espeak = sys.modules.get("pyttsx3.drivers._espeak")
    if espeak is not None:
        espeak.Synchronize()  # FIFO empty: runAndWait's stop() has nothing to cancel
    finished, errors = threading.Event(), []
    engine.connect("finished-utterance", lambda completed=True, **_: completed and finished.set())
    engine.connect("error", lambda exception=None, **_: errors.append(exception))
    engine.save_to_file(request["text"], request["out"])
    engine.runAndWait()
    if not finished.wait(request["finish_timeout_s"]):
        detail = f": {errors[-1]}" if errors else ""
        print(f"speech did not finish within {request['finish_timeout_s']} s{detail}", file=sys.stderr)
        return EXIT_RETRY
    # pyttsx3 swallows a failed setProperty; say so rather than speak in another voice.
    if voice and request.get("check_voice"):
        current = str(engine.getProperty("voice") or "").lower()
        if current != voice.lower():
            print(f"voice {voice!r} not available (got {current!r})", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
