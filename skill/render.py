"""Scripts (ssml/*.ssml.j2) rendered into the SSML turns Alexa speaks.

A script renders to `<practice><part>…</part>…</practice>`: parts are the natural places a
practice may pause for the listener to say "continue". The renderer packs parts into turns
that fit Alexa's limits; the offline runner parses the very same turns into a timeline
(skill.ssml.to_timeline). Words come only from the templates and ssml/ data files; values
from outside (slot values, names) are escaped by Jinja's autoescape.
"""
from __future__ import annotations

import hashlib
import json
import traceback
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from skill import breathing, catalogue, helplines, ssml
from skill.catalogue import SSML_DIR
from skill.timeline import Item, Phase, Speak, Step, duration_s, flat, phase_starts_s

RATES_PCT = {"normal": 90, "slower": 80}      # prosody rate of every turn, by preference
DEFAULT_RATE = "normal"
TURN_BUDGET_S = 215.0      # a turn's own limit_s; the closing prompt fits in MAX_TURN_S
TURN_BUDGET_CHARS = 7000   # leaves room for the prompt within MAX_SPEECH_CHARS
BREATH_BLOCK_S = 60.0      # breathing is split into parts of about a minute
REMINDER_SPARE_S = 1.0     # a reminder replaces an out-breath cue only with this to spare
MIN_PHASE_SILENCE_S = 0.5  # a timed step always leaves some quiet to breathe in
RENDER_CACHE_ENTRIES = 512  # practices x locales x rates x a few favourite lengths
DIALOG_CACHE_ENTRIES = 2048  # dialogs x locales x rates x the few values they take


class RenderError(Exception):
    """A script that cannot render; `where` names the template file and line."""

    def __init__(self, message: str, where: str = ""):
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where


@dataclass(frozen=True)
class Part:
    """One <part> of a script: where a practice may pause. Turns are runs of parts."""
    body: str
    timeline: tuple[Item, ...]
    limit_s: float


@dataclass(frozen=True, eq=False)   # compared by identity: renders are kept and reused
class Turn:
    """One response's worth of a practice, from one parse of one render: the SSML Alexa
    speaks, the timeline every other player plays (APL-A, APL, the offline voice), and the
    estimates the turn was packed by."""

    body: str          # SSML content, without <speak> and the rate wrapper
    timeline: tuple[Item, ...]   # at the render's rate, breath phases as Phase items
    est_s: float       # estimated speech and silence at the render's rate
    limit_s: float     # the longest it may last on Alexa (ssml.limit_s)
    index: int
    count: int
    rate: str = DEFAULT_RATE
    parts: tuple[Part, ...] = ()   # what the turn is made of, each part parsed once

    @property
    def last(self) -> bool:
        return self.index == self.count - 1

    @property
    def steps(self) -> list[Step]:
        """The timeline as the SSML says it (each phase a cue and a pause)."""
        return flat(self.timeline)

    @property
    def phases(self) -> list[tuple[float, Phase]]:
        """(start s within the turn, phase) of each timed breath phase."""
        return phase_starts_s(self.timeline)

    @property
    def text(self) -> str:
        """The words, without markup: for a card (numbers as written)."""
        return ssml.plain_text(speech(self.body))


def rate_pct(rate: str) -> int:
    try:
        return RATES_PCT[rate]
    except KeyError:
        raise catalogue.ParamError(f"rate must be one of {', '.join(RATES_PCT)}") from None


def speech(*bodies: str, rate: str = DEFAULT_RATE) -> str:
    """One complete <speak> document from rendered bodies, at the listener's rate."""
    inner = " ".join(b.strip() for b in bodies if b and b.strip())
    return f'<speak><prosody rate="{rate_pct(rate)}%">{inner}</prosody></speak>'


def estimate_s(body: str, rate: str = DEFAULT_RATE) -> float:
    return duration_s(ssml.to_timeline(speech(body, rate=rate)))


def limit_s(body: str, rate: str = DEFAULT_RATE) -> float:
    """The longest a body may last on Alexa (ssml.limit_s): what turns are packed by."""
    return ssml.limit_s(ssml.to_timeline(speech(body, rate=rate)))


# Templates compiled at build time, which the Lambda zip carries (skill.tools.lambda_package):
# Lambda's disk is read-only, so without them each cold start compiles every template it uses.
COMPILED_TEMPLATES_DIR = Path(__file__).resolve().parent / "data" / "compiled-templates"


