"""Decoding of one VmPageOrMarker raw_ value (V2 encoding), without gdb.

Mirrors the bit layout of VmPageOrMarker in core/include/vm/vm_page_list.h (docs/semantics.md
section 2.2) and the C++ decoder inspect/src/raw_slot.cc, so that the printers, the inspector and
the shared test vectors (tests/vectors/slots.json) agree on every value.

decode(raw) gives the fields as a dict, with exactly these keys:

    {"kind": "empty"}
    {"kind": "page", "page": "0x..."}                     # the vm_page_t address
    {"kind": "marker"}
    {"kind": "reference", "reference": "0x...",           # raw & ~0xf
     "left_split": bool, "right_split": bool}             # bits 3 and 2
    {"kind": "interval", "sentinel": "start"|"end"|"slot"|"invalid",
     "dirty": "untracked"|"clean"|"dirty"|"invalid",
     "awaiting_clean": int}                               # bytes, raw bits 12..63

describe(raw) gives the slot's content in the kernel's own dump wording, the words every view
prints (docs/snapshot-format.md, "Text"):

    empty
    page <hex address>
    reference <hex value>(<L or .><R or .>)
    zero page marker
    page interval <start|end|slot> <untracked|clean|dirty>[ awaiting-clean <hex bytes>]

where the awaiting-clean part appears only when the length is not zero. A value no valid slot can
hold still gets a line, with what is wrong spelled in place: "zero page marker (raw 0x5)" for a
marker with stray bits, "sentinel3" for the unused sentinel value, "dirty-state3" for the unused
state, a trailing " (type 1)" for an interval type other than zero and " (stray bits 0xf00)" for
bits 8..11 of an interval. anomalies(raw) lists the same problems as sentences, for `vmpl check`.

A page's physical address and copy-on-write split bits live in the vm_page_t, not in the slot:
text.py adds them (" paddr 0x103000(L.)") when the vm_page_t could be read; this module never
dereferences anything.

Run as a program, it checks a vectors file:
    python3 gdb/vmpl/decode.py --check tests/vectors/slots.json
exit 0 when every vector matches, 1 on a mismatch, 2 on a usage error, 3 on an unreadable file.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable

__all__ = ["KINDS", "MASK64", "anomalies", "check_main", "check_vectors", "decode", "describe",
           "kind", "main", "sentinel", "split_text", "vectors_of"]

MASK64 = (1 << 64) - 1

# Low two bits: the type (docs/semantics.md section 2.2).
TYPE_MASK = 0x3
PAGE_TYPE = 0
MARKER_TYPE = 1
REFERENCE_TYPE = 2
INTERVAL_TYPE = 3
# The kind of a slot by its type bits; 0 itself is "empty".
KINDS = ("page", "marker", "reference", "interval")

# References: bit 3 left split, bit 2 right split, the value above bit 4.
REFERENCE_LEFT_SPLIT = 0x8
REFERENCE_RIGHT_SPLIT = 0x4
REFERENCE_VALUE_MASK = MASK64 & ~0xF

# Intervals: sentinel bits 2..3, type bits 4..5, dirty state bits 6..7, unused 8..11,
# awaiting-clean length (bytes, page aligned) bits 12..63.
INTERVAL_SENTINEL_SHIFT = 2
INTERVAL_TYPE_SHIFT = 4
INTERVAL_DIRTY_SHIFT = 6
INTERVAL_UNUSED_MASK = 0xF00
INTERVAL_AWAITING_CLEAN_MASK = MASK64 & ~0xFFF

SENTINELS = ("slot", "start", "end")
DIRTY_STATES = ("untracked", "clean", "dirty")


def split_text(left: bool, right: bool) -> str:
    """The two split bits as "(LR)", "(L.)", "(.R)" or "(..)"."""
    return "(%s%s)" % ("L" if left else ".", "R" if right else ".")


def kind(raw: int) -> str:
    """"empty", "page", "marker", "reference" or "interval"."""
    raw &= MASK64
    return KINDS[raw & TYPE_MASK] if raw else "empty"


def sentinel(raw: int) -> str:
    """The sentinel of an interval slot: "slot", "start", "end" or "invalid" (code 3)."""
    code = (raw >> INTERVAL_SENTINEL_SHIFT) & 3
    return SENTINELS[code] if code < len(SENTINELS) else "invalid"


def _dirty_code(raw: int) -> int:
    return (raw >> INTERVAL_DIRTY_SHIFT) & 3


def _reference_split(raw: int) -> tuple[bool, bool]:
    return bool(raw & REFERENCE_LEFT_SPLIT), bool(raw & REFERENCE_RIGHT_SPLIT)


def decode(raw: int) -> dict[str, Any]:
    """The fields of the slot whose raw_ is |raw| (an unsigned 64-bit value)."""
    raw &= MASK64
    what = kind(raw)
    if what == "page":
        return {"kind": what, "page": hex(raw)}
    if what == "reference":
        left, right = _reference_split(raw)
        return {"kind": what, "reference": hex(raw & REFERENCE_VALUE_MASK),
                "left_split": left, "right_split": right}
    if what == "interval":
        dirty = _dirty_code(raw)
        return {
            "kind": what,
            "sentinel": sentinel(raw),
            "dirty": DIRTY_STATES[dirty] if dirty < len(DIRTY_STATES) else "invalid",
            "awaiting_clean": raw & INTERVAL_AWAITING_CLEAN_MASK,
        }
    return {"kind": what}


def describe(raw: int) -> str:
    """The content of the slot whose raw_ is |raw| in the dump wording (module doc)."""
    raw &= MASK64
    what = kind(raw)
    if what in ("empty", "page"):
        return what if raw == 0 else "page %#x" % raw
    if what == "marker":
        return "zero page marker" if raw == 1 else "zero page marker (raw %#x)" % raw
    if what == "reference":
        return "reference %#x%s" % (raw & REFERENCE_VALUE_MASK,
                                    split_text(*_reference_split(raw)))
    which = sentinel(raw)
    dirty = _dirty_code(raw)
    itype = (raw >> INTERVAL_TYPE_SHIFT) & 3
    text = "page interval %s %s" % (
        "sentinel3" if which == "invalid" else which,
        DIRTY_STATES[dirty] if dirty < len(DIRTY_STATES) else "dirty-state%d" % dirty)
    if raw & INTERVAL_AWAITING_CLEAN_MASK:
        text += " awaiting-clean %#x" % (raw & INTERVAL_AWAITING_CLEAN_MASK)
    if itype:
        text += " (type %d)" % itype
    if raw & INTERVAL_UNUSED_MASK:
        text += " (stray bits %#x)" % (raw & INTERVAL_UNUSED_MASK)
    return text


def anomalies(raw: int) -> list[str]:
    """What makes |raw| a value no valid V2 slot holds (empty when it is one)."""
    raw &= MASK64
    what = kind(raw)
    found: list[str] = []
    if what == "page" and raw % 8 != 0:
        found.append("page pointer %#x is not 8-byte aligned" % raw)
    elif what == "marker" and raw != 1:
        found.append("marker with stray bits %#x" % (raw & ~1))
    elif what == "interval":
        code = (raw >> INTERVAL_SENTINEL_SHIFT) & 3
        itype = (raw >> INTERVAL_TYPE_SHIFT) & 3
        dirty = _dirty_code(raw)
        if sentinel(raw) == "invalid":
            found.append("interval sentinel %d is not slot, start or end" % code)
        if itype != 0:
            found.append("interval type %d is not zero" % itype)
        if dirty >= len(DIRTY_STATES):
            found.append("interval dirty state %d is not untracked, clean or dirty" % dirty)
        if raw & INTERVAL_UNUSED_MASK:
            found.append("interval with stray bits %#x" % (raw & INTERVAL_UNUSED_MASK))
        if raw & INTERVAL_AWAITING_CLEAN_MASK:
            if sentinel(raw) == "end":
                found.append("interval end with an awaiting-clean length")
            elif DIRTY_STATES[dirty:dirty + 1] != ("dirty",):
                found.append("awaiting-clean length on an interval that is not dirty")
    return found


def _parse_raw(text: Any) -> int:
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    elif isinstance(text, str):
        value = int(text, 0)
    else:
        raise ValueError("raw must be a string like \"0x87\" or an integer")
    if not 0 <= value <= MASK64:
        raise ValueError("raw %r is not an unsigned 64-bit value" % text)
    return value


def vectors_of(document: Any, format_name: str) -> tuple[list, list[str]]:
    """(the "vectors" list, []) of a parsed vectors file of |format_name| in version 1, or
    ([], [why not]). Shared by this module and text.py."""
    if not isinstance(document, dict) or document.get("format") != format_name:
        return [], ['not a vectors file: "format" is not "%s"' % format_name]
    if document.get("version") != 1:
        return [], ["vectors version %r: this checker knows version 1" %
                    document.get("version")]
    vectors = document.get("vectors")
    if not isinstance(vectors, list):
        return [], ['"vectors" is not a list']
    return vectors, []


def check_vectors(document: Any) -> list[str]:
    """Mismatches between the vectors of a parsed slots.json and decode()/describe()."""
    vectors, problems = vectors_of(document, "vmpl-slot-vectors")
    for index, vector in enumerate(vectors):
        where = "vector %d" % index
        if not isinstance(vector, dict):
            problems.append("%s: not an object" % where)
            continue
        try:
            raw = _parse_raw(vector.get("raw"))
        except ValueError as error:
            problems.append("%s: %s" % (where, error))
            continue
        where = "vector %d (raw %#x)" % (index, raw)
        expected = {k: v for k, v in vector.items() if k not in ("raw", "text", "comment")}
        got = decode(raw)
        if expected != got:
            problems.append("%s: fields %s, decode gives %s" % (
                where, json.dumps(expected, sort_keys=True), json.dumps(got, sort_keys=True)))
        if "text" not in vector:
            problems.append("%s: no \"text\"" % where)
        elif vector["text"] != describe(raw):
            problems.append("%s: text %r, describe gives %r" % (where, vector["text"],
                                                                describe(raw)))
    return problems


def check_main(argv: list[str], check: Callable[[Any], list[str]], noun: str) -> int:
    """`PROGRAM --check VECTORS.json`: runs |check| on the parsed file and prints what it found;
    exit 0 when every vector matches, 1 on a mismatch, 2 on a usage error, 3 on an unreadable
    file. Shared by this module and text.py."""
    if len(argv) != 3 or argv[1] != "--check":
        print("usage: %s --check VECTORS.json" % argv[0], file=sys.stderr)
        return 2
    path = argv[2]
    try:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
    except (OSError, ValueError) as error:
        print("%s: unreadable: %s" % (path, error), file=sys.stderr)
        return 3
    problems = check(document)
    for problem in problems:
        print("%s: %s" % (path, problem))
    if problems:
        return 1
    print("%s: %d %s match" % (path, len(document["vectors"]), noun))
    return 0


def main(argv: list[str]) -> int:
    return check_main(argv, check_vectors, "vectors")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
