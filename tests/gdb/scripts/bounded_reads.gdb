# `set print elements N` reads only what it shows: a list's summary reads the list object, not
# its 10,000 nodes, and its entries are walked lazily. The figures are read_memory calls of the
# gdb package (gdb/vmpl/walk.py read_counts: all reads, and nodes among them); `vmpl stats`,
# which walks the whole list, shows that the count sees every node.
set print elements 4
python from vmpl import walk
python walk.read_counts.reads = walk.read_counts.nodes = 0
print big_list
python print("print big_list: %d nodes read, %d reads" % (walk.read_counts.nodes, walk.read_counts.reads))
python walk.read_counts.reads = walk.read_counts.nodes = 0
print big_list.list_
python print("print big_list.list_: %d nodes read, %d reads" % (walk.read_counts.nodes, walk.read_counts.reads))
python walk.read_counts.reads = walk.read_counts.nodes = 0
print splice_list
python print("print splice_list: %d nodes read, %d reads" % (walk.read_counts.nodes, walk.read_counts.reads))
python walk.read_counts.reads = walk.read_counts.nodes = 0
vmpl stats big_list
python print("vmpl stats big_list: %d nodes read" % walk.read_counts.nodes)
