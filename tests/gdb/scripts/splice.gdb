# A splice list from splice_source.TakePages(0xc000, 0x28000): head, two middle nodes, tail;
# three entries popped.
set print pretty on
print splice_list
print &splice_list
vmpl dump splice_list
vmpl find splice_list 0xf000
vmpl find splice_list 0x20000
vmpl find splice_list 0x33000
vmpl find splice_list 0xc000
vmpl stats splice_list
vmpl check splice_list
print splice_source
