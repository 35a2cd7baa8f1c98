# The VmPageList printer (a map from VMO offset to entry), through values, pointers and with
# `set print elements` bounding it.
set print pretty on
print dense_list
print reference_list
print empty_list
print &reference_list
print *&reference_list
set print elements 4
print dense_list
set print elements 200
set print pretty off
print reference_list
