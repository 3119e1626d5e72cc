"""Pictures of the Echo Show screens, drawn from the documents' own layout.

    python -m skill.tools.apl_preview --out build/apl_preview [--pattern soothing]
    (scripts/apl-preview does the same, installing Debian's chromium first when root)

Each APL document the webhook sends (skill.apl) is laid out as HTML: its resources chosen
by their `when` for the viewport, its data bound from the real datasources, Frames,
Containers and Texts as flex boxes, sizes in vh/vw/dp turned into the viewport's dp. The
pacer's own commands are then played to a moment, on a clock where each SpeakItem lasts
the renderer's estimate of its speech, and the circle, the progress line and the cue are
drawn as they stand then. Headless Chromium renders each page to PNG at the device's
pixel density: at rest, mid in-breath and full (and mid in-breath where the device wants
no animation), plus the calm screen of a practice and the one a crisis answer leaves, for
every viewport in apl_viewports.json; then it checks, in Chromium's layout, that no text on
any of them is cut short, off the screen (a round one's circle) or over other text, and
fails naming any that is. Only the subset of APL the screens use is understood; anything
else stops the preview with the name of what it met, rather than drawing it wrong.
"""
from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from skill import apl, catalogue, danger, render, ssml
from skill.handlers import safety_check
from skill.serializer import FastSerializer
from skill.timeline import duration_s

VIEWPORTS_FILE = Path(__file__).resolve().parent / "apl_viewports.json"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars")
CHROMIUM_TIMEOUT_S = 60
FULL_BEFORE_END_S = 0.05   # "full" is drawn this long before the in-breath ends
EASING_BEZIER = {"linear": (0.0, 0.0, 1.0, 1.0), "ease": (0.25, 0.1, 0.25, 1.0),
                 "ease-in": (0.42, 0.0, 1.0, 1.0), "ease-out": (0.0, 0.0, 0.58, 1.0),
                 "ease-in-out": (0.42, 0.0, 0.58, 1.0)}
ENVIRONMENT = {"animation": "normal", "screenMode": "normal", "disallowVideo": False}


class Unsupported(ValueError):
    """APL the preview does not draw."""


