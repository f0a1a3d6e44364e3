#include "domain/outbox.hpp"

#include "util/crypto.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace vestibule::domain {

std::string_view to_string(MailKind kind) {
  switch (kind) {
    case MailKind::kInvitation:
      return "invitation";
    case MailKind::kCode:
      return "code";
    case MailKind::kNotification:
      return "notification";
  }
  return "notification";
}

std::string_view to_string(MailState state) {
  switch (state) {
    case MailState::kQueued:
      return "queued";
    case MailState::kSent:
      return "sent";
    case MailState::kFailed:
      return "failed";
    case MailState::kDropped:
      return "dropped";
  }
  return "queued";
}

Result<MailMessage> Outbox::enqueue(const NewMail& mail) {
  const std::string message_id =
      "<" + util::random_token(18) + "@" + options_.message_id_domain + ">";
  VST_TRY(message, repository_.enqueue(mail, message_id, clock_.now()));
  if (wake_) {
    wake_();
  }
  return message;
}

std::size_t Outbox::deliver_due() {
  const TimePoint now = clock_.now();
  auto due = repository_.due(now, 50);
  if (!due) {
    spdlog::error("outbox: cannot read queued mail: {}", due.error().message);
    return 0;
  }
  std::size_t handled = 0;
  for (const auto& candidate : due.value()) {
    auto claimed = repository_.claim(candidate.id, clock_.now());
    if (!claimed) {
      spdlog::error("outbox: cannot claim mail {}: {}", candidate.id, claimed.error().message);
      continue;
    }
    if (!claimed.value()) {
      continue;  // another worker has it, or has just delivered it
    }
    // Held until this iteration's outcome is written; read after the claim, so current.
    const ClaimedMail claim = std::move(*claimed.value());
    const MailMessage& message = claim.message;
    Result<void> written = outcome::success();
    if (message.expires_at && *message.expires_at <= clock_.now()) {
      written = repository_.finish(message.id, MailState::kDropped, message.attempts,
                                   "dropped: what it carried expired before it could be sent",
                                   clock_.now());
      spdlog::info("outbox: dropped {} mail {} (expired before delivery)", to_string(message.kind),
                   message.id);
    } else {
      const SendOutcome outcome = sender_.send(message, claim.stands);
      const int attempts = message.attempts + 1;
      switch (outcome.kind) {
        case SendOutcome::Kind::kClaimLost:
          // Another worker may be sending it now: its outcome is that worker's to write.
          spdlog::warn(
              "outbox: mail {} not sent: this node's claim on it ended (its database "
              "connection was lost); another node sends it",
              message.id);
          continue;
        case SendOutcome::Kind::kSent:
          written = repository_.mark_sent(message.id, clock_.now(), message.secret);
          spdlog::info("outbox: sent {} mail {}", to_string(message.kind), message.id);
          break;
        case SendOutcome::Kind::kPermanent:
          written = repository_.finish(message.id, MailState::kFailed, attempts, outcome.detail,
                                       clock_.now());
          spdlog::warn("outbox: {} mail {} failed for good: {}", to_string(message.kind),
                       message.id, outcome.detail);
          break;
        case SendOutcome::Kind::kTemporary: {
          if (attempts >= options_.max_attempts) {
            written = repository_.finish(
                message.id, MailState::kFailed, attempts,
                "gave up after " + std::to_string(attempts) + " attempts: " + outcome.detail,
                clock_.now());
            break;
          }
          auto delay = options_.first_retry;
          for (int i = 1; i < attempts && delay < options_.max_retry; ++i) {
            delay *= 2;
          }
          delay = std::min(delay, options_.max_retry);
          written =
              repository_.reschedule(message.id, attempts, clock_.now() + delay, outcome.detail);
          spdlog::info("outbox: {} mail {} will be retried in {}s: {}", to_string(message.kind),
                       message.id, delay.count(), outcome.detail);
          break;
        }
      }
    }
    if (!written) {
      spdlog::error("outbox: cannot record the state of mail {}: {}", message.id,
                    written.error().message);
      continue;
    }
    ++handled;
  }
  return handled;
}

}  // namespace vestibule::domain
