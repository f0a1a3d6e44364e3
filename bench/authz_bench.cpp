// vestibule_authz_bench: the cost of one authorization decision (SPEC §8: at 1M items, 100k links
// and folder depth 20, at most twice its cost at 1k items, p99 under 1 ms).
//
// Generates (or reuses) a small and a large dataset under --datasets, then times
// Authorizer::authorize(kDownload) of a file at the full depth for three kinds of request:
//   member     a member with a direct grant on a folder at depth 1 (no space membership)
//   recipient  an external recipient with a verified session, through a specific link on the file
//   anyone     nobody signed in, through an anyone link on the file
// Each case cycles over up to 1000 different files (and links and sessions), so the large dataset
// is not measured from a handful of hot pages. Principals are built as requests build them
// (Verification::authenticate, Sharing::through_link); only the decision is timed.
//   uncached/...  no ReadScope: every read goes to SQLite, as for a request's first decision
//   memoized/...  inside one long-lived ReadScope with nothing written meanwhile
// Counters: mean_us, p50_us, p99_us of per-call steady_clock times; p99_cpu_us (uncached only) of
// the thread's CPU time per call, sampled on one call in kCpuSampleEvery (reading that clock is a
// system call, too slow to do on every call without inflating the figures); vs_<small>, this case's
// mean over its mean on the small dataset. Google Benchmark's own CPU column holds still on a
// machine busy with other work, where the wall-clock figures do not.
//
// Flags besides Google Benchmark's: --datasets=DIR (default /tmp/vestibule-authz-datasets),
// --small_items=N --small_links=N --large_items=N --large_links=N --depth=N.
#include "dataset.hpp"
#include "util/read_scope.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>
#include <time.h>

