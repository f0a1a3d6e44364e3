// The S3 blob store against a real Ceph RADOS Gateway, started once for this binary by
// scripts/rgw-single-node in a temporary folder and stopped at the end. Each test uses a bucket
// of its own.
#include "blob/s3/s3_blob_store.hpp"

#include "api/errors.hpp"
#include "store/sqlite/database.hpp"
#include "support/process_memory.hpp"
#include "support/temp_dir.hpp"
#include "util/crypto.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace vestibule::blob::s3 {
namespace {

namespace fs = std::filesystem;

// One single-node Ceph cluster with its gateway, in a fresh folder under /tmp (short: the unix
// socket paths in it must stay under 108 bytes).
class Cluster {
 public:
  // An empty endpoint() and the script's output in error() when it did not start.
  Cluster() {
    std::array<char, 32> dir_template{"/tmp/vst-rgw-XXXXXX"};
    if (::mkdtemp(dir_template.data()) == nullptr) {
      error_ = "cannot create a folder under /tmp";
      return;
    }
    dir_ = dir_template.data();
    const std::string command =
        std::string(VESTIBULE_RGW_SCRIPT) + " " + dir_ + " >" + dir_ + "/start.log 2>&1";
    if (std::system(command.c_str()) != 0) {
      std::ifstream log(dir_ + "/start.log");
      error_ = command + ":\n" + std::string((std::istreambuf_iterator<char>(log)), {});
      return;
    }
    std::ifstream env(dir_ + "/s3.env");
    std::string line;
    while (std::getline(env, line)) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) {
        vars_[line.substr(0, eq)] = line.substr(eq + 1);
      }
    }
  }
  ~Cluster() {
    stop();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  bool stop() {
    if (dir_.empty() || stopped_) {
      return true;
    }
    stopped_ = true;
    const std::string command =
        std::string(VESTIBULE_RGW_SCRIPT) + " " + dir_ + " --stop >>" + dir_ + "/start.log 2>&1";
    return std::system(command.c_str()) == 0;
  }

  [[nodiscard]] std::string endpoint() const { return var("S3_ENDPOINT"); }
  [[nodiscard]] const std::string& error() const { return error_; }

  [[nodiscard]] S3Config config(const std::string& bucket) const {
    S3Config c;
    c.endpoint = var("S3_ENDPOINT");
    c.region = var("S3_REGION");
    c.access_key = var("AWS_ACCESS_KEY_ID");
    c.secret_key = var("AWS_SECRET_ACCESS_KEY");
    c.bucket = bucket;
    return c;
  }

 private:
  [[nodiscard]] std::string var(const std::string& name) const {
    const auto it = vars_.find(name);
    return it == vars_.end() ? std::string() : it->second;
  }

  std::string dir_;
  std::string error_;
  bool stopped_ = false;
  std::map<std::string, std::string> vars_;
};

// The gateway every test shares, started once for the binary.
class Rgw : public ::testing::Environment {
 public:
  void SetUp() override {
    cluster_ = std::make_unique<Cluster>();
    ASSERT_FALSE(cluster_->endpoint().empty())
        << "the RADOS Gateway did not start: " << cluster_->error();
  }
  void TearDown() override {
    if (cluster_) {
      EXPECT_TRUE(cluster_->stop()) << "scripts/rgw-single-node --stop failed";
      cluster_.reset();
    }
  }
  static S3Config config(const std::string& bucket) { return cluster_->config(bucket); }

 private:
  static inline std::unique_ptr<Cluster> cluster_;
};

[[maybe_unused]] auto* const rgw_environment = ::testing::AddGlobalTestEnvironment(new Rgw);

