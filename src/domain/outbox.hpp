// The outbox (SPEC §2): every email is first written durably, then delivered by a worker through
// a MailSender with retries and exponential back-off. Temporary failures (the relay unreachable,
// 4xx answers) are retried; permanent ones (5xx) end in `failed` with the relay's answer. A code
// email whose code has expired is dropped, never sent late; a message carrying a secret has its
// body scrubbed once sent. Thread-safe; every node runs a worker, and a worker delivers a
// message only under its claim, so each is sent once however many workers run.
#pragma once

#include "domain/model.hpp"
#include "util/clock.hpp"
#include "util/result.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vestibule::domain {

enum class MailKind { kInvitation, kCode, kNotification };
std::string_view to_string(MailKind kind);

enum class MailState { kQueued, kSent, kFailed, kDropped };
std::string_view to_string(MailState state);

struct NewMail {
  MailKind kind = MailKind::kNotification;
  std::string to;  // one normalized address
  std::string subject;
  std::string text;     // plain-text body
  std::string html;     // HTML body
  bool secret = false;  // carries a code or a token: scrubbed once sent
  std::optional<Id> link_id;
  std::optional<TimePoint> expires_at;  // useless after: dropped instead of sent
};

struct MailMessage {
  Id id = 0;
  MailKind kind = MailKind::kNotification;
  std::string to;
  std::string subject;
  std::string text;
  std::string html;
  std::string message_id;  // stable across retries: "<random@host>"
  bool secret = false;
  std::optional<Id> link_id;
  MailState state = MailState::kQueued;
  int attempts = 0;
  std::string last_error;  // the relay's answer or the connection error
  TimePoint created_at;
  TimePoint next_attempt_at;
  std::optional<TimePoint> expires_at;
  std::optional<TimePoint> finished_at;  // sent, failed or dropped
};

// A message a worker alone may deliver, read after that right was taken.
struct ClaimedMail {
  MailMessage message;
  std::shared_ptr<void> hold;  // the right, given up when the last copy is dropped
  // Whether the right still stands (it ends with the worker's connection to the database): a
  // round trip, asked just before a message is committed to the relay. Unset: it always does.
  std::function<bool()> stands;
};

class OutboxRepository {
 public:
  virtual ~OutboxRepository() = default;
  virtual Result<MailMessage> enqueue(const NewMail& mail, const std::string& message_id,
                                      TimePoint now) = 0;
  // Queued messages whose next attempt is due, oldest first.
  virtual Result<std::vector<MailMessage>> due(TimePoint now, std::size_t limit) = 0;
  // The sole right to deliver message `id`, among the workers of every process and node on the
  // database, until the claim is dropped; a worker's death (its process, or its connection to
  // the database) ends it at once, so another retries the message without waiting. nullopt when
  // another worker holds it, or when the message is no longer queued and due at `now` (another
  // worker delivered it meanwhile).
  virtual Result<std::optional<ClaimedMail>> claim(Id id, TimePoint now) = 0;
  virtual Result<void> mark_sent(Id id, TimePoint now, bool scrub) = 0;
  virtual Result<void> reschedule(Id id, int attempts, TimePoint next,
                                  const std::string& error) = 0;
  virtual Result<void> finish(Id id, MailState state, int attempts, const std::string& error,
                              TimePoint now) = 0;
  // The newest message of a kind to an address about a link, if any.
  virtual Result<std::optional<MailMessage>> latest(Id link_id, const std::string& to,
                                                    MailKind kind) = 0;
  // Newest first.
  virtual Result<std::vector<MailMessage>> recent(std::size_t limit) = 0;
  // Every message of a kind to an address about a link, oldest first, without bodies.
  virtual Result<std::vector<MailMessage>> history(Id link_id, const std::string& to,
                                                   MailKind kind) = 0;
};

// What one delivery attempt came to.
struct SendOutcome {
  // kClaimLost: the worker's claim ended before the message's end was sent, so nothing was
  // delivered and the message belongs to whichever worker claims it next: write nothing.
  enum class Kind { kSent, kTemporary, kPermanent, kClaimLost };
  Kind kind = Kind::kSent;
  std::string detail;  // the relay's answer or the error, for the sharer and the admin
};

class MailSender {
 public:
  virtual ~MailSender() = default;
  // Delivers `message`. `may_finish`, when set, is asked once everything but the message's end
  // has gone to the relay: false means stop without delivering (kClaimLost).
  virtual SendOutcome send(const MailMessage& message, const std::function<bool()>& may_finish) = 0;
};

struct OutboxOptions {
  std::chrono::seconds first_retry{30};
  std::chrono::seconds max_retry{3600};
  int max_attempts = 30;  // then `failed`
  std::string message_id_domain = "vestibule.localhost";
};

class Outbox {
 public:
  Outbox(OutboxRepository& repository, MailSender& sender, const util::Clock& clock,
         OutboxOptions options)
      : repository_(repository), sender_(sender), clock_(clock), options_(std::move(options)) {}

  Result<MailMessage> enqueue(const NewMail& mail);
  // Delivers what is due now; returns how many messages reached a final or rescheduled state.
  std::size_t deliver_due();
  // Called after every enqueue, so a worker can wake at once.
  void on_enqueue(std::function<void()> wake) { wake_ = std::move(wake); }

  OutboxRepository& repository() { return repository_; }

 private:
  OutboxRepository& repository_;
  MailSender& sender_;
  const util::Clock& clock_;
  OutboxOptions options_;
  std::function<void()> wake_;
};

}  // namespace vestibule::domain
