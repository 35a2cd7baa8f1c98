// The class-declaration helpers of fbl/macros.h.

#ifndef FBL_MACROS_H_
#define FBL_MACROS_H_

#define DISALLOW_COPY_AND_ASSIGN_ALLOW_MOVE(_class_name) \
  _class_name(const _class_name&) = delete;              \
  _class_name& operator=(const _class_name&) = delete

#define DISALLOW_COPY_ASSIGN_AND_MOVE(_class_name)     \
  _class_name(const _class_name&) = delete;            \
  _class_name(_class_name&&) = delete;                 \
  _class_name& operator=(const _class_name&) = delete; \
  _class_name& operator=(_class_name&&) = delete

#endif  // FBL_MACROS_H_
