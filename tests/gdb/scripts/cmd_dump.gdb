# `vmpl dump`: whole lists, ranges, pointers, and wrong arguments.
vmpl dump reference_list
vmpl dump &reference_list
vmpl dump dense_list 0x3000 0x6000
vmpl dump dense_list 0x6000 0x3000
vmpl dump empty_list
vmpl dump no_such_variable
vmpl dump 42
vmpl dump