namespace {

namespace bench = vestibule::bench;
namespace domain = vestibule::domain;

struct Case {
  std::string name;
  std::vector<domain::Principal> who;  // one per sample
  std::vector<domain::Item> items;
};

struct Dataset {
  std::string label;  // 1k, 1M
  bench::DatasetManifest manifest;
  std::unique_ptr<bench::Services> services;
  std::vector<Case> cases;
};

// Mean per-call time of each case on the small dataset, by "mode/case".
std::map<std::string, double>& small_means() {
  static std::map<std::string, double> means;
  return means;
}

std::string label_of(std::int64_t items) {
  if (items >= 1'000'000 && items % 1'000'000 == 0) {
    return std::to_string(items / 1'000'000) + "M";
  }
  if (items >= 1000 && items % 1000 == 0) {
    return std::to_string(items / 1000) + "k";
  }
  return std::to_string(items);
}

template <class T>
T must(vestibule::Result<T> result, const std::string& what) {
  if (!result) {
    std::cerr << "authz_bench: " << what << ": " << result.error().message << "\n";
    std::exit(1);
  }
  return std::move(result).value();
}

Dataset load(const std::filesystem::path& root, const bench::DatasetShape& shape) {
  Dataset d;
  d.label = label_of(shape.items);
  const auto dir = root / ("items-" + std::to_string(shape.items) + "-links-" +
                           std::to_string(shape.links) + "-depth-" + std::to_string(shape.depth));
  std::cerr << "authz_bench: dataset " << dir.string() << "\n";
  d.manifest = must(bench::open_or_generate(dir, shape), "dataset " + dir.string());
  std::cerr << "authz_bench: " << d.manifest.items << " items, " << d.manifest.links
            << " links, depth " << d.manifest.depth << " (generated in " << d.manifest.seconds
            << " s)\n";
  // A fresh connection pool with default caches, its clock just after the rows were written.
  d.services = std::make_unique<bench::Services>(
      dir, vestibule::util::from_unix(d.manifest.generated_at) + std::chrono::minutes(1));
  auto& s = *d.services;

  Case member{"member", {}, {}};
  const auto principal = must(s.member(d.manifest.member_email), "the member");
  for (const auto& sample : d.manifest.member_samples) {
    member.who.push_back(principal);
    member.items.push_back(must(s.items.find(sample.item_id), "a member sample"));
  }
  Case recipient{"recipient", {}, {}};
  for (const auto& sample : d.manifest.specific_samples) {
    auto verified = must(s.verification.authenticate(sample.session_token), "a recipient");
    recipient.who.push_back(
        must(s.sharing.through_link(verified, sample.link_token, std::nullopt), "a link"));
    recipient.items.push_back(must(s.items.find(sample.item_id), "a recipient sample"));
  }
  Case anyone{"anyone", {}, {}};
  for (const auto& sample : d.manifest.anyone_samples) {
    anyone.who.push_back(
        must(s.sharing.through_link({}, sample.link_token, std::nullopt), "an anyone link"));
    anyone.items.push_back(must(s.items.find(sample.item_id), "an anyone sample"));
  }
  d.cases = {std::move(member), std::move(recipient), std::move(anyone)};
  return d;
}

constexpr std::size_t kCpuSampleEvery = 16;

double thread_cpu_micros() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

void authorize(benchmark::State& state, Dataset& d, const Case& c, bool memoized,
               const std::string& small_label) {
  std::vector<double> micros;
  std::vector<double> cpu_micros;
  micros.reserve(1 << 16);
  cpu_micros.reserve(1 << 12);
  std::optional<vestibule::util::ReadScope> scope;
  if (memoized) {
    scope.emplace();
  }
  std::size_t i = 0;
  while (state.KeepRunning()) {
    const std::size_t k = i++ % c.items.size();
    const bool sampled = !memoized && k % kCpuSampleEvery == 0;
    const double cpu_start = sampled ? thread_cpu_micros() : 0;
    const auto start = std::chrono::steady_clock::now();
    auto access = d.services->authz.authorize(c.who[k], domain::Action::kDownload, c.items[k]);
    const auto end = std::chrono::steady_clock::now();
    if (sampled) {
      cpu_micros.push_back(thread_cpu_micros() - cpu_start);
    }
    if (!access) {
      state.SkipWithError(("refused: " + access.error().message).c_str());
      return;
    }
    benchmark::DoNotOptimize(access);
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  if (micros.empty()) {
    return;
  }
  const auto mean_of = [](const std::vector<double>& values) {
    double sum = 0;
    for (const double v : values) {
      sum += v;
    }
    return sum / static_cast<double>(values.size());
  };
  const double mean = mean_of(micros);
  const auto at = [](std::vector<double>& values, double q) {
    const auto n = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1));
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(n), values.end());
    return values[n];
  };
  state.counters["mean_us"] = mean;
  state.counters["p50_us"] = at(micros, 0.50);
  state.counters["p99_us"] = at(micros, 0.99);
  // The same on this thread's CPU clock: on a busy machine the wall-clock tail also holds the
  // time the thread waited for a core.
  if (!cpu_micros.empty()) {
    state.counters["p99_cpu_us"] = at(cpu_micros, 0.99);
  }
  const std::string key = std::string(memoized ? "memoized/" : "uncached/") + c.name;
  if (d.label == small_label) {
    small_means()[key] = mean;
  } else if (const auto found = small_means().find(key); found != small_means().end()) {
    state.counters["vs_" + small_label] = mean / found->second;
  }
}

// Takes --name=value out of argv (Google Benchmark refuses flags it does not know).
std::optional<std::string> take_flag(int& argc, char** argv, const std::string& name) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind(prefix, 0) == 0) {
      std::copy(argv + i + 1, argv + argc, argv + i);
      --argc;
      return arg.substr(prefix.size());
    }
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path datasets = "/tmp/vestibule-authz-datasets";
  bench::DatasetShape small;
  small.items = 1000;
  small.links = 100;
  bench::DatasetShape large;
  large.items = 1'000'000;
  large.links = 100'000;
  if (auto v = take_flag(argc, argv, "datasets")) {
    datasets = *v;
  }
  const auto number = [&](const char* name, std::int64_t& into) {
    if (auto v = take_flag(argc, argv, name)) {
      into = std::stoll(*v);
    }
  };
  number("small_items", small.items);
  number("small_links", small.links);
  number("large_items", large.items);
  number("large_links", large.links);
  if (auto v = take_flag(argc, argv, "depth")) {
    small.depth = large.depth = std::stoi(*v);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  spdlog::set_level(spdlog::level::warn);

  static Dataset small_set = load(datasets, small);
  static Dataset large_set = load(datasets, large);
  for (const bool memoized : {false, true}) {
    for (Dataset* d : {&small_set, &large_set}) {
      for (const auto& c : d->cases) {
        const std::string name =
            std::string(memoized ? "memoized/" : "uncached/") + c.name + "/" + d->label;
        benchmark::RegisterBenchmark(name.c_str(),
                                     [d, &c, memoized](benchmark::State& state) {
                                       authorize(state, *d, c, memoized, small_set.label);
                                     })
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
      }
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
