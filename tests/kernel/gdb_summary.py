# Run inside gdb (attached to the kernel through QEMU's stub, or on a dump) by
# kernel_qemu_test.py: prints, for every list in vmpl_registry, what the vmpl gdb package reads
# of it, in the terms of the kernel's self-report (kernel/self_report.h): node count, slot kinds
# and the FNV-1a checksum over each node's offset and 16 raw slots.
#
#   gdb-summary id=5 nodes=49 pages=258 references=0 markers=0 intervals=22
#   interval_sentinels=44 checksum=...

import struct

from vmpl import model, registry

FNV_OFFSET_BASIS = 0xcbf29ce484222325
FNV_PRIME = 0x100000001b3


def checksum(nodes) -> int:
    value = FNV_OFFSET_BASIS
    for node in nodes:
        for byte in struct.pack("<Q", node.key) + struct.pack("<%dQ" % len(node.slots), *node.slots):
            value = ((value ^ byte) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return value


for entry in registry.read_registry().entries:
    view = model.view_for(entry.address, registry.KINDS.get(entry.kind, "?")).load()
    counts = view.counts()
    # The self-report's words (docs/snapshot-format.md): intervals and interval sentinels apart;
    # a splice list's nodes are checksummed head, middle nodes, tail: the kernel's order.
    print("gdb-summary id=%d nodes=%d pages=%d references=%d markers=%d intervals=%d "
          "interval_sentinels=%d checksum=%016x problems=%d" % (
              entry.ident, counts.nodes, counts.pages, counts.references, counts.markers,
              counts.intervals, counts.interval_sentinels, checksum(view.nodes),
              len(view.problems)))
