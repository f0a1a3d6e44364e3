#include "blob/local_blob_store.hpp"

#include "support/temp_dir.hpp"

#include <fstream>

#include <gtest/gtest.h>

namespace vestibule::blob {
namespace {

struct Store {
  testing::TempDir dir;
  LocalBlobStore blobs{dir.path(), std::chrono::seconds{0}};

  Store() { EXPECT_TRUE(blobs.prepare()); }

  std::string put(const std::string& bytes) {
    auto writer = blobs.begin_write().value();
    EXPECT_TRUE(writer->write(bytes));
    return writer->commit().value().sha256;
  }
};

TEST(LocalBlobStore, SmallBlobsAreReadOnceAndThenServedFromMemory) {
  Store s;
  const std::string bytes(4096, 'x');
  const auto blob = s.put(bytes);
  const auto first = s.blobs.read_small(blob, 4096).value();
  EXPECT_EQ(*first, bytes);
  const auto second = s.blobs.read_small(blob, 4096).value();
  EXPECT_EQ(first.get(), second.get());  // the same bytes in memory, not a second read
}

TEST(LocalBlobStore, ASmallReadRefusesAWrongSizeAndLargeBlobs) {
  Store s;
  const auto blob = s.put("twelve bytes");
  EXPECT_EQ(s.blobs.read_small(blob, 11).error().code, Errc::kInternal);
  EXPECT_EQ(s.blobs.read_small(blob, 13).error().code, Errc::kInternal);
  EXPECT_EQ(s.blobs.read_small(blob, domain::BlobStore::kSmallBlobBytes + 1).error().code,
            Errc::kInternal);
  EXPECT_EQ(*s.blobs.read_small(blob, 12).value(), "twelve bytes");
}

TEST(LocalBlobStore, AReleasedBlobLeavesMemoryToo) {
  Store s;
  const auto blob = s.put("short-lived");
  ASSERT_TRUE(s.blobs.read_small(blob, 11));
  ASSERT_TRUE(s.blobs.release(blob));
  EXPECT_FALSE(s.blobs.exists(blob).value());
  EXPECT_FALSE(s.blobs.read_small(blob, 11));  // not answered from memory after deletion
}

}  // namespace
}  // namespace vestibule::blob
