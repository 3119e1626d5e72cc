"""Builds the offline danger classifier's weights (skill/tools/danger_weights.json), and
cross-validates it.

    python -m skill.tools.train_danger build    # write the weights file
    python -m skill.tools.train_danger check    # exit 1 when the file differs from a fresh build
    python -m skill.tools.train_danger cv       # grouped k-fold figures for the cutoff

Training data, every text normalised and kept once (its first label wins):
  - each danger category's samples (skill/data/danger.json, the one vocabulary), as that category;
  - every phrasing set marked trained in tests/safety/phrasing_sets.json (every locale's lines),
    its category files as that category and not-crisis.txt as "none". Each independently
    written set added 3 to 7 points of recall on the next unseen one (benchmarks/safety_runs.md
    run 11);
  - as "none": every other intent's samples in every locale (EverydayIntent's look-alikes among
    them), slots filled with a few of their values, the built-in intents' phrases, and
    danger.json's look-alike patterns spelt out; a none text the danger patterns call danger
    is left out (the patterns decide it before the classifier is asked).
Never a hidden set (neither read nor trained on): those stay the honest measure.

Multinomial logistic regression by AdaGrad SGD, in a fixed order from a fixed seed: the same
data gives the same file, byte for byte. Standard library only (a few thousand short texts
train in well under a minute).
"""
from __future__ import annotations

import json
import math
import random
import re
import sys
import zlib

from skill import danger
from skill.tools import danger_classifier as dc
from skill.tools import interaction_model as im
from skill.tools import phrasing_sets

REPO = phrasing_sets.REPO
SEED = 10
EPOCHS = 20
LEARNING_RATE = 0.5          # AdaGrad's base step
L2_PER_STEP = 1e-3           # weight decay on the weights an example touches (cv: 1e-5, 1e-4, 3e-4, 1e-3; the last best)
MIN_FEATURE_TEXTS = 2        # a feature seen in fewer training texts is left out
PRUNE_BELOW = 0.02           # weights smaller than this (absolute) are dropped from the file
WEIGHT_DIGITS = 3            # decimals kept in the file
SLOT_FILLS = 6               # a sample with slots is spelt out with this many of their values
LOOKALIKE_SPELLINGS = 4      # ... and a look-alike pattern with this many choices of its words
NUMBER_FILLS = ("three", "five", "ten", "twenty", "one", "two")
CV_FOLDS = 5
GROUP_JACCARD = 0.5          # texts at least this alike (word sets) share a cross-validation fold
CV_CUTOFFS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


# ---------------------------------------------------------------- the training data

