"""The webhook's runtime is everything in skill/ but skill/tools/: it must never import it."""
import subprocess
import sys


def test_the_webhook_imports_nothing_from_skill_tools():
    code = ("import sys, skill.app, skill.builder, skill.handlers;"
            "print(sorted(m for m in sys.modules if m.startswith('skill.tools')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_serving_app_imports_nothing_from_skill_tools(tmp_path):
    code = ("import sys; from skill.app import create_app;"
            f"create_app({{'DEVELOPER_MODE': True, 'SKILL_DATA_DIR': {str(tmp_path)!r}}});"
            "print(sorted(m for m in sys.modules if m.startswith('skill.tools')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