// A bucket per test (the cluster is fresh for each run of the binary).
std::string bucket_for_test() {
  const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::string out = "t-";
  for (const char c : name) {
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out.substr(0, 60);
}

S3BlobStoreOptions options(std::chrono::seconds grace = std::chrono::seconds{0}) {
  S3BlobStoreOptions o;
  o.grace = grace;
  return o;
}

std::unique_ptr<S3BlobStore> make_store(const std::string& bucket,
                                        S3BlobStoreOptions o = options()) {
  auto store = std::make_unique<S3BlobStore>(Rgw::config(bucket), o);
  const auto prepared = store->prepare();
  EXPECT_TRUE(prepared) << (prepared ? "" : prepared.error().message);
  return store;
}

// Deterministic bytes that do not compress or repeat within a part.
std::string pseudo_random(std::size_t n, std::uint64_t seed) {
  std::string out(n, '\0');
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (std::size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x & 0xFF);
  }
  return out;
}

std::string put(domain::BlobStore& store, std::string_view bytes, std::size_t chunk = 64 << 10) {
  auto writer = store.begin_write().value();
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    const auto w = writer->write(bytes.substr(at, chunk));
    EXPECT_TRUE(w) << (w ? "" : w.error().message);
  }
  auto committed = writer->commit();
  EXPECT_TRUE(committed) << (committed ? "" : committed.error().message);
  return committed ? committed.value().sha256 : std::string();
}

std::string read_all(domain::BlobStore& store, const std::string& sha256, std::int64_t offset,
                     std::int64_t length, int* chunks = nullptr) {
  auto reader = store.read(sha256, offset, length);
  EXPECT_TRUE(reader) << (reader ? "" : reader.error().message);
  if (!reader) {
    return {};
  }
  std::string out;
  std::string chunk;
  int n = 0;
  while (true) {
    auto more = reader.value()->next(chunk);
    EXPECT_TRUE(more) << (more ? "" : more.error().message);
    if (!more || !more.value()) {
      break;
    }
    out += chunk;
    ++n;
  }
  if (chunks != nullptr) {
    *chunks = n;
  }
  return out;
}

std::vector<std::string> all_keys(S3Client& client) {
  std::vector<std::string> keys;
  std::string token;
  do {
    auto page = client.list_page("", token, 1000);
    EXPECT_TRUE(page) << (page ? "" : page.error().message);
    if (!page) {
      break;
    }
    keys.insert(keys.end(), page.value().keys.begin(), page.value().keys.end());
    token = page.value().next_token;
  } while (!token.empty());
  return keys;
}

TEST(S3BlobStore, WritesCommitsAndReadsBackByHash) {
  auto store = make_store(bucket_for_test());
  const std::string bytes = "hello, content-addressed world";
  auto writer = store->begin_write().value();
  ASSERT_TRUE(writer->write(bytes.substr(0, 7)));
  ASSERT_TRUE(writer->write(bytes.substr(7)));
  EXPECT_EQ(writer->bytes_written(), static_cast<std::int64_t>(bytes.size()));
  const auto ref = writer->commit().value();
  EXPECT_EQ(ref.sha256, util::sha256_hex(bytes));
  EXPECT_EQ(ref.size, static_cast<std::int64_t>(bytes.size()));

  EXPECT_TRUE(store->exists(ref.sha256).value());
  EXPECT_FALSE(store->exists(util::sha256_hex("other")).value());
  EXPECT_EQ(*store->read_small(ref.sha256, ref.size).value(), bytes);
  EXPECT_EQ(read_all(*store, ref.sha256, 0, -1), bytes);
  EXPECT_EQ(store->list().value(), std::vector<std::string>{ref.sha256});
  // Under its content key, nothing else in the bucket.
  EXPECT_EQ(all_keys(store->client()), std::vector<std::string>{"blobs/" + ref.sha256});
  // The same bytes again: still one object.
  EXPECT_EQ(put(*store, bytes), ref.sha256);
  EXPECT_EQ(store->list().value().size(), 1u);
  // The empty blob is a blob too.
  const auto empty = put(*store, "");
  EXPECT_EQ(empty, util::sha256_hex(""));
  EXPECT_EQ(*store->read_small(empty, 0).value(), "");
  EXPECT_EQ(store->read_small(ref.sha256, ref.size - 1).error().code, Errc::kInternal);
  EXPECT_EQ(store->open(ref.sha256).error().code, Errc::kInternal);
  EXPECT_GE(store->available_bytes().value(), std::int64_t{1} << 50);
}