def viewports() -> dict[str, dict]:
    data = json.loads(VIEWPORTS_FILE.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


# ---- data binding ---------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|('[^']*'|\"[^\"]*\")|(@?[A-Za-z_]\w*)|(==|!=|&&|\|\||[-+*/()\[\].?:!<>]))")


def _tokens(expr: str) -> list[tuple[str, object]]:
    out, pos = [], 0
    while pos < len(expr.rstrip()):
        m = _TOKEN.match(expr, pos)
        if not m:
            raise Unsupported(f"expression {expr!r}")
        num, text, name, op = m.groups()
        out.append(("num", float(num)) if num else ("str", text[1:-1]) if text else
                   ("name", name) if name else ("op", op))
        pos = m.end()
    return out


class _Expr:
    """Recursive descent over the subset the documents use: paths, [], == != && || + - * /, ?:."""

    def __init__(self, tokens, scope, resources):
        self.t, self.i, self.scope, self.res = tokens, 0, scope, resources

    def peek(self, *ops):
        return self.i < len(self.t) and self.t[self.i][0] == "op" and self.t[self.i][1] in ops

    def take(self):
        self.i += 1
        return self.t[self.i - 1]

    def parse(self):
        value = self.ternary()
        if self.i != len(self.t):
            raise Unsupported(f"trailing {self.t[self.i:]}")
        return value

    def ternary(self):
        cond = self.binary(0)
        if self.peek("?"):
            self.take()
            a = self.ternary()
            self.take()
            b = self.ternary()
            return a if cond else b
        return cond

    LEVELS = (("||",), ("&&",), ("==", "!="), ("<", ">"), ("+", "-"), ("*", "/"))

    def binary(self, level):
        if level == len(self.LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek(*self.LEVELS[level]):
            op = self.take()[1]
            right = self.binary(level + 1)
            left = {"||": lambda: left or right, "&&": lambda: left and right,
                    "==": lambda: left == right, "!=": lambda: left != right,
                    "<": lambda: left < right, ">": lambda: left > right,
                    "+": lambda: (f"{left}{right}" if isinstance(left, str) or isinstance(right, str)
                                  else left + right),
                    "-": lambda: left - right, "*": lambda: left * right, "/": lambda: left / right}[op]()
        return left

    def unary(self):
        if self.peek("!"):
            self.take()
            return not self.unary()
        if self.peek("-"):
            self.take()
            return -self.unary()
        return self.postfix()

    def postfix(self):
        value = self.primary()
        while self.peek(".", "["):
            if self.take()[1] == ".":
                value = value[self.take()[1]]
            else:
                key = self.ternary()
                self.take()
                value = value[key]
        return value

    def primary(self):
        kind, value = self.take()
        if kind in ("num", "str"):
            return value
        if kind == "op" and value == "(":
            inner = self.ternary()
            self.take()
            return inner
        if kind == "name":
            if value.startswith("@"):
                return self.res[value[1:]]
            return {"true": True, "false": False, "null": None}.get(value, self.scope.get(value))
        raise Unsupported(f"token {value!r}")


def bind(value, scope: dict, resources: dict):
    """A property's value after data binding and resource lookup (inside lists and
    objects too, as in a transform's `[{"scale": "${...}"}]`)."""
    if isinstance(value, list):
        return [bind(v, scope, resources) for v in value]
    if isinstance(value, dict):
        return {k: bind(v, scope, resources) for k, v in value.items()}
    if not isinstance(value, str):
        return value
    whole = re.fullmatch(r"\$\{(.*)\}", value, re.S)
    if whole:
        return _Expr(_tokens(whole.group(1)), scope, resources).parse()
    if "${" in value:
        return re.sub(r"\$\{(.*?)\}", lambda m: str(_Expr(_tokens(m.group(1)), scope, resources).parse()), value)
    if value.startswith("@"):
        return resources[value[1:]]
    return value


def resources_for(document: dict, scope: dict) -> dict:
    merged: dict = {}
    for block in document.get("resources", []):
        if "when" not in block or bind(block["when"], scope, merged):
            for kind in ("colors", "dimensions", "numbers", "strings"):
                merged.update(block.get(kind, {}))
    return merged


# ---- layout as HTML ---------------------------------------------------------------------

def _dim(value, vp: dict) -> str:
    if isinstance(value, (int, float)):
        return f"{value}px"
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)(vh|vw|dp|px|%)?", str(value).strip())
    if not m:
        raise Unsupported(f"dimension {value!r}")
    number, unit = float(m.group(1)), m.group(2) or "dp"
    if unit == "%":
        return f"{number}%"
    px = {"vh": number * vp["height"] / 100, "vw": number * vp["width"] / 100}.get(unit, number)
    return f"{px:.2f}px"


ALIGN = {"center": "center", "start": "flex-start", "end": "flex-end", "stretch": "stretch",
         "spaceBetween": "space-between", "spaceAround": "space-around", "spaceEvenly": "space-evenly"}
DIMENSIONS = ("width", "height", "paddingTop", "paddingBottom", "paddingLeft", "paddingRight",
              "borderRadius", "borderWidth", "fontSize")
CSS = {"paddingTop": "padding-top", "paddingBottom": "padding-bottom", "paddingLeft": "padding-left",
       "paddingRight": "padding-right", "borderRadius": "border-radius", "borderWidth": "border-width",
       "fontSize": "font-size", "width": "width", "height": "height"}
KNOWN = set(DIMENSIONS) | {"type", "id", "item", "items", "data", "position", "direction", "alignItems",
                           "justifyContent", "backgroundColor", "borderColor", "opacity", "transform",
                           "text", "color", "textAlign", "textAlignVertical", "maxLines", "speech",
                           "description"}


def _transform_css(transform) -> str:
    parts = []
    for step in transform or []:
        for key, amount in step.items():
            if key not in ("scale", "scaleX", "scaleY"):
                raise Unsupported(f"transform {key}")
            parts.append(f"{key}({amount})")
    return " ".join(parts)


def draw(component: dict, scope: dict, res: dict, vp: dict, state: dict) -> str:
    unknown = set(component) - KNOWN
    if unknown:
        raise Unsupported(f"{component.get('type')} properties {sorted(unknown)}")
    kind = component["type"]
    children = component.get("items", [])
    if "data" in component:     # one child inflated per datum, with `data` bound to it
        if kind != "Container" or len(children) != 1:
            raise Unsupported(f"{kind} with data and {len(children)} items")
        children = [(children[0], dict(scope, data=d)) for d in bind(component["data"], scope, res)]
    else:
        children = [(c, scope) for c in children]
    p = {k: bind(v, scope, res) for k, v in component.items() if k not in ("item", "items", "data")}
    p.update(state.get(p.get("id"), {}))
    css = ["box-sizing:border-box", "flex-shrink:0", "position:" + ("absolute;left:0;top:0" if p.get("position") == "absolute"
                                                     else "relative")]
    css += [f"{CSS[k]}:{_dim(p[k], vp)}" for k in DIMENSIONS if k in p]
    if "backgroundColor" in p:
        css.append(f"background-color:{p['backgroundColor']}")
    if "borderColor" in p:
        css.append(f"border-style:solid;border-color:{p['borderColor']}")
    if "opacity" in p:
        css.append(f"opacity:{p['opacity']}")
    if p.get("transform"):
        css.append(f"transform:{_transform_css(p['transform'])}")
    if kind == "Text":
        css += [f"color:{p.get('color', '#FAFAFA')}", f"text-align:{p.get('textAlign', 'left')}",
                "display:flex", "flex-direction:column",
                "justify-content:" + ("center" if p.get("textAlignVertical") == "center" else "flex-start"),
                "line-height:1.25", "font-family:'Amazon Ember','Noto Sans','DejaVu Sans',sans-serif"]
        text = html.escape(str(p.get("text", "")))
        clamp = (f'display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:{p["maxLines"]};'
                 f'overflow:hidden' if p.get("maxLines") else "")
        return (f'<div style="{";".join(css)}"><span data-text="{html.escape(str(p.get("id", "")))}" '
                f'style="{clamp}">{text}</span></div>')
    if kind == "Frame":
        child = component.get("item")
        css.append("display:flex")
        inner = draw(child, scope, res, vp, state) if child else ""
        return f'<div style="{";".join(css)}">{inner}</div>'
    if kind == "Container":
        css += ["display:flex", f"flex-direction:{p.get('direction', 'column')}",
                f"align-items:{ALIGN[p.get('alignItems', 'stretch')]}",
                f"justify-content:{ALIGN[p.get('justifyContent', 'start')]}"]
        inner = "".join(draw(c, c_scope, res, vp, state) for c, c_scope in children)
        return f'<div style="{";".join(css)}">{inner}</div>'
    raise Unsupported(f"component {kind}")


def _device(render_doc: dict, vp_name: str, state: dict | None, label: str = "") -> str:
    """The screen of one device: the document laid out inside the viewport's shape."""
    vp = viewports()[vp_name]
    doc = render_doc["document"]
    sources = json.loads(json.dumps(render_doc["datasources"]))
    for source in sources.values():     # Alexa turns SSML into a speech URL; here, a stand-in
        for t in source.get("transformers", []):
            source["properties"][t.get("outputName", t["inputPath"])] = f"speech of {t['inputPath']}"
    scope = {"payload": sources,
             "viewport": {"shape": vp["shape"], "width": vp["width"], "height": vp["height"], "mode": vp["mode"]},
             "environment": ENVIRONMENT}
    res = resources_for(doc, scope)
    body = draw(doc["mainTemplate"]["item"], scope, res, vp, state or {})
    mask = "border-radius:50%;overflow:hidden;" if vp["shape"] == "round" else "overflow:hidden;"
    return (f'<div data-screen="{html.escape(label)}" data-round="{int(vp["shape"] == "round")}" '
            f'style="position:relative;width:{vp["width"]}px;height:{vp["height"]}px;{mask}">{body}</div>')


def page(render_doc: dict, vp_name: str, state: dict | None = None) -> str:
    return (f'<!doctype html><meta charset="utf-8"><body style="margin:0;background:#000">'
            f'{_device(render_doc, vp_name, state)}</body>')


# Marks each Text whose words do not all show: cut short (maxLines), a line of it outside
# the screen (for a round screen, outside the circle), or over another Text's words. Run by Chromium; results in a <pre>.
PROBE = """<pre id="probe"></pre><script>
const found = {};
for (const screen of document.querySelectorAll('[data-screen]')) {
  const box = screen.getBoundingClientRect(), round = screen.dataset.round === '1';
  const cx = box.left + box.width / 2, cy = box.top + box.height / 2, radius = box.width / 2;
  const inside = (x, y) => round ? Math.hypot(x - cx, y - cy) <= radius + 0.5
    : x >= box.left - 0.5 && x <= box.right + 0.5 && y >= box.top - 0.5 && y <= box.bottom + 0.5;
  const problems = [], drawn = [];
  for (const span of screen.querySelectorAll('span[data-text]')) {
    if (!span.textContent.trim()) continue;
    const id = span.dataset.text || 'text', shown = span.getBoundingClientRect();
    if (span.scrollHeight > span.clientHeight + 1) problems.push(id + ': cut short');
    const range = document.createRange();
    range.selectNodeContents(span);
    for (const r of range.getClientRects()) {
      if (!r.width || r.top >= shown.bottom - 1) continue;   // a line the clamp hides
      if (![[r.left, r.top], [r.right, r.top], [r.left, r.bottom], [r.right, r.bottom]]
          .every(([x, y]) => inside(x, y))) problems.push(id + ': off the screen');
      for (const [other, o] of drawn)
        if (other !== span && r.left < o.right - 1 && o.left < r.right - 1 && r.top < o.bottom - 1 && o.top < r.bottom - 1)
          problems.push(id + ': over ' + (other.dataset.text || 'text'));
      drawn.push([span, r]);
    }
  }
  found[screen.dataset.screen] = [...new Set(problems)];
}
document.getElementById('probe').textContent = JSON.stringify(found);
</script>"""


def problems(browser: str, shots: list[tuple[str, dict, str, dict | None]]) -> dict[str, list[str]]:
    """{label: what does not show} for (label, RenderDocument, viewport, state) screens,
    laid out by Chromium: each Text cut short or reaching off the screen, by id."""
    body = "".join(_device(rd, vp_name, state, label) for label, rd, vp_name, state in shots)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "probe.html"
        path.write_text(f'<!doctype html><meta charset="utf-8"><body style="margin:0">{body}{PROBE}</body>',
                        encoding="utf-8")
        run = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile", "--dump-dom",
                              path.as_uri()], check=True, capture_output=True, text=True,
                             timeout=CHROMIUM_TIMEOUT_S)
    found = re.search(r'<pre id="probe">(.*?)</pre>', run.stdout, re.S)
    if not found or not found.group(1):
        raise RuntimeError("apl_preview: Chromium ran no probe")
    return json.loads(html.unescape(found.group(1)))


