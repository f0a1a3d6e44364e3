// S3Client: the few S3 calls the blob store needs, over libcurl, signed with SigV4
// (CURLOPT_AWS_SIGV4). libcurl 7.88 neither sends x-amz-content-sha256 nor canonicalizes the
// query string, so every request carries the payload's SHA-256 and every query is written here
// already sorted, percent-encoded and with "=" after each name. Thread-safe: curl handles (and
// with them the open connections) are kept in a pool and each call takes one.
//
// Every failure to reach the store, and every answer it gives that is not the expected one,
// becomes Errc::kUnavailable with a message naming the endpoint, the call and the curl error or
// the HTTP status with S3's error code; only "no such key" is kNotFound.
#pragma once

#include "blob/s3/sigv4.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vestibule::blob::s3 {

struct S3Config {
  std::string endpoint;  // http://127.0.0.1:7480
  std::string bucket;
  std::string region = "default";  // RGW accepts any signing region
  std::string access_key;
  std::string secret_key;
  bool path_style = true;  // http://host/bucket/key rather than http://bucket.host/key
  long connect_timeout_ms = 5000;
  // A request that moves fewer than 1 byte/s for this long is abandoned (the store hangs).
  long stall_timeout_s = 60;
};

struct S3Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
};

struct ObjectInfo {
  std::int64_t size = 0;
  std::time_t last_modified = 0;
  std::time_t store_now = 0;  // the store's Date header: ages are measured on the store's clock
  std::string etag;           // "<md5>", or "<md5>-<parts>" for an object put together from parts
};

struct ListPage {
  std::vector<std::string> keys;
  std::vector<std::time_t> last_modified;  // of each key
  std::string next_token;                  // empty on the last page
};

struct MultipartUpload {
  std::string key;
  std::string upload_id;
  std::time_t initiated = 0;
};

class S3Client {
 public:
  explicit S3Client(S3Config config);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  [[nodiscard]] const S3Config& config() const { return config_; }

  // Creates the bucket unless it exists.
  Result<void> ensure_bucket();
  Result<void> put_object(const std::string& key, std::string_view body);
  // nullopt when there is no such object.
  Result<std::optional<ObjectInfo>> head_object(const std::string& key);
  // The whole object (length < 0) or the bytes [offset, offset + length).
  Result<std::string> get_object(const std::string& key, std::int64_t offset = 0,
                                 std::int64_t length = -1);
  // The same into `out`, whose buffer is reused: a download that reads window after window into
  // one string allocates once.
  Result<void> get_object_into(const std::string& key, std::int64_t offset, std::int64_t length,
                               std::string& out);
  Result<void> delete_object(const std::string& key);
  // A server-side copy: the bytes do not pass through this process.
  Result<void> copy_object(const std::string& from_key, const std::string& to_key);

  Result<std::string> create_multipart(const std::string& key);
  // The part's ETag, needed to complete the upload. Parts are numbered from 1.
  Result<std::string> upload_part(const std::string& key, const std::string& upload_id, int part,
                                  std::string_view body);
  // A part copied server side from the bytes [first, last] of `from_key` (UploadPartCopy, up to
  // 5 GiB a part): how a blob over CopyObject's 5 GiB is put into place. Its ETag, as above.
  Result<std::string> upload_part_copy(const std::string& key, const std::string& upload_id,
                                       int part, const std::string& from_key, std::int64_t first,
                                       std::int64_t last);
  Result<void> complete_multipart(const std::string& key, const std::string& upload_id,
                                  const std::vector<std::string>& etags);
  Result<void> abort_multipart(const std::string& key, const std::string& upload_id);
  // Uploads begun and neither completed nor aborted, under `prefix`: every page of
  // ListMultipartUploads, `page_size` at a time.
  Result<std::vector<MultipartUpload>> list_multipart_uploads(const std::string& prefix,
                                                              int page_size = 1000);

  // The store's clock (the Date of its answer to a HEAD of the bucket).
  Result<std::time_t> store_time();

  // One page of ListObjectsV2; pass the previous page's next_token to continue.
  Result<ListPage> list_page(const std::string& prefix, const std::string& token, int max_keys);

  // Percent-encoding as SigV4 canonicalizes it (RFC 3986 unreserved characters kept).
  static std::string encode(std::string_view s, bool keep_slash);

 private:
  Result<S3Response> perform(const char* method, const std::string& key, const std::string& query,
                             std::string_view body, const std::vector<std::string>& headers,
                             std::string* body_buffer = nullptr, std::size_t expect_bytes = 0);
  struct Target {
    std::string host;  // as sent in Host and signed: "127.0.0.1:7480", "bucket.s3.example.com"
    std::string path;  // percent-encoded, as signed
    std::string url;
  };
  [[nodiscard]] Target target_of(const std::string& key, const std::string& query) const;
  [[nodiscard]] Error store_error(const std::string& what, const S3Response& response) const;

  S3Config config_;
  SigV4Credentials credentials_;
  std::mutex pool_mutex_;
  std::vector<void*> pool_;  // idle CURL* handles
};

// The value of the first <name>...</name> element of an S3 XML answer, XML-unescaped, from
// `from` on; `from` moves past it. nullopt when there is none.
std::optional<std::string> xml_element(std::string_view xml, std::string_view name,
                                       std::size_t& from);

}  // namespace vestibule::blob::s3
