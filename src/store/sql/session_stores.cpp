// API tokens and the listing of both kinds of sessions.
#include "store/sql/repositories.hpp"

#include <algorithm>

namespace vestibule::store::sql {

using domain::Id;
using util::from_unix;
using util::to_unix;

namespace {

domain::ApiToken read_token(const Statement& s) {
  domain::ApiToken t;
  t.id = s.int64(0);
  t.user_id = s.int64(1);
  t.user_email = s.text(2);
  t.name = s.text(3);
  t.scope = domain::token_scope_from_string(s.text(4)).value_or(domain::TokenScope::kRead);
  t.token_hash = s.text(5);
  t.created_at = from_unix(s.int64(6));
  t.expires_at = from_unix(s.int64(7));
  if (const auto used = s.optional_int64(8)) {
    t.last_used_at = from_unix(*used);
  }
  return t;
}

// Columns: id, principal id, principal, display name, method, created, proved, last seen,
// expires, remembered, client address, user agent.
domain::SessionRecord read_record(const Statement& s, domain::SessionKind kind) {
  domain::SessionRecord r;
  r.ref = {kind, s.int64(0)};
  r.principal_id = s.int64(1);
  r.principal = s.text(2);
  r.display_name = s.text(3);
  r.method = s.text(4);
  r.created_at = from_unix(s.int64(5));
  r.proved_at = from_unix(s.int64(6));
  if (const auto seen = s.optional_int64(7)) {
    r.last_seen_at = from_unix(*seen);
  }
  r.expires_at = from_unix(s.int64(8));
  r.remembered = s.int64(9) != 0;
  r.client_address = s.text(10);
  r.user_agent = s.text(11);
  return r;
}

}  // namespace

Result<domain::ApiToken> ApiTokenStore::create(const domain::ApiToken& token) {
  return db_.write<domain::ApiToken>([&](Connection& c) {
    c.prepare(
         "INSERT INTO api_tokens (user_id, name, scope, token_hash, created_at, expires_at) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .with(token.user_id, token.name, to_string(token.scope), token.token_hash,
              to_unix(token.created_at), to_unix(token.expires_at))
        .run();
    domain::ApiToken stored = token;
    stored.id = c.last_insert_id();
    return stored;
  });
}

Result<domain::ApiToken> ApiTokenStore::find_by_token_hash(const std::string& token_hash) {
  return db_.memoized_read<domain::ApiToken>("api-token:" + token_hash, [&](Connection& c) {
    auto& s = c.prepare(
        "SELECT t.id, t.user_id, u.email, t.name, t.scope, t.token_hash, t.created_at, "
        "t.expires_at, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.token_hash = ?1");
    s.with(token_hash);
    if (!s.step()) {
      refuse(Errc::kNotFound, "no such API token");
    }
    return read_token(s);
  });
}

Result<domain::ApiToken> ApiTokenStore::find(Id id) {
  return db_.read<domain::ApiToken>([&](Connection& c) {
    auto& s = c.prepare(
        "SELECT t.id, t.user_id, u.email, t.name, t.scope, t.token_hash, t.created_at, "
        "t.expires_at, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.id = ?1");
    s.with(id);
    if (!s.step()) {
      refuse(Errc::kNotFound, "no API token with id " + std::to_string(id));
    }
    return read_token(s);
  });
}

Result<std::vector<domain::ApiToken>> ApiTokenStore::list(std::optional<Id> user_id) {
  return db_.read<std::vector<domain::ApiToken>>([&](Connection& c) {
    auto& s = c.prepare(
        "SELECT t.id, t.user_id, u.email, t.name, t.scope, t.token_hash, t.created_at, "
        "t.expires_at, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE CAST(?1 AS BIGINT) IS NULL OR t.user_id = ?1 ORDER BY t.created_at DESC, t.id DESC");
    s.with(user_id);
    std::vector<domain::ApiToken> out;
    while (s.step()) {
      out.push_back(read_token(s));
    }
    return out;
  });
}

Result<void> ApiTokenStore::remove(Id id) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("DELETE FROM api_tokens WHERE id = ?1").with(id).run();
    if (c.changes() == 0) {
      refuse(Errc::kNotFound, "no API token with id " + std::to_string(id));
    }
  });
}

