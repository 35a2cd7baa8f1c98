// `vmpl layout`'s engine: a DecodeLayout out of a build's headers, through libclang
// (see layout_extract.h).

#include <vmpl/inspect/layout_extract.h>

#include <clang-c/Index.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <map>
#include <memory>

#include <fmt/format.h>
#include <vmpl/inspect/layout_file.h>

namespace vmpl::inspect {
namespace {

constexpr char kProbeFile[] = "vmpl_layout_probe.cc";
constexpr char kProbeNamespace[] = "vmpl_layout_probe";

// One constant the probe file computes: the layout file's field name, the C++ expression (in
// terms of the aliases the probe prologue defines), and where the value goes.
struct Probe {
  const char* field;
  const char* expression;
  uint64_t DecodeLayout::*member;  // null for the canary value, which is 32 bits
};

constexpr Probe kProbes[] = {
    {"pointer_size", "sizeof(void*)", &DecodeLayout::pointer_size},
    {"page_size", "PAGE_SIZE", &DecodeLayout::page_size},
    {"max_size", "List::MAX_SIZE", &DecodeLayout::max_size},
    {"node.size", "sizeof(Node)", &DecodeLayout::node_size},
    {"node.parent", "__builtin_offsetof(Node, wavl_node_state_.parent_)",
     &DecodeLayout::node_parent_offset},
    {"node.left", "__builtin_offsetof(Node, wavl_node_state_.left_)",
     &DecodeLayout::node_left_offset},
    {"node.right", "__builtin_offsetof(Node, wavl_node_state_.right_)",
     &DecodeLayout::node_right_offset},
    {"node.rank", "__builtin_offsetof(Node, wavl_node_state_.rank_)",
     &DecodeLayout::node_rank_offset},
    {"node.rank_size", "sizeof(NodeState::rank_)", &DecodeLayout::node_rank_size},
    {"node.canary", "__builtin_offsetof(Node, canary_)", &DecodeLayout::node_canary_offset},
    {"node.canary_value", "CanaryMagic<decltype(Node::canary_)>::value", nullptr},
    {"node.key", "__builtin_offsetof(Node, obj_offset_)", &DecodeLayout::node_key_offset},
    {"node.slots", "__builtin_offsetof(Node, pages_)", &DecodeLayout::node_slots_offset},
    {"node.slot_size", "sizeof(::VmPageOrMarker)", &DecodeLayout::slot_size},
    {"node.fanout", "Node::kPageFanOut", &DecodeLayout::fanout},
    {"tree.size", "sizeof(Tree)", &DecodeLayout::tree_size},
    {"tree.root", "__builtin_offsetof(Tree, root_)", &DecodeLayout::tree_root_offset},
    {"tree.count", "__builtin_offsetof(Tree, count_)", &DecodeLayout::tree_count_offset},
    {"tree.count_size", "sizeof(Tree::count_)", &DecodeLayout::tree_count_size},
    {"list.size", "sizeof(List)", &DecodeLayout::list_size},
    {"list.tree", "__builtin_offsetof(List, list_)", &DecodeLayout::list_tree_offset},
    {"list.skew", "__builtin_offsetof(List, list_skew_)", &DecodeLayout::list_skew_offset},
    {"splice_list.size", "sizeof(Splice)", &DecodeLayout::splice_size},
    {"splice_list.offset", "__builtin_offsetof(Splice, offset_)",
     &DecodeLayout::splice_offset_offset},
    {"splice_list.length", "__builtin_offsetof(Splice, length_)",
     &DecodeLayout::splice_length_offset},
    {"splice_list.position", "__builtin_offsetof(Splice, pos_)",
     &DecodeLayout::splice_position_offset},
    {"splice_list.skew", "__builtin_offsetof(Splice, list_skew_)",
     &DecodeLayout::splice_skew_offset},
    {"splice_list.finalized", "__builtin_offsetof(Splice, finalized_)",
     &DecodeLayout::splice_finalized_offset},
    {"splice_list.head", "__builtin_offsetof(Splice, head_)", &DecodeLayout::splice_head_offset},
    {"splice_list.middle", "__builtin_offsetof(Splice, middle_)",
     &DecodeLayout::splice_middle_offset},
    {"splice_list.tail", "__builtin_offsetof(Splice, tail_)", &DecodeLayout::splice_tail_offset},
    {"page.size", "sizeof(Page)", &DecodeLayout::page_struct_size},
    {"page.paddr", "__builtin_offsetof(Page, paddr_priv)", &DecodeLayout::page_paddr_offset},
};

// The aliases the probes use. Each is written so that a header lacking the type still lets the
// other probes evaluate (the error then names the probes that needed it).
constexpr char kPrologue[] = R"(
namespace vmpl_layout_probe {
using Node = ::VmPageListNode;
using NodeState = decltype(Node::wavl_node_state_);
using List = ::VmPageList;
using Tree = decltype(List::list_);
using Splice = ::VmPageSpliceList;
using Page = ::vm_page_t;
// fbl::Canary<MAGIC>: the magic is the template's only argument.
template <typename T> struct CanaryMagic;
template <template <unsigned int> class C, unsigned int M> struct CanaryMagic<C<M>> {
  static constexpr unsigned long long value = M;
};
)";

std::string ToString(CXString text) {
  const char* chars = clang_getCString(text);
  std::string out = chars != nullptr ? chars : "";
  clang_disposeString(text);
  return out;
}

struct IndexDeleter {
  void operator()(void* index) const { clang_disposeIndex(index); }
};
struct UnitDeleter {
  void operator()(CXTranslationUnitImpl* unit) const { clang_disposeTranslationUnit(unit); }
};

// The probe file: the headers, the aliases, then one constant per probe, one per line, so a
// diagnostic's line says which probe failed.
struct ProbeSource {
  std::string text;
  std::map<unsigned, const Probe*> probe_at_line;
  unsigned prologue_first_line = 0;
};

ProbeSource MakeProbeSource(const std::vector<std::string>& headers) {
  ProbeSource source;
  unsigned line = 1;
  auto add = [&](const std::string& text) {
    source.text += text;
    for (char c : text) {
      line += c == '\n';
    }
  };
  for (const std::string& header : headers) {
    add(fmt::format("#include \"{}\"\n", header));
  }
  source.prologue_first_line = line;
  add(kPrologue);
  for (size_t i = 0; i < std::size(kProbes); i++) {
    source.probe_at_line[line] = &kProbes[i];
    add(fmt::format("constexpr unsigned long long probe_{} = {};\n", i, kProbes[i].expression));
  }
  add("}\n");
  return source;
}

// Bit positions of vm_page_t's split and dirty bit-fields, from libclang's record layout.
struct PageBits {
  long long left_split = -1;
  long long right_split = -1;
  long long dirty_state = -1;
  long long dirty_state_width = -1;
};

struct FieldSearch {
  const char* name;
  long long offset_bits = -1;
  CXCursor cursor = clang_getNullCursor();
};

CXVisitorResult FindField(CXCursor field, CXClientData data) {
  auto* search = static_cast<FieldSearch*>(data);
  if (ToString(clang_getCursorSpelling(field)) == search->name) {
    search->offset_bits = clang_Cursor_getOffsetOfField(field);
    search->cursor = field;
    return CXVisit_Break;
  }
  return CXVisit_Continue;
}

PageBits FindPageBits(CXType page) {
  PageBits bits;
  FieldSearch object{"object"};
  clang_Type_visitFields(clang_getCanonicalType(page), FindField, &object);
  if (object.offset_bits < 0) {
    return bits;
  }
  const CXType object_type = clang_getCanonicalType(clang_getCursorType(object.cursor));
  auto bit_of = [&](const char* name, long long* width) {
    FieldSearch field{name};
    clang_Type_visitFields(object_type, FindField, &field);
    if (field.offset_bits < 0) {
      return -1LL;
    }
    if (width != nullptr) {
      *width = clang_getFieldDeclBitWidth(field.cursor);
    }
    return object.offset_bits + field.offset_bits;
  };
  bits.left_split = bit_of("cow_left_split", nullptr);
  bits.right_split = bit_of("cow_right_split", nullptr);
  bits.dirty_state = bit_of("dirty_state", &bits.dirty_state_width);
  return bits;
}

// What the walk over the probe namespace collects.
struct ProbeValues {
  std::map<std::string, unsigned long long> values;  // "probe_<i>" -> value
  bool have_page = false;
  CXType page{};
};

CXChildVisitResult CollectProbes(CXCursor cursor, CXCursor /*parent*/, CXClientData data) {
  auto* out = static_cast<ProbeValues*>(data);
  const CXCursorKind kind = clang_getCursorKind(cursor);
  const std::string name = ToString(clang_getCursorSpelling(cursor));
  if (kind == CXCursor_Namespace) {
    return name == kProbeNamespace ? CXChildVisit_Recurse : CXChildVisit_Continue;
  }
  if (kind == CXCursor_TypeAliasDecl && name == "Page") {
    out->page = clang_getTypedefDeclUnderlyingType(cursor);
    out->have_page = out->page.kind != CXType_Invalid;
  } else if (kind == CXCursor_VarDecl && name.rfind("probe_", 0) == 0) {
    CXEvalResult result = clang_Cursor_Evaluate(cursor);
    if (result != nullptr) {
      if (clang_EvalResult_getKind(result) == CXEval_Int) {
        out->values[name] = clang_EvalResult_getAsUnsigned(result);
      }
      clang_EvalResult_dispose(result);
    }
  }
  return CXChildVisit_Continue;
}

}  // namespace

std::optional<DecodeLayout> ExtractLayout(const std::vector<std::string>& headers,
                                          const std::vector<std::string>& clang_args,
                                          std::string* error) {
  if (headers.empty()) {
    *error = "no header given";
    return std::nullopt;
  }
  std::vector<std::string> absolute;
  for (const std::string& header : headers) {
    char resolved[PATH_MAX];
    if (realpath(header.c_str(), resolved) == nullptr) {
      *error = fmt::format("{}: {}", header, strerror(errno));
      return std::nullopt;
    }
    absolute.push_back(resolved);
  }
  const ProbeSource source = MakeProbeSource(absolute);

  // Ours first, so that the caller's arguments (-std, --target) win.
  std::vector<std::string> args = {"-x",      "c++", "-std=c++20", "-Xclang", "-fno-access-control",
                                   "-Wno-invalid-offsetof", "-ferror-limit=0"};
  args.insert(args.end(), clang_args.begin(), clang_args.end());
  std::vector<const char*> argv;
  for (const std::string& arg : args) {
    argv.push_back(arg.c_str());
  }
  CXUnsavedFile unsaved{kProbeFile, source.text.c_str(),
                        static_cast<unsigned long>(source.text.size())};

  std::unique_ptr<void, IndexDeleter> index(clang_createIndex(/*excludeDeclarationsFromPCH=*/0,
                                                              /*displayDiagnostics=*/0));
  CXTranslationUnit raw_unit = nullptr;
  const CXErrorCode code = clang_parseTranslationUnit2(
      index.get(), kProbeFile, argv.data(), static_cast<int>(argv.size()), &unsaved, 1,
      CXTranslationUnit_None, &raw_unit);
  std::unique_ptr<CXTranslationUnitImpl, UnitDeleter> unit(raw_unit);
  if (code != CXError_Success || !unit) {
    *error = fmt::format("libclang could not parse the headers (error {})",
                         static_cast<int>(code));
    return std::nullopt;
  }

  // Errors in the user's headers come first and alone: with a header that does not compile,
  // every field fails for the same reason. A type the headers lack comes next, then the fields
  // that could not be evaluated, each with clang's reason.
  std::vector<std::string> header_errors;
  std::vector<std::string> missing_types;
  std::map<const Probe*, std::string> failed_probes;
  for (unsigned i = 0, n = clang_getNumDiagnostics(unit.get()); i < n; i++) {
    CXDiagnostic diagnostic = clang_getDiagnostic(unit.get(), i);
    if (clang_getDiagnosticSeverity(diagnostic) >= CXDiagnostic_Error) {
      CXFile file;
      unsigned line = 0;
      clang_getSpellingLocation(clang_getDiagnosticLocation(diagnostic), &file, &line, nullptr,
                                nullptr);
      const std::string file_name = file != nullptr ? ToString(clang_getFileName(file)) : "";
      const std::string message = ToString(clang_getDiagnosticSpelling(diagnostic));
      auto probe = source.probe_at_line.find(line);
      if (!file_name.ends_with(kProbeFile) || line < source.prologue_first_line) {
        header_errors.push_back(ToString(clang_formatDiagnostic(
            diagnostic, CXDiagnostic_DisplaySourceLocation | CXDiagnostic_DisplayColumn)));
      } else if (probe != source.probe_at_line.end()) {
        failed_probes.emplace(probe->second, message);
      } else {
        missing_types.push_back(fmt::format("a page-list type is missing: {}", message));
      }
    }
    clang_disposeDiagnostic(diagnostic);
  }
  if (!header_errors.empty()) {
    header_errors.push_back("the headers do not compile with these arguments (give include "
                            "paths, defines and --target after --)");
    *error = fmt::format("{}", fmt::join(header_errors, "\n"));
    return std::nullopt;
  }
  std::vector<std::string> problems = missing_types;

  ProbeValues found;
  clang_visitChildren(clang_getTranslationUnitCursor(unit.get()), CollectProbes, &found);

  DecodeLayout layout;
  std::vector<const char*> unevaluated;  // fields that failed for a missing type
  for (size_t i = 0; i < std::size(kProbes); i++) {
    const Probe& probe = kProbes[i];
    auto value = found.values.find(fmt::format("probe_{}", i));
    if (value == found.values.end()) {
      auto why = failed_probes.find(&probe);
      if (missing_types.empty()) {
        problems.push_back(fmt::format("{}: {}: {}", probe.field, probe.expression,
                                       why != failed_probes.end() ? why->second
                                                                  : "not a constant expression"));
      } else {
        unevaluated.push_back(probe.field);
      }
      continue;
    }
    if (probe.member != nullptr) {
      layout.*probe.member = value->second;
    } else if (value->second > UINT32_MAX) {
      problems.push_back(fmt::format("{}: {:#x} is wider than 32 bits", probe.field,
                                     value->second));
    } else {
      layout.node_canary = static_cast<uint32_t>(value->second);
    }
  }
  if (!unevaluated.empty()) {
    problems.push_back(fmt::format("so these fields could not be found: {}",
                                   fmt::join(unevaluated, ", ")));
  }
  const PageBits bits = found.have_page ? FindPageBits(found.page) : PageBits{};
  const struct {
    const char* field;
    long long value;
    uint64_t DecodeLayout::*member;
  } page_fields[] = {
      {"page.left_split_bit (vm_page_t::object.cow_left_split)", bits.left_split,
       &DecodeLayout::page_left_split_bit},
      {"page.right_split_bit (vm_page_t::object.cow_right_split)", bits.right_split,
       &DecodeLayout::page_right_split_bit},
      {"page.dirty_state_bit (vm_page_t::object.dirty_state)", bits.dirty_state,
       &DecodeLayout::page_dirty_state_bit},
      {"page.dirty_state_bits (the width of vm_page_t::object.dirty_state)",
       bits.dirty_state_width, &DecodeLayout::page_dirty_state_bits},
  };
  for (const auto& field : page_fields) {
    if (field.value < 0 && missing_types.empty()) {
      problems.push_back(fmt::format("{}: not found", field.field));
    } else {
      layout.*field.member = static_cast<uint64_t>(field.value);
    }
  }
  if (problems.empty()) {
    if (std::string unusable = CheckLayout(layout); !unusable.empty()) {
      problems.push_back("the extracted layout cannot be decoded with: " + unusable);
    }
  }
  if (!problems.empty()) {
    *error = fmt::format("{}", fmt::join(problems, "\n"));
    return std::nullopt;
  }
  return layout;
}

}  // namespace vmpl::inspect
