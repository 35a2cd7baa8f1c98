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

describe(raw) gives the one-line text form. Grammar:

    Empty
    Page <hex address>
    Marker
    Reference <hex value> (<L or .><R or .>)
    Interval <Start|End|Slot> <type> <untracked|clean|dirty>[ awaiting-clean <hex bytes>]

where <type> is "zero" (the only interval type) and the awaiting-clean part appears only when the
length is not zero. A value no valid slot can hold still gets a line, with what is wrong spelled
in place: "Marker (raw 0x5)" for a marker with stray bits, "Interval Sentinel3 ..." for the
unused sentinel value, "type1" for an unknown interval type, "dirty-state3" for the unused
state, and a trailing " (stray bits 0xf00)" for bits 8..11 of an interval. anomalies(raw) lists
the same problems as sentences, for `vmpl check`.

A page's copy-on-write split bits live in the vm_page_t, not in the slot: the gdb printers add
them (" (L.)") when the page is readable; this module never dereferences anything.

Run as a program, it checks a vectors file:
    python3 gdb/vmpl/decode.py --check tests/vectors/slots.json
exit 0 when every vector matches, 1 on a mismatch, 2 on a usage error, 3 on an unreadable file.
"""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = ["decode", "describe", "anomalies", "split_text", "check_vectors", "main"]

MASK64 = (1 << 64) - 1

# Low two bits: the type (docs/semantics.md section 2.2).
TYPE_MASK = 0x3
PAGE_TYPE = 0
MARKER_TYPE = 1
REFERENCE_TYPE = 2
INTERVAL_TYPE = 3

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


def decode(raw: int) -> dict[str, Any]:
    """The fields of the slot whose raw_ is |raw| (an unsigned 64-bit value)."""
    raw &= MASK64
    kind = raw & TYPE_MASK
    if raw == 0:
        return {"kind": "empty"}
    if kind == PAGE_TYPE:
        return {"kind": "page", "page": hex(raw)}
    if kind == MARKER_TYPE:
        return {"kind": "marker"}
    if kind == REFERENCE_TYPE:
        return {
            "kind": "reference",
            "reference": hex(raw & REFERENCE_VALUE_MASK),
            "left_split": bool(raw & REFERENCE_LEFT_SPLIT),
            "right_split": bool(raw & REFERENCE_RIGHT_SPLIT),
        }
    sentinel = (raw >> INTERVAL_SENTINEL_SHIFT) & 3
    dirty = (raw >> INTERVAL_DIRTY_SHIFT) & 3
    return {
        "kind": "interval",
        "sentinel": SENTINELS[sentinel] if sentinel < len(SENTINELS) else "invalid",
        "dirty": DIRTY_STATES[dirty] if dirty < len(DIRTY_STATES) else "invalid",
        "awaiting_clean": raw & INTERVAL_AWAITING_CLEAN_MASK,
    }


def describe(raw: int) -> str:
    """The one-line text form of the slot whose raw_ is |raw| (grammar in the module doc)."""
    raw &= MASK64
    kind = raw & TYPE_MASK
    if raw == 0:
        return "Empty"
    if kind == PAGE_TYPE:
        return "Page %#x" % raw
    if kind == MARKER_TYPE:
        return "Marker" if raw == 1 else "Marker (raw %#x)" % raw
    if kind == REFERENCE_TYPE:
        return "Reference %#x %s" % (
            raw & REFERENCE_VALUE_MASK,
            split_text(bool(raw & REFERENCE_LEFT_SPLIT), bool(raw & REFERENCE_RIGHT_SPLIT)),
        )
    sentinel = (raw >> INTERVAL_SENTINEL_SHIFT) & 3
    itype = (raw >> INTERVAL_TYPE_SHIFT) & 3
    dirty = (raw >> INTERVAL_DIRTY_SHIFT) & 3
    parts = [
        "Interval",
        SENTINELS[sentinel].capitalize() if sentinel < len(SENTINELS) else "Sentinel%d" % sentinel,
        "zero" if itype == 0 else "type%d" % itype,
        DIRTY_STATES[dirty] if dirty < len(DIRTY_STATES) else "dirty-state%d" % dirty,
    ]
    awaiting = raw & INTERVAL_AWAITING_CLEAN_MASK
    if awaiting:
        parts.append("awaiting-clean %#x" % awaiting)
    if raw & INTERVAL_UNUSED_MASK:
        parts.append("(stray bits %#x)" % (raw & INTERVAL_UNUSED_MASK))
    return " ".join(parts)


def anomalies(raw: int) -> list[str]:
    """What makes |raw| a value no valid V2 slot holds (empty when it is one)."""
    raw &= MASK64
    kind = raw & TYPE_MASK
    found: list[str] = []
    if kind == PAGE_TYPE and raw % 8 != 0:
        found.append("page pointer %#x is not 8-byte aligned" % raw)
    elif kind == MARKER_TYPE and raw != 1:
        found.append("marker with stray bits %#x" % (raw & ~1))
    elif kind == INTERVAL_TYPE:
        sentinel = (raw >> INTERVAL_SENTINEL_SHIFT) & 3
        itype = (raw >> INTERVAL_TYPE_SHIFT) & 3
        dirty = (raw >> INTERVAL_DIRTY_SHIFT) & 3
        if sentinel >= len(SENTINELS):
            found.append("interval sentinel %d is not slot, start or end" % sentinel)
        if itype != 0:
            found.append("interval type %d is not zero" % itype)
        if dirty >= len(DIRTY_STATES):
            found.append("interval dirty state %d is not untracked, clean or dirty" % dirty)
        if raw & INTERVAL_UNUSED_MASK:
            found.append("interval with stray bits %#x" % (raw & INTERVAL_UNUSED_MASK))
        if raw & INTERVAL_AWAITING_CLEAN_MASK:
            if sentinel == 2:
                found.append("interval end with an awaiting-clean length")
            elif dirty != 2:
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


def check_vectors(document: Any) -> list[str]:
    """Mismatches between the vectors of a parsed slots.json and decode()/describe()."""
    if not isinstance(document, dict) or document.get("format") != "vmpl-slot-vectors":
        return ['not a vectors file: "format" is not "vmpl-slot-vectors"']
    if document.get("version") != 1:
        return ["vectors version %r: this checker knows version 1" % document.get("version")]
    vectors = document.get("vectors")
    if not isinstance(vectors, list):
        return ['"vectors" is not a list']
    problems: list[str] = []
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


def main(argv: list[str]) -> int:
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
    problems = check_vectors(document)
    for problem in problems:
        print("%s: %s" % (path, problem))
    if problems:
        return 1
    print("%s: %d vectors match" % (path, len(document["vectors"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
