"""Compassion Coach, offline: the practices and the skill spoken on this computer.

    python local_voice.py list
    python local_voice.py play breathing --minutes 3 --pattern box
    python local_voice.py play body-scan --rate slower --out body-scan.wav
    python local_voice.py play breathing --guide tones --minutes 20 --out tones.wav   (or tones.mp3)
    python local_voice.py play grounding --transcript
    python local_voice.py ssml turn.ssml --out turn.wav
    python local_voice.py fixture tests/fixtures/requests/launch.json --transcript
    python local_voice.py chat --transcript < lines.txt

Subcommands (each has --help):

  list      every practice and explanation: id, title, length, kind.
  voices    the installed voices (id, name, languages), for --voice.
  play      one practice or explanation, rendered by the skill's own renderer (skill.render),
            whose turns carry their timeline of speech and silence. Options:
            --minutes M, --pattern P (breathing), --locale L (default en-US),
            --rate normal|slower, --voice V (an installed voice, see `voices`; default: an
            accent that suits the locale when installed, else the engine's default),
            --guide voice|tones (breathing: tones is the hands-free track AudioPlayer plays;
            its --out may be FILE.wav or FILE.mp3, the very MP3 the skill serves).
  ssml      any SSML file in Alexa's subset (checked with skill.ssml.check first).
  fixture   a request envelope (JSON) sent through the real skill, in process, the way the
            webhook receives it (the Flask app of skill.app in DEVELOPER_MODE); speaks the
            response's outputSpeech and prints its card.
  chat      a conversation: launch, then one line of stdin per thing you would say to Alexa
            (skill.tools.utterances.match -> a request envelope -> the skill). Session attributes
            carry from turn to turn as on a device. "stop" (or end of input) ends it.

Output, for play, ssml and fixture:
  (default)       speak now through a command-line audio player, with a one-line progress
                  display on stderr; Ctrl-C stops at once (exit status 130).
  --out FILE.wav  write the speech to a WAV file (faster than real time, no audio device);
                  prints "FILE.wav<TAB>duration".
  --transcript    print the timed script (start mm:ss.s, step kind, words or pause length)
                  and a final "total" line, without speaking.
chat takes --transcript (print the answers only) or --out-dir DIR (one WAV per answer);
without either it prints and speaks each answer.

The fixture and chat subcommands run the skill with DEVELOPER_MODE on and keep their data in
SKILL_DATA_DIR (environment; default ./data), like the development server.

Exit status: 0 done; 2 a bad argument or input file (one line on stderr naming the problem
and the valid choices); 3 no audio output on this machine (use --out or --transcript);
1 the speech engine failed; 130 stopped with Ctrl-C.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
from pathlib import Path

PROG = "local_voice.py"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NO_AUDIO, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
NO_AUDIO_HINT = "use --out FILE.wav to write a WAV file, or --transcript to print the timed script"
DEFAULT_LOCALE = "en-US"
DEFAULT_RATE = "normal"   # skill.render.DEFAULT_RATE
APP_ROUTE = "/alexa"


class CliError(Exception):
    """Something the user can fix; printed as one line, then exit with `code`."""

    def __init__(self, message: str, code: int = EXIT_USAGE, prefix: str = PROG):
        super().__init__(message)
        self.code, self.prefix = code, prefix


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error on one line (no usage dump), exit status 2."""

    def error(self, message):
        raise CliError(f"{message} (see --help)", prefix=self.prog)


# ---------------------------------------------------------------- timelines

def _fmt_clock(seconds: float) -> str:
    minutes, rest = divmod(round(max(0.0, seconds), 1), 60)
    return f"{int(minutes):02d}:{rest:04.1f}"


