// Layout files: DecodeLayout <-> JSON, and the checks that make a layout safe to decode with
// (see layout_file.h; the format is docs/layout-format.md).

#include <vmpl/inspect/layout_file.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <fstream>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace vmpl::inspect {
namespace {

constexpr char kFormat[] = "vmpl-layout";
constexpr int kVersion = 1;
// A layout file is small; anything much larger is not one.
constexpr size_t kMaxFileBytes = size_t{1} << 20;

// One numeric field of the file: "group.name" (top-level fields have no group) and where it
// lives in DecodeLayout. The table is the whole format; the writer and the reader both walk it.
struct Field {
  const char* group;
  const char* name;
  uint64_t DecodeLayout::*member;
  // A field added to version 1 later: a file without it still reads, the field then being
  // DecodeLayout::kNoField.
  bool optional = false;
};

constexpr Field kFields[] = {
    {"", "pointer_size", &DecodeLayout::pointer_size},
    {"", "page_size", &DecodeLayout::page_size},
    {"", "max_size", &DecodeLayout::max_size},
    {"node", "size", &DecodeLayout::node_size},
    {"node", "parent", &DecodeLayout::node_parent_offset},
    {"node", "left", &DecodeLayout::node_left_offset},
    {"node", "right", &DecodeLayout::node_right_offset},
    {"node", "rank", &DecodeLayout::node_rank_offset},
    {"node", "rank_size", &DecodeLayout::node_rank_size},
    {"node", "canary", &DecodeLayout::node_canary_offset},
    {"node", "key", &DecodeLayout::node_key_offset},
    {"node", "slots", &DecodeLayout::node_slots_offset},
    {"node", "slot_size", &DecodeLayout::slot_size},
    {"node", "fanout", &DecodeLayout::fanout},
    {"tree", "size", &DecodeLayout::tree_size},
    {"tree", "root", &DecodeLayout::tree_root_offset},
    {"tree", "count", &DecodeLayout::tree_count_offset},
    {"tree", "count_size", &DecodeLayout::tree_count_size},
    {"list", "size", &DecodeLayout::list_size},
    {"list", "tree", &DecodeLayout::list_tree_offset},
    {"list", "skew", &DecodeLayout::list_skew_offset},
    {"splice_list", "size", &DecodeLayout::splice_size},
    {"splice_list", "offset", &DecodeLayout::splice_offset_offset},
    {"splice_list", "length", &DecodeLayout::splice_length_offset},
    {"splice_list", "position", &DecodeLayout::splice_position_offset},
    {"splice_list", "skew", &DecodeLayout::splice_skew_offset},
    {"splice_list", "finalized", &DecodeLayout::splice_finalized_offset},
    {"splice_list", "head", &DecodeLayout::splice_head_offset},
    {"splice_list", "middle", &DecodeLayout::splice_middle_offset},
    {"splice_list", "tail", &DecodeLayout::splice_tail_offset},
    {"page", "size", &DecodeLayout::page_struct_size},
    {"page", "paddr", &DecodeLayout::page_paddr_offset, /*optional=*/true},
    {"page", "left_split_bit", &DecodeLayout::page_left_split_bit},
    {"page", "right_split_bit", &DecodeLayout::page_right_split_bit},
    {"page", "dirty_state_bit", &DecodeLayout::page_dirty_state_bit},
    {"page", "dirty_state_bits", &DecodeLayout::page_dirty_state_bits},
};
// The canary's value is 32 bits wide, so it is not in the table.
constexpr char kCanaryGroup[] = "node";
constexpr char kCanaryName[] = "canary_value";

std::string FieldName(const char* group, const char* name) {
  return group[0] == '\0' ? std::string(name) : fmt::format("{}.{}", group, name);
}

// A number: a JSON unsigned integer, or a string "0x..." / decimal (canaries read better in hex).
std::optional<uint64_t> NumberOf(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    return value.get<uint64_t>();
  }
  if (value.is_number_integer() && value.get<int64_t>() >= 0) {
    return static_cast<uint64_t>(value.get<int64_t>());
  }
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    char* end = nullptr;
    errno = 0;
    const uint64_t parsed = strtoull(text.c_str(), &end, 0);
    if (!text.empty() && text[0] != '-' && end != nullptr && *end == '\0' && errno == 0) {
      return parsed;
    }
  }
  return std::nullopt;
}

