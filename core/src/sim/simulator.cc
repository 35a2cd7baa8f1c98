// The simulator's loop: the op mix, the memory budget, validation, statistics and Run(), plus the
// public Simulator methods that forward to Impl.

#include <vm/pmm.h>
#include <vmpl/page_allocator.h>
#include <vmpl/page_list_access.h>
#include <vmpl/trace.h>
#include <zircon/errors.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "sim_internal.h"

namespace vmpl::sim {

// ---------------------------------------------------------------------------------------------
// Names, config, stats

std::optional<OpKind> OpKindFromName(std::string_view name) {
  for (size_t i = 0; i < kNumOpKinds; i++) {
    if (name == kOpKindNames[i]) {
      return static_cast<OpKind>(i);
    }
  }
  return std::nullopt;
}

const char* VmoKindName(VmoKind kind) {
  switch (kind) {
    case VmoKind::kAnonymous:
      return "anonymous";
    case VmoKind::kPager:
      return "pager";
    case VmoKind::kHidden:
      return "hidden";
  }
  return "?";
}

std::string SimConfig::Problem() const {
  if (vmos < 2) {
    return "at least 2 VMOs are needed (one anonymous, one pager-backed)";
  }
  if (vmos > 4096) {
    return "at most 4096 root VMOs";
  }
  if (max_vmo_size < (uint64_t{1} << 20) || max_vmo_size % PAGE_SIZE != 0) {
    return "the largest VMO size must be a multiple of 4 KiB and at least 1 MiB";
  }
  if (max_vmo_size > (uint64_t{1} << 46)) {
    return "the largest VMO size must be at most 64 TiB";
  }
  if (page_budget < 64) {
    return "the page budget must be at least 64";
  }
  if (max_vmos_total != 0 && max_vmos_total < vmos) {
    return "the VMO limit must be at least the number of root VMOs";
  }
  uint64_t total = 0;
  for (size_t i = 0; i < kNumOpKinds; i++) {
    if (mix[i] != 0 && !IsAction(static_cast<OpKind>(i))) {
      return std::string(kOpKindNames[i]) + " happens as part of another kind and takes no weight";
    }
    total += mix[i];
  }
  if (total == 0) {
    return "at least one kind needs a weight above 0";
  }
  if (total > (uint64_t{1} << 40)) {
    return "the weights are too large";
  }
  return "";
}

uint64_t SimStats::total() const {
  uint64_t sum = 0;
  for (uint64_t count : counts) {
    sum += count;
  }
  return sum;
}

std::string CheckFailure::ToString() const {
  std::string out = "validation failed after step " + std::to_string(step) + " (seed " +
                    std::to_string(seed) + ") in " + list_name + ":";
  for (const Violation& violation : violations) {
    out += "\n  " + violation.ToString();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Impl: construction and destruction

Simulator::Impl::Impl(SimConfig config) : config_(std::move(config)), rng_(config_.seed) {
  const std::string problem = config_.Problem();
  ASSERT_MSG(problem.empty(), "vmpl::sim: bad config: %s", problem.c_str());
  pages_at_start_ = PageAllocator::Get().pages_outstanding();
  references_at_start_ = PageAllocator::Get().references_outstanding();
  for (size_t i = 0; i < kNumOpKinds; i++) {
    if (config_.mix[i] != 0) {
      total_weight_ += config_.mix[i];
      cumulative_.emplace_back(total_weight_, static_cast<OpKind>(i));
    }
  }
  // A third pager-backed, each with an aux VMO while at least one plain anonymous VMO remains.
  const size_t pagers = std::max<size_t>(1, config_.vmos / 3);
  const size_t aux = std::min(pagers, config_.vmos - pagers - 1);
  size_t aux_made = 0;
  for (size_t i = 0; i < config_.vmos; i++) {
    // Interleaved, so that any --vmos mixes both kinds.
    const size_t pagers_left = pagers - pagers_.size();
    const bool pager = pagers_left > 0 && (i % 3 == 2 || config_.vmos - i <= pagers_left);
    if (pager) {
      CreateRoot(VmoKind::kPager);
    } else {
      const bool make_aux = aux_made < aux && i % 3 == 1;
      aux_made += make_aux ? 1 : 0;
      CreateRoot(VmoKind::kAnonymous, make_aux);
    }
  }
}

Simulator::Impl::~Impl() {
  while (!pending_.empty()) {
    DrainSplice(pending_.size() - 1, /*free_everything=*/true);
  }
  for (auto& [id, vmo] : vmos_) {
    vmo->list().RemoveAllContent([this](VmPageOrMarker&& content) {
      VmPageOrMarker owned = std::move(content);
      FreeContent(owned);
    });
  }
  vmos_.clear();
  ASSERT_MSG(page_serial_.empty() && reference_serial_.empty(),
             "vmpl::sim: %zu pages and %zu references lost", page_serial_.size(),
             reference_serial_.size());
}

size_t Simulator::Impl::node_budget() const {
  return config_.node_budget != 0 ? config_.node_budget : config_.page_budget;
}

// ---------------------------------------------------------------------------------------------
// Steps

bool Simulator::Impl::RunAction(OpKind kind) {
  switch (kind) {
    case OpKind::kCommit:
      return OpCommit();
    case OpKind::kDecommit:
      return OpDecommit();
    case OpKind::kDedupMarker:
      return OpDedupMarker();
    case OpKind::kCompress:
      return OpCompress();
    case OpKind::kDecompress:
      return OpDecompress();
    case OpKind::kChangeReference:
      return OpChangeReference();
    case OpKind::kEvict:
      return OpEvict();
    case OpKind::kCowFork:
      return OpCowFork();
    case OpKind::kCloneCreate:
      return OpCloneCreate();
    case OpKind::kCloneDestroy:
      return OpCloneDestroy();
    case OpKind::kIntervalAdd:
      return OpIntervalAdd();
    case OpKind::kIntervalSplitWrite:
      return OpIntervalSplitWrite();
    case OpKind::kIntervalPopulate:
      return OpIntervalPopulate();
    case OpKind::kIntervalWriteback:
      return OpIntervalWriteback();
    case OpKind::kIntervalClipStart:
      return OpIntervalClipStart();
    case OpKind::kIntervalClipEnd:
      return OpIntervalClipEnd();
    case OpKind::kReplaceWithInterval:
      return OpReplaceWithInterval();
    case OpKind::kTakePages:
      return OpTakePages();
    case OpKind::kSpliceAppend:
      return OpSpliceAppend();
    case OpKind::kSplicePop:
      return OpSplicePop();
    default:
      // Not an action (SimConfig::Problem rejects a weight for it).
      return false;
  }
}

void Simulator::Impl::EnforceBudget(bool check_nodes) {
  auto over = [this, check_nodes] {
    return stats_.live_pages + stats_.live_references > config_.page_budget ||
           (check_nodes && TotalNodes() > node_budget());
  };
  if (over()) {
    stats_.budget_reclaims++;
  }
  for (int round = 0; over(); round++) {
    if (round >= 4096) {
      // Nothing worked (a budget too small for the VMOs' bookkeeping): empty everything.
      while (!anon_clones_.empty()) {
        DestroyClone(anon_clones_.back());
      }
      while (!pending_.empty()) {
        DrainSplice(pending_.size() - 1, /*free_everything=*/true);
      }
      for (auto& [id, vmo] : vmos_) {
        DropRange(*vmo, 0, vmo->size, OpKind::kEvict);
      }
      return;
    }
    if (round >= 32 && round % 8 == 0) {
      // What is left is mostly in hidden parents: only collapsing clone trees frees it.
      if (Vmo* vmo = PickDestroyable(); vmo != nullptr) {
        DestroyClone(vmo);
        continue;
      }
    }
    if (!pending_.empty() && Chance(5)) {
      DrainSplice(rng_() % pending_.size(), /*free_everything=*/true);
      continue;
    }
    const size_t total = anon_visible_.size() + pagers_.size();
    const size_t index = rng_() % total;
    Vmo* vmo =
        index < anon_visible_.size() ? anon_visible_[index] : pagers_[index - anon_visible_.size()];
    if (vmo->list().IsEmpty()) {
      continue;
    }
    auto start = FindSlot(
        vmo->list(), 0, PickOffset(*vmo), vmo->size,
        [](const VmPageOrMarker& slot, uint64_t) { return !slot.IsEmpty(); }, 64);
    if (!start) {
      continue;
    }
    DropRange(*vmo, *start, *start + Between(64, 512) * kPage, OpKind::kEvict);
  }
}

bool Simulator::Impl::Step() {
  const uint64_t pick = rng_() % total_weight_;
  auto it = std::upper_bound(
      cumulative_.begin(), cumulative_.end(), pick,
      [](uint64_t value, const std::pair<uint64_t, OpKind>& entry) { return value < entry.first; });
  DEBUG_ASSERT(it != cumulative_.end());
  const size_t kind = static_cast<size_t>(it->second);
  stats_.chosen[kind]++;
  if (!RunAction(it->second)) {
    stats_.idle[kind]++;
    stats_.idle_steps++;
  }
  // Counting nodes walks every list, so the node budget is looked at every kNodeCheckSteps steps.
  EnforceBudget(/*check_nodes=*/(stats_.steps + 1) % kNodeCheckSteps == 0);
  stats_.steps++;
  stats_.peak_pages_and_references =
      std::max(stats_.peak_pages_and_references, stats_.live_pages + stats_.live_references);
  if (config_.check_every != 0 && stats_.steps % config_.check_every == 0) {
    CheckAll();
  }
  // Between steps every list is consistent: say so to a trace, and answer a reader that attached
  // to this process's ring and asked for a snapshot (both a single branch when tracing is off).
  trace::Checkpoint(stats_.steps);
  trace::ServiceRequests();
  return !failure_;
}

std::optional<CheckFailure> Simulator::Impl::CheckAll() {
  stats_.checks++;
  std::optional<CheckFailure> found;
  auto report = [&](const std::string& name, std::vector<Violation> violations) {
    if (!found && !violations.empty()) {
      found = CheckFailure{config_.seed, stats_.steps, name, std::move(violations)};
    }
  };
  for (const auto& [id, vmo] : vmos_) {
    stats_.lists_validated++;
    report(vmo->name, Validate(vmo->list()));
  }
  for (const PendingSplice& pending : pending_) {
    stats_.lists_validated++;
    report(pending.name, Validate(*pending.splice));
  }
  if (found && !failure_) {
    failure_ = found;
  }
  return found;
}

RunResult Simulator::Impl::Run(const RunLimits& limits) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  RunResult result;
  double next_progress = limits.progress_interval_s;
  auto elapsed = [&start] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  while (limits.max_ops == 0 || result.steps < limits.max_ops) {
    // Time and the stop predicate are looked at every 64 steps (every step when paced).
    if (limits.rate > 0 || result.steps % 64 == 0) {
      const double now = elapsed();
      if (limits.duration_s > 0 && now >= limits.duration_s) {
        break;
      }
      if (limits.stop && limits.stop()) {
        break;
      }
      if (limits.progress && now >= next_progress) {
        limits.progress(now);
        next_progress = now + limits.progress_interval_s;
      }
      if (limits.rate > 0) {
        const double due = static_cast<double>(result.steps) / limits.rate;
        if (due > now) {
          std::this_thread::sleep_for(std::chrono::duration<double>(std::min(due - now, 0.05)));
          continue;
        }
      }
    }
    result.steps++;
    const bool ok = Step();
    if (limits.after_step) {
      limits.after_step();
    }
    if (!ok) {
      result.violation = true;
      break;
    }
  }
  result.elapsed_s = elapsed();
  return result;
}

// ---------------------------------------------------------------------------------------------
// Simulator

Simulator::Simulator(SimConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Simulator::~Simulator() = default;

bool Simulator::Step() { return impl_->Step(); }
RunResult Simulator::Run(const RunLimits& limits) { return impl_->Run(limits); }
std::optional<CheckFailure> Simulator::CheckAll() { return impl_->CheckAll(); }
const SimConfig& Simulator::config() const { return impl_->config_; }
const SimStats& Simulator::stats() const { return impl_->stats_; }
const std::optional<CheckFailure>& Simulator::failure() const { return impl_->failure_; }
uint64_t Simulator::StateDigest() const { return impl_->StateDigest(); }
Census Simulator::TakeCensus() const { return impl_->TakeCensus(); }

void Simulator::ForEachList(const std::function<void(const ListInfo&)>& fn) const {
  for (const auto& [id, vmo] : impl_->vmos_) {
    ListInfo info;
    info.vmo_id = id;
    info.kind = vmo->kind;
    info.name = vmo->name;
    info.registry_id = vmo->owned.registration.id();
    info.parent_id = vmo->parent != nullptr ? vmo->parent->id : 0;
    info.parent_offset = vmo->parent_offset;
    info.size = vmo->size;
    info.list = vmo->owned.list.get();
    fn(info);
  }
}

void Simulator::ForEachSplice(const std::function<void(const SpliceInfo&)>& fn) const {
  for (const PendingSplice& pending : impl_->pending_) {
    SpliceInfo info;
    info.splice_id = pending.id;
    info.name = pending.name;
    info.registry_id = pending.registration.id();
    info.destination_vmo = pending.destination_vmo;
    info.destination_offset = pending.destination_offset;
    info.splice = pending.splice.get();
    fn(info);
  }
}

}  // namespace vmpl::sim