def _fmt_seconds(seconds: float) -> str:
    """2 -> '2.0', 0.25 -> '0.25': a pause as exactly as the SSML gave it (to the ms)."""
    text = f"{seconds:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _fmt_length(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def practice_timeline(script_id: str, locale: str, rate: str, minutes=None, pattern=None,
                      first_time=False) -> tuple[str, list]:
    """The title and joined timeline of every turn of a practice or explanation, as the
    renderer parsed it (the very timeline behind each turn's SSML)."""
    from skill import catalogue, render
    catalogue.check_locale(locale)
    render.rate_pct(rate)
    script = catalogue.get(script_id)
    params = {}
    if minutes is not None:
        params["minutes"] = minutes
    if pattern is not None:
        params["pattern"] = pattern
    if first_time:
        params["first_time"] = True
    turns = render.render(script.id, locale, rate, **params)
    return script.title, [step for turn in turns for step in turn.steps]


def transcript_lines(steps) -> list[str]:
    from skill.timeline import Pause, duration_s
    lines, t = [], 0.0
    for step in steps:
        if isinstance(step, Pause):
            lines.append(f"{_fmt_clock(t)}  pause  {_fmt_seconds(step.seconds)} s")
            t += step.seconds
        else:
            lines.append(f"{_fmt_clock(t)}  speak  {step.text}" + ("  (whispered)" if step.whispered else ""))
            t += step.est_s
    lines.append(f"{_fmt_clock(duration_s(steps))}  total")
    return lines


# ---------------------------------------------------------------- the voice

# espeak-ng voices closest to each locale's accent, used when --voice is not given (and
# only if installed); other locales keep the engine's default voice.
LOCALE_VOICES = {"en-US": "gmw/en-us", "en-GB": "gmw/en-gb-x-rp"}


class Voice:
    """One speech engine and cache for the whole run (a cue said twice is synthesized once)."""

    def __init__(self, voice: str | None = None, cache_dir: str | None = None, locale: str | None = None):
        self.voice, self.cache_dir, self.locale = voice, cache_dir, locale
        self._speech = None

    @property
    def speech(self):
        if self._speech is None:
            from skill.tools.voice import Pyttsx3Engine, SpeechCache, VoiceNotFound
            try:
                engine = Pyttsx3Engine(voice=self.voice or LOCALE_VOICES.get(self.locale))
            except VoiceNotFound as err:
                if self.voice:
                    raise CliError(f"--voice: {err}") from None
                engine = Pyttsx3Engine()
            self._speech = SpeechCache(engine, self.cache_dir)
        return self._speech

    def write(self, steps, path: str | Path):
        from skill.tools.voice import render_wav
        path = Path(path)
        if path.parent and not path.parent.is_dir():
            raise CliError(f"cannot write {path}: no such directory {path.parent}")
        try:
            return render_wav(steps, path, speech=self.speech)
        except OSError as err:
            raise CliError(f"cannot write {path}: {err.strerror or err}") from None

    def play(self, steps, label: str, output) -> None:
        from skill.tools.voice import AudioOutputError, play
        progress = _Progress(label, len(steps))
        try:
            play(steps, speech=self.speech, output=output, on_progress=progress)
        except AudioOutputError as err:
            raise CliError(f"no audio output: {err}; {NO_AUDIO_HINT}", EXIT_NO_AUDIO) from None
        finally:
            progress.close()


def audio_output():
    """The player to speak through, or CliError (exit 3) when this machine has none."""
    from skill.tools.voice import NoAudioOutput, find_audio_output
    try:
        return find_audio_output(probe=True)   # a player with no sound card fails now, not mid-practice
    except NoAudioOutput as err:
        why = str(err).split("; use --out")[0]
        raise CliError(f"no audio output on this machine ({why}); {NO_AUDIO_HINT}", EXIT_NO_AUDIO) from None


