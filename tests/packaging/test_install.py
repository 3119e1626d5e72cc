"""The project as pip installs it: the wheel's contents, and `pip install .` into a fresh
venv, run from a folder outside the checkout, serving a launch."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from support.processes import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "requests"
PIP_TIMEOUT_S = 900


def tracked(*paths: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", "--", *paths], cwd=REPO_ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    return [p for p in out if (REPO_ROOT / p).is_file()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(REPO_ROOT)],
                   check=True, capture_output=True, timeout=PIP_TIMEOUT_S)
    [built] = out.glob("compassion_coach-*.whl")
    return built


def test_the_wheel_carries_the_code_the_scripts_and_the_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {p for p in tracked("skill") if not p.endswith(".pyc")}
    expected |= {"skill/data/" + p for p in tracked("ssml", "interaction_model")}
    expected.add("local_voice.py")
    assert expected - names == set()
    assert any(n.startswith("skill/data/ssml/dialog/") for n in names)
    assert "skill/data/interaction_model/skill-package/skill.json" in names
    assert "skill/data/helplines.json" in names
    # nothing from the tests, the benchmarks or a developer's local state
    assert not {n for n in names if n.split("/")[0] in ("tests", "benchmarks", "data", "ssml",
                                                         "interaction_model", "requirements")}


def test_the_code_finds_its_data_in_the_installed_layout(wheel, tmp_path):
    # Unpacked without pip: only the wheel's files, no checkout beside them.
    with zipfile.ZipFile(wheel) as z:
        z.extractall(tmp_path)
    code = ("import sys; sys.path.insert(0, sys.argv[1]);"
            "from skill import locations as l;"
            "print(l.SSML_DIR); print(l.INTERACTION_MODEL_DIR); print(l.DATA_DIR)")
    out = subprocess.run([sys.executable, "-I", "-c", code, str(tmp_path)], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(tmp_path / "skill" / "data" / "ssml"),
                   str(tmp_path / "skill" / "data" / "interaction_model"),
                   str(tmp_path / "skill" / "data")]


@pytest.mark.slow
def test_pip_install_dot_in_a_fresh_venv_serves_a_launch(tmp_path):
    env_dir, outside = tmp_path / "venv", tmp_path / "elsewhere"
    outside.mkdir()
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           str(REPO_ROOT)], cwd=outside, env=env, capture_output=True, text=True,
                          timeout=PIP_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]

    launch = json.loads((FIXTURES / "launch.json").read_text())
    launch["context"]["System"].pop("apiEndpoint", None)    # nothing leaves the machine
    serve = (
        "import json, sys, skill\n"
        "assert 'site-packages' in skill.__file__, skill.__file__\n"
        "from skill.app import create_app\n"
        "app = create_app({'DEVELOPER_MODE': True, 'SKILL_DATA_DIR': 'state'})\n"
        "res = app.test_client().post('/alexa', data=sys.stdin.read(),\n"
        "    content_type='application/json', environ_base={'REMOTE_ADDR': '127.0.0.1'})\n"
        "print(res.status_code); print(json.dumps(res.get_json()))\n")
    done = subprocess.run([str(python), "-I", "-c", serve], cwd=outside, env=env,
                          input=json.dumps(launch), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    status, body = done.stdout.splitlines()[:2]
    assert status == "200"
    assert "Welcome to Compassion Coach" in json.loads(body)["response"]["outputSpeech"]["ssml"]

    # The offline runner and its practices come with it.
    listed = subprocess.run([str(python), "-I", "-m", "local_voice", "list"], cwd=outside,
                            env=env, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr[-3000:]
    assert "breathing" in listed.stdout
