# The VmPageOrMarker printer on one slot of each kind, and the VmPageOrMarkerRef and
# ReferenceValue types where gdb can make one.
print dense_list.list_.left_most_->pages_[0]
print/x dense_list.list_.left_most_->pages_[0].raw_
print reference_list.list_.left_most_->pages_[1]
print reference_list.list_.left_most_->pages_[3]
print reference_list.list_.left_most_->pages_[4]
print reference_list.list_.left_most_->pages_[7]
print reference_list.list_.left_most_->pages_[8]
print interval_list.list_.left_most_->pages_[10]
print interval_list.list_.right_most_->pages_[2]
print/x interval_list.list_.right_most_->pages_[2].raw_
print *(VmPageOrMarker*)&reference_list.list_.left_most_->pages_[2]
print sizeof(VmPageOrMarker)
