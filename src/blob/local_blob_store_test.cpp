#include "blob/local_blob_store.hpp"

#include "support/temp_dir.hpp"

#include <filesystem>
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

TEST(LocalBlobStore, ARangedReadStreamsTheAskedBytesInChunks) {
  Store s;
  std::string bytes(LocalBlobStore::kReadChunkBytes * 2 + 100, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<char>((i * 7919) % 251);
  }
  const auto blob = s.put(bytes);
  const auto read = [&](std::int64_t offset, std::int64_t length, int* chunks) {
    auto reader = s.blobs.read(blob, offset, length).value();
    EXPECT_EQ(reader->blob_size(), static_cast<std::int64_t>(bytes.size()));
    std::string out;
    std::string chunk;
    *chunks = 0;
    while (reader->next(chunk).value()) {
      out += chunk;
      ++*chunks;
    }
    EXPECT_TRUE(chunk.empty());
    return out;
  };
  int chunks = 0;
  EXPECT_EQ(read(0, -1, &chunks), bytes);
  EXPECT_EQ(chunks, 3);
  EXPECT_EQ(read(10, 300000, &chunks), bytes.substr(10, 300000));
  EXPECT_EQ(chunks, 2);
  const auto size = static_cast<std::int64_t>(bytes.size());
  EXPECT_EQ(read(size, 0, &chunks), "");
  EXPECT_EQ(chunks, 0);
  EXPECT_EQ(s.blobs.read(blob, size + 1, -1).error().code, Errc::kRangeNotSatisfiable);
  EXPECT_EQ(s.blobs.read(blob, size - 1, 2).error().code, Errc::kRangeNotSatisfiable);
  EXPECT_EQ(s.blobs.read(blob, -1, 1).error().code, Errc::kRangeNotSatisfiable);
  EXPECT_EQ(s.blobs.read(std::string(64, 'a'), 0, -1).error().code, Errc::kNotFound);
}

TEST(LocalBlobStore, TheSweepWhileRunningKeepsARunningUploadAndRemovesOnlyOldTemporaries) {
  Store s;
  namespace fs = std::filesystem;
  auto running = s.blobs.begin_write().value();
  ASSERT_TRUE(running->write("half of an upload"));
  const fs::path stale = s.blobs.temp_dir() / "upload-left-by-a-crash";
  std::ofstream(stale) << "lost";
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours{25});
  const fs::path recent = s.blobs.temp_dir() / "upload-quiet-for-an-hour";
  std::ofstream(recent) << "slow";
  fs::last_write_time(recent, fs::file_time_type::clock::now() - std::chrono::hours{1});

  EXPECT_EQ(s.blobs.sweep_temporaries(std::chrono::hours{24}).value(), 1U);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(recent));
  // The running upload's file survived: the upload finishes and its blob reads back whole.
  ASSERT_TRUE(running->write(", and the rest"));
  const auto blob = running->commit().value().sha256;
  EXPECT_EQ(*s.blobs.read_small(blob, 31).value(), "half of an upload, and the rest");
}

}  // namespace
}  // namespace vestibule::blob
