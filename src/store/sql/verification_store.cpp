#include "store/sql/repositories.hpp"

namespace vestibule::store::sql {

using domain::Id;
using util::from_unix;
using util::to_unix;

Result<void> VerificationStore::add_request(const domain::VerificationRequest& r) {
  return db_.write<void>([&](Connection& c) {
    c.prepare(
         "INSERT INTO verification_requests (link_id, address, browser_hash, client_address, "
         "created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
        .with(r.link_id, r.address, r.browser_hash, r.client_address, to_unix(r.created_at))
        .run();
  });
}

Result<int> VerificationStore::count_requests_for(const std::string& address,
                                                  domain::TimePoint since) {
  return db_.read<int>([&](Connection& c) {
    auto& s = c.prepare(
        "SELECT count(*) FROM verification_requests WHERE address = ?1 AND created_at > ?2");
    s.with(address, to_unix(since));
    s.step();
    return static_cast<int>(s.int64(0));
  });
}

Result<int> VerificationStore::count_requests(std::optional<Id> link_id,
                                              const std::string& client_address,
                                              domain::TimePoint since) {
  return db_.read<int>([&](Connection& c) {
    // Two statements rather than `link_id IS ?1`, so each uses the budget index.
    auto& s = link_id ? c.prepare(
                            "SELECT count(*) FROM verification_requests WHERE link_id = ?1 AND "
                            "client_address = ?2 AND created_at > ?3")
                      : c.prepare(
                            "SELECT count(*) FROM verification_requests WHERE link_id IS NULL "
                            "AND client_address = ?2 AND created_at > ?3 "
                            "AND CAST(?1 AS BIGINT) IS NULL");
    s.with(link_id, client_address, to_unix(since));
    s.step();
    return static_cast<int>(s.int64(0));
  });
}

Result<std::vector<domain::VerificationRequest>> VerificationStore::pending_requests(
    std::size_t limit) {
  return db_.read<std::vector<domain::VerificationRequest>>([&](Connection& c) {
    auto& s = c.prepare(
        "SELECT id, link_id, address, browser_hash, client_address, created_at "
        "FROM verification_requests WHERE processed = 0 ORDER BY id LIMIT ?1");
    s.with(static_cast<std::int64_t>(limit));
    std::vector<domain::VerificationRequest> out;
    while (s.step()) {
      out.push_back({s.int64(0), s.optional_int64(1), s.text(2), s.text(3), s.text(4),
                     from_unix(s.int64(5))});
    }
    return out;
  });
}

Result<bool> VerificationStore::mark_processed(Id request_id) {
  return db_.write<bool>([&](Connection& c) {
    c.prepare("UPDATE verification_requests SET processed = 1 WHERE id = ?1 AND processed = 0")
        .with(request_id)
        .run();
    return c.changes() == 1;
  });
}

Result<int> VerificationStore::count_codes(const std::string& address, domain::TimePoint since) {
  return db_.read<int>([&](Connection& c) {
    auto& s =
        c.prepare("SELECT count(*) FROM verification_codes WHERE address = ?1 AND created_at > ?2");
    s.with(address, to_unix(since));
    s.step();
    return static_cast<int>(s.int64(0));
  });
}

Result<int> VerificationStore::count_codes_for_browser(const std::string& address,
                                                       const std::string& browser_hash,
                                                       domain::TimePoint since) {
  return db_.read<int>([&](Connection& c) {
    auto& s = c.prepare(
        "SELECT count(*) FROM verification_codes WHERE address = ?1 AND created_at > ?2 AND "
        "browser_hash = ?3");
    s.with(address, to_unix(since), browser_hash);
    s.step();
    return static_cast<int>(s.int64(0));
  });
}

Result<void> VerificationStore::create_code(const domain::VerificationCode& code) {
  return db_.write<void>([&](Connection& c) {
    c.prepare(
         "INSERT INTO verification_codes (link_id, address, external_id, browser_hash, "
         "code_hmac, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        .with(code.link_id, code.address, code.external_id, code.browser_hash, code.code_hmac,
              to_unix(code.created_at), to_unix(code.expires_at))
        .run();
  });
}

Result<std::optional<domain::VerificationCode>> VerificationStore::live_code(
    std::optional<Id> link_id, const std::string& address, const std::string& browser_hash,
    domain::TimePoint now) {
  return db_.read<std::optional<domain::VerificationCode>>([&](Connection& c) {
    // Two statements rather than `link_id IS ?1`, so each uses the index on (link, address,
    // browser); a sign-in code (no link) is never a link's code, nor the reverse.
    auto& s = link_id
                  ? c.prepare(
                        "SELECT id, link_id, address, external_id, browser_hash, code_hmac, "
                        "created_at, expires_at, tries FROM verification_codes WHERE link_id = ?1 "
                        "AND address = ?2 AND browser_hash = ?3 AND consumed_at IS NULL AND "
                        "expires_at > ?4 ORDER BY id DESC LIMIT 1")
                  : c.prepare(
                        "SELECT id, link_id, address, external_id, browser_hash, code_hmac, "
                        "created_at, expires_at, tries FROM verification_codes WHERE link_id IS "
                        "NULL AND address = ?2 AND browser_hash = ?3 AND consumed_at IS NULL AND "
                        "expires_at > ?4 AND CAST(?1 AS BIGINT) IS NULL ORDER BY id DESC LIMIT 1");
    s.with(link_id, address, browser_hash, to_unix(now));
    if (!s.step()) {
      return std::optional<domain::VerificationCode>{};
    }
    domain::VerificationCode code;
    code.id = s.int64(0);
    code.link_id = s.optional_int64(1);
    code.address = s.text(2);
    code.external_id = s.int64(3);
    code.browser_hash = s.text(4);
    code.code_hmac = s.text(5);
    code.created_at = from_unix(s.int64(6));
    code.expires_at = from_unix(s.int64(7));
    code.tries = static_cast<int>(s.int64(8));
    return std::optional<domain::VerificationCode>{code};
  });
}

Result<void> VerificationStore::record_wrong_try(Id code_id, Id external_id) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("UPDATE verification_codes SET tries = tries + 1 WHERE id = ?1").with(code_id).run();
    c.prepare(
         "UPDATE external_identities SET consecutive_failures = consecutive_failures + 1 "
         "WHERE id = ?1")
        .with(external_id)
        .run();
  });
}

