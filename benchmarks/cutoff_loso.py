"""Where should the offline classifier's cutoff sit? Leave one trained set out, retrain the
classifier without it, and route the set's lines as the offline matcher does: the danger
patterns first, then the classifier at each cutoff.

    python -m benchmarks.cutoff_loso [SET ...]    # default: ninth seventh sixteenth seventeenth; en-US

For each left-out set the classifier is trained on everything `skill.tools.train_danger` learns
from except that set's lines (about 3 minutes a set); a danger line counts as caught when the
answer its category gets carries the numbers the line's own category needs, in order
(benchmarks.safety.right_help); a look-alike routed to any crisis answer is a false alarm. No
exact-match step: the committed interaction model holds the left-out set's lines as samples.
Counts only; no phrasing is printed (some trained sets were never read).
"""
from __future__ import annotations

import sys
from collections import defaultdict

from benchmarks import safety
from skill import danger
from skill.tools import danger_classifier as dc
from skill.tools import phrasing_sets as sets
from skill.tools import train_danger

LOCALE = "en-US"
DEFAULT_LEFT_OUT = ("ninth_phrasings", "seventh_phrasings", "sixteenth_phrasings", "seventeenth_phrasings")
CUTOFFS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)


def _right(category_id: str, answered: str | None) -> bool:
    if answered is None:
        return False
    spoken, _ = safety.required_numbers(answered, LOCALE)
    return safety.right_help(category_id, answered, spoken, LOCALE)


def leave_out(left_out: str) -> dict[float, tuple[float, float, float]]:
    """{cutoff: (caught %, lowest category %, false alarms %)} for one left-out set."""
    held_set = next(s for s in sets.training_sets() if s.directory.name == left_out)
    rows = sets.lines(held_set.directory, LOCALE)
    held = {danger.normalize(t) for t, _ in sets.lines(held_set.directory)}
    training = [r for r in train_danger.training_set()
                if not r[2].startswith(left_out + "/") and r[0] not in held]
    model = dc.model_from(train_danger.train(training))
    return _score(rows, model)


def _score(rows: list[tuple[str, str]], model) -> dict[float, tuple[float, float, float]]:
    # Each line is read once: the patterns' category, else the classifier's (unblocked) one
    # with its P(danger); each cutoff then only compares.
    routed = []
    for text, stem in rows:
        found = danger.category_of(text)
        if found is not None:
            routed.append((stem, found.id, 1.0))
        else:
            verdict = dc.classify(text, LOCALE, model, cutoff=0.0)
            routed.append((stem, verdict.category.id if verdict.category else None, verdict.danger_prob))
    out = {}
    for cutoff in CUTOFFS:
        per = defaultdict(lambda: [0, 0])
        alarms = looks = 0
        for stem, category, prob in routed:
            answered = category if prob >= cutoff else None
            if stem == sets.LOOK_ALIKES:
                looks += 1
                alarms += answered is not None
            else:
                per[stem][0] += _right(stem, answered)
                per[stem][1] += 1
        caught = sum(c for c, _ in per.values()) / sum(n for _, n in per.values())
        out[cutoff] = (100 * caught, min(100 * c / n for c, n in per.values()), 100 * alarms / looks)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    names = {s.directory.name for s in sets.training_sets()}
    for name in argv:
        if name not in names:
            print(f"cutoff_loso: {name!r} is not a trained set ({', '.join(sorted(names))})", file=sys.stderr)
            return 2
    print("| left out | " + " | ".join(f"{c}" for c in CUTOFFS) + " |")
    print("|---|" + "---|" * len(CUTOFFS))
    for name in argv or DEFAULT_LEFT_OUT:
        figures = leave_out(name)
        cells = " | ".join(f"{a:.1f} / {low:.1f} / {fa:.1f}" for a, low, fa in figures.values())
        print(f"| {name} | {cells} |", flush=True)
    print("cells: caught / lowest category / false alarms, % (en-US)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
