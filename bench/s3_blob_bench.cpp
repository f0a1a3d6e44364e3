// vestibule-s3-blob-bench: writes one blob of SIZE_MIB through S3BlobStore (multipart, 256 KiB
// chunks as an upload delivers them), reads it back through read(), and prints MiB/s and the
// process's peak memory growth for each. The store comes from the environment written by
// scripts/rgw-single-node (DIR/s3.env: S3_ENDPOINT, S3_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY).
//
//   set -a; . DIR/s3.env; set +a; build/vestibule-s3-blob-bench [SIZE_MIB] [BUCKET]
#include "blob/s3/s3_blob_store.hpp"
#include "support/process_memory.hpp"
#include "util/crypto.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace {

using vestibule::testing::status_kib;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vestibule;
  const long mib = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 1024;
  blob::s3::S3Config config;
  config.endpoint = env("S3_ENDPOINT");
  config.region = env("S3_REGION").empty() ? "default" : env("S3_REGION");
  config.access_key = env("AWS_ACCESS_KEY_ID");
  config.secret_key = env("AWS_SECRET_ACCESS_KEY");
  config.bucket = argc > 2 ? argv[2] : "bench";
  if (config.endpoint.empty()) {
    std::fprintf(stderr, "S3_ENDPOINT is not set (source the s3.env of scripts/rgw-single-node)\n");
    return 2;
  }
  blob::s3::S3BlobStore store(config, {});
  if (auto r = store.prepare(); !r) {
    std::fprintf(stderr, "%s\n", r.error().message.c_str());
    return 1;
  }
  std::string chunk(256 << 10, '\0');
  std::uint64_t x = 88172645463325252ull;
  for (auto& c : chunk) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  const long rss_before = status_kib("VmRSS");
  const auto t0 = std::chrono::steady_clock::now();
  auto writer = store.begin_write().value();
  const long chunks = mib * 4;
  for (long i = 0; i < chunks; ++i) {
    std::memcpy(chunk.data(), &i, sizeof i);  // every chunk different
    if (auto r = writer->write(chunk); !r) {
      std::fprintf(stderr, "write: %s\n", r.error().message.c_str());
      return 1;
    }
  }
  auto ref = writer->commit();
  if (!ref) {
    std::fprintf(stderr, "commit: %s\n", ref.error().message.c_str());
    return 1;
  }
  const auto t1 = std::chrono::steady_clock::now();
  const long hwm_write = status_kib("VmHWM");

  util::Sha256Stream hash;
  auto reader = store.read(ref.value().sha256, 0, -1).value();
  std::string got;
  std::int64_t total = 0;
  while (true) {
    auto more = reader->next(got);
    if (!more) {
      std::fprintf(stderr, "read: %s\n", more.error().message.c_str());
      return 1;
    }
    if (!more.value()) {
      break;
    }
    hash.update(got);
    total += static_cast<std::int64_t>(got.size());
  }
  const auto t2 = std::chrono::steady_clock::now();
  const long hwm_read = status_kib("VmHWM");
  const bool same = hash.final_hex() == ref.value().sha256 && total == mib * (1 << 20);
  const auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  std::printf("write %ld MiB: %.1f s, %.1f MiB/s, peak RSS growth %.1f MiB\n", mib, secs(t0, t1),
              static_cast<double>(mib) / secs(t0, t1),
              static_cast<double>(hwm_write - rss_before) / 1024.0);
  std::printf("read  %ld MiB: %.1f s, %.1f MiB/s, peak RSS growth %.1f MiB, bytes %s\n", mib,
              secs(t1, t2), static_cast<double>(mib) / secs(t1, t2),
              static_cast<double>(hwm_read - rss_before) / 1024.0,
              same ? "identical" : "DIFFERENT");
  if (auto r = store.release(ref.value().sha256); !r) {
    std::fprintf(stderr, "release: %s\n", r.error().message.c_str());
  }
  return same ? 0 : 1;
}