TEST(S3BlobStore, RangedReadsStreamTheAskedBytesInWindows) {
  auto o = options();
  o.read_window_bytes = 1 << 20;
  auto store = make_store(bucket_for_test(), o);
  const auto bytes = pseudo_random((3 << 20) + 12345, 1);
  const auto blob = put(*store, bytes);

  int chunks = 0;
  EXPECT_EQ(read_all(*store, blob, 0, -1, &chunks), bytes);
  EXPECT_EQ(chunks, 4);  // 3 MiB + a bit, 1 MiB at a time
  EXPECT_EQ(read_all(*store, blob, 1000, (2 << 20) + 7, &chunks),
            bytes.substr(1000, (2 << 20) + 7));
  EXPECT_EQ(chunks, 3);
  EXPECT_EQ(read_all(*store, blob, static_cast<std::int64_t>(bytes.size()) - 5, -1),
            bytes.substr(bytes.size() - 5));
  EXPECT_EQ(read_all(*store, blob, static_cast<std::int64_t>(bytes.size()), 0), "");
  EXPECT_EQ(store->read(blob, 0, -1).value()->blob_size(), static_cast<std::int64_t>(bytes.size()));

  const auto size = static_cast<std::int64_t>(bytes.size());
  EXPECT_EQ(store->read(blob, size + 1, -1).error().code, Errc::kRangeNotSatisfiable);
  EXPECT_EQ(store->read(blob, size - 10, 11).error().code, Errc::kRangeNotSatisfiable);
  EXPECT_EQ(store->read(blob, -1, 10).error().code, Errc::kRangeNotSatisfiable);
  EXPECT_EQ(store->read(util::sha256_hex("never written"), 0, -1).error().code, Errc::kNotFound);
}

TEST(S3BlobStore, AReaderDroppedWhileTheNextWindowIsReadAheadEndsCleanly) {
  auto o = options();
  o.read_window_bytes = 1 << 20;
  auto store = make_store(bucket_for_test(), o);
  const auto bytes = pseudo_random(3 << 20, 2);
  const auto blob = put(*store, bytes);
  for (int i = 0; i < 5; ++i) {
    // A download cut short after its first window: the window read ahead is waited for, not
    // written into a reader that is gone (AddressSanitizer's build would see that).
    auto reader = store->read(blob, 0, -1).value();
    std::string chunk;
    ASSERT_TRUE(reader->next(chunk).value());
    EXPECT_EQ(chunk, bytes.substr(0, 1 << 20));
  }
  // The windows read ahead are the right ones, whatever window the reader asks for first.
  EXPECT_EQ(read_all(*store, blob, (1 << 20) - 3, (2 << 20) + 3),
            bytes.substr((1 << 20) - 3, (2 << 20) + 3));
}

TEST(S3BlobStore, AWriterDroppedBeforeCommitLeavesNothingBehind) {
  auto store = make_store(bucket_for_test());
  const auto part = store->options().part_bytes;
  {
    auto writer = store->begin_write().value();
    // Two full parts have gone up (the multipart upload exists) and a third is buffered.
    const auto bytes = pseudo_random(2 * part + 4096, 2);
    ASSERT_TRUE(writer->write(bytes));
    EXPECT_EQ(store->client().list_multipart_uploads("").value().size(), 1u);
    EXPECT_TRUE(store->list().value().empty());
  }
  EXPECT_TRUE(store->list().value().empty());
  EXPECT_TRUE(all_keys(store->client()).empty());
  EXPECT_TRUE(store->client().list_multipart_uploads("").value().empty());
  {
    auto writer = store->begin_write().value();  // a small one, only in memory
    ASSERT_TRUE(writer->write("never committed"));
  }
  EXPECT_TRUE(all_keys(store->client()).empty());
}

