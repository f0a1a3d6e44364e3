// Sends outbox messages to an SMTP relay with libcurl: plain, STARTTLS (required, not
// opportunistic) or implicit TLS, with optional authentication. Connection problems and 4xx
// answers are temporary; 5xx answers are permanent. Reads the [smtp] settings. Thread-safe (a new
// curl handle per message).
#pragma once

#include "domain/outbox.hpp"
#include "util/clock.hpp"

#include <chrono>
#include <string>

namespace vestibule::mail {

struct SmtpSettings {
  std::string host;
  int port = 587;
  std::string tls = "starttls";  // none | starttls | tls
  std::string username;
  std::string password;
  std::string from;     // "Vestibule <no-reply@example.org>" or a bare address
  std::string ca_file;  // certificates to trust for the relay; empty: the system's
  std::chrono::seconds timeout{30};
};

class SmtpSender final : public domain::MailSender {
 public:
  SmtpSender(SmtpSettings settings, const util::Clock& clock);
  domain::SendOutcome send(const domain::MailMessage& message,
                           const std::function<bool()>& may_finish) override;

 private:
  SmtpSettings settings_;
  const util::Clock& clock_;
};

// The address part of a From value: "Name <a@b>" -> "<a@b>", "a@b" -> "<a@b>".
std::string envelope_address(const std::string& from);

}  // namespace vestibule::mail
