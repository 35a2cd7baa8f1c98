# A list with skew 3 pages: VMO offsets 0..0xc000 in node 0x0, 0xd000.. in node 0x10000.
set print pretty on
print skewed_list
print skewed_list.list_skew_
vmpl dump skewed_list
vmpl find skewed_list 0xc000
vmpl find skewed_list 0xd000
vmpl find skewed_list 0x1d000
vmpl stats skewed_list
vmpl check skewed_list
