# The 10,000-node list: `print` is bounded by `set print elements` (default 200).
print big_list
set print elements 3
print big_list
