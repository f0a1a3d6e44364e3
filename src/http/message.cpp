#include "http/message.hpp"

#include <algorithm>
#include <cctype>

#include <boost/beast/core/string.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace vestibule::http {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

std::string_view Request::header(std::string_view name) const {
  const auto it = headers.find(name);
  if (it == headers.end()) {
    return {};
  }
  const auto value = it->value();
  return {value.data(), value.size()};
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const auto eq = pair.find('=');
    const std::string_view raw_key = pair.substr(0, eq);
    if (percent_decode(raw_key, true) != name) {
      continue;
    }
    if (eq == std::string_view::npos) {
      return std::string{};
    }
    return percent_decode(pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

FileHandle& FileHandle::operator=(FileHandle&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileHandle::~FileHandle() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

Response& Response::set(std::string name, std::string value) {
  const auto it = std::find_if(headers.begin(), headers.end(), [&](const auto& header) {
    return boost::beast::iequals(header.first, name);
  });
  if (it != headers.end()) {
    it->second = std::move(value);
  } else {
    headers.emplace_back(std::move(name), std::move(value));
  }
  return *this;
}

Response Response::json(unsigned status, const nlohmann::json& body) {
  Response response;
  response.status = status;
  // Invalid UTF-8 from stored data must not turn a reply into an exception.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.headers.emplace_back("Content-Type", "application/json");
  return response;
}

Response Response::empty(unsigned status) {
  Response response;
  response.status = status;
  return response;
}

Response error_response(unsigned status, std::string_view code, std::string_view message) {
  return Response::json(status, {{"error", {{"code", code}, {"message", message}}}});
}

std::string percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>((high << 4) | low));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_as_space && c == '+' ? ' ' : c);
  }
  return out;
}

}  // namespace vestibule::http
