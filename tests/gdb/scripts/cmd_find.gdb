# `vmpl find`: present, absent and out-of-range offsets; wrong arguments.
vmpl find dense_list 0x5000
vmpl find dense_list 0x1f000
vmpl find dense_list 0x20000
vmpl find reference_list 0x14000
vmpl find reference_list 0x3000
vmpl find empty_list 0x0
vmpl find dense_list
vmpl find dense_list not_a_number