TEST(S3BlobStore, TheSweepRemovesWhatCrashedUploadsLeftAndNothingElse) {
  auto o = options();
  o.list_page_size = 1;  // every listing takes several pages
  auto store = make_store(bucket_for_test(), o);
  const auto kept = put(*store, "a committed blob");
  const auto part = store->options().part_bytes;
  // Processes killed mid-upload: their multipart uploads stay open (the writers live on until
  // the end of the test, as if their processes had never got to destroy them).
  auto crashed = store->begin_write().value();
  ASSERT_TRUE(crashed->write(pseudo_random(part + 1, 5)));
  auto crashed_too = store->begin_write().value();
  ASSERT_TRUE(crashed_too->write(pseudo_random(part + 1, 8)));
  // And one killed between completing the upload and copying it into place.
  ASSERT_TRUE(store->client().put_object("tmp/upload-completed", "orphan"));
  // And one killed while copying a blob over the copy limit into place in parts, under the key
  // of a blob that exists: the sweep aborts the copy and keeps the blob.
  ASSERT_TRUE(store->client().create_multipart(S3BlobStore::key_of(kept)));
  ASSERT_EQ(store->client().list_multipart_uploads("", 1).value().size(), 3u);

  // Too recent for a sweep that must spare running uploads.
  EXPECT_EQ(store->sweep_temporaries(std::chrono::hours{24}).value(), 0u);
  EXPECT_EQ(store->client().list_multipart_uploads("").value().size(), 3u);
  EXPECT_EQ(all_keys(store->client()).size(), 2u);

  EXPECT_EQ(store->sweep_temporaries(std::chrono::seconds{0}).value(), 4u);
  EXPECT_TRUE(store->client().list_multipart_uploads("").value().empty());
  EXPECT_EQ(all_keys(store->client()), std::vector<std::string>{"blobs/" + kept});
  EXPECT_EQ(store->list().value(), std::vector<std::string>{kept});
  crashed.reset();  // aborting an upload the sweep already aborted is no error
  crashed_too.reset();
}

TEST(S3BlobStore, AMultipartUploadOf40MiBKeepsEveryByte) {
  auto store = make_store(bucket_for_test());
  const auto bytes = pseudo_random((40 << 20) + 123, 3);
  // Chunks that do not divide the part size, as a network delivers them.
  const auto blob = put(*store, bytes, 1000003);
  EXPECT_EQ(blob, util::sha256_hex(bytes));
  EXPECT_EQ(store->list().value(), std::vector<std::string>{blob});
  // The temporary object is gone, and so is the multipart upload.
  EXPECT_EQ(all_keys(store->client()), std::vector<std::string>{"blobs/" + blob});
  EXPECT_TRUE(store->client().list_multipart_uploads("").value().empty());

  util::Sha256Stream hash;
  auto reader = store->read(blob, 0, -1).value();
  std::string chunk;
  std::int64_t total = 0;
  while (reader->next(chunk).value()) {
    hash.update(chunk);
    total += static_cast<std::int64_t>(chunk.size());
  }
  EXPECT_EQ(total, static_cast<std::int64_t>(bytes.size()));
  EXPECT_EQ(hash.final_hex(), blob);
  // Exactly one part's worth also stays a single PUT, and a part and one byte two parts.
  const auto part = store->options().part_bytes;
  EXPECT_EQ(put(*store, std::string_view(bytes).substr(0, part)),
            util::sha256_hex(std::string_view(bytes).substr(0, part)));
  EXPECT_EQ(put(*store, std::string_view(bytes).substr(0, part + 1)),
            util::sha256_hex(std::string_view(bytes).substr(0, part + 1)));
  EXPECT_EQ(store->list().value().size(), 3u);
}

// How many parts an object was put together from, by its ETag ("<md5>-<parts>", quoted or not);
// 0 for an object written whole.
int parts_of(const std::string& etag) {
  const auto dash = etag.rfind('-');
  return dash == std::string::npos ? 0 : std::atoi(etag.c_str() + dash + 1);
}