class CompiledTemplates(jinja2.BytecodeCache):
    """Jinja's compiled code for the templates under SSML_DIR, one file each, keyed by the
    template's path below SSML_DIR (so it holds wherever the zip is unpacked). Jinja checks
    each entry against its source's hash and compiles any that differ. Read-only unless
    `writable` (the build writes them)."""

    def __init__(self, directory: Path, writable: bool = False):
        self.directory, self.writable = Path(directory), writable

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        where = Path(filename).resolve().relative_to(SSML_DIR).as_posix() if filename else name
        return hashlib.sha256(where.encode("utf-8")).hexdigest()

    def _path(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self.directory / f"{bucket.key}.jinja"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            with open(self._path(bucket), "rb") as f:
                bucket.load_bytecode(f)
        except FileNotFoundError:
            pass

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if self.writable:
            with open(self._path(bucket), "wb") as f:
                bucket.write_bytecode(f)


def new_environment(locale: str, compiled: CompiledTemplates | None = None) -> jinja2.Environment:
    loader = jinja2.FileSystemLoader([str(SSML_DIR / locale), str(SSML_DIR)])
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, bytecode_cache=compiled)


@lru_cache(maxsize=None)
def _env(locale: str) -> jinja2.Environment:
    compiled = CompiledTemplates(COMPILED_TEMPLATES_DIR) if COMPILED_TEMPLATES_DIR.is_dir() else None
    return new_environment(locale, compiled)


def compile_templates(directory: Path) -> int:
    """Compile every template of every locale into `directory` (for the Lambda zip); the count."""
    directory.mkdir(parents=True, exist_ok=True)
    compiled, count = CompiledTemplates(directory, writable=True), 0
    for locale in catalogue.locales():
        env = new_environment(locale, compiled)
        for name in env.list_templates(extensions=["j2"]):
            env.get_template(name)
            count += 1
    return count