class _Progress:
    """One line on stderr, rewritten in place: label, step n/N, time left."""

    closed_line = False   # the last thing on stderr ended a progress line (no newline needed)

    def __init__(self, label: str, n_steps: int, stream=None):
        self.label, self.n_steps = label, max(1, n_steps)
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.width = 0
        self.last = ""
        self.lock = threading.Lock()
        if self.tty:
            self.stream.write("\x1b[?25l")   # hide the cursor while the line is redrawn
        self._write(f"{label}  preparing the voice...")

    def _write(self, text: str) -> None:
        pad = " " * max(0, self.width - len(text))
        self.width = len(text)
        self.stream.write("\r" + text + pad)
        _Progress.closed_line = False
        self.stream.flush()

    def __call__(self, index: int, elapsed_s: float, remaining_s: float) -> None:
        text = (f"{self.label}  step {min(index + 1, self.n_steps)}/{self.n_steps}  "
                f"{_fmt_length(remaining_s)} left")
        with self.lock:
            if text == self.last:
                return
            self.last = text
            self._write(text)

    def close(self) -> None:
        with self.lock:
            if self.width:
                self.stream.write("\n")
                _Progress.closed_line = True
            if self.tty:
                self.stream.write("\x1b[?25h")   # the cursor back
            self.stream.flush()
            self.width = 0


def live_output(args):
    """The audio player when the output is live (no --out, no --transcript), else None.
    Called before any work, so a machine without sound says so at once and plays nothing."""
    return None if args.transcript or args.out else audio_output()


def deliver(steps, label: str, args, output=None, locale: str | None = None) -> None:
    """--transcript, --out, or speak now, for play / ssml / fixture."""
    if args.out and Path(args.out).suffix.lower() != ".wav":
        raise CliError(f"cannot write {args.out}: spoken practices are written as .wav "
                       "(only --guide tones also writes .mp3)")
    if not args.transcript and not args.out:
        output = output or audio_output()
    if args.transcript:
        for line in transcript_lines(steps):
            print(line)
    voice = Voice(args.voice, args.cache_dir, locale or getattr(args, "locale", None))
    if args.out:
        report = voice.write(steps, args.out)
        print(f"{report.path}\t{report.duration_s:.1f} s")
    if not args.transcript and not args.out:
        sys.stdout.flush()
        voice.play(steps, label, output)


# ---------------------------------------------------------------- list

def cmd_list(args) -> int:
    from skill import catalogue
    rows = []
    for s in catalogue.scripts().values():
        if s.minutes:
            length = f"{s.minutes['min']:g}-{s.minutes['max']:g} min, default {s.minutes['default']:g}"
        else:
            length = f"about {s.about_minutes:g} min"
        rows.append((s.id, s.title, length, s.kind))
    widths = [max(len(r[i]) for r in rows + [("id", "title", "length", "kind")]) for i in range(3)]
    print(f"{'id':<{widths[0]}}  {'title':<{widths[1]}}  {'length':<{widths[2]}}  kind")
    for r in rows:
        print(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}")
    return EXIT_OK


# ---------------------------------------------------------------- voices

def cmd_voices(args) -> int:
    from skill.tools.voice import Pyttsx3Engine, SynthesisError
    try:
        voices = Pyttsx3Engine().voices()
    except SynthesisError as err:
        raise CliError(f"cannot list the voices: {err}", EXIT_FAILED) from None
    for v in voices:
        langs = ",".join(v.languages)
        print(f"{v.id}\t{v.name}\t{langs}")
    return EXIT_OK


# ---------------------------------------------------------------- play

def cmd_play(args) -> int:
    from skill import catalogue, render
    if args.guide == "tones":
        return play_tones(args)
    try:
        title, steps = practice_timeline(args.practice, args.locale, args.rate, args.minutes, args.pattern,
                                         args.first_time)
    except catalogue.ParamError as err:
        raise CliError(str(err)) from None
    except render.RenderError as err:
        raise CliError(f"{args.practice} cannot render: {err}", EXIT_FAILED) from None
    deliver(steps, title, args, live_output(args))
    return EXIT_OK


TONE_WRITERS = {".wav": "write_wav", ".mp3": "write_mp3"}   # --out's suffix: skill.tones' writer
TONE_NAMES = {"in": "rising tone: breathe in", "out": "falling tone: breathe out",
              "top-up": "short rising tone: a sip more", "bell": "bell: the end"}


