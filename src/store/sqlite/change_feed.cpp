#include "store/sqlite/change_feed.hpp"

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vestibule::store::sqlite {

namespace {

constexpr std::uint64_t kMagic = 0x3130474843545356ULL;  // "VSTCHG01"
constexpr std::size_t kSlots = 16;
constexpr std::int64_t kRecoveryEveryNs = 100'000'000;

std::int64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct SharedChangeCounter::Layout {
  std::atomic<std::uint64_t> magic;
  std::atomic<std::uint64_t> generation;
  std::array<std::atomic<std::int32_t>, kSlots> writers;  // process ids; 0 is free
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::int32_t>::is_always_lock_free);

std::unique_ptr<SharedChangeCounter> SharedChangeCounter::open(const std::string& path,
                                                               std::string& error) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  struct stat st {};
  const auto size = static_cast<off_t>(sizeof(Layout));
  // Zero-filled by the kernel when it grows; several processes growing it at once agree.
  if (::fstat(fd, &st) != 0 || (st.st_size < size && ::ftruncate(fd, size) != 0)) {
    error = "cannot size " + path + ": " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  void* mapped = ::mmap(nullptr, sizeof(Layout), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mapped == MAP_FAILED) {
    error = "cannot map " + path + ": " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  auto* layout = static_cast<Layout*>(mapped);
  std::uint64_t expected = 0;
  if (!layout->magic.compare_exchange_strong(expected, kMagic) && expected != kMagic) {
    error = path + " is not a Vestibule change counter (or one of another version)";
    ::munmap(mapped, sizeof(Layout));
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<SharedChangeCounter>(new SharedChangeCounter(fd, layout));
}

SharedChangeCounter::SharedChangeCounter(int fd, Layout* layout) : fd_(fd), layout_(layout) {}

SharedChangeCounter::~SharedChangeCounter() {
  ::munmap(layout_, sizeof(Layout));
  ::close(fd_);
}

std::optional<std::uint64_t> SharedChangeCounter::stable_generation() {
  for (const auto& writer : layout_->writers) {
    if (writer.load() != 0) {
      recover();
      return std::nullopt;
    }
  }
  return layout_->generation.load();
}

SharedChangeCounter::Write::Write(SharedChangeCounter* counter) : counter_(counter) {
  if (counter_ == nullptr) {
    return;
  }
  const auto pid = static_cast<std::int32_t>(::getpid());
  for (;;) {
    for (std::size_t i = 0; i < kSlots; ++i) {
      std::int32_t free = 0;
      if (counter_->layout_->writers[i].compare_exchange_strong(free, pid)) {
        slot_ = static_cast<int>(i);
        return;
      }
    }
    // Every slot taken: writers commit one at a time, so slots are held only briefly, unless
    // dead writers left them.
    counter_->recover(true);
    std::this_thread::yield();
  }
}

SharedChangeCounter::Write::~Write() {
  if (counter_ == nullptr) {
    return;
  }
  // The generation first: a reader that then finds every slot free also finds the new generation.
  counter_->layout_->generation.fetch_add(1);
  counter_->layout_->writers[static_cast<std::size_t>(slot_)].store(0);
}

int SharedChangeCounter::recover(bool now) {
  const std::int64_t t = monotonic_ns();
  if (!now) {
    std::int64_t last = last_recovery_ns_.load();
    if (t - last < kRecoveryEveryNs || !last_recovery_ns_.compare_exchange_strong(last, t)) {
      return 0;
    }
  }
  const auto self = static_cast<std::int32_t>(::getpid());
  int cleared = 0;
  for (auto& writer : layout_->writers) {
    std::int32_t pid = writer.load();
    if (pid == 0 || pid == self || ::kill(pid, 0) == 0 || errno != ESRCH) {
      continue;
    }
    // The dead writer may have committed: a new generation before its slot is freed.
    layout_->generation.fetch_add(1);
    if (writer.compare_exchange_strong(pid, 0)) {
      ++cleared;
    }
  }
  return cleared;
}

}  // namespace vestibule::store::sqlite
