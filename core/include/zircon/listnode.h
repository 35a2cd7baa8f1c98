// Intrusive circular doubly linked list with the names of the kernel's <zircon/listnode.h>.
//
// A list is a `list_node` head whose prev/next point back at itself when empty. Elements embed a
// `list_node` (vm_page_t::queue_node) and are recovered with containerof.

#ifndef ZIRCON_LISTNODE_H_
#define ZIRCON_LISTNODE_H_

#include <stddef.h>
#include <stdint.h>

#define containerof(ptr, type, member) \
  (reinterpret_cast<type*>(reinterpret_cast<uintptr_t>(ptr) - offsetof(type, member)))

struct list_node {
  list_node* prev;
  list_node* next;
};
typedef struct list_node list_node_t;

#define LIST_INITIAL_VALUE(list) \
  { &(list), &(list) }
#define LIST_INITIAL_CLEARED_VALUE \
  { NULL, NULL }

static inline void list_initialize(list_node* list) { list->prev = list->next = list; }
static inline void list_clear_node(list_node* item) { item->prev = item->next = nullptr; }
static inline bool list_in_list(const list_node* item) { return item->prev != nullptr; }
static inline bool list_is_empty(const list_node* list) { return list->next == list; }

static inline void list_add_head(list_node* list, list_node* item) {
  item->next = list->next;
  item->prev = list;
  list->next->prev = item;
  list->next = item;
}

static inline void list_add_tail(list_node* list, list_node* item) {
  item->prev = list->prev;
  item->next = list;
  list->prev->next = item;
  list->prev = item;
}

static inline void list_delete(list_node* item) {
  item->next->prev = item->prev;
  item->prev->next = item->next;
  item->prev = item->next = nullptr;
}

static inline list_node* list_remove_head(list_node* list) {
  if (list_is_empty(list)) {
    return nullptr;
  }
  list_node* item = list->next;
  list_delete(item);
  return item;
}

#define list_remove_head_type(list, type, element) \
  (list_is_empty(list) ? nullptr : containerof(list_remove_head(list), type, element))

#define list_peek_head_type(list, type, element) \
  (list_is_empty(list) ? nullptr : containerof((list)->next, type, element))

static inline size_t list_length(const list_node* list) {
  size_t count = 0;
  for (const list_node* node = list->next; node != list; node = node->next) {
    count++;
  }
  return count;
}

// Moves every element of |old_list| to the empty |new_list|; |old_list| ends up empty.
static inline void list_move(list_node* old_list, list_node* new_list) {
  list_initialize(new_list);
  if (!list_is_empty(old_list)) {
    new_list->next = old_list->next;
    new_list->prev = old_list->prev;
    new_list->next->prev = new_list;
    new_list->prev->next = new_list;
    list_initialize(old_list);
  }
}

#define list_for_every(list, node) for (node = (list)->next; node != (list); node = node->next)

#endif  // ZIRCON_LISTNODE_H_
