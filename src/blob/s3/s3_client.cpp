#include "blob/s3/s3_client.hpp"

#include "blob/s3/sigv4.hpp"
#include "util/crypto.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include <curl/curl.h>

namespace vestibule::blob::s3 {

namespace {

// SHA-256 of the empty payload, the x-amz-content-sha256 of every request without a body.
constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Transfer {
  std::string_view body;  // what is left to send
  S3Response* response = nullptr;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  t->response->body.append(data, size * count);
  return size * count;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    t->response->headers[name] = std::string(value);
  } else if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();  // a new status line (after 100 Continue): start over
  }
  return size * count;
}

std::size_t on_read(char* out, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const auto n = std::min(size * count, t->body.size());
  std::memcpy(out, t->body.data(), n);
  t->body.remove_prefix(n);
  return n;
}

std::string unescape_xml(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const auto end = s.find(';', i);
    if (end == std::string_view::npos) {
      out += s.substr(i);
      break;
    }
    const auto entity = s.substr(i + 1, end - i - 1);
    if (entity == "amp") {
      out += '&';
    } else if (entity == "lt") {
      out += '<';
    } else if (entity == "gt") {
      out += '>';
    } else if (entity == "quot") {
      out += '"';
    } else if (entity == "apos") {
      out += '\'';
    } else if (!entity.empty() && entity.front() == '#') {
      const bool hex = entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X');
      const auto code =
          std::strtoul(std::string(entity.substr(hex ? 2 : 1)).c_str(), nullptr, hex ? 16 : 10);
      if (code < 0x80) {
        out += static_cast<char>(code);
      }
    } else {
      out += s.substr(i, end - i + 1);
    }
    i = end;
  }
  return out;
}

// "Sun, 29 Nov 2026 17:26:19 GMT" (RFC 7231 IMF-fixdate); 0 when unreadable.
std::time_t parse_http_date(const std::string& s) {
  std::tm tm{};
  if (::strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) {
    return 0;
  }
  return ::timegm(&tm);
}

// "2026-11-29T17:26:19.920Z" (S3 listings); 0 when unreadable.
std::time_t parse_iso_time(const std::string& s) {
  std::tm tm{};
  if (::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) {
    return 0;
  }
  return ::timegm(&tm);
}