// |what|: "<size>-byte field at <offset>" must lie inside an object of |object_size| bytes.
std::string Inside(const std::string& field, uint64_t offset, uint64_t size, uint64_t object_size,
                   const char* object) {
  if (offset > object_size || size > object_size - offset) {
    return fmt::format("{}: {} bytes at {} run past the {}'s {} bytes", field, size, offset,
                       object, object_size);
  }
  return "";
}

bool IsPowerOfTwo(uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

}  // namespace

std::string CheckLayout(const DecodeLayout& l) {
  constexpr uint64_t kMaxObject = 1 << 16;
  if (l.pointer_size != 4 && l.pointer_size != 8) {
    return fmt::format("pointer_size: {} (4 or 8)", l.pointer_size);
  }
  if (!IsPowerOfTwo(l.page_size) || l.page_size < 512 || l.page_size > (uint64_t{1} << 30)) {
    return fmt::format("page_size: {} (a power of two from 512 to 1 GiB)", l.page_size);
  }
  if (l.max_size == 0) {
    return "max_size: 0";
  }
  // The snapshot model holds 16 slots per node, as every Zircon build does.
  if (l.fanout != 16) {
    return fmt::format("node.fanout: {} (this reader handles 16)", l.fanout);
  }
  if (l.slot_size != 8) {
    return fmt::format("node.slot_size: {} (VmPageOrMarker is one 64-bit word)", l.slot_size);
  }
  const struct {
    const char* name;
    uint64_t size;
  } objects[] = {{"node.size", l.node_size},        {"tree.size", l.tree_size},
                 {"list.size", l.list_size},        {"splice_list.size", l.splice_size},
                 {"page.size", l.page_struct_size}};
  for (const auto& object : objects) {
    if (object.size == 0 || object.size > kMaxObject) {
      return fmt::format("{}: {} (from 1 to {})", object.name, object.size, kMaxObject);
    }
  }
  if (l.node_rank_size == 0 || l.node_rank_size > 8) {
    return fmt::format("node.rank_size: {} (from 1 to 8)", l.node_rank_size);
  }
  if (l.tree_count_size != 4 && l.tree_count_size != 8) {
    return fmt::format("tree.count_size: {} (4 or 8)", l.tree_count_size);
  }
  if (l.page_dirty_state_bits == 0 || l.page_dirty_state_bits > 8) {
    return fmt::format("page.dirty_state_bits: {} (from 1 to 8)", l.page_dirty_state_bits);
  }
  const uint64_t ptr = l.pointer_size;
  const std::string problems[] = {
      Inside("node.parent", l.node_parent_offset, ptr, l.node_size, "node"),
      Inside("node.left", l.node_left_offset, ptr, l.node_size, "node"),
      Inside("node.right", l.node_right_offset, ptr, l.node_size, "node"),
      Inside("node.rank", l.node_rank_offset, l.node_rank_size, l.node_size, "node"),
      Inside("node.canary", l.node_canary_offset, 4, l.node_size, "node"),
      Inside("node.key", l.node_key_offset, 8, l.node_size, "node"),
      Inside("node.slots", l.node_slots_offset, l.fanout * l.slot_size, l.node_size, "node"),
      Inside("tree.root", l.tree_root_offset, ptr, l.tree_size, "tree"),
      Inside("tree.count", l.tree_count_offset, l.tree_count_size, l.tree_size, "tree"),
      Inside("list.tree", l.list_tree_offset, l.tree_size, l.list_size, "list"),
      Inside("list.skew", l.list_skew_offset, 8, l.list_size, "list"),
      Inside("splice_list.offset", l.splice_offset_offset, 8, l.splice_size, "splice list"),
      Inside("splice_list.length", l.splice_length_offset, 8, l.splice_size, "splice list"),
      Inside("splice_list.position", l.splice_position_offset, 8, l.splice_size, "splice list"),
      Inside("splice_list.skew", l.splice_skew_offset, 8, l.splice_size, "splice list"),
      Inside("splice_list.finalized", l.splice_finalized_offset, 1, l.splice_size,
             "splice list"),
      Inside("splice_list.head", l.splice_head_offset, l.node_size, l.splice_size, "splice list"),
      Inside("splice_list.middle", l.splice_middle_offset, l.tree_size, l.splice_size,
             "splice list"),
      Inside("splice_list.tail", l.splice_tail_offset, l.node_size, l.splice_size, "splice list"),
  };
  for (const std::string& problem : problems) {
    if (!problem.empty()) {
      return problem;
    }
  }
  if (l.page_paddr_offset != DecodeLayout::kNoField) {
    if (std::string problem = Inside("page.paddr", l.page_paddr_offset, l.pointer_size,
                                     l.page_struct_size, "page");
        !problem.empty()) {
      return problem;
    }
  }
  const uint64_t page_bits = l.page_struct_size * 8;
  const struct {
    const char* name;
    uint64_t bit;
    uint64_t width;
  } bits[] = {{"page.left_split_bit", l.page_left_split_bit, 1},
              {"page.right_split_bit", l.page_right_split_bit, 1},
              {"page.dirty_state_bit", l.page_dirty_state_bit, l.page_dirty_state_bits}};
  for (const auto& bit : bits) {
    if (bit.bit > page_bits || bit.width > page_bits - bit.bit) {
      return fmt::format("{}: bit {} runs past the page's {} bits", bit.name, bit.bit, page_bits);
    }
  }
  return "";
}

