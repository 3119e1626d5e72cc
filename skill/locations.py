"""Where the skill's data folders are, in a checkout and in an installed wheel.

The checkout keeps ssml/ and interaction_model/ at the top level, beside skill/; the wheel
ships them inside the package as skill/data/ssml and skill/data/interaction_model
(pyproject.toml, force-include). This is the one place that knows both layouts.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"            # skill/data/*.json: in the package in both layouts


def _top_level(name: str) -> Path:
    installed = DATA_DIR / name
    return installed if installed.is_dir() else PACKAGE_DIR.parent / name


SSML_DIR = _top_level("ssml")
INTERACTION_MODEL_DIR = _top_level("interaction_model")