std::string s3_error_summary(const S3Response& response) {
  std::size_t at = 0;
  auto code = xml_element(response.body, "Code", at);
  at = 0;
  auto message = xml_element(response.body, "Message", at);
  std::string out;
  if (code && !code->empty()) {
    out = *code;
    if (message && !message->empty()) {
      out += ": " + *message;
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> xml_element(std::string_view xml, std::string_view name,
                                       std::size_t& from) {
  const std::string open = "<" + std::string(name) + ">";
  const std::string close = "</" + std::string(name) + ">";
  const auto start = xml.find(open, from);
  if (start == std::string_view::npos) {
    return std::nullopt;
  }
  const auto value = start + open.size();
  const auto end = xml.find(close, value);
  if (end == std::string_view::npos) {
    return std::nullopt;
  }
  from = end + close.size();
  return unescape_xml(xml.substr(value, end - value));
}

S3Client::S3Client(S3Config config) : config_(std::move(config)) {
  // curl_global_init is not thread-safe before libcurl 7.84; the first client does it while the
  // process is still single-threaded (start-up, or a test's set-up).
  static const bool curl_ready = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)curl_ready;
  while (!config_.endpoint.empty() && config_.endpoint.back() == '/') {
    config_.endpoint.pop_back();
  }
  credentials_ = {config_.access_key, config_.secret_key, config_.region};
}

S3Client::~S3Client() {
  for (void* handle : pool_) {
    curl_easy_cleanup(static_cast<CURL*>(handle));
  }
}

std::string S3Client::encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

S3Client::Target S3Client::target_of(const std::string& key, const std::string& query) const {
  Target t;
  const auto scheme_end = config_.endpoint.find("://");
  const auto host_at = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto path_at = config_.endpoint.find('/', host_at);
  const std::string scheme = config_.endpoint.substr(0, host_at);
  t.host = config_.endpoint.substr(
      host_at, path_at == std::string::npos ? std::string::npos : path_at - host_at);
  if (!config_.path_style) {
    t.host = config_.bucket + "." + t.host;
  }
  t.path = path_at == std::string::npos ? "" : config_.endpoint.substr(path_at);
  if (config_.path_style) {
    t.path += "/" + encode(config_.bucket, false);
  }
  if (!key.empty()) {
    t.path += "/" + encode(key, true);
  } else if (!config_.path_style) {
    t.path += "/";
  }
  t.url = scheme + t.host + t.path;
  if (!query.empty()) {
    t.url += "?" + query;
  }
  return t;
}

Error S3Client::store_error(const std::string& what, const S3Response& response) const {
  std::string detail = s3_error_summary(response);
  std::string message = "the S3 store at " + config_.endpoint + " (bucket " + config_.bucket +
                        ") answered HTTP " + std::to_string(response.status) +
                        (detail.empty() ? "" : " (" + detail + ")") + " to " + what;
  if (response.status == 403) {
    message += "; check [storage] s3_access_key and s3_secret_key";
  } else {
    message += "; try again later";
  }
  return make_error(Errc::kUnavailable, std::move(message));
}

Result<S3Response> S3Client::perform(const char* method, const std::string& key,
                                     const std::string& query, std::string_view body,
                                     const std::vector<std::string>& headers,
                                     std::string* body_buffer, std::size_t expect_bytes) {
  CURL* curl = nullptr;
  {
    std::lock_guard lock(pool_mutex_);
    if (!pool_.empty()) {
      curl = static_cast<CURL*>(pool_.back());
      pool_.pop_back();
    }
  }
  if (curl == nullptr) {
    curl = curl_easy_init();
    if (curl == nullptr) {
      return fail(Errc::kUnavailable, "cannot start a request to the S3 store (out of memory)");
    }
  } else {
    curl_easy_reset(curl);  // keeps the open connection for reuse
  }

  S3Response response;
  if (body_buffer != nullptr) {
    response.body.swap(*body_buffer);
    response.body.clear();
  }
  response.body.reserve(expect_bytes);
  Transfer transfer{body, &response};
  const Target target = target_of(key, query);
  const std::string method_name(method);
  const std::string payload_hash =
      body.empty() ? std::string(kEmptySha256) : util::sha256_hex(body);

  // Signed: host, the payload's hash and every header the call adds (Range, x-amz-copy-*).
  SigV4Request to_sign{method_name, target.path, query, {}, payload_hash};
  to_sign.headers.emplace_back("host", target.host);
  to_sign.headers.emplace_back("x-amz-content-sha256", payload_hash);
  for (const auto& h : headers) {
    const auto colon = h.find(':');
    to_sign.headers.emplace_back(h.substr(0, colon),
                                 colon == std::string::npos ? "" : h.substr(colon + 1));
  }
  const SigV4Signature signature = sigv4_sign(to_sign, credentials_, std::time(nullptr));

  curl_slist* list = nullptr;
  const std::array<std::string, 4> sent = {
      "Host: " + target.host, "x-amz-content-sha256: " + payload_hash,
      "x-amz-date: " + signature.amz_date, "Authorization: " + signature.authorization};
  for (const auto& h : sent) {
    list = curl_slist_append(list, h.c_str());
  }
  for (const auto& h : headers) {
    list = curl_slist_append(list, h.c_str());
  }
  if (!body.empty() || method_name == "PUT" || method_name == "POST") {
    list = curl_slist_append(list, "Content-Type: application/octet-stream");
    // No "100 Continue" round trip before each part: the store reads the body either way.
    list = curl_slist_append(list, "Expect:");
  }

  curl_easy_setopt(curl, CURLOPT_URL, target.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, config_.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, config_.stall_timeout_s);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  if (method_name == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (method_name == "PUT") {
    // An upload from memory through the read callback: libcurl does not copy the body.
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size()));
  } else if (method_name == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  } else if (method_name != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  }

  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    curl_easy_cleanup(curl);  // its connection is in an unknown state
    return fail(Errc::kUnavailable, "the S3 store at " + config_.endpoint + " cannot be reached (" +
                                        method_name + " " + (key.empty() ? config_.bucket : key) +
                                        ": " + curl_easy_strerror(rc) + ", curl error " +
                                        std::to_string(static_cast<int>(rc)) +
                                        "); check that it runs and [storage] s3_endpoint");
  }
  {
    std::lock_guard lock(pool_mutex_);
    pool_.push_back(curl);
  }
  return response;
}

Result<void> S3Client::ensure_bucket() {
  VST_TRY(head, perform("HEAD", "", "", {}, {}));
  if (head.status == 200) {
    return outcome::success();
  }
  if (head.status != 404) {
    return fail(store_error("HEAD bucket", head));
  }
  VST_TRY(created, perform("PUT", "", "", {}, {}));
  if (created.status != 200 && created.status != 409) {  // 409: created meanwhile
    return fail(store_error("create bucket", created));
  }
  return outcome::success();
}

Result<void> S3Client::put_object(const std::string& key, std::string_view body) {
  VST_TRY(r, perform("PUT", key, "", body, {}));
  if (r.status != 200) {
    return fail(store_error("PUT " + key, r));
  }
  return outcome::success();
}