std::string LayoutToJson(const DecodeLayout& layout, const std::string& origin) {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["origin"] = origin;
  for (const Field& field : kFields) {
    if (field.optional && layout.*field.member == DecodeLayout::kNoField) {
      continue;
    }
    if (field.group[0] == '\0') {
      j[field.name] = layout.*field.member;
    } else {
      j[field.group][field.name] = layout.*field.member;
    }
    if (std::string_view(field.group) == kCanaryGroup && std::string_view(field.name) == "canary") {
      j[kCanaryGroup][kCanaryName] = fmt::format("{:#010x}", layout.node_canary);
    }
  }
  return j.dump(2) + "\n";
}

std::optional<DecodeLayout> ParseLayoutJson(std::string_view text, std::string* error) {
  if (text.size() > kMaxFileBytes) {
    *error = fmt::format("{} bytes: too large for a layout file (at most {})", text.size(),
                         kMaxFileBytes);
    return std::nullopt;
  }
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    *error = "not JSON";
    return std::nullopt;
  }
  if (!j.is_object() || !j.contains("format") || j["format"] != kFormat) {
    *error = fmt::format("not a layout file (no \"format\": \"{}\")", kFormat);
    return std::nullopt;
  }
  if (!j.contains("version") || j["version"] != kVersion) {
    *error = fmt::format("version {}: this reader knows version {}",
                         j.contains("version") ? j["version"].dump() : "missing", kVersion);
    return std::nullopt;
  }
  auto lookup = [&](const char* group, const char* name) -> const nlohmann::json* {
    const nlohmann::json* parent = &j;
    if (group[0] != '\0') {
      auto it = j.find(group);
      if (it == j.end() || !it->is_object()) {
        return nullptr;
      }
      parent = &*it;
    }
    auto it = parent->find(name);
    return it == parent->end() ? nullptr : &*it;
  };
  auto number = [&](const char* group, const char* name) -> std::optional<uint64_t> {
    const nlohmann::json* value = lookup(group, name);
    if (value == nullptr) {
      *error = fmt::format("{}: missing", FieldName(group, name));
      return std::nullopt;
    }
    std::optional<uint64_t> parsed = NumberOf(*value);
    if (!parsed) {
      *error = fmt::format("{}: {} is not an unsigned number", FieldName(group, name),
                           value->dump());
    }
    return parsed;
  };

  DecodeLayout layout;
  for (const Field& field : kFields) {
    if (field.optional && lookup(field.group, field.name) == nullptr) {
      layout.*field.member = DecodeLayout::kNoField;
      continue;
    }
    std::optional<uint64_t> value = number(field.group, field.name);
    if (!value) {
      return std::nullopt;
    }
    layout.*field.member = *value;
  }
  std::optional<uint64_t> canary = number(kCanaryGroup, kCanaryName);
  if (!canary) {
    return std::nullopt;
  }
  if (*canary > std::numeric_limits<uint32_t>::max()) {
    *error = fmt::format("node.canary_value: {:#x} is wider than 32 bits", *canary);
    return std::nullopt;
  }
  layout.node_canary = static_cast<uint32_t>(*canary);
  if (std::string problem = CheckLayout(layout); !problem.empty()) {
    *error = problem;
    return std::nullopt;
  }
  return layout;
}

std::optional<DecodeLayout> ReadLayoutFile(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = fmt::format("{}: cannot open: {}", path, strerror(errno));
    return std::nullopt;
  }
  std::string text;
  text.resize(kMaxFileBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  std::string parse_error;
  std::optional<DecodeLayout> layout = ParseLayoutJson(text, &parse_error);
  if (!layout) {
    *error = fmt::format("{}: {}", path, parse_error);
  }
  return layout;
}

}  // namespace vmpl::inspect
