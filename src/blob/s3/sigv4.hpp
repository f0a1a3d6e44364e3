// AWS Signature Version 4 for S3 requests, signed in the Authorization header. The S3 client
// signs every request here rather than through libcurl's CURLOPT_AWS_SIGV4: libcurl 7.88 sorts
// the canonical headers as whole "name:value" lines, which puts x-amz-copy-source-range before
// x-amz-copy-source and so breaks every UploadPartCopy (fixed in curl 8.10, curl/curl#14370),
// and it signs every header it sends, so a request could not leave out Expect.
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vestibule::blob::s3 {

struct SigV4Credentials {
  std::string access_key;
  std::string secret_key;
  std::string region;
  std::string service = "s3";
};

struct SigV4Request {
  std::string_view method;           // "GET"
  std::string_view canonical_uri;    // the path, already percent-encoded: "/bucket/blobs/ab12"
  std::string_view canonical_query;  // names sorted, values encoded, "name=" when empty
  // The headers to sign, host and x-amz-content-sha256 among them; names in any case, values as
  // sent. x-amz-date is added by sign().
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view payload_sha256;  // lower-case hex
};

struct SigV4Signature {
  std::string amz_date;       // "20130524T000000Z": send it as x-amz-date
  std::string authorization;  // the Authorization header's value
};

// The signature of `request` made at `now` (UTC seconds).
SigV4Signature sigv4_sign(const SigV4Request& request, const SigV4Credentials& credentials,
                          std::time_t now);

}  // namespace vestibule::blob::s3
