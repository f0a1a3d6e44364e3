#include "mail/smtp_sender.hpp"

#include "mail/mime.hpp"

#include <array>
#include <cstring>
#include <memory>

#include <curl/curl.h>

namespace vestibule::mail {

namespace {

struct Upload {
  std::string data;
  std::size_t offset = 0;
  const std::function<bool()>* may_finish = nullptr;
  bool stopped = false;  // may_finish said no: the message's end was never sent
};

std::size_t read_chunk(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t room = size * count;
  const std::size_t left = upload->data.size() - upload->offset;
  if (left == 0 && upload->may_finish != nullptr && *upload->may_finish &&
      !(*upload->may_finish)()) {
    // Without the final "." the relay discards what it received.
    upload->stopped = true;
    return CURL_READFUNC_ABORT;
  }
  const std::size_t n = std::min(room, left);
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

// The relay's replies: the last one, and the first refusal (4xx/5xx), which says why a message
// was refused — the "221 Bye" that follows it must not hide it.
struct Replies {
  std::string last;
  std::string refusal;
};

int remember_reply(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  if (type == CURLINFO_HEADER_IN) {
    std::string line(data, size);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
      line.pop_back();
    }
    auto* replies = static_cast<Replies*>(user);
    if (replies->refusal.empty() && !line.empty() && (line[0] == '4' || line[0] == '5')) {
      replies->refusal = line;
    }
    replies->last = std::move(line);
  }
  return 0;
}

}  // namespace

std::string envelope_address(const std::string& from) {
  const auto open = from.find('<');
  const auto close = from.find('>', open == std::string::npos ? 0 : open);
  if (open != std::string::npos && close != std::string::npos) {
    return from.substr(open, close - open + 1);
  }
  return "<" + from + ">";
}

SmtpSender::SmtpSender(SmtpSettings settings, const util::Clock& clock)
    : settings_(std::move(settings)), clock_(clock) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

domain::SendOutcome SmtpSender::send(const domain::MailMessage& message,
                                     const std::function<bool()>& may_finish) {
  using Kind = domain::SendOutcome::Kind;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) {
    return {Kind::kTemporary, "could not start an SMTP client"};
  }
  const std::string scheme = settings_.tls == "tls" ? "smtps" : "smtp";
  const std::string url =
      scheme + "://" + settings_.host + ":" + std::to_string(settings_.port) + "/vestibule";
  Upload upload{build_message(message, settings_.from, clock_.now()), 0, &may_finish};
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients(
      curl_slist_append(nullptr, ("<" + message.to + ">").c_str()), &curl_slist_free_all);
  std::array<char, CURL_ERROR_SIZE> error{};
  Replies replies;
  const std::string mail_from = envelope_address(settings_.from);

  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, &read_chunk);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error.data());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(settings_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, &remember_reply);
  curl_easy_setopt(c, CURLOPT_DEBUGDATA, &replies);
  curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);  // feeds remember_reply; nothing is printed
  if (settings_.tls == "starttls") {
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  }
  if (!settings_.ca_file.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, settings_.ca_file.c_str());
  }
  if (!settings_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, settings_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, settings_.password.c_str());
  }
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    return {Kind::kSent, replies.last};
  }
  if (upload.stopped) {
    return {Kind::kClaimLost, "the claim on this mail ended before its end was sent"};
  }
  long reply = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
  std::string detail = error[0] != '\0' ? std::string(error.data()) : curl_easy_strerror(rc);
  if (!replies.refusal.empty()) {
    detail = replies.refusal;
  }
  if (reply >= 500 && reply < 600) {
    return {Kind::kPermanent, detail};
  }
  return {Kind::kTemporary, detail};
}

}  // namespace vestibule::mail