def play_tones(args) -> int:
    """The tone track Alexa streams (skill.tones), exported, listed or played here."""
    from skill import catalogue, tones
    if args.practice != "breathing":
        raise CliError("--guide tones: only the breathing practice has a tone track")
    try:
        params = catalogue.get("breathing").resolve(
            **{k: v for k, v in (("minutes", args.minutes), ("pattern", args.pattern)) if v is not None})
        track = tones.spec(params["pattern"], params["minutes"])
    except (catalogue.ParamError, tones.TrackError) as err:
        raise CliError(str(err)) from None
    output = live_output(args)
    if args.transcript:
        marks, total = tones.layout(track)
        for m in marks:
            print(f"{_fmt_clock(m.start / track.sample_rate)}  tone   {TONE_NAMES[m.kind]}")
        print(f"{_fmt_clock(total / track.sample_rate)}  total")
    if args.out:
        path = Path(args.out)
        write = TONE_WRITERS.get(path.suffix.lower())
        if write is None:
            raise CliError(f"cannot write {path}: the tone track is written as .wav or .mp3 (the file AudioPlayer streams)")
        if path.parent and not path.parent.is_dir():
            raise CliError(f"cannot write {path}: no such directory {path.parent}")
        try:
            seconds = getattr(tones, write)(track, path)
        except OSError as err:
            raise CliError(f"cannot write {path}: {err.strerror or err}") from None
        print(f"{path}\t{seconds:.1f} s")
    if output is not None:
        import tempfile
        with tempfile.TemporaryDirectory(prefix="cc-tones-") as work:
            path = Path(work) / f"{track.name}.wav"
            tones.write_wav(track, path)
            proc = output.start(path)
            try:
                proc.wait()
            except KeyboardInterrupt:
                proc.terminate()
                raise
    return EXIT_OK


# ---------------------------------------------------------------- ssml

