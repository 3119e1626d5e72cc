"""The Alexa interaction models and skill manifest: generated from one source, loaded, checked.

interaction_model/source/model.json is the only hand-written file. `build` writes the ASK CLI v2
project from it (ask-resources.json, skill-package/skill.json and one
skill-package/interactionModels/custom/<locale>.json per English locale); `check` regenerates
in memory, names every file that differs from the one on disk, and runs the model checks.

    python -m skill.tools.interaction_model build
    python -m skill.tools.interaction_model check     # exit 1 on drift or a broken model

The loaders below read the generated (committed) files, i.e. exactly what Alexa is given.
"""
from __future__ import annotations

import copy
import json
import re
import sys
from functools import lru_cache
from pathlib import Path

from skill.locations import INTERACTION_MODEL_DIR as PROJECT_DIR
SOURCE_PATH = PROJECT_DIR / "source" / "model.json"
PACKAGE_DIR = PROJECT_DIR / "skill-package"
MODELS_DIR = PACKAGE_DIR / "interactionModels" / "custom"

ASK_RESOURCES_VERSION = "2020-03-31"
# The Lambda function ask deploy --profile lambda makes (see _ask_resources).
LAMBDA_RUNTIME = "python3.11"
LAMBDA_HANDLER = "skill.lambda_function.handler"
LAMBDA_MEMORY_MB = 512        # Lambda's CPU share grows with memory: a faster cold start
LAMBDA_TIMEOUT_S = 8          # Alexa gives up on an answer after 8 s
MANIFEST_VERSION = "1.0"
JSON_INDENT = 2

# Platform limits and rules (alexa_platform.md 5.2, 5.3; Amazon's invocation-name rules).
MAX_EXAMPLE_PHRASES = 3
MAX_SAMPLE_CHARS = 200
MIN_CRISIS_SAMPLES = 60          # CrisisIntent (suicidal thoughts), the broadest category
MIN_CATEGORY_SAMPLES = 20        # every other danger category's intent
DANGER_MARKER = "_DANGER_"       # where in source["intents"] the danger intents go
REQUIRED_BUILTINS = frozenset({
    "AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.HelpIntent",
    "AMAZON.FallbackIntent", "AMAZON.NavigateHomeIntent",
})
# Words an invocation name may not contain: launch phrases, connecting words, wake words.
INVOCATION_FORBIDDEN_WORDS = frozenset({
    "ask", "tell", "open", "launch", "load", "begin", "enable", "start", "play", "run", "use",
    "to", "from", "by", "if", "and", "whose", "for", "about",
    "alexa", "amazon", "echo", "computer", "skill", "app",
})
# Connecting words Alexa accepts between "ask <invocation name>" and the utterance.
ONE_SHOT_CONNECTORS = ("to", "for", "about", "if", "whether", "and")

SLOT_REF = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")
WORDING_REF = re.compile(r"\[([a-z_]+)\]")
# Letters, spaces, apostrophes, periods (abbreviations) and hyphens, plus {slot} references.
SAMPLE_CHARS = re.compile(r"^[a-z' .\-{}A-Z_]+$")
DISCLAIMER_START = "Compassion Coach is not a therapist or a medical service and cannot help in an emergency"
# Skill events the manifest must subscribe to: disabling deletes the listener's data.
REQUIRED_EVENTS = frozenset({"SKILL_ENABLED", "SKILL_DISABLED", "SKILL_PERMISSION_ACCEPTED", "SKILL_PERMISSION_CHANGED"})
# Speech may say the wake word only where it tells how to stop (or, for the tone track, pause) while Alexa plays
WAKE_WORD = re.compile(r"\balexa\b(?!, (?:stop|pause)\b)", re.IGNORECASE)
QUESTION_SENTENCE = re.compile(r"[^.?!]*\?")


class ModelError(ValueError):
    """The source cannot be turned into a model (e.g. an unknown [word] marker)."""


# ---------------------------------------------------------------- source and generation

def load_source(path: Path | None = None) -> dict:
    """The hand-written source (a fresh copy: callers may change it)."""
    path = SOURCE_PATH if path is None else path
    return copy.deepcopy(_load_json_cached(str(path), path.stat().st_mtime_ns))


