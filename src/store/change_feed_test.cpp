// The change counter in shared memory: a write in one mapping (one process) is seen by every
// other at once; a reader never keys a memo while a write is in flight; a writer that dies in
// flight is found and cleared, and the generation moves past it.
#include "store/sqlite/change_feed.hpp"

#include "store/sqlite/database.hpp"
#include "support/temp_dir.hpp"
#include "util/read_scope.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace vestibule::store {
namespace {

using sqlite::SharedChangeCounter;

std::unique_ptr<SharedChangeCounter> open_counter(const testing::TempDir& dir) {
  std::string error;
  auto counter = SharedChangeCounter::open((dir.path() / "x.db-changes").string(), error);
  EXPECT_TRUE(counter) << error;
  return counter;
}

TEST(SharedChangeCounter, AWriteInOneMappingIsSeenByAnother) {
  testing::TempDir dir;
  auto a = open_counter(dir);
  auto b = open_counter(dir);
  const auto before = b->stable_generation();
  ASSERT_TRUE(before);
  {
    const SharedChangeCounter::Write write(a.get());
    // In flight: no reader may key a memo now.
    EXPECT_FALSE(a->stable_generation());
    EXPECT_FALSE(b->stable_generation());
  }
  const auto after = b->stable_generation();
  ASSERT_TRUE(after);
  EXPECT_GT(*after, *before);
  EXPECT_EQ(a->stable_generation(), after);
}

TEST(SharedChangeCounter, AFileOfAnotherKindIsRefused) {
  testing::TempDir dir;
  const auto path = (dir.path() / "other-changes").string();
  {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not a change counter, it is some other file", f);
    std::fclose(f);
  }
  std::string error;
  EXPECT_FALSE(SharedChangeCounter::open(path, error));
  EXPECT_NE(error.find("not a Vestibule change counter"), std::string::npos) << error;
}

// A real other process marks a write in flight and dies before it ends it.
void die_in_flight(const testing::TempDir& dir) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string error;
    auto counter = SharedChangeCounter::open((dir.path() / "x.db-changes").string(), error);
    if (counter) {
      new SharedChangeCounter::Write(counter.get());  // never ended: the process dies first
    }
    ::_exit(counter ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(SharedChangeCounter, AWriterThatDiedInFlightIsClearedAndTheGenerationMoves) {
  testing::TempDir dir;
  auto reader = open_counter(dir);
  const auto before = reader->stable_generation();
  ASSERT_TRUE(before);
  die_in_flight(dir);
  EXPECT_EQ(reader->recover(true), 1);
  EXPECT_EQ(reader->recover(true), 0);
  const auto after = reader->stable_generation();
  ASSERT_TRUE(after);
  EXPECT_GT(*after, *before);

  // Readers clear it themselves: the first one to find the dead writer's slot reads the
  // database for that request, and the next request may use its memo again.
  die_in_flight(dir);
  auto fresh = open_counter(dir);
  EXPECT_FALSE(fresh->stable_generation());
  const auto later = fresh->stable_generation();
  ASSERT_TRUE(later);
  EXPECT_GT(*later, *after);
}

TEST(SharedChangeCounter, ALiveWriterOfThisProcessIsNeverCleared) {
  testing::TempDir dir;
  auto counter = open_counter(dir);
  const SharedChangeCounter::Write write(counter.get());
  EXPECT_EQ(counter->recover(true), 0);
  EXPECT_FALSE(counter->stable_generation());
}

// Two Database objects on one file stand for two processes: the memo of one is emptied by a
// write through the other, without reading the counter row.
TEST(SharedChangeCounter, TheMemoOfOneDatabaseSeesTheWritesOfAnother) {
  testing::TempDir dir;
  const auto path = (dir.path() / "m.db").string();
  sqlite::Database a(path, 1);
  ASSERT_TRUE(a.migrate());
  sqlite::Database b(path, 1, false);
  ASSERT_TRUE(a.write<void>([](sql::Connection& c) {
    c.exec("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)");
  }));
  const auto read_v = [&b] {
    const util::ReadScope scope;
    return b
        .memoized_read<std::int64_t>("t",
                                     [](sql::Connection& c) {
                                       auto& s = c.prepare("SELECT v FROM t");
                                       return s.step() ? s.int64(0) : -1;
                                     })
        .value();
  };
  EXPECT_EQ(read_v(), 1);
  const auto hits = sqlite::Database::memo_hits();
  EXPECT_EQ(read_v(), 1);
  EXPECT_EQ(sqlite::Database::memo_hits(), hits + 1);  // answered from memory
  ASSERT_TRUE(a.write<void>([](sql::Connection& c) { c.exec("UPDATE t SET v = 2"); }));
  EXPECT_EQ(read_v(), 2);
  EXPECT_TRUE(std::filesystem::exists(path + "-changes"));
}

}  // namespace
}  // namespace vestibule::store
