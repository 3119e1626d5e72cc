"""local_voice.py end to end: the real CLI in a subprocess, the real skill, pyttsx3 + espeak-ng."""
from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest
from cli_helpers import (CLI, PYTHON, REPO, fake_player_dir, quiet_runs, read_wav, skill_answer, start_cli,
                         total_s, transcript)

from skill import catalogue, render, ssml, timeline

FIXTURES = REPO / "tests" / "fixtures" / "requests"
# A stand-in player that plays the CLI's start-up probe (a moment of silence) at once,
# and then "plays" the practice for a long time.
PROBE_OK = 'case "$*" in *cc-probe-*) exit 0;; esac; '
SHORT_SCRIPT = "six-attributes"      # among the shortest scripts in the catalogue (about 2 min)
# The WAV is the transcript's timeline with the real voice: pauses absorb the difference
# between estimated and real speech, so only what short pauses could not absorb remains.
WAV_TOLERANCE = 0.04                 # of the transcript's total
WAV_TOLERANCE_MIN_S = 2.0
SMALL_SSML = """<speak>
  Hello there.
  <break time="2s"/>
  <prosody rate="slow" volume="soft">Breathe out slowly.</prosody>
</speak>
"""
SMALL_SSML_BREAK_S = 2.0


def one_line_error(res, code: int) -> str:
    assert res.returncode == code, (res.returncode, res.stdout[-300:], res.stderr[-1000:])
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    return lines[0]


def plain(body: dict) -> str:
    return ssml.plain_text(body["response"]["outputSpeech"]["ssml"])


# ---------------------------------------------------------------- list

def test_list_shows_every_catalogue_script(run_cli):
    res = run_cli("list")
    assert res.returncode == 0, res.stderr
    rows = {line.split()[0]: line for line in res.stdout.splitlines()[1:]}
    assert set(rows) == set(catalogue.scripts())
    for script in catalogue.scripts().values():
        row = rows[script.id]
        assert script.title in row and row.rstrip().endswith(script.kind)
        if script.minutes:
            assert f"{script.minutes['min']}-{script.minutes['max']} min, default {script.minutes['default']}" in row
        else:
            assert f"about {script.about_minutes:g} min" in row


@pytest.mark.espeak
def test_voices_lists_installed_voices(run_cli):
    res = run_cli("voices")
    assert res.returncode == 0, res.stderr
    ids = [line.split("\t")[0] for line in res.stdout.splitlines()]
    assert ids and any("en" in i for i in ids)


@pytest.mark.parametrize("command", ["list", "voices", "play", "ssml", "fixture", "chat"])
def test_every_command_has_help(run_cli, command):
    res = run_cli(command, "--help")
    assert res.returncode == 0 and "usage:" in res.stdout


# ---------------------------------------------------------------- play

def test_play_transcript_of_one_minute_of_breathing_has_cues_and_pauses(run_cli):
    res = run_cli("play", "breathing", "--minutes", "1", "--transcript")
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    steps = transcript(res.stdout)
    kinds = [k for _, k, _ in steps]
    assert kinds.count("pause") > 10 and kinds.count("speak") > 10 and kinds[-1] == "total"
    expected = [s for t in render.render("breathing", "en-US", minutes=1)
                for s in ssml.to_timeline(render.speech(t.body))]
    said = [rest for _, k, rest in steps if k == "speak"]
    assert said == [s.text for s in expected if isinstance(s, ssml.Speak)]
    starts = [t for t, _, _ in steps]
    assert starts == sorted(starts) and starts[0] == 0.0
    assert abs(total_s(res.stdout) - timeline.duration_s(expected)) < 0.1
    pauses = [float(rest.split()[0]) for _, k, rest in steps if k == "pause"]
    assert all(p > 0 for p in pauses)


@pytest.mark.espeak
def test_play_out_writes_a_wav_as_long_as_the_transcript(run_cli, tmp_path):
    out = tmp_path / "short.wav"
    res = run_cli("play", SHORT_SCRIPT, "--out", out)
    assert res.returncode == 0, res.stderr
    line = res.stdout.strip()
    assert line.startswith(str(out)) and line.endswith(" s") and len(line.splitlines()) == 1
    samples, rate = read_wav(out)
    seconds = len(samples) / rate
    assert abs(seconds - float(line.split("\t")[1].split()[0])) < 0.1
    expected = total_s(run_cli("play", SHORT_SCRIPT, "--transcript").stdout)
    assert abs(seconds - expected) < max(WAV_TOLERANCE_MIN_S, WAV_TOLERANCE * expected), (seconds, expected)
    assert max(abs(x) for x in samples) > 1000, "speech, not silence"