Result<bool> VerificationStore::consume(Id code_id, int max_tries, domain::TimePoint now) {
  return db_.write<bool>([&](Connection& c) {
    c.prepare(
         "UPDATE verification_codes SET consumed_at = ?1 WHERE id = ?2 AND consumed_at IS NULL "
         "AND tries < ?3")
        .with(to_unix(now), code_id, max_tries)
        .run();
    return c.changes() == 1;
  });
}

Result<void> VerificationStore::mark_verified(Id external_id, domain::IdentityState state,
                                              domain::TimePoint now) {
  return db_.write<void>([&](Connection& c) {
    c.prepare(
         "UPDATE external_identities SET consecutive_failures = 0, state = ?1, "
         "verified_at = COALESCE(verified_at, ?2), last_verified_at = ?2, "
         "guest_since = CASE WHEN ?1 <> 'guest' THEN NULL WHEN state = 'guest' THEN guest_since "
         "ELSE ?2 END, expiry_warned_at = NULL WHERE id = ?3")
        .with(to_string(state), to_unix(now), external_id)
        .run();
  });
}

Result<int> VerificationStore::consecutive_failures(Id external_id) {
  return db_.read<int>([&](Connection& c) {
    auto& s = c.prepare("SELECT consecutive_failures FROM external_identities WHERE id = ?1");
    s.with(external_id);
    if (!s.step()) {
      refuse(Errc::kNotFound, "no such external identity");
    }
    return static_cast<int>(s.int64(0));
  });
}

Result<void> VerificationStore::create_session(const domain::ExternalSession& session) {
  return db_.write<void>([&](Connection& c) {
    c.prepare(
         "INSERT INTO external_sessions (token_hash, external_id, created_at, proved_at, "
         "expires_at, remembered, client_address, user_agent, last_seen_at) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?4)")
        .with(session.token_hash, session.external_id, to_unix(session.created_at),
              to_unix(session.proved_at), to_unix(session.expires_at), session.remembered ? 1 : 0,
              session.client_address, session.user_agent)
        .run();
  });
}

Result<domain::ExternalSession> VerificationStore::find_session(const std::string& token_hash) {
  return db_.memoized_read<domain::ExternalSession>(
      "recipient-session:" + token_hash, [&](Connection& c) {
        auto& s = c.prepare(
            "SELECT s.id, s.token_hash, s.external_id, e.address, e.state, s.created_at, "
            "s.proved_at, s.expires_at, s.remembered, s.client_address, s.user_agent, "
            "e.last_verified_at, e.guest_since, s.last_seen_at "
            "FROM external_sessions s JOIN external_identities e ON e.id = s.external_id "
            "WHERE s.token_hash = ?1");
        s.with(token_hash);
        if (!s.step()) {
          refuse(Errc::kUnauthenticated, "no such session");
        }
        domain::ExternalSession out;
        out.id = s.int64(0);
        out.token_hash = s.text(1);
        out.external_id = s.int64(2);
        out.address = s.text(3);
        out.state =
            domain::identity_state_from_string(s.text(4)).value_or(domain::IdentityState::kPending);
        out.created_at = from_unix(s.int64(5));
        out.proved_at = from_unix(s.int64(6));
        out.expires_at = from_unix(s.int64(7));
        out.remembered = s.int64(8) != 0;
        out.client_address = s.text(9);
        out.user_agent = s.text(10);
        if (auto t = s.optional_int64(11)) {
          out.last_verified_at = from_unix(*t);
        }
        if (auto t = s.optional_int64(12)) {
          out.guest_since = from_unix(*t);
        }
        if (!s.is_null(13)) {
          out.last_seen_at = from_unix(s.int64(13));
        }
        return out;
      });
}

Result<void> VerificationStore::touch_session(Id id, domain::TimePoint last_seen) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("UPDATE external_sessions SET last_seen_at = ?1 WHERE id = ?2")
        .with(to_unix(last_seen), id)
        .run();
  });
}

Result<void> VerificationStore::remove_session(const std::string& token_hash) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("DELETE FROM external_sessions WHERE token_hash = ?1").with(token_hash).run();
  });
}

}  // namespace vestibule::store::sql
