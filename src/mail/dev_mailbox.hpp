// The development mailbox: with no SMTP relay configured, the outbox delivers here. Each message
// is written to `<data>/mail/` as an .eml file and a JSON summary, and listed newest first at
// /dev/mail and GET /api/v1/dev/mail, so the whole sharing flow runs on one machine. This is the
// one deliberate place where a code stays readable after it was sent. Thread-safe.
#pragma once

#include "domain/outbox.hpp"
#include "util/clock.hpp"

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace vestibule::mail {

struct DevMail {
  std::string to;
  std::string subject;
  std::string text;
  std::string html;
  std::string kind;
  std::string sent_at;  // RFC 3339
};

class DevMailbox final : public domain::MailSender {
 public:
  DevMailbox(std::filesystem::path folder, const util::Clock& clock);
  domain::SendOutcome send(const domain::MailMessage& message,
                           const std::function<bool()>& may_finish) override;
  // Newest first.
  std::vector<DevMail> list(std::size_t limit = 200) const;

 private:
  std::filesystem::path folder_;
  const util::Clock& clock_;
  mutable std::mutex mutex_;
};

}  // namespace vestibule::mail