# ---------------------------------------------------------------- ssml

@pytest.mark.espeak
def test_ssml_out_keeps_the_break_as_silence(run_cli, tmp_path):
    src = tmp_path / "small.ssml"
    src.write_text(SMALL_SSML)
    out = tmp_path / "small.wav"
    res = run_cli("ssml", src, "--out", out)
    assert res.returncode == 0, res.stderr
    samples, rate = read_wav(out)
    steps = ssml.to_timeline(SMALL_SSML)
    first_words = steps[0].est_s
    gaps = quiet_runs(samples, rate, 0.5)
    assert len(gaps) == 1, gaps
    start, length = gaps[0]
    assert 0.2 < start < first_words + 0.3           # after the first words
    # The pause ends on the timeline: the next words start at words + break.
    assert abs(start + length - (first_words + SMALL_SSML_BREAK_S)) < 0.15, gaps
    assert length > SMALL_SSML_BREAK_S - 0.6
    assert len(samples) / rate > start + length + 0.5  # the softer, slower words follow


def test_ssml_transcript_shows_the_break(run_cli, tmp_path):
    src = tmp_path / "small.ssml"
    src.write_text(SMALL_SSML)
    res = run_cli("ssml", src, "--transcript")
    assert res.returncode == 0, res.stderr
    kinds = [(k, rest) for _, k, rest in transcript(res.stdout)]
    assert ("pause", "2.0 s") in kinds
    assert [rest for k, rest in kinds if k == "speak"] == ["Hello there.", "Breathe out slowly."]


# ---------------------------------------------------------------- fixture

def test_fixture_launch_transcript_prints_the_welcome(run_cli, tmp_path):
    launch = FIXTURES / "launch.json"
    res = run_cli("fixture", launch, "--transcript")
    assert res.returncode == 0, res.stderr
    expected = skill_answer(json.loads(launch.read_text()), tmp_path / "compare-data")
    said = " ".join(rest for _, k, rest in transcript(res.stdout) if k == "speak")
    spoken = ssml.to_timeline(expected["response"]["outputSpeech"]["ssml"])
    assert said == " ".join(s.text for s in spoken if isinstance(s, timeline.Speak))
    assert "call 9 1 1;" in said     # a number is spoken digit by digit, as Alexa says it
    card = expected["response"]["card"]
    assert any(line.startswith("card: ") and card["title"] in line for line in res.stdout.splitlines())


# ---------------------------------------------------------------- chat

def test_chat_transcript_whole_conversation(run_cli, tmp_path):
    res = run_cli("chat", "--transcript", input="three minutes of breathing\ncontinue\nstop\n")
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert "time zone" not in res.stderr     # the offline runner never asks Amazon's API
    answers = [line[len("coach: "):] for line in res.stdout.splitlines() if line.startswith("coach: ")]
    assert len(answers) == 4, res.stdout
    launch = skill_answer(json.loads((FIXTURES / "launch.json").read_text()), tmp_path / "compare-data")
    assert answers[0] == plain(launch)
    turns = render.render("breathing", "en-US", minutes=3, first_time=True)   # a new listener
    assert len(turns) == 2
    for answer, turn in zip(answers[1:3], turns):
        assert ssml.plain_text(render.speech(turn.body)) in answer
    assert answers[3] == ssml.plain_text(render.speech(render.dialog("goodbye", "en-US")))
    assert res.stdout.rstrip().endswith("(the session has ended)")


def test_chat_ends_at_end_of_input(run_cli):
    res = run_cli("chat", "--transcript", input="")
    assert res.returncode == 0, res.stderr
    assert sum(line.startswith("coach: ") for line in res.stdout.splitlines()) == 1


@pytest.mark.espeak
def test_chat_out_dir_writes_one_wav_per_answer(run_cli, tmp_path):
    out = tmp_path / "answers"
    res = run_cli("chat", "--out-dir", out, input="stop\n")
    assert res.returncode == 0, res.stderr
    wavs = sorted(out.glob("*.wav"))
    assert [p.name for p in wavs] == ["01-launch.wav", "02-stopintent.wav"]
    for p in wavs:
        samples, rate = read_wav(p)
        assert len(samples) > rate


# ---------------------------------------------------------------- bad input

