// The SQLite engine's holds (engine.hpp): exclusive across processes on one file, and ended by
// the kernel when their process dies.
#include "store/sqlite/database.hpp"

#include "support/temp_dir.hpp"

#include <csignal>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace vestibule::store::sqlite {
namespace {

TEST(SqliteHolds, AHoldExcludesOtherProcessesAndEndsWhenItsProcessIsKilled) {
  testing::TempDir dir;
  const auto path = (dir.path() / "h.db").string();
  Database db(path, 1);
  ASSERT_TRUE(db.migrate());

  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Another process on the same file takes the hold and keeps it until it is killed.
    Database other(path, 1, false);
    auto held = other.try_hold(1, 7);
    const char answer = (held && held.value() != nullptr) ? 'y' : 'n';
    (void)!::write(ready[1], &answer, 1);
    for (;;) {
      ::pause();
    }
  }
  ::close(ready[1]);
  char answer = 0;
  ASSERT_EQ(::read(ready[0], &answer, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(answer, 'y');

  EXPECT_EQ(db.try_hold(1, 7).value(), nullptr);  // held by the other process
  EXPECT_NE(db.try_hold(1, 8).value(), nullptr);  // another key is free
  EXPECT_NE(db.try_hold(2, 7).value(), nullptr);  // and the same key in another space

  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  auto mine = db.try_hold(1, 7).value();
  ASSERT_NE(mine, nullptr);                       // freed with its process
  EXPECT_EQ(db.try_hold(1, 7).value(), nullptr);  // and now excludes this process's others
  mine.reset();
  EXPECT_NE(db.try_hold(1, 7).value(), nullptr);
}

TEST(SqliteHolds, AnInMemoryDatabaseHoldsWithinItsProcess) {
  Database db(":memory:", 1);
  auto held = db.try_hold(1, 7).value();
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(db.try_hold(1, 7).value(), nullptr);
  held.reset();
  EXPECT_NE(db.try_hold(1, 7).value(), nullptr);
}

}  // namespace
}  // namespace vestibule::store::sqlite
