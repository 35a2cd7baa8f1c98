# The VmPageListNode printer: offset range (skewed key and VMO offsets), non-empty slots.
set print pretty on
print *dense_list.list_.left_most_
print *skewed_list.list_.left_most_
print *skewed_list.list_.right_most_
print *interval_list.list_.root_
print dense_list.list_.left_most_->obj_offset_