@pytest.fixture
def bad_files(tmp_path) -> dict[str, Path]:
    files = {
        "not-xml.ssml": "<speak>Hello <break time='1s'>\n</speak>",
        "long-break.ssml": "<speak>\nHello <break time=\"20s\"/>\n</speak>",
        "unknown-tag.ssml": "<speak>Hello <blink>there</blink></speak>",
        "not-json.json": "{\"version\": \"1.0\",\n  oops",
        "not-envelope.json": "[1, 2, 3]",
        "unknown-request.json": json.dumps({"version": "1.0", "request": {
            "type": "NoSuchRequest", "requestId": "amzn1.echo-api.request.x", "timestamp": "2026-01-01T00:00:00Z"}}),
        "latin1.ssml": "<speak>caf\xe9</speak>",
    }
    out = {}
    for name, text in files.items():
        out[name] = tmp_path / name
        out[name].write_bytes(text.encode("latin-1"))
    return out


BAD_INPUTS = [
    (["play", "no-such-practice", "--transcript"], ["breathing", "body-scan"]),
    (["play", "breathing", "--minutes", "99", "--transcript"], ["1", "20"]),
    (["play", "breathing", "--minutes", "lots", "--transcript"], ["1", "20"]),
    (["play", "breathing", "--pattern", "zigzag", "--transcript"], ["soothing", "box", "4-7-8"]),
    (["play", "body-scan", "--minutes", "3", "--transcript"], ["body-scan"]),
    (["play", "body-scan", "--locale", "fr-FR", "--transcript"], ["en-US", "en-GB"]),
    (["play", "body-scan", "--rate", "fast", "--transcript"], ["normal", "slower"]),
    (["play", "body-scan", "--voice", "no-such-voice-xyz", "--out", "x.wav"], ["no-such-voice-xyz"]),
    (["play", "body-scan", "--out", "body-scan.mp3"], ["body-scan.mp3", ".wav"]),
    (["ssml", "{missing.ssml}", "--transcript"], ["missing.ssml"]),
    (["ssml", "{not-xml.ssml}", "--transcript"], ["not-xml.ssml:"]),
    (["ssml", "{latin1.ssml}", "--transcript"], ["latin1.ssml", "UTF-8"]),
    (["ssml", "{unknown-tag.ssml}", "--locale", "xx", "--transcript"], ["en-US"]),
    (["fixture", "{missing.json}", "--transcript"], ["missing.json"]),
    (["fixture", "{not-json.json}", "--transcript"], ["not-json.json:2", "JSON"]),
    (["fixture", "{not-envelope.json}", "--transcript"], ["not-envelope.json", "envelope"]),
    (["fixture", "{unknown-request.json}", "--transcript"], ["unknown-request.json", "400"]),
    (["chat", "--locale", "de-DE", "--transcript"], ["en-US"]),
    (["play"], ["PRACTICE"]),
    (["dance"], ["list", "play"]),
]


