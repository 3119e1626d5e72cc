"""The screen preview (skill/tools/apl_preview.py): it draws every document for every
viewport from the documents' own layout, plays the pacer's commands to a moment, and
(where Chromium is installed) renders PNGs of the device's size."""
import struct

import pytest

from skill import apl, catalogue
from skill.serializer import FastSerializer
from skill.tools import apl_preview, interaction_model


def test_the_commands_played_to_a_moment_grow_the_circle_over_the_in_breath():
    shots = apl_preview.screens("soothing")
    rest, mid, full = (shots[k][1] for k in ("pacer-rest", "pacer-mid-breath", "pacer-full"))
    scale = [s["circle"]["transform"][0]["scale"] for s in (rest, mid, full)]
    assert scale[0] == pytest.approx(apl.REST_SCALE)
    assert scale[0] < scale[1] < scale[2] == pytest.approx(apl.FULL_SCALE, abs=0.01)
    assert mid["cue"]["text"] == full["cue"]["text"] == apl.words()["cue"]["in"]
    assert 0 < mid["progress"]["transform"][0]["scaleX"] < 0.1


def test_every_screen_is_drawn_for_every_viewport_from_its_own_layout():
    for name, (render_doc, state) in apl_preview.screens("4-7-8").items():
        for vp_name, vp in apl_preview.viewports().items():
            page = apl_preview.page(render_doc, vp_name, state)
            assert f"width:{vp['width']}px;height:{vp['height']}px" in page
            assert ("border-radius:50%" in page.split("<div", 2)[1]) == (vp["shape"] == "round")
    calm = apl_preview.page(apl_preview.screens("even")["calm-practice"][0], "tvLandscapeXLarge")
    assert "Compassionate body scan" in calm and apl.words()["hint"].split(",")[0] in calm


def test_what_the_preview_cannot_draw_stops_it_by_name():
    render_doc = apl_preview.screens("even")["calm-practice"][0]
    render_doc["document"]["mainTemplate"]["item"]["type"] = "Video"
    with pytest.raises(apl_preview.Unsupported, match="Video"):
        apl_preview.page(render_doc, "hubLandscapeSmall")


@pytest.mark.skipif(not apl_preview.chromium(), reason="Chromium is not installed (scripts/apl-preview installs it)")
def test_chromium_renders_a_png_of_the_devices_pixel_size(tmp_path):
    render_doc, state = apl_preview.screens("sigh")["pacer-mid-breath"]
    html = tmp_path / "mid.html"
    html.write_text(apl_preview.page(render_doc, "hubLandscapeMedium", state), encoding="utf-8")
    apl_preview.shoot(apl_preview.chromium(), html, tmp_path / "mid.png",
                      apl_preview.viewports()["hubLandscapeMedium"])
    png = (tmp_path / "mid.png").read_bytes()
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1280, 800)          # Echo Show 8: 960 x 600 dp at 4/3


def test_where_the_device_wants_no_animation_the_circle_stays_still_and_the_cue_still_changes():
    """environment.animation 'none' (APL's only reduced-motion signal): the circle and the
    progress line keep their resting look, the cue text still follows the breath."""
    for pattern in catalogue.get("breathing").params["pattern"]["choices"]:
        moving, still = apl_preview.screens(pattern), apl_preview.screens(pattern, {"animation": "none"})
        for name in ("pacer-mid-breath", "pacer-full"):
            render_doc, state = still[name]
            assert set(state) == {"cue"} and state["cue"]["text"] == apl.words()["cue"]["in"], (pattern, name)
            assert "circle" in moving[name][1], (pattern, name)
            drawn = apl_preview.page(render_doc, "hubLandscapeMedium", state)
            assert f"transform:scale({apl.REST_SCALE})" in drawn, (pattern, name)


def every_screen_drawn():
    """(label, RenderDocument, viewport, state) for every screen the skill draws that must
    show its words whole: each pattern's pacer with each cue, each practice's calm screen."""
    for pattern in catalogue.get("breathing").params["pattern"]["choices"]:
        render_doc, state = apl_preview.screens(pattern)["pacer-rest"]
        w = apl.words()
        for cue in {*w["cue"].values(), w["before"], w["after"]}:
            for vp in apl_preview.viewports():
                yield f"{pattern} {cue!r} {vp}", render_doc, vp, {**state, "cue": {"text": cue}}
    for script_id in catalogue.scripts():
        render_doc = FastSerializer().serialize(apl.practice_screen(script_id, 9, 12))[0]
        for vp in apl_preview.viewports():
            yield f"{script_id} {vp}", render_doc, vp, None


@pytest.mark.skipif(not apl_preview.chromium(), reason="Chromium is not installed (scripts/apl-preview installs it)")
def test_every_pacer_and_practice_screen_shows_its_words_whole_on_every_viewport():
    shots = list(every_screen_drawn())
    found = apl_preview.problems(apl_preview.chromium(), shots)
    assert len(found) == len(shots)
    assert {label: p for label, p in found.items() if p} == {}


@pytest.mark.skipif(not apl_preview.chromium(), reason="Chromium is not installed (scripts/apl-preview installs it)")
def test_the_check_finds_words_cut_short_off_the_screen_or_over_other_words():
    long = "Kind attention moving through the body, noticing early signs of stress. " * 6
    cut = FastSerializer().serialize(apl.calm("Compassion Coach", long, hint=apl.words()["hint"]))[0]
    spilt = FastSerializer().serialize(apl.calm("Help, any time", "\n".join([long[:70]] * 9), whole=True))[0]
    pacer, state = apl_preview.screens("even")["pacer-rest"]
    wide = {**state, "title": {"text": "Soothing rhythm breathing " * 4}}
    tall = {**state, "cue": {"text": "Breathe in slowly " * 5}}
    found = apl_preview.problems(apl_preview.chromium(), [
        ("cut", cut, "hubLandscapeLarge", None), ("spilt", spilt, "hubRoundSmall", None),
        ("wide", pacer, "hubRoundSmall", wide), ("tall", pacer, "hubLandscapeSmall", tall),
        ("fine", pacer, "hubRoundSmall", state)])
    assert found["cut"] == ["text: cut short"]          # a paragraph past its few lines
    assert found["spilt"] == ["text: off the screen"]   # whole lines past the round edge
    assert found["wide"] == ["title: cut short"]
    assert "cue: over title" in found["tall"] and "hint: over cue" in found["tall"]
    assert found["fine"] == []


def test_the_manifest_declares_apl_for_exactly_the_screens_drawn():
    """skill.json's ALEXA_PRESENTATION_APL viewports hold every viewport the screens are
    drawn and checked for, and each declared range holds at least one of them."""
    custom = interaction_model.load_manifest()["manifest"]["apis"]["custom"]
    (declared,) = [i["supportedViewports"] for i in custom["interfaces"] if i["type"] == "ALEXA_PRESENTATION_APL"]

    def holds(rng, vp):
        return (rng["mode"] == vp["mode"].upper() and rng["shape"] == vp["shape"].upper()
                and rng["minWidth"] <= vp["width"] <= rng["maxWidth"]
                and rng["minHeight"] <= vp["height"] <= rng["maxHeight"])
    drawn = apl_preview.viewports()
    assert [name for name, vp in drawn.items() if not any(holds(r, vp) for r in declared)] == []
    assert [r for r in declared if not any(holds(r, vp) for vp in drawn.values())] == []