# ---- the commands, played to a moment ----------------------------------------------------

def _bezier(x1, y1, x2, y2, x: float) -> float:
    lo, hi = 0.0, 1.0
    for _ in range(40):     # solve bx(t) = x by bisection, then return by(t)
        t = (lo + hi) / 2
        bx = 3 * (1 - t) ** 2 * t * x1 + 3 * (1 - t) * t ** 2 * x2 + t ** 3
        lo, hi = (t, hi) if bx < x else (lo, t)
    t = (lo + hi) / 2
    return 3 * (1 - t) ** 2 * t * y1 + 3 * (1 - t) * t ** 2 * y2 + t ** 3


def state_at(render_doc: dict, execute: dict, at_s: float, environment: dict = ENVIRONMENT) -> dict:
    """What the commands have set by `at_s` seconds on a device whose data-binding
    `environment` is given: {component id: {property: value}}."""
    props = render_doc["datasources"]["pacer"]["properties"]
    scope = {"environment": environment}
    state: dict = {}
    at_ms = at_s * 1000

    def run(cmd: dict, start: float) -> float:
        kind = cmd["type"]
        if kind == "Sequential":
            for c in cmd["commands"]:
                start = run(c, start)
            return start
        if kind == "Parallel":
            return max([run(c, start) for c in cmd["commands"]] or [start])
        if kind == "Idle":
            return start + cmd.get("delay", 0)
        if kind == "SpeakItem":
            return start + 1000 * duration_s(ssml.to_timeline(props[cmd["componentId"]]))
        if kind == "SetValue":
            if start <= at_ms:
                state.setdefault(cmd["componentId"], {})[cmd["property"]] = cmd["value"]
            return start
        if kind == "AnimateItem":
            if "when" in cmd and not bind(cmd["when"], scope, {}):
                return start
            if start <= at_ms:
                x = min(1.0, (at_ms - start) / cmd["duration"]) if cmd["duration"] else 1.0
                eased = _bezier(*EASING_BEZIER[cmd.get("easing", "linear")], x)
                for v in cmd["value"]:
                    value = [{k: a[k] + (b[k] - a[k]) * eased for k in a} for a, b in zip(v["from"], v["to"])]
                    state.setdefault(cmd["componentId"], {})[v["property"]] = value
            return start + cmd["duration"]
        raise Unsupported(f"command {kind}")

    for cmd in execute["commands"]:
        run(cmd, 0.0)
    return state