Result<std::optional<ObjectInfo>> S3Client::head_object(const std::string& key) {
  VST_TRY(r, perform("HEAD", key, "", {}, {}));
  if (r.status == 404) {
    return std::optional<ObjectInfo>{};
  }
  if (r.status != 200) {
    return fail(store_error("HEAD " + key, r));
  }
  ObjectInfo info;
  info.size = std::strtoll(r.headers["content-length"].c_str(), nullptr, 10);
  info.last_modified = parse_http_date(r.headers["last-modified"]);
  info.store_now = parse_http_date(r.headers["date"]);
  info.etag = r.headers["etag"];
  if (info.store_now == 0) {
    info.store_now = std::time(nullptr);
  }
  return std::optional<ObjectInfo>{info};
}

Result<std::string> S3Client::get_object(const std::string& key, std::int64_t offset,
                                         std::int64_t length) {
  std::string out;
  VST_TRYV(get_object_into(key, offset, length, out));
  return out;
}

Result<void> S3Client::get_object_into(const std::string& key, std::int64_t offset,
                                       std::int64_t length, std::string& out) {
  std::vector<std::string> headers;
  if (length >= 0) {
    if (length == 0) {
      out.clear();
      return outcome::success();
    }
    headers.push_back("Range: bytes=" + std::to_string(offset) + "-" +
                      std::to_string(offset + length - 1));
  }
  VST_TRY(r, perform("GET", key, "", {}, headers, &out,
                     length > 0 ? static_cast<std::size_t>(length) : 0));
  if (r.status == 404) {
    return fail(Errc::kNotFound, "the file's content is missing from the S3 store");
  }
  if (r.status == 416) {
    return fail(Errc::kRangeNotSatisfiable, "the range lies outside the file");
  }
  if (r.status != 200 && r.status != 206) {
    return fail(store_error("GET " + key, r));
  }
  out = std::move(r.body);
  return outcome::success();
}

Result<void> S3Client::delete_object(const std::string& key) {
  VST_TRY(r, perform("DELETE", key, "", {}, {}));
  if (r.status != 204 && r.status != 200 && r.status != 404) {
    return fail(store_error("DELETE " + key, r));
  }
  return outcome::success();
}

Result<void> S3Client::copy_object(const std::string& from_key, const std::string& to_key) {
  const std::vector<std::string> headers = {"x-amz-copy-source: /" + encode(config_.bucket, false) +
                                            "/" + encode(from_key, true)};
  VST_TRY(r, perform("PUT", to_key, "", {}, headers));
  // S3 may answer 200 and still report an error in the body.
  if (r.status != 200 || r.body.find("<Error>") != std::string::npos) {
    return fail(store_error("copy " + from_key + " to " + to_key, r));
  }
  return outcome::success();
}

Result<std::string> S3Client::create_multipart(const std::string& key) {
  VST_TRY(r, perform("POST", key, "uploads=", {}, {}));
  std::size_t at = 0;
  auto id = xml_element(r.body, "UploadId", at);
  if (r.status != 200 || !id || id->empty()) {
    return fail(store_error("start a multipart upload of " + key, r));
  }
  return std::move(*id);
}

Result<std::string> S3Client::upload_part(const std::string& key, const std::string& upload_id,
                                          int part, std::string_view body) {
  // The query's names in alphabetical order: the canonical form SigV4 signs.
  const std::string query =
      "partNumber=" + std::to_string(part) + "&uploadId=" + encode(upload_id, false);
  VST_TRY(r, perform("PUT", key, query, body, {}));
  const auto etag = r.headers.find("etag");
  if (r.status != 200 || etag == r.headers.end() || etag->second.empty()) {
    return fail(store_error("upload part " + std::to_string(part) + " of " + key, r));
  }
  return etag->second;
}

Result<std::string> S3Client::upload_part_copy(const std::string& key, const std::string& upload_id,
                                               int part, const std::string& from_key,
                                               std::int64_t first, std::int64_t last) {
  const std::string query =
      "partNumber=" + std::to_string(part) + "&uploadId=" + encode(upload_id, false);
  const std::vector<std::string> headers = {
      "x-amz-copy-source: /" + encode(config_.bucket, false) + "/" + encode(from_key, true),
      "x-amz-copy-source-range: bytes=" + std::to_string(first) + "-" + std::to_string(last)};
  VST_TRY(r, perform("PUT", key, query, {}, headers));
  std::size_t at = 0;
  auto etag = xml_element(r.body, "ETag", at);
  // S3 may answer 200 and still report an error in the body.
  if (r.status != 200 || r.body.find("<Error>") != std::string::npos || !etag || etag->empty()) {
    return fail(store_error("copy part " + std::to_string(part) + " of " + key, r));
  }
  return std::move(*etag);
}

