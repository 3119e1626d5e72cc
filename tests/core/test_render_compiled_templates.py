"""Templates compiled at build time (skill.render.CompiledTemplates, which the Lambda zip
carries): the same SSML as compiling them on the spot, no compiling when they are there,
and a stale entry never used."""
from __future__ import annotations

import jinja2
import pytest

from skill import render

@pytest.fixture(scope="module")
def compiled_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("compiled-templates")
    assert render.compile_templates(directory) >= len(render.dialog_names())
    return directory


def _source(template, env, monkeypatch, **values):
    monkeypatch.setattr(render, "_env", lambda locale: env)
    return render.render_source(template, "en-GB", **values)


def _no_compiling(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise AssertionError("compiled a template")
    monkeypatch.setattr(jinja2.Environment, "compile", refuse)


def test_compiled_templates_render_the_same_without_compiling(compiled_dir, monkeypatch):
    fresh, expected = render.new_environment("en-GB"), {}
    for name in render.dialog_names():
        template = f"dialog/{name}.ssml.j2"
        try:
            expected[template] = _source(template, fresh, monkeypatch)
        except render.RenderError:       # a line that needs values: not this test's concern
            pass
    assert len(expected) >= 20
    prebuilt = render.new_environment("en-GB", render.CompiledTemplates(compiled_dir))
    _no_compiling(monkeypatch)
    assert {t: _source(t, prebuilt, monkeypatch) for t in expected} == expected


def test_a_stale_entry_is_compiled_afresh_and_nothing_is_written(compiled_dir, tmp_path,
                                                                 monkeypatch):
    cache = render.CompiledTemplates(tmp_path)
    env = render.new_environment("en-GB", cache)
    name = "dialog/error.ssml.j2"
    key = cache.get_cache_key(name, env.loader.get_source(env, name)[1])
    other = render.CompiledTemplates(compiled_dir)
    other_name = "dialog/welcome_first.ssml.j2"
    other_key = other.get_cache_key(other_name, env.loader.get_source(env, other_name)[1])
    # Another template's code under this one's key: Jinja's source hash must refuse it.
    (tmp_path / f"{key}.jinja").write_bytes((compiled_dir / f"{other_key}.jinja").read_bytes())
    expected = _source(name, render.new_environment("en-GB"), monkeypatch)
    assert _source(name, env, monkeypatch) == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{key}.jinja"]   # read-only