// S3's CopyObject stops at 5 GiB; over the limit (lowered here to 16 MiB) the blob is put
// together from part copies under its content key, which the x-amz-copy-source-range header
// makes the one request libcurl 7.88's signer got wrong.
TEST(S3BlobStore, ABlobOverTheCopyLimitIsPutTogetherFromPartCopies) {
  auto o = options();
  o.copy_limit_bytes = std::int64_t{16} << 20;
  o.copy_part_bytes = std::int64_t{16} << 20;
  auto store = make_store(bucket_for_test(), o);
  const auto bytes = pseudo_random((40 << 20) + 123, 9);
  const auto blob = put(*store, bytes, 1000003);
  ASSERT_EQ(blob, util::sha256_hex(bytes));
  // Three part copies (16 + 16 + 8 MiB), not the six parts it went up in.
  const auto info = store->client().head_object(S3BlobStore::key_of(blob)).value();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, static_cast<std::int64_t>(bytes.size()));
  EXPECT_EQ(parts_of(info->etag), 3) << info->etag;
  EXPECT_EQ(util::sha256_hex(read_all(*store, blob, 0, -1)), blob);
  EXPECT_EQ(all_keys(store->client()), std::vector<std::string>{"blobs/" + blob});
  EXPECT_TRUE(store->client().list_multipart_uploads("").value().empty());
  // The same content again is put together again over the blob (which refreshes its age).
  EXPECT_EQ(put(*store, bytes, 1 << 20), blob);
  EXPECT_EQ(util::sha256_hex(read_all(*store, blob, 0, -1)), blob);

  // A blob at the limit is still one CopyObject.
  const auto at_limit = std::string_view(bytes).substr(0, std::size_t{16} << 20);
  const auto small = put(*store, at_limit);
  EXPECT_NE(parts_of(store->client().head_object(S3BlobStore::key_of(small)).value()->etag), 1);
  EXPECT_EQ(util::sha256_hex(read_all(*store, small, 0, -1)), small);
}

// S3 takes at most 10,000 parts; at a fixed 8 MiB a blob would stop at 78 GiB. Parts double
// every `parts_per_doubling` parts (lowered here to 2).
TEST(S3BlobStore, PartsGrowSoThatTenThousandOfThemReachS3sLargestObject) {
  const S3BlobStore defaults(Rgw::config(bucket_for_test()), options());
  std::int64_t reach = 0;
  for (int part = 1; part <= 10000; ++part) {
    reach += static_cast<std::int64_t>(defaults.part_size(part));
  }
  EXPECT_GE(reach, std::int64_t{5} << 40);
  EXPECT_EQ(defaults.part_size(1000), std::size_t{8} << 20);  // 7.8 GiB in 8 MiB parts
  EXPECT_EQ(defaults.part_size(1001), std::size_t{16} << 20);
  EXPECT_EQ(defaults.part_size(10000), std::size_t{4} << 30);  // never over S3's 5 GiB

  auto o = options();
  o.part_bytes = std::size_t{5} << 20;
  o.parts_per_doubling = 2;
  auto store = make_store(bucket_for_test(), o);
  // 5 + 5 + 10 + 10 + 20 MiB and one byte: six parts where fixed ones would make eleven.
  const auto bytes = pseudo_random((50 << 20) + 1, 12);
  const auto blob = put(*store, bytes, 1000003);
  ASSERT_EQ(blob, util::sha256_hex(bytes));
  const auto info = store->client().head_object(S3BlobStore::key_of(blob)).value();
  ASSERT_TRUE(info);
  EXPECT_EQ(parts_of(info->etag), 6) << info->etag;  // CopyObject keeps the source's ETag
  EXPECT_EQ(util::sha256_hex(read_all(*store, blob, 0, -1)), blob);
}

TEST(S3BlobStore, APartCopyThatFailsLeavesNothingUnderTheContentKey) {
  auto o = options();
  o.copy_limit_bytes = std::int64_t{16} << 20;
  auto store = make_store(bucket_for_test(), o);
  const std::string sha(64, 'a');
  // The temporary object is gone (another node's sweep took it): the first part copy fails.
  const auto installed = store->install("tmp/upload-gone", sha, std::int64_t{20} << 20);
  ASSERT_FALSE(installed);
  EXPECT_EQ(installed.error().code, Errc::kUnavailable) << installed.error().message;
  EXPECT_TRUE(store->client().list_multipart_uploads("").value().empty());
  EXPECT_TRUE(all_keys(store->client()).empty());
}

