// Builds the RFC 5322 form of an outbox message: multipart/alternative with a plain-text and an
// HTML part (UTF-8, base64), non-ASCII subjects as RFC 2047 encoded words, a stable Message-ID.
// Header values are stripped of CR and LF so that no input can add a header.
#pragma once

#include "domain/outbox.hpp"
#include "util/clock.hpp"

#include <string>

namespace vestibule::mail {

std::string build_message(const domain::MailMessage& message, const std::string& from,
                          util::TimePoint date);

}  // namespace vestibule::mail
