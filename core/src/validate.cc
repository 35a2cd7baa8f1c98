// vmpl::Validate: every invariant of a live page list or splice list (see validate.h). The
// content is judged on a capture by the model's checker; the tree, the node table and the raw page
// list, which only a live list has, are checked here. Nothing trusts a link it has not checked.

#include <vmpl/validate.h>

#include <fmt/format.h>
#include <vmpl/capture.h>
#include <vmpl/model/check.h>
#include <vmpl/page_list_access.h>
#include <vmpl/wavl_check.h>

namespace vmpl {
namespace {

using Access = PageListAccess;

void CheckTree(const PageListAccess::NodeTree& tree, size_t max_nodes,
               std::vector<Violation>& out) {
  for (const WavlProblem& problem : CheckWavlTree(tree, max_nodes)) {
    out.push_back(Violation{Violation::Kind::kTree, problem.address, 0, false, problem.what});
  }
}

// The node table (vmpl/node_table.h) must map every node's key to that node and hold nothing else.
// A list read from another process or a core never has one: its copy's table is dropped.
void CheckNodeTable(const VmPageList& list, const SnapshotList& captured,
                    std::vector<Violation>& out) {
  const vmpl::NodeTable& table = Access::node_table(list);
  if (!table.active()) {
    return;
  }
  const size_t tree_size = Access::nodes(list).size();
  if (table.size() != tree_size) {
    out.push_back(Violation{
        Violation::Kind::kTree, reinterpret_cast<uintptr_t>(&list), 0, false,
        fmt::format("node table holds {} nodes, the tree {}", table.size(), tree_size)});
  }
  for (const SnapshotNode& node : captured.nodes) {
    const VmPageListNode* found = table.Find(node.key);
    if (reinterpret_cast<uintptr_t>(found) != node.address) {
      out.push_back(Violation{Violation::Kind::kTree, node.address, 0, false,
                              fmt::format("node table maps node offset {:#x} to {:#x}, not to "
                                          "this node",
                                          node.key, reinterpret_cast<uintptr_t>(found))});
    }
  }
}

// A splice list made by CreateFromPageList holds its pages on a raw list: one per position left.
void CheckRawPages(const VmPageSpliceList& splice, std::vector<Violation>& out) {
  const list_node& raw_pages = Access::raw_pages(splice);
  if (list_is_empty(&raw_pages)) {
    return;
  }
  const uint64_t length = splice.length();
  const uint64_t pos = splice.Position();
  const uint64_t remaining = pos <= length ? (length - pos) / PAGE_SIZE : 0;
  uint64_t count = 0;
  for (const list_node* n = raw_pages.next; n != &raw_pages && count <= remaining; n = n->next) {
    count++;
  }
  if (count != remaining) {
    out.push_back(Violation{Violation::Kind::kSplice, reinterpret_cast<uintptr_t>(&splice), 0,
                            false,
                            fmt::format("raw page list holds {}{} pages, expected {}",
                                        count > remaining ? "more than " : "", count, remaining)});
  }
}

void Append(std::vector<Violation>& out, std::vector<Violation> more) {
  out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
}

}  // namespace

std::vector<Violation> Validate(const VmPageList& list, const ValidateOptions& options) {
  std::vector<Violation> violations;
  CheckTree(Access::nodes(list), options.max_nodes, violations);
  const SnapshotList captured = Capture(list, CaptureOptions{false, options.max_nodes});
  CheckNodeTable(list, captured, violations);
  Append(violations, CheckList(captured));
  return violations;
}

std::vector<Violation> Validate(const VmPageSpliceList& splice, const ValidateOptions& options) {
  std::vector<Violation> violations;
  CheckTree(Access::middle(splice), options.max_nodes, violations);
  Append(violations, CheckList(Capture(splice, CaptureOptions{false, options.max_nodes})));
  CheckRawPages(splice, violations);
  return violations;
}

}  // namespace vmpl
