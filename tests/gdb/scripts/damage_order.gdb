# damage: order
# victim_list (8 nodes) damaged by gdb_test_program before the stop; every view must end in an
# error marker, bounded, with the valid part still shown.
print victim_list
vmpl dump victim_list
vmpl find victim_list 0x70000
vmpl stats victim_list
vmpl check victim_list
vmpl list
# The printer's entries keep unique names: the second node at key 0x30000 repeats offsets.
set print pretty on
print victim_list
