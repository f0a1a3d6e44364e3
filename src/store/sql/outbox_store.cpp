#include "store/sql/repositories.hpp"

namespace vestibule::store::sql {

using domain::Id;
using domain::MailMessage;
using util::from_unix;
using util::to_unix;

namespace {

#define VST_MAIL_COLUMNS                                                                     \
  "id, kind, recipient, subject, body_text, body_html, message_id, secret, link_id, state, " \
  "attempts, last_error, created_at, next_attempt_at, expires_at, finished_at"

domain::MailKind kind_from(const std::string& text) {
  if (text == "invitation") {
    return domain::MailKind::kInvitation;
  }
  return text == "code" ? domain::MailKind::kCode : domain::MailKind::kNotification;
}

domain::MailState state_from(const std::string& text) {
  if (text == "sent") {
    return domain::MailState::kSent;
  }
  if (text == "failed") {
    return domain::MailState::kFailed;
  }
  return text == "dropped" ? domain::MailState::kDropped : domain::MailState::kQueued;
}

MailMessage read_mail(const Statement& s) {
  MailMessage m;
  m.id = s.int64(0);
  m.kind = kind_from(s.text(1));
  m.to = s.text(2);
  m.subject = s.text(3);
  m.text = s.text(4);
  m.html = s.text(5);
  m.message_id = s.text(6);
  m.secret = s.int64(7) != 0;
  m.link_id = s.optional_int64(8);
  m.state = state_from(s.text(9));
  m.attempts = static_cast<int>(s.int64(10));
  m.last_error = s.text(11);
  m.created_at = from_unix(s.int64(12));
  m.next_attempt_at = from_unix(s.int64(13));
  if (auto t = s.optional_int64(14)) {
    m.expires_at = from_unix(*t);
  }
  if (auto t = s.optional_int64(15)) {
    m.finished_at = from_unix(*t);
  }
  return m;
}

}  // namespace

Result<MailMessage> OutboxStore::enqueue(const domain::NewMail& mail, const std::string& message_id,
                                         domain::TimePoint now) {
  return db_.write<MailMessage>([&](Connection& c) {
    std::optional<std::int64_t> expires;
    if (mail.expires_at) {
      expires = to_unix(*mail.expires_at);
    }
    c.prepare(
         "INSERT INTO outbox (kind, recipient, subject, body_text, body_html, message_id, secret, "
         "link_id, state, created_at, next_attempt_at, expires_at) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued', ?9, ?9, ?10)")
        .with(to_string(mail.kind), mail.to, mail.subject, mail.text, mail.html, message_id,
              mail.secret ? 1 : 0, mail.link_id, to_unix(now), expires)
        .run();
    auto& s = c.prepare("SELECT " VST_MAIL_COLUMNS " FROM outbox WHERE id = ?1");
    s.with(c.last_insert_id());
    s.step();
    return read_mail(s);
  });
}

Result<std::vector<MailMessage>> OutboxStore::due(domain::TimePoint now, std::size_t limit) {
  return db_.read<std::vector<MailMessage>>([&](Connection& c) {
    auto& s = c.prepare("SELECT " VST_MAIL_COLUMNS
                        " FROM outbox WHERE state = 'queued' AND next_attempt_at <= ?1 "
                        "ORDER BY next_attempt_at, id LIMIT ?2");
    s.with(to_unix(now), static_cast<std::int64_t>(limit));
    std::vector<MailMessage> out;
    while (s.step()) {
      out.push_back(read_mail(s));
    }
    return out;
  });
}

Result<std::optional<domain::ClaimedMail>> OutboxStore::claim(Id id, domain::TimePoint now) {
  VST_TRY(hold, db_.try_hold(Hold::kOutbox, id));
  if (!hold) {
    return std::optional<domain::ClaimedMail>{};
  }
  // Read after the hold was taken: a worker that held it before wrote its outcome first.
  VST_TRY(message, db_.read<std::optional<MailMessage>>([&](Connection& c) {
    auto& s =
        c.prepare("SELECT " VST_MAIL_COLUMNS
                  " FROM outbox WHERE id = ?1 AND state = 'queued' AND next_attempt_at <= ?2");
    s.with(id, to_unix(now));
    if (!s.step()) {
      return std::optional<MailMessage>{};
    }
    return std::optional<MailMessage>{read_mail(s)};
  }));
  if (!message) {
    return std::optional<domain::ClaimedMail>{};
  }
  std::shared_ptr<Hold> shared(std::move(hold));
  return std::optional<domain::ClaimedMail>{
      domain::ClaimedMail{std::move(*message), shared, [shared] { return shared->stands(); }}};
}

Result<void> OutboxStore::mark_sent(Id id, domain::TimePoint now, bool scrub) {
  auto written = db_.write<void>([&](Connection& c) {
    // A secret's body is overwritten in place; with secure_delete the old page content goes too.
    c.prepare(
         "UPDATE outbox SET state = 'sent', attempts = attempts + 1, last_error = '', "
         "finished_at = ?1, body_text = CASE WHEN ?2 <> 0 THEN '' ELSE body_text END, "
         "body_html = CASE WHEN ?2 <> 0 THEN '' ELSE body_html END WHERE id = ?3")
        .with(to_unix(now), scrub ? 1 : 0, id)
        .run();
  });
  if (written && scrub) {
    db_.checkpoint_truncate();
  }
  return written;
}

Result<void> OutboxStore::reschedule(Id id, int attempts, domain::TimePoint next,
                                     const std::string& error) {
  return db_.write<void>([&](Connection& c) {
    c.prepare(
         "UPDATE outbox SET attempts = ?1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?4")
        .with(attempts, to_unix(next), error, id)
        .run();
  });
}

Result<void> OutboxStore::finish(Id id, domain::MailState state, int attempts,
                                 const std::string& error, domain::TimePoint now) {
  auto written = db_.write<void>([&](Connection& c) {
    // A message that will never be sent keeps no secret either.
    c.prepare(
         "UPDATE outbox SET state = ?1, attempts = ?2, last_error = ?3, finished_at = ?4, "
         "body_text = CASE WHEN secret <> 0 THEN '' ELSE body_text END, "
         "body_html = CASE WHEN secret <> 0 THEN '' ELSE body_html END WHERE id = ?5")
        .with(to_string(state), attempts, error, to_unix(now), id)
        .run();
  });
  if (written) {
    db_.checkpoint_truncate();
  }
  return written;
}

Result<std::optional<MailMessage>> OutboxStore::latest(Id link_id, const std::string& to,
                                                       domain::MailKind kind) {
  return db_.read<std::optional<MailMessage>>([&](Connection& c) {
    auto& s = c.prepare("SELECT " VST_MAIL_COLUMNS
                        " FROM outbox WHERE link_id = ?1 AND recipient = ?2 AND kind = ?3 "
                        "ORDER BY id DESC LIMIT 1");
    s.with(link_id, to, to_string(kind));
    if (!s.step()) {
      return std::optional<MailMessage>{};
    }
    return std::optional<MailMessage>{read_mail(s)};
  });
}

Result<std::vector<MailMessage>> OutboxStore::history(Id link_id, const std::string& to,
                                                      domain::MailKind kind) {
  return db_.read<std::vector<MailMessage>>([&](Connection& c) {
    auto& s = c.prepare(
        "SELECT id, kind, recipient, subject, '', '', message_id, secret, link_id, state, "
        "attempts, last_error, created_at, next_attempt_at, expires_at, finished_at "
        "FROM outbox WHERE link_id = ?1 AND recipient = ?2 AND kind = ?3 ORDER BY id");
    s.with(link_id, to, to_string(kind));
    std::vector<MailMessage> out;
    while (s.step()) {
      out.push_back(read_mail(s));
    }
    return out;
  });
}

Result<std::vector<MailMessage>> OutboxStore::recent(std::size_t limit) {
  return db_.read<std::vector<MailMessage>>([&](Connection& c) {
    auto& s = c.prepare("SELECT " VST_MAIL_COLUMNS " FROM outbox ORDER BY id DESC LIMIT ?1");
    s.with(static_cast<std::int64_t>(limit));
    std::vector<MailMessage> out;
    while (s.step()) {
      out.push_back(read_mail(s));
    }
    return out;
  });
}

}  // namespace vestibule::store::sql