@lru_cache(maxsize=None)
def _json(name: str) -> dict:
    data = json.loads((SSML_DIR / name).read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def breathing_cues() -> dict[str, list[str]]:
    """What the voice may say at the start of each breath phase, by phase kind."""
    return _json("breathing_cues.json")


def words(locale: str) -> dict:
    return _json(f"words/{catalogue.locales()[locale]['words']}.json")


def _breaks(seconds: float) -> Markup:
    return Markup(ssml.breaks(seconds))


def _helpers(pct: int) -> dict:
    def est(text: str) -> float:
        return ssml.estimate_speech_s(str(text), pct)

    def pause(seconds: float) -> Markup:
        return _breaks(float(seconds))

    def timed(seconds: float, text: str, breath: str = "", volume: str = "medium") -> Markup:
        """Say `text` and then be quiet, `seconds` in all: the pacing of a breath phase. An
        empty text is a phase of silence. A <phase> element, which the parse turns into a
        Phase (and the SSML into the cue and a <break> for the rest); `volume`, a prosody
        volume for the cue alone (a block's volume can also wrap the phases)."""
        rest = float(seconds) - est(text)
        if rest < MIN_PHASE_SILENCE_S:
            raise RenderError(f"{text!r} takes about {est(text):.1f} s, too long for its "
                              f"{float(seconds):g} s (leave {MIN_PHASE_SILENCE_S:g} s of quiet)")
        if volume not in ssml.VOLUME_NAMES_DB:
            raise RenderError(f"volume {volume!r} is not one of {', '.join(ssml.VOLUME_NAMES_DB)}")
        said = escape(text)
        if text and volume != "medium":
            said = Markup(f'<prosody volume="{volume}">') + said + Markup("</prosody>")
        return Markup(f'<{ssml.PHASE_TAG} s="{float(seconds):g}" breath="{escape(breath)}">'
                      f'{said}</{ssml.PHASE_TAG}>')

    return {"est": est, "pause": pause, "timed": timed}


def _breathing_context(params: dict, pct: int) -> dict:
    cues = breathing_cues()
    pattern = breathing.patterns()[params["pattern"]]
    cycles = breathing.cycles(params["pattern"], params["minutes"] * 60)
    blocks: list[list] = []
    for c in cycles:
        if not blocks or c.start_s >= BREATH_BLOCK_S * len(blocks):
            blocks.append([])
        elif c.stage != blocks[-1][0].stage:
            raise RenderError(f"a guidance stage starts {c.start_s:g} s in, inside a block: "
                              f"stages start on whole multiples of {BREATH_BLOCK_S:g} s")
        blocks[-1].append(c)
    reminders = list(cues["reminder"])
    handed_over = []    # the handover is said once, where guidance first fades
    block_of = {id(c): n for n, block in enumerate(blocks) for c in block}

    def fits(text: str, phase) -> bool:
        return ssml.estimate_speech_s(text, pct) + REMINDER_SPARE_S <= phase.s

    def cue(cycle, phase) -> str:
        """What is said at the start of `phase` ("" for silence): its cue while the guidance
        says so; on an out-breath, once, the handover where guidance first fades, and a
        reminder at the start of a block, less often as guidance fades."""
        k = cycle.phases.index(phase)
        n = sum(1 for p in cycle.phases[:k] if p.breath == phase.breath)
        options = cues[phase.breath]
        text = options[(cycle.index + n) % len(options)] if cycle.spoken[k] else ""
        if phase.breath != "out":
            return text
        if cycle.stage_first and not handed_over and fits(cues["handover"][0], phase):
            handed_over.append(cycle.index)
            return cues["handover"][0]
        block = block_of[id(cycle)]
        first_in_block = block > 0 and blocks[block][0] is cycle
        if first_in_block and block % cycle.stage.reminder_every_blocks == 0:
            # the next reminder in turn that fits this out-breath; the rest wait their turn
            for i, reminder in enumerate(reminders):
                if fits(reminder, phase):
                    reminders.append(reminders.pop(i))
                    return reminder
        return text

    return {"cycles": cycles, "blocks": blocks, "cue": cue, "pattern_spec": pattern,
            "holds": bool(pattern.get("holds")), "max_seconds": breathing.max_seconds(params["pattern"])}


def _template_line(err: BaseException) -> str:
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        if frame.filename.endswith(".j2"):
            return f"{frame.filename}:{frame.lineno}"
    return ""


def render_source(template: str, locale: str, rate: str = DEFAULT_RATE, **context) -> str:
    """A template rendered to text, before it is split into parts."""
    catalogue.check_locale(locale)
    pct = rate_pct(rate)
    ctx = {"w": words(locale), "locale": locale, "rate": rate, **_helpers(pct), **context}
    try:
        return _env(locale).get_template(template).render(ctx)
    except RenderError as err:
        raise RenderError(str(err), _template_line(err)) from None
    except jinja2.TemplateSyntaxError as err:
        raise RenderError(err.message or "syntax error", f"{err.filename}:{err.lineno}") from None
    except jinja2.UndefinedError as err:
        raise RenderError(str(err), _template_line(err)) from None
    except jinja2.TemplateNotFound:
        raise RenderError("no such template", str(SSML_DIR / template)) from None


def source_line(path: str, rendered_text: str, fallback: int = 1) -> int:
    """The template line that most likely produced a line of rendered output: template
    text reaches the output verbatim, so the first line containing it."""
    needle = rendered_text.strip()
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        return fallback
    for i, line in enumerate(lines, 1):
        if needle and needle in line:
            return i
    return fallback


def template_path(template: str, locale: str) -> str:
    try:
        return _env(locale).get_template(template).filename
    except jinja2.TemplateNotFound:
        return str(SSML_DIR / template)


def _parse_parts(script_id: str, locale: str, rate: str, params: dict) -> list[Part]:
    """The script rendered and parsed once: each part's SSML body and timeline."""
    script = catalogue.get(script_id)
    resolved = script.resolve(**params)
    context = {"params": resolved, "title": script.title, "first_time": False, **resolved,
               "help": helplines.for_locale(locale)}
    pct = rate_pct(rate)
    if script.id == "breathing":
        context.update(_breathing_context(resolved, pct))
    source = render_source(script.template, locale, rate, **context)
    where = template_path(script.template, locale)
    try:
        root = ssml.parse(source)
    except ssml.SsmlError as err:
        rows = source.splitlines()
        text = rows[err.line - 1] if 0 < err.line <= len(rows) else ""
        message = str(err).split(": ", 1)[-1]
        raise RenderError(f"not well-formed: {message}", f"{where}:{source_line(where, text)}") from None
    if root.tag != "practice":
        raise RenderError("a script's root element must be <practice>", where)
    out = []
    for node in root.children:
        if isinstance(node, ssml.Node) and node.tag == "part":
            try:
                items = tuple(ssml.to_timeline(node, pct, phases=True))
            except ssml.SsmlError as err:
                raise RenderError(str(err).split(": ", 1)[-1], f"{where}:{err.line}") from None
            rests = iter([i.rest_s for i in items if isinstance(i, Phase)])
            out.append(Part(ssml.inner_xml(node, rests), items, ssml.limit_s(flat(items))))
    if not out:
        raise RenderError("a script needs at least one <part>", where)
    return out


def parts(script_id: str, locale: str, rate: str = DEFAULT_RATE, **params) -> list[str]:
    """The SSML bodies of a script's parts, in order."""
    return [p.body for p in _parse_parts(script_id, locale, rate, params)]


def _pack(lengths: list[float], sizes: list[int]) -> list[tuple[int, int]]:
    """Split parts into as few turns as fit the budgets, then even out their lengths, so a
    practice never ends on a short leftover turn after a "continue". Returns (start, end)
    index ranges."""
    def fits(i, j):
        return sum(lengths[i:j]) <= TURN_BUDGET_S and sum(sizes[i:j]) + (j - i) <= TURN_BUDGET_CHARS

    count, i = 0, 0
    while i < len(lengths):         # greedy: the fewest turns
        j = i + 1
        while j < len(lengths) and fits(i, j + 1):
            j += 1
        count, i = count + 1, j
    # best[k][j]: the smallest longest turn when the first j parts make k turns
    inf = float("inf")
    best = [[inf] * (len(lengths) + 1) for _ in range(count + 1)]
    cut = [[0] * (len(lengths) + 1) for _ in range(count + 1)]
    best[0][0] = 0.0
    for k in range(1, count + 1):
        for j in range(1, len(lengths) + 1):
            for i in range(k - 1, j):
                if best[k - 1][i] < inf and fits(i, j):
                    longest = max(best[k - 1][i], sum(lengths[i:j]))
                    if longest < best[k][j]:
                        best[k][j], cut[k][j] = longest, i
    ranges, j = [], len(lengths)
    for k in range(count, 0, -1):
        ranges.append((cut[k][j], j))
        j = cut[k][j]
    return ranges[::-1]


def render(script_id: str, locale: str, rate: str = DEFAULT_RATE, **params) -> tuple[Turn, ...]:
    """The turns Alexa speaks for a practice or explanation, each within Alexa's limits.

    Practices pack whole parts into evenly filled turns; an explanation gives one part per
    turn, so "tell me more" goes one level deeper. The same inputs always give the same
    turns, and there are few of them, so each render is kept: a "continue" costs a lookup."""
    resolved = catalogue.get(script_id).resolve(**params)
    return _render(script_id, locale, rate, tuple(sorted(resolved.items())))


@lru_cache(maxsize=RENDER_CACHE_ENTRIES)
def _render(script_id: str, locale: str, rate: str, params: tuple) -> tuple[Turn, ...]:
    script = catalogue.get(script_id)
    found = _parse_parts(script_id, locale, rate, dict(params))
    for part in found:
        if part.limit_s > TURN_BUDGET_S or len(part.body) > TURN_BUDGET_CHARS:
            raise RenderError(f"a part may last {part.limit_s:.0f} s on Alexa ({len(part.body)} characters); "
                              f"parts must fit in {TURN_BUDGET_S:g} s and {TURN_BUDGET_CHARS} characters",
                              template_path(script.template, locale))
    if script.kind == "practice":
        ranges = _pack([p.limit_s for p in found], [len(p.body) for p in found])
    else:
        ranges = [(i, i + 1) for i in range(len(found))]
    turns = []
    for n, (i, j) in enumerate(ranges):
        timeline = tuple(item for p in found[i:j] for item in p.timeline)
        steps = flat(timeline)
        turns.append(Turn(" ".join(p.body for p in found[i:j]), timeline, round(duration_s(steps), 3),
                          round(ssml.limit_s(steps), 3), n, len(ranges), rate, tuple(found[i:j])))
    return tuple(turns)


def dialog(name: str, locale: str, rate: str = DEFAULT_RATE, **values) -> str:
    """A line of the conversation (ssml/dialog/<name>.ssml.j2) as an SSML body.

    `values` are escaped, so a slot value or a name can never break the SSML. Lines with
    plain values (most of them) are kept once rendered."""
    try:
        return _dialog(name, locale, rate, tuple(sorted(values.items())))
    except TypeError:   # an unhashable value, e.g. the helpline record
        return render_source(f"dialog/{name}.ssml.j2", locale, rate, **values).strip()


@lru_cache(maxsize=DIALOG_CACHE_ENTRIES)
def _dialog(name: str, locale: str, rate: str, values: tuple) -> str:
    return render_source(f"dialog/{name}.ssml.j2", locale, rate, **dict(values)).strip()


def help_dialog(name: str, locale: str, rate: str = DEFAULT_RATE) -> str:
    """A line that says the locale's help lines (its `help`: urgent_note, body_alarm, the
    disclaimer), kept once rendered: the help record itself is not a hashable value."""
    return _help_dialog(name, locale, rate)


@lru_cache(maxsize=DIALOG_CACHE_ENTRIES)
def _help_dialog(name: str, locale: str, rate: str) -> str:
    return render_source(f"dialog/{name}.ssml.j2", locale, rate, help=helplines.for_locale(locale)).strip()


def dialog_names() -> list[str]:
    return sorted(p.name[: -len(".ssml.j2")] for p in (SSML_DIR / "dialog").glob("*.ssml.j2"))
