# The VMPLCursor printer: a cursor into dense_list at VMO offset 0x5000.
print dense_cursor
set print pretty on
print dense_cursor