Result<void> S3Client::complete_multipart(const std::string& key, const std::string& upload_id,
                                          const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (std::size_t i = 0; i < etags.size(); ++i) {
    std::string etag;
    for (const char c : etags[i]) {
      etag += c == '"' ? std::string("&quot;") : std::string(1, c);
    }
    xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etag +
           "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  VST_TRY(r, perform("POST", key, "uploadId=" + encode(upload_id, false), xml, {}));
  if (r.status != 200 || r.body.find("<Error>") != std::string::npos) {
    return fail(store_error("complete the multipart upload of " + key, r));
  }
  return outcome::success();
}

Result<void> S3Client::abort_multipart(const std::string& key, const std::string& upload_id) {
  VST_TRY(r, perform("DELETE", key, "uploadId=" + encode(upload_id, false), {}, {}));
  if (r.status != 204 && r.status != 200 && r.status != 404) {
    return fail(store_error("abort the multipart upload of " + key, r));
  }
  return outcome::success();
}

Result<std::vector<MultipartUpload>> S3Client::list_multipart_uploads(const std::string& prefix,
                                                                      int page_size) {
  std::vector<MultipartUpload> out;
  std::string key_marker;
  std::string id_marker;
  while (true) {
    // The query's names in alphabetical order: the canonical form SigV4 signs.
    std::string query;
    if (!key_marker.empty()) {
      query += "key-marker=" + encode(key_marker, false) + "&";
    }
    query += "max-uploads=" + std::to_string(page_size) + "&prefix=" + encode(prefix, false);
    if (!id_marker.empty()) {
      query += "&upload-id-marker=" + encode(id_marker, false);
    }
    query += "&uploads=";
    VST_TRY(r, perform("GET", "", query, {}, {}));
    if (r.status != 200) {
      return fail(store_error("list multipart uploads", r));
    }
    std::size_t at = 0;
    while (auto upload = xml_element(r.body, "Upload", at)) {
      std::size_t inner = 0;
      auto key = xml_element(*upload, "Key", inner);
      inner = 0;
      auto id = xml_element(*upload, "UploadId", inner);
      inner = 0;
      const auto initiated = xml_element(*upload, "Initiated", inner);
      if (key && id) {
        out.push_back(
            {std::move(*key), std::move(*id), initiated ? parse_iso_time(*initiated) : 0});
      }
    }
    at = 0;
    const auto truncated = xml_element(r.body, "IsTruncated", at);
    if (!truncated || *truncated != "true") {
      return out;
    }
    at = 0;
    auto next_key = xml_element(r.body, "NextKeyMarker", at);
    at = 0;
    auto next_id = xml_element(r.body, "NextUploadIdMarker", at);
    if (!next_key || next_key->empty() ||
        (*next_key == key_marker && next_id.value_or("") == id_marker)) {
      return fail(Errc::kUnavailable, "the S3 store at " + config_.endpoint +
                                          " cut a listing of uploads short without saying where "
                                          "to go on");
    }
    key_marker = std::move(*next_key);
    id_marker = next_id.value_or("");
  }
}

Result<std::time_t> S3Client::store_time() {
  VST_TRY(r, perform("HEAD", "", "", {}, {}));
  if (r.status != 200) {
    return fail(store_error("HEAD bucket", r));
  }
  const auto now = parse_http_date(r.headers["date"]);
  return now != 0 ? now : std::time(nullptr);
}

Result<ListPage> S3Client::list_page(const std::string& prefix, const std::string& token,
                                     int max_keys) {
  std::string query;
  if (!token.empty()) {
    query += "continuation-token=" + encode(token, false) + "&";
  }
  query += "list-type=2&max-keys=" + std::to_string(max_keys) + "&prefix=" + encode(prefix, false);
  VST_TRY(r, perform("GET", "", query, {}, {}));
  if (r.status != 200) {
    return fail(store_error("list " + prefix, r));
  }
  ListPage page;
  std::size_t at = 0;
  while (auto contents = xml_element(r.body, "Contents", at)) {
    std::size_t inner = 0;
    if (auto key = xml_element(*contents, "Key", inner)) {
      page.keys.push_back(std::move(*key));
      inner = 0;
      const auto modified = xml_element(*contents, "LastModified", inner);
      page.last_modified.push_back(modified ? parse_iso_time(*modified) : 0);
    }
  }
  at = 0;
  const auto truncated = xml_element(r.body, "IsTruncated", at);
  if (truncated && *truncated == "true") {
    at = 0;
    auto next = xml_element(r.body, "NextContinuationToken", at);
    if (!next || next->empty()) {
      return fail(Errc::kUnavailable, "the S3 store at " + config_.endpoint +
                                          " cut a listing short without saying where to go on");
    }
    page.next_token = std::move(*next);
  }
  return page;
}

}  // namespace vestibule::blob::s3