using vestibule::testing::reset_peak_kib;
using vestibule::testing::status_kib;

TEST(S3BlobStore, A128MiBUploadAndDownloadHoldLessThan16MiB) {
  auto store = make_store(bucket_for_test());
  std::string chunk(256 << 10, '\0');
  const auto fill = [&](long i) {
    std::uint64_t x = static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ull + 1;
    for (auto& c : chunk) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>(x);
    }
  };
  constexpr long kChunks = 128 * 4;
  util::Sha256Stream sent;
  const long before_write = reset_peak_kib();
  auto writer = store->begin_write().value();
  for (long i = 0; i < kChunks; ++i) {
    fill(i);
    sent.update(chunk);
    ASSERT_TRUE(writer->write(chunk));
  }
  const auto blob = writer->commit().value();
  writer.reset();
  const long write_growth = status_kib("VmHWM") - before_write;
  EXPECT_EQ(blob.sha256, sent.final_hex());
  EXPECT_EQ(blob.size, kChunks * (256 << 10));
  EXPECT_LT(write_growth, 16 << 10) << "KiB";

  const long before_read = reset_peak_kib();
  util::Sha256Stream received;
  auto reader = store->read(blob.sha256, 0, -1).value();
  std::string got;
  while (reader->next(got).value()) {
    received.update(got);
  }
  reader.reset();
  const long read_growth = status_kib("VmHWM") - before_read;
  EXPECT_EQ(received.final_hex(), blob.sha256);
  EXPECT_LT(read_growth, 16 << 10) << "KiB";
  std::printf("128 MiB through RGW: peak memory growth %ld KiB writing, %ld KiB reading\n",
              write_growth, read_growth);
}

TEST(S3BlobStore, ReleaseWaitsForTheGracePeriod) {
  const auto bucket = bucket_for_test();
  auto patient = make_store(bucket, options(std::chrono::hours{1}));
  const auto blob = put(*patient, "recently written");
  ASSERT_TRUE(patient->read_small(blob, 16));
  ASSERT_TRUE(patient->release(blob));
  EXPECT_TRUE(patient->exists(blob).value());  // written moments ago: kept

  auto eager = make_store(bucket, options(std::chrono::seconds{0}));
  ASSERT_TRUE(eager->read_small(blob, 16));
  ASSERT_TRUE(eager->release(blob));
  EXPECT_FALSE(eager->exists(blob).value());
  EXPECT_FALSE(eager->read_small(blob, 16));  // not answered from memory after deletion
  EXPECT_TRUE(eager->release(blob));          // releasing a gone blob is no error
}

// Two nodes sharing the bucket and a database: the holds are the database's own (SQLite's here,
// as on PostgreSQL they are shared by every node), given to the stores as the application does.
class NodesWithHolds {
 public:
  NodesWithHolds() : db_((dir_.path() / "vestibule.db").string(), 2) {}

  S3BlobStoreOptions options(std::chrono::milliseconds hold_wait = std::chrono::seconds{10}) {
    S3BlobStoreOptions o = s3::options();
    o.hold_wait = hold_wait;
    o.hold = [this](const std::string& sha256) -> Result<std::shared_ptr<void>> {
      VST_TRY(hold, db_.try_hold(store::sql::Hold::kBlobs, S3BlobStore::hold_key(sha256)));
      return std::shared_ptr<void>(std::move(hold));
    };
    return o;
  }
  // What another node holds while it puts `sha256` into place or deletes it.
  std::unique_ptr<store::sql::Hold> hold(const std::string& sha256) {
    auto held = db_.try_hold(store::sql::Hold::kBlobs, S3BlobStore::hold_key(sha256));
    EXPECT_TRUE(held && held.value()) << "the test could not take the hold itself";
    return held ? std::move(held.value()) : nullptr;
  }

