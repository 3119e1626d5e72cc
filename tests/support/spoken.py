"""The numbers an SSML answer speaks, as a listener hears them: each help line's digit groups
(say-as digits, joined by short breaks) as one number, "116 123"."""
import re

DIGITS = re.compile(r'<say-as interpret-as="digits">([0-9]+)</say-as>((?:<break time="\d+ms"/>)*)')


def numbers(doc: str) -> list[str]:
    out, joined = [], False
    for m in DIGITS.finditer(doc):
        if joined and out:
            out[-1] += " " + m.group(1)
        else:
            out.append(m.group(1))
        joined = bool(m.group(2)) and doc[m.end():m.end() + 8] == "<say-as "
    return out
