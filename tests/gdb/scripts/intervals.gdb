# Zero intervals: [0xa000, 0x2b000) from node 0x0 to node 0x20000 (start awaiting clean
# 0x3000), a one-page interval at 0x32000 (awaiting clean 0x1000), pages around them.
set print pretty on
print interval_list
vmpl dump interval_list
vmpl dump interval_list 0x10000 0x20000
vmpl find interval_list 0xa000
vmpl find interval_list 0x1c000
vmpl find interval_list 0x2a000
vmpl find interval_list 0x32000
vmpl find interval_list 0x33000
vmpl stats interval_list
vmpl check interval_list
