#include "blob/local_blob_store.hpp"

#include "support/temp_dir.hpp"
#include "util/crypto.hpp"

#include <filesystem>
#include <fstream>
#include <random>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>

namespace vestibule::blob {
namespace {

struct Store {
  testing::TempDir dir;
  LocalBlobStore blobs;

  explicit Store(bool direct_writes = true)
      : blobs(dir.path(), std::chrono::seconds{0}, direct_writes) {
    EXPECT_TRUE(blobs.prepare());
  }

  std::string put(const std::string& bytes) {
    auto writer = blobs.begin_write().value();
    EXPECT_TRUE(writer->write(bytes));
    return writer->commit().value().sha256;
  }
};

std::string random_bytes(std::size_t size) {
  std::mt19937 gen(7);
  std::string bytes(size, '\0');
  for (auto& c : bytes) {
    c = static_cast<char>(gen());
  }
  return bytes;
}

// How many of the file's pages the page cache holds.
std::size_t cached_pages(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  const auto size = static_cast<std::size_t>(std::filesystem::file_size(path));
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  EXPECT_NE(map, MAP_FAILED);
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((size + page - 1) / page);
  EXPECT_EQ(::mincore(map, size, resident.data()), 0);
  ::munmap(map, size);
  return static_cast<std::size_t>(std::count_if(resident.begin(), resident.end(),
                                                [](unsigned char r) { return (r & 1) != 0; }));
}

// Whether direct writes in `folder` leave the page cache alone: the file system takes O_DIRECT
// and is not tmpfs, whose files live in the page cache whichever way they are written.
bool folder_writes_past_the_page_cache(const std::filesystem::path& folder) {
  struct statfs fs {};
  if (::statfs(folder.c_str(), &fs) != 0 || fs.f_type == TMPFS_MAGIC) {
    return false;
  }
  const auto probe = folder / "direct-probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_DIRECT | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    std::filesystem::remove(probe);
  }
  return fd >= 0;
}

// A large upload arriving in chunks that match no block: every byte reads back in order and the
// name is the content's hash, whether the whole buffers went to disk directly or not.
void check_a_large_upload_in_odd_chunks(bool direct_writes) {
  Store s(direct_writes);
  const std::size_t whole = 3 * LocalBlobStore::kDirectWriteBytes;
  const std::string bytes = random_bytes(whole + 12345);
  auto writer = s.blobs.begin_write().value();
  for (std::size_t at = 0; at < bytes.size(); at += 100003) {
    ASSERT_TRUE(writer->write(std::string_view(bytes).substr(at, 100003)));
    EXPECT_EQ(writer->bytes_written(),
              static_cast<std::int64_t>(std::min(at + 100003, bytes.size())));
  }
  const auto blob = writer->commit().value();
  EXPECT_EQ(blob.sha256, util::sha256_hex(bytes));
  EXPECT_EQ(blob.size, static_cast<std::int64_t>(bytes.size()));
  const auto path =
      s.dir.path() / "blobs" / blob.sha256.substr(0, 2) / blob.sha256.substr(2, 2) / blob.sha256;
  // Counted before reading the blob back, which brings it into the page cache.
  const std::size_t whole_pages = whole / static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t cached = cached_pages(path);
  if (direct_writes && folder_writes_past_the_page_cache(s.dir.path())) {
    EXPECT_LT(cached, whole_pages) << "the whole buffers went through the page cache";
  } else {
    EXPECT_GE(cached, whole_pages);
  }
  std::ifstream in(path, std::ios::binary);
  const std::string stored((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(stored == bytes) << "the stored blob differs from what was written";
}

TEST(LocalBlobStore, ALargeUploadInOddChunksIsStoredWholeWrittenDirectly) {
  check_a_large_upload_in_odd_chunks(true);
}

TEST(LocalBlobStore, ALargeUploadInOddChunksIsStoredWholeThroughThePageCache) {
  check_a_large_upload_in_odd_chunks(false);
}

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
