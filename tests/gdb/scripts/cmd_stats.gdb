# `vmpl stats` on each list.
vmpl stats dense_list
vmpl stats reference_list
vmpl stats interval_list
vmpl stats empty_list
vmpl stats big_list
vmpl stats &big_list