def _read_text(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CliError(f"{path}: not a UTF-8 {what} file") from None
    except OSError as err:
        raise CliError(f"cannot read {path}: {err.strerror or err}") from None


SSML_FATAL_RULES = {"xml", "root"}   # what no player can read


def cmd_ssml(args) -> int:
    from skill import catalogue, render, ssml
    try:
        catalogue.check_locale(args.locale)
        if args.rate is not None:
            render.rate_pct(args.rate)
    except catalogue.ParamError as err:
        raise CliError(str(err)) from None
    text = _read_text(args.file, "SSML")
    problems = ssml.check(text, args.locale)
    fatal = [p for p in problems if p.rule in SSML_FATAL_RULES]
    if fatal:
        first = fatal[0]
        raise CliError(f"{args.file}:{first.line}: invalid SSML: {first.rule}: {first.message}")
    # Beyond Alexa's subset or limits, a general player still plays it: unknown tags are
    # spoken as their text, long breaks are honoured. Say what Alexa would refuse.
    for p in problems:
        print(f"{args.file}:{p.line}: note: Alexa would refuse this: {p.rule}: {p.message}", file=sys.stderr)
    output = live_output(args)
    root = ssml.parse(text)
    if args.rate is not None:   # the listener's rate around the whole document, as the skill does
        root = ssml.parse(render.speech(ssml.inner_xml(root), rate=args.rate))
    deliver(ssml.to_timeline(root), Path(args.file).name, args, output)
    return EXIT_OK


# ---------------------------------------------------------------- the skill, in process

class SkillClient:
    """The real skill behind the real webhook (Flask app, developer mode), without a network."""

    def __init__(self):
        from skill.app import create_app
        from skill.config import ConfigError
        # No Alexa API origin is trusted: the envelopes' apiEndpoint is Amazon's, and the
        # offline runner must not reach it (the streak counts in UTC, as the skill then says).
        config = {"DEVELOPER_MODE": True, "ALEXA_API_ORIGINS": (),
                  "SKILL_DATA_DIR": os.environ.get("SKILL_DATA_DIR", "").strip() or "data"}
        try:
            Path(config["SKILL_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
            self.app = create_app(config)
        except ConfigError as err:
            raise CliError(f"configuration: {err}") from None
        except OSError as err:
            raise CliError(f"cannot use SKILL_DATA_DIR {config['SKILL_DATA_DIR']}: "
                           f"{err.strerror or err}") from None
        self.client = self.app.test_client()

    def send(self, envelope: dict, source: str = "request") -> dict:
        res = self.client.post(APP_ROUTE, data=json.dumps(envelope), content_type="application/json")
        body = res.get_json(silent=True)
        if res.status_code != 200 or not isinstance(body, dict):
            message = (body or {}).get("message") if isinstance(body, dict) else None
            code = EXIT_USAGE if 400 <= res.status_code < 500 else EXIT_FAILED
            raise CliError(f"{source}: the skill refused it (HTTP {res.status_code}: "
                           f"{message or 'no details'})", code)
        return body


def _speech_ssml(response: dict, key: str = "outputSpeech") -> str | None:
    from xml.sax.saxutils import escape
    speech = response.get(key) or {}
    if key == "reprompt":
        speech = speech.get("outputSpeech") or {}
    if speech.get("type") == "PlainText" or ("text" in speech and "ssml" not in speech):
        return f"<speak>{escape(speech.get('text', ''))}</speak>"
    return speech.get("ssml")


def answer_timeline(text: str, source: str) -> list:
    from skill import ssml
    try:
        return ssml.to_timeline(text)
    except ssml.SsmlError as err:
        raise CliError(f"{source}: the skill answered with SSML that is not well-formed ({err})",
                       EXIT_FAILED) from None


def _card_text(response: dict) -> str | None:
    card = response.get("card") or {}
    if not card:
        return None
    body = card.get("content") or card.get("text") or ""
    title = card.get("title") or ""
    return " - ".join(p for p in (title, " ".join(body.split())) if p) or None


def cmd_fixture(args) -> int:
    from skill import ssml
    raw = _read_text(args.file, "JSON")
    try:
        envelope = json.loads(raw)
    except json.JSONDecodeError as err:
        raise CliError(f"{args.file}:{err.lineno}: not valid JSON: {err.msg}") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("request"), dict):
        raise CliError(f"{args.file}: not an Alexa request envelope (a JSON object with a \"request\")")
    output = live_output(args)
    body = SkillClient().send(envelope, args.file)
    response = body.get("response") or {}
    text = _speech_ssml(response)
    steps = answer_timeline(text, args.file) if text else []
    if not args.transcript:
        print(f"speech: {ssml.plain_text(text) if text else '(none)'}")
    reprompt = _speech_ssml(response, "reprompt")
    if reprompt:
        print(f"reprompt: {ssml.plain_text(reprompt)}")
    card = _card_text(response)
    if card:
        print(f"card: {card}")
    if "canFulfillIntent" in response:
        print(f"canFulfillIntent: {json.dumps(response['canFulfillIntent'], separators=(',', ':'))}")
    if "shouldEndSession" in response:
        print(f"session: {'ends' if response['shouldEndSession'] else 'stays open'}")
    if args.transcript and not steps:
        print("(no speech)")
    if steps:
        locale = envelope["request"].get("locale")
        deliver(steps, Path(args.file).name, args, output, locale if isinstance(locale, str) else None)
    return EXIT_OK


# ---------------------------------------------------------------- chat

def cmd_chat(args) -> int:
    from skill import catalogue, ssml
    from skill.tools import envelopes, utterances
    try:
        catalogue.check_locale(args.locale)
    except catalogue.ParamError as err:
        raise CliError(str(err)) from None
    live = not args.transcript and not args.out_dir
    output = audio_output() if live else None
    out_dir = Path(args.out_dir) if args.out_dir else None
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise CliError(f"cannot create {out_dir}: {err.strerror or err}") from None
    voice = Voice(args.voice, args.cache_dir, args.locale)
    skill = SkillClient()
    session = envelopes.new_session(args.locale)
    interactive = sys.stdin.isatty()
    if interactive:
        print("(say what you would say to Alexa; 'stop' or Ctrl-D ends)", file=sys.stderr)
    turn = 0
    last_reprompt: list[str | None] = [None]

    def exchange(envelope: dict, label: str) -> bool:
        """Send, print and speak; False when the skill ended the session."""
        nonlocal turn
        body = skill.send(envelope, label)
        session.attributes = body.get("sessionAttributes") or {}
        response = body.get("response") or {}
        last_reprompt[0] = _speech_ssml(response, "reprompt")
        text = _speech_ssml(response)
        if text:
            print(f"coach: {ssml.plain_text(text)}")
            steps = answer_timeline(text, label)
            turn += 1
            if out_dir is not None:
                report = voice.write(steps, out_dir / f"{turn:02d}-{_slug(label)}.wav")
                print(f"{report.path}\t{report.duration_s:.1f} s")
            elif live:
                sys.stdout.flush()
                voice.play(steps, f"turn {turn}", output)
        card = _card_text(response)
        if card and not (text and card.endswith(ssml.plain_text(text))):   # not the speech again
            print(f"card: {card}")
        sys.stdout.flush()
        return response.get("shouldEndSession") is False

    if not exchange(envelopes.launch_request(args.locale, session=session), "launch"):
        print("(the session has ended)")
        return EXIT_OK
    while True:
        try:
            line = input("you: ") + "\n" if interactive else sys.stdin.readline()
        except EOFError:
            line = ""
        if not line:   # end of input: the listener walked away
            if interactive:
                print()
            skill.send(envelopes.session_ended_request("USER_INITIATED", args.locale, session=session),
                       "end of input")
            return EXIT_OK
        line = line.strip()
        if not line:   # silence: Alexa speaks the reprompt (the session stays as it was)
            if last_reprompt[0] and not interactive:
                print("you: (silence)")
                print(f"coach: {ssml.plain_text(last_reprompt[0])}")
            continue
        if not interactive:
            print(f"you: {line}")
        match = utterances.match(line, args.locale)
        label = "launch" if match is None else match.intent
        envelope = envelopes.request_for_match(match, args.locale, session=session)
        if not exchange(envelope, label):
            print("(the session has ended)")
            return EXIT_OK


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("amazon.", "")).strip("-") or "turn"


# ---------------------------------------------------------------- main

def _add_output(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", metavar="FILE.wav", help="write a WAV file instead of speaking (no audio device needed)")
    p.add_argument("--transcript", action="store_true", help="print the timed script instead of speaking")
    _add_voice(p)


def _add_voice(p: argparse.ArgumentParser) -> None:
    p.add_argument("--voice", metavar="V", help="an installed voice id or name, see 'voices' (default: an accent "
                                                "that suits the locale if installed, else the engine's default)")
    p.add_argument("--cache-dir", metavar="DIR", help="keep synthesized speech here and reuse it next time")


def _choices_help() -> dict[str, str]:
    """Help texts naming the valid values, read from the catalogue (the data decides them)."""
    from skill import catalogue, render
    minutes = {s.id: s.minutes for s in catalogue.scripts().values() if s.minutes}
    patterns = {s.id: s.params["pattern"] for s in catalogue.scripts().values() if "pattern" in s.params}
    return {
        "minutes": "length in minutes, for " + "; ".join(
            f"{sid}: {m['min']:g} to {m['max']:g}, default {m['default']:g}" for sid, m in minutes.items()),
        "pattern": "breathing pattern, for " + "; ".join(
            f"{sid}: {', '.join(p['choices'])} (default {p['default']})" for sid, p in patterns.items()),
        "locale": f"one of {', '.join(catalogue.locales())} (default {DEFAULT_LOCALE})",
        "rate": f"one of {', '.join(render.RATES_PCT)} (default {render.DEFAULT_RATE})",
        "rates": ", ".join(render.RATES_PCT),
    }


def build_parser() -> argparse.ArgumentParser:
    helps = _choices_help()
    parser = _Parser(prog=PROG, description=__doc__.split("\n", 1)[0],
                     epilog="Run '%(prog)s COMMAND --help' for each command's options.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("list", help="every practice and explanation", description="List every practice and explanation: id, title, length, kind.")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("voices", help="the installed voices, for --voice",
                       description="List the installed pyttsx3/espeak-ng voices (id, name, languages); "
                                   "give an id or name to --voice.")
    p.set_defaults(func=cmd_voices)

    p = sub.add_parser("play", help="play a practice or explanation",
                       description="Render a practice or explanation with the skill's renderer and speak it, "
                                   "write it to a WAV file (--out) or print its timed script (--transcript).")
    p.add_argument("practice", metavar="PRACTICE", help="an id from 'list'")
    p.add_argument("--minutes", metavar="M", help=helps["minutes"])
    p.add_argument("--pattern", metavar="P", help=helps["pattern"])
    p.add_argument("--first-time", action="store_true",
                   help="as a listener's first practice hears it, with the full cautions")
    p.add_argument("--locale", metavar="L", default=DEFAULT_LOCALE, help=helps["locale"])
    p.add_argument("--rate", metavar="RATE", default=DEFAULT_RATE, help=helps["rate"])
    p.add_argument("--guide", choices=("voice", "tones"), default="voice",
                   help="breathing: voice (the spoken turns, default) or tones (the track Alexa streams "
                        "hands-free: rising tone in, falling tone out, a bell at the end; "
                        "--out may then be .wav or .mp3)")
    _add_output(p)
    p.set_defaults(func=cmd_play)

    p = sub.add_parser("ssml", help="play any SSML file (Alexa's subset)",
                       description="Check an SSML file against Alexa's rules, then speak it, write it to a WAV "
                                   "file (--out) or print its timed script (--transcript).")
    p.add_argument("file", metavar="FILE", help="an SSML document (<speak>...</speak>)")
    p.add_argument("--locale", metavar="L", default=DEFAULT_LOCALE, help="the locale whose SSML rules apply: " + helps["locale"])
    p.add_argument("--rate", metavar="RATE", default=None,
                   help=f"wrap the document in the listener's rate, one of {helps['rates']} (default: as written)")
    _add_output(p)
    p.set_defaults(func=cmd_ssml)

    p = sub.add_parser("fixture", help="send a request envelope through the skill and speak the answer",
                       description="Send a request envelope (JSON, as Alexa POSTs it) through the real skill in "
                                   "process, print its speech and card, and speak it (or --out / --transcript).")
    p.add_argument("file", metavar="FILE.json", help="a request envelope, e.g. tests/fixtures/requests/launch.json")
    _add_output(p)
    p.set_defaults(func=cmd_fixture)

    p = sub.add_parser("chat", help="talk to the skill, one line of stdin per utterance",
                       description="A conversation: launch, then each line of stdin is matched to an intent as "
                                   "Alexa would and sent to the skill; the answers are printed and spoken. "
                                   "'stop' or end of input ends it.")
    p.add_argument("--locale", metavar="L", default=DEFAULT_LOCALE, help=helps["locale"])
    group = p.add_mutually_exclusive_group()
    group.add_argument("--transcript", action="store_true", help="print the answers only, speak nothing")
    group.add_argument("--out-dir", metavar="DIR", help="write each answer to DIR/NN-intent.wav instead of speaking")
    _add_voice(p)
    p.set_defaults(func=cmd_chat)
    return parser


def main(argv=None) -> int:
    from skill.tools.voice import SynthesisError
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except CliError as err:
        print(f"{err.prefix}: {err}", file=sys.stderr)
        return err.code
    except SynthesisError as err:
        print(f"{PROG}: the speech engine failed: {err}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"{'' if _Progress.closed_line else chr(10)}{PROG}: stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:   # e.g. `list | head`: stop quietly, as other tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
