# The fbl WAVLTree of nodes, printed on its own.
set print pretty on
print reference_list.list_
print empty_list.list_
print reference_list.list_.count_
