# `vmpl dump`: the text view of whole lists and of ranges, through values, pointers and registry
# ids; the JSON object; wrong arguments.
vmpl dump reference_list
vmpl dump &reference_list
vmpl dump dense_list 0x3000 0x6000
vmpl dump #3
vmpl dump --json skewed_list
vmpl dump --json dense_list 0x0 0x1000
vmpl dump dense_list 0x6000 0x3000
vmpl dump empty_list
vmpl dump no_such_variable
vmpl dump 42
vmpl dump