def _slot_fills(locale: str, slot_type: str) -> list[str]:
    if slot_type == "AMAZON.NUMBER":
        return list(NUMBER_FILLS)
    if slot_type.startswith("AMAZON."):
        return []
    said = sorted({w for v in im.slot_values(locale, slot_type) for w in [v["value"], *v["synonyms"]]})
    step = max(1, len(said) // SLOT_FILLS)
    return said[::step][:SLOT_FILLS]


def _spelt(sample: str, slots: dict[str, str], locale: str) -> list[str]:
    names = im.SLOT_REF.findall(sample)
    if not names:
        return [sample]
    fills = {n: _slot_fills(locale, slots.get(n, "")) for n in names}
    if not all(fills.values()):
        return [im.SLOT_REF.sub(" ", sample)]
    return [im.SLOT_REF.sub(lambda m: fills[m.group(1)][k % len(fills[m.group(1)])], sample)
            for k in range(max(len(f) for f in fills.values()))]


def _pattern_spellings(pattern: str, macros: dict[str, str], k: int) -> str:
    """One plain spelling of a danger.json pattern: the k-th option (cycling) of each choice."""
    def words(seq):
        for tok in seq:
            if isinstance(tok, danger.Choice):
                yield from words(tok.options[k % len(tok.options)])
            elif tok == "#":
                yield NUMBER_FILLS[k % len(NUMBER_FILLS)]
            elif re.fullmatch(r"[a-z0-9*]+", tok):
                yield tok.rstrip("*")
    return " ".join(w for w in words(danger.parse(pattern, macros)) if w)


def training_set() -> list[tuple[str, str, str]]:
    """[(normalised text, class, source)], each text once, in a fixed order."""
    rows: list[tuple[str, str, str]] = []
    for cat in danger.categories():
        rows += [(s, cat.id, "danger.json") for s in cat.samples]
    for phrasing_set in phrasing_sets.training_sets():
        for line, stem in phrasing_sets.lines(phrasing_set.directory):
            label = dc.NONE_CLASS if stem == phrasing_sets.LOOK_ALIKES else stem
            source = f"{phrasing_set.directory.name}/{'look-alike' if label == dc.NONE_CLASS else 'danger'}"
            rows.append((line, label, source))
    none: list[tuple[str, str]] = []
    danger_intents = {c.intent for c in danger.categories()}
    for locale in im.locales():
        for intent, samples in sorted(im.sample_utterances(locale).items()):
            if intent in danger_intents:
                continue
            slots = im.intent_slots(locale, intent)
            source = "EverydayIntent" if intent == "EverydayIntent" else "other intents"
            none += [(t, source) for s in samples for t in _spelt(s, slots, locale)]
    none += [(p, "built-in phrases") for phrases in im.builtin_phrases().values() for p in phrases]
    data = danger.raw()
    none += [(_pattern_spellings(p, data["macros"], k), "danger.json look-alikes")
             for p in data["lookalikes"] for k in range(LOOKALIKE_SPELLINGS)]
    rows += [(t, dc.NONE_CLASS, src) for t, src in none if danger.category_of(t) is None]
    out, seen = [], set()
    for text, label, source in rows:
        norm = danger.normalize(text)
        if norm and norm not in seen:
            seen.add(norm)
            out.append((norm, label, source))
    return out


def classes() -> list[str]:
    return [c.id for c in danger.categories()] + [dc.NONE_CLASS]


# ---------------------------------------------------------------- training

def train(rows: list[tuple[str, str, str]]) -> dict:
    """The weights file's content for these rows (deterministic)."""
    names = classes()
    k = len(names)
    feats = [dc.features(t) for t, _, _ in rows]
    texts_with: dict[str, int] = {}
    for f in feats:
        for name in f:
            texts_with[name] = texts_with.get(name, 0) + 1
    kept = sorted(n for n, c in texts_with.items() if c >= MIN_FEATURE_TEXTS)
    ids = {n: i for i, n in enumerate(kept)}
    xs = [[(ids[n], v) for n, v in sorted(f.items()) if n in ids] for f in feats]
    ys = [names.index(label) for _, label, _ in rows]
    w = [[0.0] * k for _ in kept]
    g = [[1e-8] * k for _ in kept]
    b, gb = [0.0] * k, [1e-8] * k
    order = list(range(len(rows)))
    rng = random.Random(SEED)
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for i in order:
            x, y = xs[i], ys[i]
            scores = b[:]
            for f, v in x:
                row = w[f]
                for c in range(k):
                    scores[c] += row[c] * v
            top = max(scores)
            exps = [math.exp(s - top) for s in scores]
            total = sum(exps)
            err = [e / total for e in exps]
            err[y] -= 1.0
            for c in range(k):
                gb[c] += err[c] * err[c]
                b[c] -= LEARNING_RATE * err[c] / math.sqrt(gb[c])
            for f, v in x:
                row, acc = w[f], g[f]
                for c in range(k):
                    grad = err[c] * v + L2_PER_STEP * row[c]
                    acc[c] += grad * grad
                    row[c] -= LEARNING_RATE * grad / math.sqrt(acc[c])
    weights = {}
    for name, row in zip(kept, w):
        sparse = [[c, round(x, WEIGHT_DIGITS)] for c, x in enumerate(row) if abs(x) >= PRUNE_BELOW]
        if sparse:
            weights[name] = sparse
    return {"_comment": "Built by python -m skill.tools.train_danger build; do not edit (skill/tools/danger_classifier.py).",
            "classes": names, "bias": [round(x, WEIGHT_DIGITS) for x in b], "weights": weights}


def render(model: dict) -> str:
    return json.dumps(model, sort_keys=True, separators=(",", ":")) + "\n"


def build() -> str:
    return render(train(training_set()))


# ---------------------------------------------------------------- cross-validation

def groups(rows) -> list[int]:
    """A group id per row: a text joins the first earlier group whose first text it is at least
    GROUP_JACCARD alike (word sets), else starts its own (no chaining: groups stay near-copies)."""
    sets = [frozenset(t.split()) for t, _, _ in rows]
    by_word: dict[str, list[int]] = {}
    out = []
    for i, s in enumerate(sets):
        leader = next((j for j in sorted({j for w in s for j in by_word.get(w, ())})
                       if len(s & sets[j]) / len(s | sets[j]) >= GROUP_JACCARD), None)
        if leader is None:
            leader = i
            for w in s:
                by_word.setdefault(w, []).append(i)
        out.append(leader)
    return out


def folds(rows, k: int = CV_FOLDS) -> list[int]:
    """A fold per row: whole groups, largest first, each to the smallest fold so far."""
    gid = groups(rows)
    members: dict[int, list[int]] = {}
    for i, g in enumerate(gid):
        members.setdefault(g, []).append(i)
    sizes, out = [0] * k, [0] * len(rows)
    for g in sorted(members, key=lambda g: (-len(members[g]), zlib.crc32(rows[members[g][0]][0].encode()))):
        f = sizes.index(min(sizes))
        sizes[f] += len(members[g])
        for i in members[g]:
            out[i] = f
    return out


def cross_validate(rows=None, k: int = CV_FOLDS) -> list[tuple[str, str, str, dict]]:
    """[(text, class, source, held-out probabilities)] over k grouped folds."""
    rows = rows if rows is not None else training_set()
    fold = folds(rows, k)
    out = []
    for f in range(k):
        model = dc.model_from(train([r for r, x in zip(rows, fold) if x != f]))
        out += [(t, y, s, dc.probabilities(t, model)) for (t, y, s), x in zip(rows, fold) if x == f]
    return out


def _pct(n: int, d: int) -> str:
    return f"{100.0 * n / d:5.1f} % ({n}/{d})" if d else "   -"


def report(held: list[tuple[str, str, str, dict]]) -> str:
    """Recall (any danger; right category) and false alarms (look-alikes; all none) per cutoff."""
    lines = []
    dangers = [r for r in held if r[1] != dc.NONE_CLASS]
    lookalike_sources = {"EverydayIntent", "danger.json look-alikes"} | {
        f"{s.directory.name}/look-alike" for s in phrasing_sets.training_sets()}
    looks = [r for r in held if r[1] == dc.NONE_CLASS and r[2] in lookalike_sources]
    nones = [r for r in held if r[1] == dc.NONE_CLASS]
    lines.append(f"held out: {len(dangers)} danger texts, {len(looks)} look-alikes, {len(nones)} none texts in all")
    for cut in CV_CUTOFFS:
        def flagged(p):
            return 1.0 - p[dc.NONE_CLASS] >= cut

        def likeliest(p):
            return max((c for c in p if c != dc.NONE_CLASS), key=p.get)
        hit = sum(flagged(p) for _, _, _, p in dangers)
        own = sum(flagged(p) and likeliest(p) == y for _, y, _, p in dangers)
        fa = sum(flagged(p) for _, _, _, p in looks)
        fa_all = sum(flagged(p) for _, _, _, p in nones)
        lines.append(f"cutoff {cut:.2f}: danger flagged {_pct(hit, len(dangers))}, own category {_pct(own, len(dangers))}; "
                     f"false alarms, look-alikes {_pct(fa, len(looks))}, all none {_pct(fa_all, len(nones))}")
    cut = dc.DANGER_MIN_PROB
    lines.append(f"per category at the cutoff in use ({cut}):")
    for c in classes()[:-1]:
        mine = [p for _, y, _, p in dangers if y == c]
        hit = sum(1.0 - p[dc.NONE_CLASS] >= cut for p in mine)
        lines.append(f"  {c}: flagged {_pct(hit, len(mine))}")
    by_source: dict[str, list] = {}
    for r in held:
        by_source.setdefault(r[2], []).append(r)
    lines.append(f"by source at the cutoff in use ({cut}):")
    for src, rs in sorted(by_source.items()):
        hit = sum(1.0 - p[dc.NONE_CLASS] >= cut for _, _, _, p in rs)
        lines.append(f"  {src}: flagged as danger {_pct(hit, len(rs))}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else "build"
    if command == "build":
        dc.WEIGHTS_PATH.write_text(build(), encoding="utf-8")
        print(f"wrote {dc.WEIGHTS_PATH.relative_to(REPO)} ({dc.WEIGHTS_PATH.stat().st_size} bytes)")
        return 0
    if command == "check":
        same = dc.WEIGHTS_PATH.exists() and dc.WEIGHTS_PATH.read_text(encoding="utf-8") == build()
        print("danger_weights.json is up to date" if same else "danger_weights.json differs from a fresh build")
        return 0 if same else 1
    if command == "cv":
        print(report(cross_validate()))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
