# The `vmpl max-nodes` parameter bounds every walk.
show vmpl max-nodes
set vmpl max-nodes 3
show vmpl max-nodes
print victim_list
vmpl stats victim_list
vmpl check victim_list
set vmpl max-nodes 100000
vmpl stats victim_list
