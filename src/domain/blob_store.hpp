// BlobStore: content-addressed file bytes (SHA-256). Writing is streamed: a BlobWriter receives
// chunks, hashes them as they pass, and commit() makes the blob durable (synced, renamed into
// place) before any metadata refers to it. Implementations are thread-safe; a BlobWriter belongs
// to one upload.
#pragma once

#include "util/result.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vestibule::domain {

struct BlobRef {
  std::string sha256;  // lower-case hex
  std::int64_t size = 0;
};

class BlobWriter {
 public:
  virtual ~BlobWriter() = default;  // discards the bytes unless committed
  virtual Result<void> write(std::string_view chunk) = 0;
  [[nodiscard]] virtual std::int64_t bytes_written() const = 0;
  virtual Result<BlobRef> commit() = 0;
};

// A streamed read of a byte range of one blob: next() hands over the range a chunk at a time,
// so a large blob is never held in memory, and a store without file descriptors (S3) can serve
// it.
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  // Replaces `chunk` with the next bytes of the range; false (and `chunk` empty) once the whole
  // range was delivered.
  virtual Result<bool> next(std::string& chunk) = 0;
  // The size of the whole blob, not of the range.
  [[nodiscard]] virtual std::int64_t blob_size() const = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  virtual Result<std::unique_ptr<BlobWriter>> begin_write() = 0;
  // An open read-only file descriptor of the blob; the caller owns it. Only a store on a local
  // file system has one (see read()).
  virtual Result<int> open(const std::string& sha256) = 0;
  // Whether open() works. A store without file descriptors (S3) is read with read() only.
  [[nodiscard]] virtual bool has_file_descriptors() const = 0;
  // The bytes [offset, offset + length) of a blob, streamed; length < 0 reads to the end.
  // kNotFound when there is no such blob, kRangeNotSatisfiable when the range ends past it.
  virtual Result<std::unique_ptr<BlobReader>> read(const std::string& sha256, std::int64_t offset,
                                                   std::int64_t length) = 0;
  // The bytes of a blob of `size` <= kSmallBlobBytes. Blobs never change once written, so a
  // store may keep small ones in memory and spare each read the open, read and close.
  static constexpr std::int64_t kSmallBlobBytes = std::int64_t{64} << 10;
  virtual Result<std::shared_ptr<const std::string>> read_small(const std::string& sha256,
                                                                std::int64_t size) = 0;
  // Deletes the blob if the store's grace period since it was last written has passed; blobs
  // written moments ago may belong to an upload whose metadata is being committed.
  virtual Result<void> release(const std::string& sha256) = 0;
  virtual Result<bool> exists(const std::string& sha256) = 0;
  // Bytes that can still be written where the blobs and temporary files live (the free-space
  // floor for uploads is measured against this).
  virtual Result<std::int64_t> available_bytes() = 0;
  // Every stored blob, for the garbage collector's sweep.
  virtual Result<std::vector<std::string>> list() = 0;
  // Whether the store answers now, for the readiness probe: an error (kUnavailable) naming the
  // store and the cause when it does not. Cheap enough to be asked on every probe.
  virtual Result<void> ready() { return outcome::success(); }
};

}  // namespace vestibule::domain
