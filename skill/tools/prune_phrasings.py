"""Takes out of a newly written phrasing set, unread, every line that copies or nearly copies
what the detector already knows or another set holds; prints counts only.

    python -m skill.tools.prune_phrasings tests/safety/eleventh_phrasings

A line goes when it equals, or nearly copies (skill.tools.phrasing_sets.near_copy), a danger
sample, a danger pattern read as words, any intent's sample in any locale, or a line of any
other registered set (held by tests/safety/test_overlap.py and test_phrasings_format.py). A set
is pruned before anyone measures with it, so a hidden set stays unread: the lines removed are
never printed.
"""
from __future__ import annotations

import re
import string
import sys
from pathlib import Path

from skill import danger
from skill.tools import interaction_model as im
from skill.tools import phrasing_sets

_PATTERN_OPERATORS = re.compile(r"[()|<>*~#^$]|\.\.\.")
_PUNCTUATION = str.maketrans("", "", string.punctuation + "\u2018\u2019\u201c\u201d")


def vocabulary_texts() -> list[str]:
    """The danger samples, and every danger pattern with its operators dropped, read as words."""
    data = danger.raw()
    texts = [danger.normalize(s) for c in data["categories"] for s in c["samples"]]
    texts += [" ".join(_PATTERN_OPERATORS.sub(" ", p).split()) for c in data["categories"] for p in c["phrases"]]
    return texts


def model_sample_texts() -> list[str]:
    return sorted({danger.normalize(s) for locale in im.locales()
                   for samples in im.sample_utterances(locale).values() for s in samples})


def plain(text: str) -> str:
    """A phrasing as the repeat rule reads it (tests/safety/test_phrasings_format.py): case,
    punctuation (apostrophes too, so "i'm" == "im") and spacing do not make a new phrasing."""
    return " ".join(text.lower().translate(_PUNCTUATION).split())


def prune(directory: Path) -> dict[str, tuple[int, int]]:
    """Rewrites each file of `directory` without its near-copies: {file stem: (kept, removed)}."""
    directory = directory.resolve()   # the registry's paths are absolute: never compare a set with itself
    others = [s.directory for s in phrasing_sets.all_sets() if s.directory != directory and s.directory.exists()]
    samples = model_sample_texts()
    own = {danger.normalize(t) for t, _ in phrasing_sets.lines(directory)}
    if own and 2 * len(own & set(samples)) > len(own):
        raise ValueError(f"{directory.name} is already learned into the interaction model: prune a set before building")
    other_lines = [t for d in others for t, _ in phrasing_sets.lines(d)]
    index = phrasing_sets.NearCopyIndex(vocabulary_texts() + samples + [danger.normalize(t) for t in other_lines])
    plain_known = {plain(t) for t in other_lines}
    counts = {}
    seen: set[str] = set()
    for path in sorted(directory.glob("*.txt")):
        kept_lines, kept, removed = [], 0, 0
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                kept_lines.append(raw)
                continue
            text = phrasing_sets.strip_tag(line)
            norm = danger.normalize(text)
            key = plain(text)
            if not norm or norm in index or key in plain_known or key in seen:
                removed += 1
                continue
            seen.add(key)
            kept_lines.append(raw)
            kept += 1
        path.write_text("\n".join(kept_lines) + "\n", encoding="utf-8")
        counts[path.stem] = (kept, removed)
    return counts


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: python -m skill.tools.prune_phrasings SET_DIRECTORY", file=sys.stderr)
        return 2
    try:
        counts = prune(Path(argv[0]))
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    for stem, (kept, removed) in counts.items():
        print(f"{stem}: kept {kept}, removed {removed}")
    print(f"removed {sum(r for _, r in counts.values())} lines in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
