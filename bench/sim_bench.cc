// Throughput of the workload simulator (<vmpl/sim.h>) flat out with the default mix, the way
// `vmpl sim` runs it: steps per second without validation and with a validation pass of every
// list every N steps (the `--check-every N` option), plus the cost of one such pass.
//
// One BM_Steps template instantiated per validation interval, registered as
// BM_Sim_Steps_<Interval>; items_processed is steps, so the "items_per_second" column is the
// simulator's steps/s. The simulator is built and warmed up (to its steady-state population)
// outside the timing; the seed is fixed. Build with the `release` preset.

#include <benchmark/benchmark.h>
#include <stdint.h>
#include <vmpl/sim.h>

#include <memory>

namespace {

constexpr uint64_t kSeed = 1;
// Steps taken before timing starts: enough for the clone trees, intervals and the page budget
// to reach their steady state.
constexpr uint64_t kWarmupSteps = 200000;

std::unique_ptr<vmpl::sim::Simulator> WarmedUp(uint64_t check_every) {
  vmpl::sim::SimConfig config;
  config.seed = kSeed;
  config.check_every = check_every;
  auto sim = std::make_unique<vmpl::sim::Simulator>(config);
  sim->Run(vmpl::sim::RunLimits{.max_ops = kWarmupSteps});
  return sim;
}

// One simulator step (an action of the default mix, evictions, and the validation pass when one
// is due), in batches of 1000 steps.
template <uint64_t kCheckEvery>
void BM_Steps(benchmark::State& state) {
  std::unique_ptr<vmpl::sim::Simulator> sim = WarmedUp(kCheckEvery);
  constexpr int64_t kBatch = 1000;
  for (auto _ : state) {
    for (int64_t i = 0; i < kBatch; i++) {
      benchmark::DoNotOptimize(sim->Step());
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  const vmpl::sim::Census census = sim->TakeCensus();
  state.counters["lists"] = static_cast<double>(census.lists);
  state.counters["pages"] = static_cast<double>(census.pages);
  state.counters["nodes"] = static_cast<double>(census.nodes);
}

// One validation pass over every live list and splice list of a warmed-up simulator.
void BM_Sim_ValidateAll(benchmark::State& state) {
  std::unique_ptr<vmpl::sim::Simulator> sim = WarmedUp(0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(sim->CheckAll());
  }
  const vmpl::sim::Census census = sim->TakeCensus();
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(census.nodes));
  state.counters["lists"] = static_cast<double>(census.lists + census.splice_lists);
  state.counters["nodes"] = static_cast<double>(census.nodes);
}

BENCHMARK_TEMPLATE(BM_Steps, 0)->Name("BM_Sim_Steps_Unchecked")->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Steps, 1000)
    ->Name("BM_Sim_Steps_CheckEvery1000")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Steps, 100)
    ->Name("BM_Sim_Steps_CheckEvery100")
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Sim_ValidateAll)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