@pytest.mark.parametrize("argv, mentions", BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_is_one_line_and_exit_2(run_cli, tmp_path, bad_files, argv, mentions):
    argv = [str(tmp_path / a[1:-1]) if a.startswith("{") else a for a in argv]
    line = one_line_error(run_cli(*argv), 2)
    for word in mentions:
        assert word in line, line


# ---------------------------------------------------------------- audio output

def _env_without_players(cli_env, tmp_path) -> dict:
    empty = tmp_path / "no-players"
    empty.mkdir()
    return {**cli_env, "PATH": str(empty)}


@pytest.mark.parametrize("argv", [["play", "body-scan"], ["ssml", "{small}"],
                                  ["fixture", str(FIXTURES / "launch.json")], ["chat"]])
def test_no_audio_output_exits_3_with_one_line(run_cli, cli_env, tmp_path, argv):
    src = tmp_path / "small.ssml"
    src.write_text(SMALL_SSML)
    argv = [str(src) if a == "{small}" else a for a in argv]
    line = one_line_error(run_cli(*argv, env=_env_without_players(cli_env, tmp_path), input=""), 3)
    assert "no audio output" in line and "--out" in line and "--transcript" in line


def test_play_on_this_machine_without_audio_exits_3(run_cli):
    from skill.tools.voice import NoAudioOutput, find_audio_output
    try:
        find_audio_output()
    except NoAudioOutput:
        pass
    else:
        pytest.skip("this machine has an audio player")
    line = one_line_error(run_cli("play", "breathing", "--minutes", "1"), 3)
    assert "--out" in line and "--transcript" in line


@pytest.mark.espeak
def test_a_player_that_fails_is_no_audio_output(run_cli, cli_env, tmp_path):
    players = fake_player_dir(tmp_path / "bin", 'echo "aplay: main:831: audio open error: No such file" >&2; exit 1')
    src = tmp_path / "small.ssml"
    src.write_text(SMALL_SSML)
    env = {**cli_env, "PATH": f"{players}{os.pathsep}{cli_env['PATH']}"}
    res = run_cli("ssml", src, env=env)
    assert res.returncode == 3, res.stderr
    assert "Traceback" not in res.stderr
    last = res.stderr.strip().splitlines()[-1]
    assert "audio open error" in last and "--out" in last


@pytest.mark.espeak
def test_live_play_shows_progress_and_finishes(run_cli, cli_env, tmp_path):
    players = fake_player_dir(tmp_path / "bin", "exit 0")
    src = tmp_path / "small.ssml"
    src.write_text(SMALL_SSML)
    env = {**cli_env, "PATH": f"{players}{os.pathsep}{cli_env['PATH']}"}
    started = time.monotonic()
    res = run_cli("ssml", src, env=env)
    assert res.returncode == 0, res.stderr
    assert time.monotonic() - started >= SMALL_SSML_BREAK_S      # the pause is waited out
    assert "small.ssml  step 1/3" in res.stderr and "small.ssml  step 3/3" in res.stderr
    assert " left" in res.stderr and res.stderr.endswith("\n")


PLAYER_SOUNDS_S = 30


@pytest.mark.espeak
def test_ctrl_c_stops_at_once_and_exits_130(cli_env, tmp_path):
    pid_file = tmp_path / "player.pid"
    players = fake_player_dir(tmp_path / "bin", PROBE_OK + f'echo $$ > "{pid_file}"; exec sleep {PLAYER_SOUNDS_S}')
    env = {**cli_env, "PATH": f"{players}{os.pathsep}{cli_env['PATH']}"}
    proc = start_cli("play", SHORT_SCRIPT, env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert pid_file.exists(), proc.stderr.read() if proc.poll() is not None else "player never started"
        time.sleep(0.3)
        stopped_at = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # "At once": a small fraction of the sound still to play (a ratio: a busy machine does
    # not fail it, waiting the player out always would).
    assert time.monotonic() - stopped_at < PLAYER_SOUNDS_S / 10, "stops at once"
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "step 1/" in err and err.rstrip().endswith("stopped")
    player_pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(player_pid, 0)      # the sound stopped with it


@pytest.mark.espeak
def test_ctrl_c_on_a_terminal_restores_the_cursor(cli_env, tmp_path):
    players = fake_player_dir(tmp_path / "bin", PROBE_OK + "exec sleep 30")
    src = tmp_path / "small.ssml"
    src.write_text(SMALL_SSML)
    env = {**cli_env, "PATH": f"{players}{os.pathsep}{cli_env['PATH']}"}
    master, slave = pty.openpty()
    proc = subprocess.Popen([PYTHON, str(CLI), "ssml", str(src)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=slave, env=env, cwd=tmp_path)
    os.close(slave)
    seen = b""

    def read_until(predicate, timeout_s):
        nonlocal seen
        deadline = time.monotonic() + timeout_s
        while not predicate(seen) and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk

    try:
        read_until(lambda b: b"step 1/" in b, 30)
        assert b"step 1/" in seen, seen
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        read_until(lambda b: b"stopped" in b, 2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert proc.returncode == 130
    assert b"\x1b[?25l" in seen                       # cursor hidden while playing
    assert seen.rindex(b"\x1b[?25h") > seen.rindex(b"step 1/")   # and shown again
    assert b"Traceback" not in seen


def test_ssml_beyond_alexas_subset_still_plays_with_a_note(run_cli, tmp_path, bad_files):
    """A general player: unknown tags are spoken as text, long breaks honoured, and the
    listener is told what Alexa itself would refuse."""
    res = run_cli("ssml", bad_files["unknown-tag.ssml"], "--transcript")
    assert res.returncode == 0, res.stderr
    assert "there" in res.stdout and "blink" in res.stderr
    res = run_cli("ssml", bad_files["long-break.ssml"], "--transcript")
    assert res.returncode == 0, res.stderr
    assert "20.0" in res.stdout and "long-break.ssml:2" in res.stderr and "10 s" in res.stderr