Result<void> ApiTokenStore::touch(Id id, domain::TimePoint last_used) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("UPDATE api_tokens SET last_used_at = ?1 WHERE id = ?2")
        .with(to_unix(last_used), id)
        .run();
  });
}

Result<std::vector<domain::SessionRecord>> SessionDirectoryStore::list(
    const domain::SessionQuery& q) {
  return db_.read<std::vector<domain::SessionRecord>>([&](Connection& c) {
    std::vector<domain::SessionRecord> out;
    const auto limit = static_cast<std::int64_t>(q.limit);
    const bool members = !q.external_id && q.kind != domain::SessionKind::kRecipient;
    const bool recipients = !q.user_id && q.kind != domain::SessionKind::kMember;
    if (members) {
      auto& s = c.prepare(
          "SELECT s.id, s.user_id, u.email, u.display_name, s.method, s.created_at, "
          "s.proved_at, s.last_seen_at, s.expires_at, 0, s.client_address, s.user_agent "
          "FROM sessions s JOIN users u ON u.id = s.user_id "
          "WHERE s.expires_at > ?1 AND (CAST(?2 AS BIGINT) IS NULL OR s.user_id = ?2) "
          "AND (CAST(?3 AS TEXT) IS NULL OR instr(lower(u.email), lower(?3)) > 0) "
          "AND (CAST(?4 AS TEXT) IS NULL OR instr(s.client_address, ?4) > 0) "
          "ORDER BY s.created_at DESC, s.id DESC LIMIT ?5");
      s.with(to_unix(q.now), q.user_id, q.principal, q.client, limit);
      while (s.step()) {
        out.push_back(read_record(s, domain::SessionKind::kMember));
      }
    }
    if (recipients) {
      auto& s = c.prepare(
          "SELECT s.id, s.external_id, e.address, e.address, 'email_code', s.created_at, "
          "s.proved_at, s.last_seen_at, s.expires_at, s.remembered, s.client_address, "
          "s.user_agent FROM external_sessions s JOIN external_identities e "
          "ON e.id = s.external_id "
          "WHERE s.expires_at > ?1 AND (CAST(?2 AS BIGINT) IS NULL OR s.external_id = ?2) "
          "AND (CAST(?3 AS TEXT) IS NULL OR instr(lower(e.address), lower(?3)) > 0) "
          "AND (CAST(?4 AS TEXT) IS NULL OR instr(s.client_address, ?4) > 0) "
          "ORDER BY s.created_at DESC, s.id DESC LIMIT ?5");
      s.with(to_unix(q.now), q.external_id, q.principal, q.client, limit);
      while (s.step()) {
        out.push_back(read_record(s, domain::SessionKind::kRecipient));
      }
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.created_at > b.created_at; });
    if (out.size() > q.limit) {
      out.resize(q.limit);
    }
    return out;
  });
}

Result<domain::SessionRecord> SessionDirectoryStore::find(domain::SessionRef ref) {
  return db_.read<domain::SessionRecord>([&](Connection& c) {
    auto& s =
        ref.kind == domain::SessionKind::kMember
            ? c.prepare(
                  "SELECT s.id, s.user_id, u.email, u.display_name, s.method, s.created_at, "
                  "s.proved_at, s.last_seen_at, s.expires_at, 0, s.client_address, s.user_agent "
                  "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?1")
            : c.prepare(
                  "SELECT s.id, s.external_id, e.address, e.address, 'email_code', s.created_at, "
                  "s.proved_at, s.last_seen_at, s.expires_at, s.remembered, s.client_address, "
                  "s.user_agent FROM external_sessions s JOIN external_identities e "
                  "ON e.id = s.external_id WHERE s.id = ?1");
    s.with(ref.id);
    if (!s.step()) {
      refuse(Errc::kNotFound, "no such session");
    }
    return read_record(s, ref.kind);
  });
}

Result<void> SessionDirectoryStore::remove(domain::SessionRef ref) {
  return db_.write<void>([&](Connection& c) {
    if (ref.kind == domain::SessionKind::kMember) {
      c.prepare("DELETE FROM sessions WHERE id = ?1").with(ref.id).run();
    } else {
      c.prepare("DELETE FROM external_sessions WHERE id = ?1").with(ref.id).run();
    }
    if (c.changes() == 0) {
      refuse(Errc::kNotFound, "no such session");
    }
  });
}

}  // namespace vestibule::store::sql