def _wording(source: dict, locale: str) -> dict[str, str]:
    words = dict(source.get("wording", {}).get("default", {}))
    words.update(source.get("wording", {}).get(locale, {}))
    return words


def _apply_wording(text: str, words: dict[str, str], where: str) -> str:
    def sub(m: re.Match) -> str:
        if m.group(1) not in words:
            raise ModelError(f"{where}: no wording for [{m.group(1)}]")
        return words[m.group(1)]
    return WORDING_REF.sub(sub, text)


def _strip_comments(obj):
    if isinstance(obj, dict):
        return {k: _strip_comments(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [_strip_comments(v) for v in obj]
    return obj


def danger_intents() -> list[dict]:
    """One intent per danger category, its samples from skill/data/danger.json (the one
    vocabulary the webhook and the offline matcher also use)."""
    from skill import danger
    return [{"name": c.intent, "samples": list(c.samples)} for c in danger.categories()]


def _source_intents(source: dict) -> list[dict]:
    out = []
    for intent in source["intents"]:
        out.extend(danger_intents() if intent["name"] == DANGER_MARKER else [intent])
    return out


def build_locale_model(source: dict, locale: str, learn_from=None) -> dict:
    """The interaction model JSON for one locale (the file Alexa is given)."""
    words = _wording(source, locale)
    extra_samples = source.get("localeSamples", {}).get(locale, {})
    extra_synonyms = source.get("localeSynonyms", {}).get(locale, {})
    intents = []
    source_intents = _source_intents(source)
    for intent in source_intents:
        name = intent["name"]
        samples = [_apply_wording(s, words, f"{locale} {name}") for s in intent.get("samples", [])]
        samples += [_apply_wording(s, words, f"{locale} {name}") for s in extra_samples.get(name, [])]
        slots = []
        for s in intent.get("slots", []):
            slot = {"name": s["name"], "type": s["type"]}
            if s.get("samples"):   # what the listener may say when this slot is asked for
                slot["samples"] = [_apply_wording(x, words, f"{locale} {name}.{s['name']}") for x in s["samples"]]
            slots.append(slot)
        out = {"name": name, "slots": slots, "samples": samples}
        if not out["slots"]:
            del out["slots"]
        intents.append(out)
    unknown = set(extra_samples) - {i["name"] for i in source_intents} - {"_comment"}
    if unknown:
        raise ModelError(f"{locale}: localeSamples for unknown intents {sorted(unknown)}")
    known = {t["name"]: {v["id"] for v in t["values"]} for t in source["types"]}
    for tname, by_id in extra_synonyms.items():
        if tname not in known or set(by_id) - known[tname]:
            raise ModelError(f"{locale}: localeSynonyms name an unknown type or value id under {tname!r}")
    types = []
    for t in source["types"]:
        more = extra_synonyms.get(t["name"], {})
        values = []
        for v in t["values"]:
            synonyms = list(v.get("synonyms", [])) + list(more.get(v["id"], []))
            values.append({"id": v["id"], "name": {"value": v["value"], "synonyms": synonyms}})
        types.append({"name": t["name"], "values": values})
    model = {
        "interactionModel": {
            "languageModel": {
                "invocationName": source["invocationName"],
                "modelConfiguration": {"fallbackIntentSensitivity": {"level": source["fallbackIntentSensitivity"]}},
                "intents": intents,
                "types": types,
            }
        }
    }
    from skill.tools.learned_samples import learned_samples   # local: it imports this module
    lm = model["interactionModel"]["languageModel"]
    for intent, samples in learned_samples(lm, locale, learn_from).items():
        next(i for i in lm["intents"] if i["name"] == intent)["samples"].extend(samples)
    if source.get("dialog"):
        dialog = _fill_limits(_strip_comments(source["dialog"]))
        model["interactionModel"]["dialog"] = {k: v for k, v in dialog.items() if k != "prompts"}
        model["interactionModel"]["prompts"] = dialog.get("prompts", [])
    return model


def _limits() -> dict[str, str]:
    """Breathing's minutes limits, from the one place they are set (ssml/catalogue.json)."""
    from skill import catalogue
    spec = catalogue.get("breathing").minutes
    return {"min": f"{spec['min']:g}", "max": f"{spec['max']:g}"}


def _fill_limits(obj):
    if isinstance(obj, dict):
        return {k: _fill_limits(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_fill_limits(v) for v in obj]
    if isinstance(obj, str):
        for key, value in _limits().items():
            obj = obj.replace("{" + key + "}", value)
    return obj


def build_manifest(source: dict) -> dict:
    """skill.json: store text per locale from the source, privacy flags, the endpoint."""
    m = _strip_comments(source["manifest"])
    locales, privacy_locales = {}, {}
    for locale in source["locales"]:
        words = _wording(source, locale)
        text = lambda s, what: _apply_wording(s, words, f"{locale} manifest {what}")  # noqa: E731
        disclaimer = text(m["disclaimer"], "disclaimer")
        locales[locale] = {
            "name": source["skillName"],
            "summary": text(m["summary"], "summary"),
            "description": text(m["description"], "description").replace("{disclaimer}", disclaimer),
            "examplePhrases": [text(p, "examplePhrases") for p in m["examplePhrases"]],
            "keywords": list(m["keywords"]),
            "smallIconUri": m["smallIconUri"],
            "largeIconUri": m["largeIconUri"],
        }
        privacy_locales[locale] = {"privacyPolicyUrl": m["privacyPolicyUrl"], "termsOfUseUrl": m["termsOfUseUrl"]}
    privacy = dict(m["privacyAndCompliance"])
    privacy["locales"] = privacy_locales
    events = {"endpoint": dict(m["endpoint"]),
              "subscriptions": [{"eventName": e} for e in m.get("events", {}).get("subscriptions", [])]}
    return {
        "manifest": {
            "manifestVersion": MANIFEST_VERSION,
            "publishingInformation": {
                "locales": locales,
                "isAvailableWorldwide": False,
                "distributionCountries": [m["distributionCountries"][loc] for loc in source["locales"]],
                "testingInstructions": m["testingInstructions"],
                "category": m["category"],
            },
            "privacyAndCompliance": privacy,
            "apis": {
                "custom": {
                    "endpoint": dict(m["endpoint"]),
                    "interfaces": [dict(i) for i in m["interfaces"]],
                }
            },
            "events": events,
        }
    }


def _ask_resources() -> dict:
    """Two ASK CLI profiles. "default": the HTTPS endpoint, self-hosted, so no `code` and no
    `skillInfrastructure`: `ask deploy` uploads only the skill package. "lambda": the same
    package plus the function, which ASK CLI's lambda-deployer creates or updates from the
    zip that hooks/build.sh builds (python -m skill.tools.lambda_package); it then points the
    manifest's endpoint at the function. `src` is only what ASK CLI copies and hashes before
    the hook runs: the zip holds the whole runtime."""
    package = {"src": "./skill-package"}
    return {"askcliResourcesVersion": ASK_RESOURCES_VERSION,
            "profiles": {
                "default": {"skillMetadata": package},
                "lambda": {
                    "skillMetadata": dict(package),
                    "code": {"default": {"src": "../skill"}},
                    "skillInfrastructure": {
                        "type": "@ask-cli/lambda-deployer",
                        "userConfig": {"runtime": LAMBDA_RUNTIME, "handler": LAMBDA_HANDLER,
                                       "lambda": {"memorySize": LAMBDA_MEMORY_MB,
                                                  "timeout": LAMBDA_TIMEOUT_S}}}}}}


def _dump(obj: dict) -> str:
    return json.dumps(obj, indent=JSON_INDENT, ensure_ascii=False) + "\n"


def render(source: dict | None = None) -> dict[Path, str]:
    """Every generated file: absolute path -> exact text."""
    source = load_source() if source is None else source
    files = {PROJECT_DIR / "ask-resources.json": _dump(_ask_resources()),
             PACKAGE_DIR / "skill.json": _dump(build_manifest(source))}
    for locale in source["locales"]:
        files[MODELS_DIR / f"{locale}.json"] = _dump(build_locale_model(source, locale))
    return files


def build() -> list[Path]:
    """Write the generated files; returns the ones that changed."""
    changed = []
    for path, text in render().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def drift() -> list[Path]:
    """Generated files whose text on disk is not what the source produces."""
    return [p for p, text in render().items()
            if not p.exists() or p.read_text(encoding="utf-8") != text]


# ---------------------------------------------------------------- loaders (generated files)

def locales() -> list[str]:
    return list(load_source()["locales"])


@lru_cache(maxsize=None)
def _load_json_cached(path: str, mtime_ns: int) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_model(locale: str) -> dict:
    """The committed interaction model for a locale, e.g. load_model('en-GB')."""
    path = MODELS_DIR / f"{locale}.json"
    if not path.exists():
        raise KeyError(f"no interaction model for locale {locale!r}")
    return copy.deepcopy(_load_json_cached(str(path), path.stat().st_mtime_ns))


def load_manifest() -> dict:
    return json.loads((PACKAGE_DIR / "skill.json").read_text(encoding="utf-8"))


def _language_model(locale: str) -> dict:
    return load_model(locale)["interactionModel"]["languageModel"]


def intent_names(locale: str = "en-US") -> set[str]:
    return {i["name"] for i in _language_model(locale)["intents"]}


def sample_utterances(locale: str) -> dict[str, list[str]]:
    """{intent name: [sample utterances]} as given to Alexa (built-ins mostly empty)."""
    return {i["name"]: list(i.get("samples", [])) for i in _language_model(locale)["intents"]}


def intent_slots(locale: str, intent: str) -> dict[str, str]:
    """{slot name: slot type} declared for one intent."""
    for i in _language_model(locale)["intents"]:
        if i["name"] == intent:
            return {s["name"]: s["type"] for s in i.get("slots", [])}
    raise KeyError(f"{locale}: no intent {intent!r}")


def slot_types(locale: str) -> list[str]:
    """Names of the custom slot types."""
    return [t["name"] for t in _language_model(locale)["types"]]


def slot_values(locale: str, type_name: str) -> list[dict]:
    """[{'id', 'value', 'synonyms'}] of a custom slot type in a locale."""
    for t in _language_model(locale)["types"]:
        if t["name"] == type_name:
            return [{"id": v["id"], "value": v["name"]["value"], "synonyms": list(v["name"].get("synonyms", []))}
                    for v in t["values"]]
    raise KeyError(f"{locale}: no slot type {type_name!r}")


def builtin_phrases(locale: str = "en-US") -> dict[str, list[str]]:
    """Common phrases of the built-in intents that Alexa already knows (not sent to Alexa).
    The offline matcher uses them, and the checks keep custom samples away from them."""
    del locale  # the same English phrases for every locale
    return {i["name"]: list(i["offlineSamples"]) for i in load_source()["intents"] if i.get("offlineSamples")}


# ---------------------------------------------------------------- checks

def normalize_sample(sample: str, slot_type_of: dict[str, str] | None = None) -> str:
    """Case- and punctuation-free form; a slot reference becomes its slot type, so that
    '{minutes}' and '{rating}' (both AMAZON.NUMBER) count as the same sample."""
    slot_type_of = slot_type_of or {}
    text = SLOT_REF.sub(lambda m: " \x00" + slot_type_of.get(m.group(1), m.group(1)) + "\x00 ", sample)
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^a-z0-9\x00. ]", "", text)  # apostrophes, commas...: i'm == im
    text = text.replace(".", " ")
    return " ".join(text.split())


@lru_cache(maxsize=None)
def _sample_pattern(sample: str) -> tuple[re.Pattern, tuple[str, ...]]:
    """Regex over normalize_sample() text; each slot a lazy group, names in order."""
    names: list[str] = []
    parts = []
    pos = 0
    for m in SLOT_REF.finditer(sample):
        parts.append(re.escape(normalize_sample(sample[pos:m.start()])))
        parts.append("(.+?)")
        names.append(m.group(1))
        pos = m.end()
    parts.append(re.escape(normalize_sample(sample[pos:])))
    body = r"\s+".join(p for p in parts if p)  # normalized text has single spaces between words
    return re.compile("^" + body.replace(r"\ ", r"\s+") + "$"), tuple(names)


def sample_readings(phrase: str, language_model: dict) -> list[tuple[str, str]]:
    """Every (intent, sample) that says the phrase exactly, with real slot values."""
    return readings_of(language_model)(phrase)


def readings_of(language_model: dict, slotted_only: bool = False):
    """sample_readings() for many phrases against one model, its slot values read once; with
    `slotted_only`, only the samples with a slot (what a literal could say again)."""
    from skill.tools.utterances import parse_number  # local: utterances imports this module

    spoken_by_type = {
        t["name"]: {normalize_sample(s) for v in t["values"] for s in [v["name"]["value"]] + v["name"].get("synonyms", [])}
        for t in language_model.get("types", [])}
    entries = []
    for intent in language_model["intents"]:
        slot_type_of = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            if not slotted_only or SLOT_REF.search(sample):
                entries.append((intent["name"], sample, slot_type_of) + _sample_pattern(sample))

    def readings(phrase: str) -> list[tuple[str, str]]:
        text = normalize_sample(phrase)
        found = []
        for name, sample, slot_type_of, pattern, names in entries:
            m = pattern.match(text)
            if not m:
                continue
            ok = True
            for slot, said in zip(names, m.groups()):
                stype = slot_type_of.get(slot)
                if stype == "AMAZON.NUMBER":
                    ok &= parse_number(said) is not None
                else:
                    ok &= said in spoken_by_type.get(stype, set())
            if ok:
                found.append((name, sample))
        return found
    return readings


def phrase_matches_sample(phrase: str, locale: str) -> str | None:
    """Intent whose sample the phrase says exactly, with real slot values; else None."""
    found = sample_readings(phrase, _language_model(locale))
    return found[0][0] if found else None


def _example_phrase_problems(phrase: str, locale: str, invocation: str) -> list[str]:
    text = " ".join(re.sub(r"[,.!?]", " ", phrase.lower()).split())
    if text == f"alexa open {invocation}":
        return []
    prefix = f"alexa ask {invocation} "
    if not text.startswith(prefix):
        return [f"{locale}: example phrase {phrase!r} must start 'Alexa, open {invocation}' or 'Alexa, ask {invocation} ...'"]
    rest = text[len(prefix):]
    candidates = [rest] + [rest[len(c) + 1:] for c in ONE_SHOT_CONNECTORS if rest.startswith(c + " ")]
    if any(phrase_matches_sample(c, locale) for c in candidates):
        return []
    return [f"{locale}: example phrase {phrase!r} matches no sample utterance"]


def validate_model(model: dict, locale: str, builtin: dict[str, list[str]] | None = None) -> list[str]:
    """Problems in one locale's interaction model (empty list = fine)."""
    problems: list[str] = []
    lm = model["interactionModel"]["languageModel"]
    inv = lm["invocationName"]
    words = inv.split()
    if inv != inv.lower() or len(words) < 2 or not re.fullmatch(r"[a-z ]+", inv):
        problems.append(f"{locale}: invocation name {inv!r} must be lowercase letters, two or more words")
    if set(words) & INVOCATION_FORBIDDEN_WORDS:
        problems.append(f"{locale}: invocation name {inv!r} uses {sorted(set(words) & INVOCATION_FORBIDDEN_WORDS)}")

    type_names = [t["name"] for t in lm.get("types", [])]
    if len(set(type_names)) != len(type_names):
        problems.append(f"{locale}: duplicate slot type names")
    for t in lm.get("types", []):
        ids, spoken = set(), {}
        for v in t["values"]:
            if v["id"] in ids:
                problems.append(f"{locale}: type {t['name']}: duplicate id {v['id']}")
            ids.add(v["id"])
            for s in [v["name"]["value"]] + v["name"].get("synonyms", []):
                key = normalize_sample(s)
                if key in spoken and spoken[key] != v["id"]:
                    problems.append(f"{locale}: type {t['name']}: {s!r} is both {spoken[key]} and {v['id']}")
                spoken[key] = v["id"]
        if not t["values"]:
            problems.append(f"{locale}: type {t['name']} has no values")

    names = [i["name"] for i in lm["intents"]]
    if len(set(names)) != len(names):
        problems.append(f"{locale}: duplicate intent names")
    for req in sorted(REQUIRED_BUILTINS - set(names)):
        problems.append(f"{locale}: missing required built-in {req}")

    slotted = readings_of(lm, slotted_only=True)
    seen: dict[str, str] = {}
    for name, phrases in (builtin or {}).items():
        for p in phrases:
            seen[normalize_sample(p)] = name
    for intent in lm["intents"]:
        name = intent["name"]
        declared = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for s in intent.get("slots", []):
            if not s["type"].startswith("AMAZON.") and s["type"] not in type_names:
                problems.append(f"{locale}: {name}.{s['name']}: unknown slot type {s['type']}")
        used: set[str] = set()
        if name == "AMAZON.FallbackIntent" and intent.get("samples"):
            problems.append(f"{locale}: AMAZON.FallbackIntent takes no samples")
        for sample in intent.get("samples", []):
            where = f"{locale}: {name}: {sample!r}"
            if not SAMPLE_CHARS.match(sample) or any(c.isdigit() for c in sample):
                problems.append(f"{where}: only letters, spaces, apostrophes, periods, hyphens; numbers in words")
            if len(sample) > MAX_SAMPLE_CHARS:
                problems.append(f"{where}: longer than {MAX_SAMPLE_CHARS} characters")
            if inv in normalize_sample(sample):
                problems.append(f"{where}: names the skill (the invocation name is said before it)")
            if "[" in sample or "]" in sample:
                problems.append(f"{where}: unreplaced [wording] marker")
            refs = SLOT_REF.findall(sample)
            used.update(refs)
            for r in refs:
                if r not in declared:
                    problems.append(f"{where}: slot {{{r}}} is not declared")
            if len(refs) != len(set(refs)):
                problems.append(f"{where}: a slot appears twice")
            if re.search(r"\}\s*\{", sample):
                problems.append(f"{where}: two slots with no words between them")
            key = normalize_sample(sample, declared)
            if key in seen and seen[key] != name:
                problems.append(f"{where}: same as a sample of {seen[key]}")
            elif key in seen:
                problems.append(f"{where}: duplicate sample")
            seen[key] = name
        for sample in intent.get("samples", []):
            # A literal sample that another sample already says with a slot value filled in
            # ('no more ratings' = '{toggle} ratings') is ambiguous: Alexa may pick either.
            # (Two literals alike are duplicates, found above by their keys.)
            if SLOT_REF.search(sample):
                continue
            others = [(i, s) for i, s in slotted(sample) if s != sample]
            for other_intent, other in others:
                relation = "also" if other_intent == name else f"clashes with {other_intent}:"
                problems.append(f"{locale}: {name}: {sample!r} {relation} {other!r} with a slot value")
        for unused in sorted(set(declared) - used):
            problems.append(f"{locale}: {name}: slot {unused} appears in no sample")
    for builtin_name, phrases in (builtin or {}).items():
        for phrase in phrases:
            for other_intent, other in slotted(phrase):
                if other_intent != builtin_name:
                    problems.append(f"{locale}: built-in {builtin_name} phrase {phrase!r} clashes with "
                                    f"{other_intent}: {other!r}")
    by_name = {i["name"]: i for i in lm["intents"]}
    for d in danger_intents():
        least = MIN_CRISIS_SAMPLES if d["name"] == "CrisisIntent" else MIN_CATEGORY_SAMPLES
        if len(by_name.get(d["name"], {}).get("samples", [])) < least:
            problems.append(f"{locale}: {d['name']} needs at least {least} samples")
    return problems


def validate_manifest(manifest: dict, source: dict) -> list[str]:
    problems: list[str] = []
    m = manifest["manifest"]
    pub = m["publishingInformation"]
    inv = source["invocationName"]
    if set(pub["locales"]) != set(source["locales"]):
        problems.append("skill.json: publishing locales differ from the model locales")
    for locale, info in pub["locales"].items():
        if info["name"] != source["skillName"]:
            problems.append(f"{locale}: skill name is {info['name']!r}")
        if DISCLAIMER_START not in info["description"]:
            problems.append(f"{locale}: description lacks the disclaimer")
        phrases = info["examplePhrases"]
        if not 1 <= len(phrases) <= MAX_EXAMPLE_PHRASES:
            problems.append(f"{locale}: {len(phrases)} example phrases (1 to {MAX_EXAMPLE_PHRASES})")
        for phrase in phrases:
            problems += _example_phrase_problems(phrase, locale, inv)
    if pub.get("category") != "HEALTH_AND_FITNESS":
        problems.append("skill.json: category must be HEALTH_AND_FITNESS")
    privacy = m["privacyAndCompliance"]
    # usesPersonalInfo: per-listener history, preferences and (with consent) ratings are kept.
    expected = {"allowsPurchases": False, "usesPersonalInfo": True, "isChildDirected": False,
                "isExportCompliant": True, "containsAds": False}
    for key, want in expected.items():
        if privacy.get(key) is not want:
            problems.append(f"skill.json: privacyAndCompliance.{key} must be {want}")
    if set(privacy.get("locales", {})) != set(source["locales"]):
        problems.append("skill.json: privacy locales differ from the model locales")
    custom = m["apis"]["custom"]
    if not custom["endpoint"]["uri"].startswith("https://"):
        problems.append("skill.json: endpoint must be https")
    if "CAN_FULFILL_INTENT_REQUEST" not in {i["type"] for i in custom.get("interfaces", [])}:
        problems.append("skill.json: CAN_FULFILL_INTENT_REQUEST interface missing")
    apl = [i for i in custom.get("interfaces", []) if i["type"] == "ALEXA_PRESENTATION_APL"]
    if not apl or not apl[0].get("supportedViewports"):
        problems.append("skill.json: ALEXA_PRESENTATION_APL interface with its viewports missing (skill.apl)")
    problems += validate_events(m)
    return problems


def validate_events(m: dict) -> list[str]:
    """Skill events: subscribed, sent to the skill's own HTTPS endpoint, each with a handler."""
    from skill.handlers import all_handlers   # local: the handlers import the webhook's modules
    problems = []
    events = m.get("events") or {}
    names = {e.get("eventName") for e in events.get("subscriptions", [])}
    for missing in sorted(REQUIRED_EVENTS - names):
        problems.append(f"skill.json: events.subscriptions lacks {missing}")
    uri = (events.get("endpoint") or {}).get("uri", "")
    if not uri.startswith("https://") or uri != m["apis"]["custom"]["endpoint"]["uri"]:
        problems.append("skill.json: events.endpoint.uri must be the skill's https endpoint")
    handled = {t for h in all_handlers() for t in getattr(h._handle, "requests", ())}
    for name in sorted(names):
        request_type = "AlexaSkillEvent." + "".join(w.capitalize() for w in name.split("_"))   # SkillEnabled
        if request_type not in handled:
            problems.append(f"skill.json: event {name} has no handler for {request_type}")
    return problems


def _question_sentence(text: str) -> str | None:
    found = QUESTION_SENTENCE.findall(text)
    return found[-1].strip() if found else None


def validate_speech() -> list[str]:
    """What the skill says: every question's reprompt repeats it, and no speech says the
    wake word except in the stop hint ("Alexa, stop"), in every locale."""
    from skill import catalogue, questions, render, ssml   # local: the webhook's own modules
    from skill.tools import lint
    problems = []
    for locale in catalogue.locales():
        values = lint.sample_values(locale, text="breathing")
        for name, q in questions.QUESTIONS.items():
            ask = ssml.plain_text(render.speech(render.dialog(q.ask, locale, **values)))
            again = ssml.plain_text(render.speech(render.dialog(q.reprompt, locale, **values)))
            sentence = _question_sentence(ask)
            if not ask.rstrip().endswith("?") or not again.rstrip().endswith("?"):
                problems.append(f"{locale}: question {name}: {q.ask} and {q.reprompt} must end with a question")
            elif sentence not in again:
                problems.append(f"{locale}: question {name}: the reprompt does not repeat {sentence!r}")
        for name in render.dialog_names():
            text = ssml.plain_text(render.speech(render.dialog(name, locale, **values)))
            if WAKE_WORD.search(text):
                problems.append(f"{locale}: dialog {name} says 'Alexa' (only 'Alexa, stop' or 'Alexa, pause' may be said)")
        for script in catalogue.scripts().values():
            for params in script.extremes():
                for first in (False, True):
                    text = " ".join(ssml.plain_text(render.speech(t.body))
                                    for t in render.render(script.id, locale, **{**params, "first_time": first}))
                    if WAKE_WORD.search(text):
                        problems.append(f"{locale}: {script.id} {params} says 'Alexa' (only 'Alexa, stop' or 'Alexa, pause' may be said)")
                        break
    return problems


def placeholders(manifest: dict | None = None) -> list[str]:
    """JSON paths in skill.json still holding a PLACEHOLDER or example.com value (fix before submitting)."""
    manifest = load_manifest() if manifest is None else manifest
    found = []

    def walk(obj, path):
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, f"{path}.{k}")
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                walk(v, f"{path}[{i}]")
        elif isinstance(obj, str) and ("PLACEHOLDER" in obj or "example.com" in obj):
            found.append(path.lstrip("."))
    walk(manifest, "")
    return found


def validate_all() -> list[str]:
    """Every check, on the committed files."""
    source = load_source()
    builtin = builtin_phrases()
    problems = []
    intents_by_locale = {}
    for locale in source["locales"]:
        model = load_model(locale)
        problems += validate_model(model, locale, builtin)
        intents_by_locale[locale] = {i["name"] for i in model["interactionModel"]["languageModel"]["intents"]}
    first = source["locales"][0]
    for locale, names in intents_by_locale.items():
        if names != intents_by_locale[first]:
            problems.append(f"{locale}: intents differ from {first}: {sorted(names ^ intents_by_locale[first])}")
    problems += validate_manifest(load_manifest(), source)
    problems += validate_dialog_model(source)
    problems += validate_speech()
    return problems


def validate_dialog_model(source: dict) -> list[str]:
    """The dialog model names real intents, slots and prompts, in every locale's file."""
    problems = []
    for locale in source["locales"]:
        im = load_model(locale)["interactionModel"]
        slots_of = {i["name"]: {s["name"]: s for s in i.get("slots", [])} for i in im["languageModel"]["intents"]}
        prompt_ids = {p["id"] for p in im.get("prompts", [])}
        for intent in im.get("dialog", {}).get("intents", []):
            declared = slots_of.get(intent["name"])
            if declared is None:
                problems.append(f"{locale}: dialog model names unknown intent {intent['name']}")
                continue
            for slot in intent.get("slots", []):
                if slot["name"] not in declared or declared[slot["name"]]["type"] != slot["type"]:
                    problems.append(f"{locale}: dialog {intent['name']}.{slot['name']}: not a slot of that type")
                for pid in list(slot.get("prompts", {}).values()) + [v["prompt"] for v in slot.get("validations", [])]:
                    if pid not in prompt_ids:
                        problems.append(f"{locale}: dialog {intent['name']}.{slot['name']}: no prompt {pid}")
                for sample in declared.get(slot["name"], {}).get("samples", []):
                    if set(SLOT_REF.findall(sample)) != {slot["name"]}:
                        problems.append(f"{locale}: slot sample {sample!r} must name {{{slot['name']}}} alone")
        for prompt in im.get("prompts", []):
            for v in prompt["variations"]:
                if "{" in v["value"] or not v["value"].rstrip().endswith("?"):
                    problems.append(f"{locale}: prompt {prompt['id']}: unfilled value or no question")
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else "check"
    if command == "build":
        for path in build():
            print(f"wrote {path.relative_to(PROJECT_DIR.parent)}")
        problems = validate_all()
    elif command == "check":
        stale = drift()
        for path in stale:
            print(f"differs from the source (run `python -m skill.tools.interaction_model build`): "
                  f"{path.relative_to(PROJECT_DIR.parent)}", file=sys.stderr)
        if stale:
            return 1
        problems = validate_all()
    else:
        print("usage: python -m skill.tools.interaction_model build|check", file=sys.stderr)
        return 2
    for p in problems:
        print(f"problem: {p}", file=sys.stderr)
    if not problems and command == "check":
        todo = placeholders()
        print(f"ok: {len(locales())} locales in sync with the source; {len(todo)} manifest values are "
              f"placeholders to replace before submission (see interaction_model/README.md)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