 private:
  testing::TempDir dir_;
  store::sqlite::Database db_;
};

TEST(S3BlobStore, ReleaseLeavesABlobAnotherNodeIsPuttingIntoPlace) {
  NodesWithHolds nodes;
  auto store = make_store(bucket_for_test(), nodes.options());
  const auto blob = put(*store, "old enough to be collected");
  {
    // Another node copies the same content into place: its hold keeps this node's release from
    // deleting between the age check and that copy.
    const auto other_node = nodes.hold(blob);
    ASSERT_TRUE(store->release(blob));
    EXPECT_TRUE(store->exists(blob).value());
  }
  ASSERT_TRUE(store->release(blob));
  EXPECT_FALSE(store->exists(blob).value());
}

TEST(S3BlobStore, AnInstallWaitsForTheHoldOfANodeDeletingTheSameContent) {
  NodesWithHolds nodes;
  auto store = make_store(bucket_for_test(), nodes.options(std::chrono::milliseconds{300}));
  const std::string content = "deleted on one node, uploaded again on another";
  const std::string sha256 = util::sha256_hex(content);
  {
    const auto deleting_node = nodes.hold(sha256);
    auto writer = store->begin_write().value();
    ASSERT_TRUE(writer->write(content));
    const auto committed = writer->commit();
    ASSERT_FALSE(committed);
    EXPECT_EQ(committed.error().code, Errc::kUnavailable);
    EXPECT_NE(committed.error().message.find("try the upload again"), std::string::npos)
        << committed.error().message;
    EXPECT_FALSE(store->exists(sha256).value());  // nothing put while the other node held it
  }
  EXPECT_EQ(put(*store, content), sha256);
  EXPECT_TRUE(store->exists(sha256).value());
}

// Virtual-hosted addressing (s3_path_style = false): http://BUCKET.localhost:PORT/KEY, which the
// gateway serves under its DNS name "localhost" (scripts/rgw-single-node), signed with that
// host. The objects land in the same bucket the path-style client sees.
TEST(S3BlobStore, VirtualHostedAddressingWritesAndReadsTheSameBucket) {
  auto config = Rgw::config(bucket_for_test());
  const auto at = config.endpoint.find("127.0.0.1");
  ASSERT_NE(at, std::string::npos) << config.endpoint;
  config.endpoint.replace(at, 9, "localhost");
  config.path_style = false;
  S3BlobStore hosted(config, options());
  const auto prepared = hosted.prepare();  // creates the bucket: PUT http://BUCKET.localhost/
  ASSERT_TRUE(prepared) << prepared.error().message;

  const auto small = put(hosted, "a small blob, one PUT");
  const auto bytes = pseudo_random((20 << 20) + 7, 11);  // multipart, copy, ranged reads
  const auto large = put(hosted, bytes, 1000003);
  EXPECT_EQ(large, util::sha256_hex(bytes));
  EXPECT_EQ(read_all(hosted, small, 0, -1), "a small blob, one PUT");
  EXPECT_EQ(read_all(hosted, large, 5, 100), bytes.substr(5, 100));
  EXPECT_EQ(util::sha256_hex(read_all(hosted, large, 0, -1)), large);
  auto listed = hosted.list().value();
  std::sort(listed.begin(), listed.end());
  auto expected = std::vector<std::string>{small, large};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(listed, expected);

  // The path-style client of the same bucket sees exactly those objects.
  auto path_style = make_store(bucket_for_test());
  auto seen = all_keys(path_style->client());
  EXPECT_EQ(seen, (std::vector<std::string>{"blobs/" + expected[0], "blobs/" + expected[1]}));
  EXPECT_TRUE(hosted.client().list_multipart_uploads("").value().empty());
}

