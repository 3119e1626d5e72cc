"""local_voice.py play breathing --guide tones: the very track AudioPlayer streams."""
import subprocess

from benchmarks.common import onsets_s
from cli_helpers import CLI, PYTHON, read_wav
from skill import tones


def _run(*args):
    return subprocess.run([PYTHON, str(CLI), *args], capture_output=True, text=True, timeout=120)


def test_export_is_the_served_track_sample_for_sample(tmp_path):
    out = tmp_path / "tones.wav"
    done = _run("play", "breathing", "--guide", "tones", "--minutes", "2", "--pattern", "box", "--out", str(out))
    assert done.returncode == 0, done.stderr
    samples, rate = read_wav(out)
    track = tones.spec("box", 2)
    assert rate == track.sample_rate and samples.tobytes() == tones.pcm(track)
    marks, _ = tones.layout(track)
    assert len(onsets_s(samples, rate)) == len(marks)
    assert done.stdout.strip().endswith(f"{len(samples) / rate:.1f} s")


def test_transcript_names_each_tone_and_bad_arguments_are_one_line():
    done = _run("play", "breathing", "--guide", "tones", "--minutes", "1", "--transcript")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert "rising tone: breathe in" in lines[0] and "bell" in lines[-2] and lines[-1].endswith("total")
    bad = _run("play", "body-scan", "--guide", "tones", "--transcript")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    bad = _run("play", "breathing", "--guide", "tones", "--minutes", "90", "--transcript")
    assert bad.returncode == 2 and "minutes" in bad.stderr


def test_an_mp3_export_is_the_file_the_skill_serves_and_other_names_are_refused(tmp_path):
    out = tmp_path / "tones.mp3"
    done = _run("play", "breathing", "--guide", "tones", "--minutes", "2", "--pattern", "even", "--out", str(out))
    assert done.returncode == 0, done.stderr
    served = tones.TrackCache(tmp_path / "cache").get(tones.spec("even", 2))
    assert out.read_bytes()[:3] != b"RIF" and out.read_bytes() == served.read_bytes()
    bad = _run("play", "breathing", "--guide", "tones", "--minutes", "2", "--out", str(tmp_path / "tones.ogg"))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and ".mp3" in bad.stderr
    assert not (tmp_path / "tones.ogg").exists()
