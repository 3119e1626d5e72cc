"""python -m benchmarks.pacing --help says what the recording meter does, in whole sentences."""
import pytest

from benchmarks import pacing


def test_the_help_describes_the_recording_meter(capsys):
    with pytest.raises(SystemExit) as done:
        pacing.main(["--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "per-cycle error of a recording" in text and "without --recording" in text