TEST(S3BlobStore, ListGoesThroughEveryPage) {
  auto o = options();
  o.list_page_size = 2;
  auto store = make_store(bucket_for_test(), o);
  std::set<std::string> written;
  for (int i = 0; i < 5; ++i) {
    written.insert(put(*store, "blob number " + std::to_string(i)));
  }
  const auto first = store->client().list_page("blobs/", "", 2).value();
  EXPECT_EQ(first.keys.size(), 2u);
  EXPECT_FALSE(first.next_token.empty());  // more than one page
  const auto listed = store->list().value();
  EXPECT_EQ(listed.size(), 5u);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), written);
}

std::uint16_t unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // nothing listens there now
  return ntohs(addr.sin_port);
}

TEST(S3BlobStore, AStoreThatGoesDownMidUploadRefusesTheRestOfIt) {
  Cluster own;  // a gateway of its own, to stop under a running upload
  ASSERT_FALSE(own.endpoint().empty()) << own.error();
  S3BlobStore store(own.config("outage"), options());
  ASSERT_TRUE(store.prepare());
  const auto part = store.options().part_bytes;
  auto writer = store.begin_write().value();
  ASSERT_TRUE(writer->write(pseudo_random(part + 1, 6)));  // the first part is up
  ASSERT_EQ(store.client().list_multipart_uploads("").value().size(), 1u);

  ASSERT_TRUE(own.stop());
  const auto failed = writer->write(pseudo_random(part, 7));  // the second part cannot go up
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, Errc::kUnavailable);
  EXPECT_NE(failed.error().message.find(own.endpoint()), std::string::npos)
      << failed.error().message;
  // Once a part is missing, the upload cannot be completed, whatever follows.
  EXPECT_EQ(writer->write("more").error().code, Errc::kUnavailable);
  EXPECT_EQ(writer->commit().error().code, Errc::kUnavailable);
  writer.reset();  // its abort fails too (logged): the sweep collects the upload later
  EXPECT_EQ(store.exists(util::sha256_hex("x")).error().code, Errc::kUnavailable);
}

TEST(S3BlobStore, AStoreThatIsDownGivesA503NamingItAndTheCause) {
  auto config = Rgw::config("down");
  config.endpoint = "http://127.0.0.1:" + std::to_string(unused_port());
  S3BlobStore store(config, options());
  const auto expect_down = [&](const Error& e) {
    EXPECT_EQ(e.code, Errc::kUnavailable);
    EXPECT_EQ(api::http_status(e.code), 503u);
    EXPECT_NE(e.message.find(config.endpoint), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("curl error 7"), std::string::npos) << e.message;
  };
  expect_down(store.prepare().error());
  {
    auto writer = store.begin_write().value();
    ASSERT_TRUE(writer->write("small"));
    expect_down(writer->commit().error());
  }
  {
    auto writer = store.begin_write().value();
    const auto bytes = pseudo_random(store.options().part_bytes + 1, 4);
    expect_down(writer->write(bytes).error());
    expect_down(writer->write("more").error());  // no part may go missing silently
    expect_down(writer->commit().error());
  }
  const auto blob = util::sha256_hex("x");
  expect_down(store.exists(blob).error());
  expect_down(store.read(blob, 0, -1).error());
  expect_down(store.read_small(blob, 1).error());
  expect_down(store.release(blob).error());
  expect_down(store.list().error());
  expect_down(store.ready().error());  // the readiness probe names it too

  // Up, but refusing the credentials: the HTTP status and what to check.
  auto wrong = Rgw::config(bucket_for_test());
  wrong.secret_key = "not-the-secret";
  S3BlobStore refused(wrong, options());
  const auto e = refused.prepare().error();
  EXPECT_EQ(e.code, Errc::kUnavailable);
  EXPECT_NE(e.message.find("HTTP 403"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(wrong.endpoint), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("s3_secret_key"), std::string::npos) << e.message;
  const auto not_ready = refused.ready();
  ASSERT_FALSE(not_ready);
  EXPECT_NE(not_ready.error().message.find("HTTP 403"), std::string::npos);

  // Up and with the right keys: ready.
  S3BlobStore good(Rgw::config(bucket_for_test()), options());
  ASSERT_TRUE(good.prepare());
  EXPECT_TRUE(good.ready());
}

}  // namespace
}  // namespace vestibule::blob::s3