def phase_starts_s(render_doc: dict, execute: dict) -> list[tuple[str, float, float]]:
    """(cue shown, start s, length s) of each breath phase, on the preview's clock."""
    out, props = [], render_doc["datasources"]["pacer"]["properties"]
    t = 0.0
    for cmd in execute["commands"][0]["commands"]:
        if cmd["type"] == "SpeakItem":
            t += duration_s(ssml.to_timeline(props[cmd["componentId"]]))
        elif cmd["type"] == "Parallel":
            ms = next(c["delay"] for c in cmd["commands"] if c["type"] == "Idle")
            cue = next(c["value"] for c in cmd["commands"] if c["type"] == "SetValue")
            out.append((cue, t, ms / 1000))
            t += ms / 1000
    return out


# ---- the command ------------------------------------------------------------------------

def screens(pattern: str, environment: dict = ENVIRONMENT) -> dict[str, tuple[dict, dict]]:
    """{picture name: (RenderDocument, state)} for the pacer's moments and the calm screens."""
    params = catalogue.get("breathing").resolve(None, pattern)
    segments = apl.turn_segments(render.render("breathing", "en-US", render.DEFAULT_RATE, **params), 0)
    rd, ex = FastSerializer().serialize(apl.pacer(list(segments), apl.breathing_title(params),
                                                  render.DEFAULT_RATE, apl.paced_total_s(params)))
    phases = phase_starts_s(rd, ex)
    ins = [p for p in phases if p[0] == apl.words()["cue"]["in"]]
    second_in = ins[1]
    calm = FastSerializer().serialize(apl.practice_screen("body-scan", 0, 2))[0]
    crisis = danger.by_intent("CrisisIntent")   # the screen a crisis answer leaves, as sent
    help_screen = FastSerializer().serialize(apl.calm(safety_check.CARD_TITLE,
                                                      safety_check.card_text(crisis, "en-US"), whole=True))[0]
    return {"pacer-rest": (rd, state_at(rd, ex, second_in[1], environment)),
            "pacer-mid-breath": (rd, state_at(rd, ex, second_in[1] + second_in[2] / 2, environment)),
            # where the device wants no animation: the cue changes, the circle stays still
            "pacer-mid-breath-still": (rd, state_at(rd, ex, second_in[1] + second_in[2] / 2,
                                                    dict(environment, animation="none"))),
            # a moment before the out-breath's cue replaces the in-breath's
            "pacer-full": (rd, state_at(rd, ex, second_in[1] + second_in[2] - FULL_BEFORE_END_S, environment)),
            "calm-practice": (calm, {}),
            "calm-help": (help_screen, {})}


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def shoot(browser: str, html_path: Path, png_path: Path, vp: dict) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                        f"--force-device-scale-factor={vp['scale']}",
                        f"--window-size={vp['width']},{vp['height']}",
                        f"--screenshot={png_path}", html_path.as_uri()],
                       check=True, capture_output=True, timeout=CHROMIUM_TIMEOUT_S)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="build/apl_preview", help="folder for the HTML and PNG files")
    ap.add_argument("--pattern", default="soothing",
                    choices=catalogue.get("breathing").params["pattern"]["choices"])
    ap.add_argument("--html-only", action="store_true", help="write the HTML, skip Chromium")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    browser = None if args.html_only else chromium()
    if not args.html_only and browser is None:
        print("apl_preview: chromium not found; install it (scripts/apl-preview does, as root) "
              "or pass --html-only", file=sys.stderr)
        return 1
    written, shots = [], []
    for name, (render_doc, state) in screens(args.pattern).items():
        for vp_name, vp in viewports().items():
            html_path = out / f"{name}-{vp_name}.html"
            html_path.write_text(page(render_doc, vp_name, state), encoding="utf-8")
            written.append(html_path)
            shots.append((html_path.stem, render_doc, vp_name, state))
            if browser:
                png = html_path.with_suffix(".png")
                shoot(browser, html_path.resolve(), png.resolve(), vp)
                written.append(png)
    print(f"apl_preview: {len(written)} files in {out}")
    if browser:
        found = {label: p for label, p in problems(browser, shots).items() if p}
        for label, what in found.items():
            print(f"apl_preview: {label}: {'; '.join(what)}", file=sys.stderr)
        if found:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
