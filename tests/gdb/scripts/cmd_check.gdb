# `vmpl check` on every intact list: no problems anywhere.
vmpl check dense_list
vmpl check skewed_list
vmpl check interval_list
vmpl check reference_list
vmpl check splice_source
vmpl check splice_list
vmpl check empty_list
vmpl check big_list
