#include "mail/mime.hpp"

#include "util/crypto.hpp"

#include <algorithm>
#include <ctime>

#include <sodium.h>

namespace vestibule::mail {

namespace {

std::string one_line(std::string value) {
  std::replace_if(
      value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return value;
}

std::string base64(std::string_view data) {
  if (data.empty()) {
    return {};
  }
  std::string out(sodium_base64_encoded_len(data.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()),
                    data.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// Base64 in lines of 76 characters, as RFC 2045 asks.
std::string base64_lines(std::string_view data) {
  const std::string encoded = base64(data);
  std::string out;
  for (std::size_t at = 0; at < encoded.size(); at += 76) {
    out += encoded.substr(at, 76);
    out += "\r\n";
  }
  return out;
}

std::string encoded_word(const std::string& text) {
  const bool ascii =
      std::all_of(text.begin(), text.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7F; });
  if (ascii) {
    return text;
  }
  return "=?UTF-8?B?" + base64(text) + "?=";
}

std::string rfc5322_date(util::TimePoint t) {
  const auto seconds = static_cast<std::time_t>(util::to_unix(t));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buffer;
}

}  // namespace

std::string build_message(const domain::MailMessage& message, const std::string& from,
                          util::TimePoint date) {
  const std::string boundary = "=_vestibule_" + util::random_token(12);
  std::string out;
  out += "From: " + one_line(from) + "\r\n";
  out += "To: <" + one_line(message.to) + ">\r\n";
  out += "Subject: " + encoded_word(one_line(message.subject)) + "\r\n";
  out += "Date: " + rfc5322_date(date) + "\r\n";
  out += "Message-ID: " + one_line(message.message_id) + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n";
  out += "\r\n";
  out += "--" + boundary + "\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: base64\r\n\r\n";
  out += base64_lines(message.text);
  out += "--" + boundary + "\r\n";
  out += "Content-Type: text/html; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: base64\r\n\r\n";
  out += base64_lines(message.html);
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace vestibule::mail
