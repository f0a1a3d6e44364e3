#include "store/sql/repositories.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <unordered_map>

namespace vestibule::store::sql {

using domain::Grant;
using domain::Id;
using domain::Link;
using util::from_unix;
using util::to_unix;

namespace {

std::optional<domain::TimePoint> optional_time(const Statement& s, int col) {
  if (auto t = s.optional_int64(col)) {
    return from_unix(*t);
  }
  return std::nullopt;
}

std::optional<std::int64_t> optional_unix(const std::optional<domain::TimePoint>& t) {
  return t ? std::optional<std::int64_t>(to_unix(*t)) : std::nullopt;
}

// The ids of a list as a JSON array, bound to `json_each(?)`: one prepared statement serves
// lists of any length.
// A JSON array of ids, "[1,7,42]", for json_each() and for memo keys; written by hand because
// it is made on every authorization.
std::string id_list(const std::vector<Id>& ids) {
  std::string out;
  out.reserve(2 + ids.size() * 8);
  out += '[';
  std::array<char, 24> digits{};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i != 0) {
      out += ',';
    }
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), ids[i]).ptr;
    out.append(digits.data(), end);
  }
  out += ']';
  return out;
}

#define VST_LINK_COLUMNS                                                                    \
  "l.id, l.item_id, l.kind, l.role, l.token_hash, l.password_hash, l.expires_at, "          \
  "l.block_download, l.message, l.created_by, u.display_name, l.created_at, l.revoked_at, " \
  "l.first_used_at, l.last_used_at"
#define VST_LINK_FROM " FROM links l JOIN users u ON u.id = l.created_by "

// Reads the 15 link columns starting at `first`.
Link read_link(const Statement& s, int first = 0) {
  Link l;
  l.id = s.int64(first);
  l.item_id = s.int64(first + 1);
  l.kind = domain::link_kind_from_string(s.text(first + 2)).value_or(domain::LinkKind::kSpecific);
  l.role = domain::role_from_string(s.text(first + 3)).value_or(domain::Role::kView);
  l.token_hash = s.text(first + 4);
  l.password_hash = s.text(first + 5);
  l.expires_at = optional_time(s, first + 6);
  l.block_download = s.int64(first + 7) != 0;
  l.message = s.text(first + 8);
  l.created_by = s.int64(first + 9);
  l.created_by_name = s.text(first + 10);
  l.created_at = from_unix(s.int64(first + 11));
  l.revoked_at = optional_time(s, first + 12);
  l.first_used_at = optional_time(s, first + 13);
  l.last_used_at = optional_time(s, first + 14);
  return l;
}

#define VST_GRANT_COLUMNS                                                                      \
  "g.id, g.item_id, g.user_id, g.external_id, g.role, g.link_id, g.expires_at, g.created_by, " \
  "g.created_at, g.first_used_at, g.last_used_at, COALESCE(gu.email, e.address), "             \
  "COALESCE(gu.display_name, e.address), e.state, e.last_verified_at"
#define VST_GRANT_FROM                                      \
  " FROM grants g LEFT JOIN users gu ON gu.id = g.user_id " \
  "LEFT JOIN external_identities e ON e.id = g.external_id "

// The number of grant columns; columns read after them (a link's) start here.
constexpr int kGrantColumns = 15;

Grant read_grant(const Statement& s) {
  Grant g;
  g.id = s.int64(0);
  g.item_id = s.int64(1);
  if (auto user = s.optional_int64(2)) {
    g.grantee = domain::Grantee::kUser;
    g.principal_id = *user;
  } else {
    g.grantee = domain::Grantee::kExternal;
    g.principal_id = s.optional_int64(3).value_or(0);
  }
  g.role = domain::role_from_string(s.text(4)).value_or(domain::Role::kView);
  g.link_id = s.optional_int64(5);
  g.expires_at = optional_time(s, 6);
  g.created_by = s.int64(7);
  g.created_at = from_unix(s.int64(8));
  g.first_used_at = optional_time(s, 9);
  g.last_used_at = optional_time(s, 10);
  g.address = s.text(11);
  g.display_name = s.text(12);
  if (!s.is_null(13)) {
    g.identity_state = domain::identity_state_from_string(s.text(13));
  }
  g.verified_at = optional_time(s, 14);
  return g;
}

// Rows of a grant's columns followed by its link's (NULL when the grant is direct), each step of
// `s` one grant.
std::vector<domain::ApplicableGrant> read_applicable_grants(Statement& s) {
  std::vector<domain::ApplicableGrant> out;
  while (s.step()) {
    domain::ApplicableGrant a{read_grant(s), std::nullopt};
    if (!s.is_null(kGrantColumns)) {
      a.link = read_link(s, kGrantColumns);
    }
    out.push_back(std::move(a));
  }
  return out;
}

#define VST_IDENTITY_COLUMNS \
  "id, address, state, created_at, verified_at, last_verified_at, guest_since"

domain::ExternalIdentity read_identity(const Statement& s, int first = 0) {
  domain::ExternalIdentity e;
  e.id = s.int64(first);
  e.address = s.text(first + 1);
  e.state = domain::identity_state_from_string(s.text(first + 2))
                .value_or(domain::IdentityState::kPending);
  e.created_at = from_unix(s.int64(first + 3));
  e.verified_at = optional_time(s, first + 4);
  e.last_verified_at = optional_time(s, first + 5);
  e.guest_since = optional_time(s, first + 6);
  return e;
}

domain::ExternalIdentity identity_by_id(Connection& c, Id id) {
  auto& s = c.prepare("SELECT " VST_IDENTITY_COLUMNS " FROM external_identities WHERE id = ?1");
  s.with(id);
  if (!s.step()) {
    refuse(Errc::kNotFound, "no such external identity");
  }
  return read_identity(s);
}

Link link_by_id(Connection& c, Id id) {
  auto& s = c.prepare("SELECT " VST_LINK_COLUMNS VST_LINK_FROM "WHERE l.id = ?1");
  s.with(id);
  if (!s.step()) {
    refuse(Errc::kNotFound, "no such link");
  }
  return read_link(s);
}

std::vector<Grant> recipients_of(Connection& c, Id link_id) {
  auto& s =
      c.prepare("SELECT " VST_GRANT_COLUMNS VST_GRANT_FROM "WHERE g.link_id = ?1 ORDER BY g.id");
  s.with(link_id);
  std::vector<Grant> out;
  while (s.step()) {
    out.push_back(read_grant(s));
  }
  return out;
}

Grant grant_by_id(Connection& c, Id id) {
  auto& s = c.prepare("SELECT " VST_GRANT_COLUMNS VST_GRANT_FROM "WHERE g.id = ?1");
  s.with(id);
  if (!s.step()) {
    refuse(Errc::kNotFound, "no such grant");
  }
  return read_grant(s);
}

// The directory record of an external address, created `pending` when there is none.
Id identity_for(Connection& c, const std::string& address, domain::TimePoint now) {
  auto& alias = c.prepare("SELECT external_id FROM identity_aliases WHERE address = ?1");
  alias.with(address);
  if (alias.step() && !alias.is_null(0)) {
    const Id id = alias.int64(0);
    alias.reset();
    return id;
  }
  alias.reset();
  c.prepare(
       "INSERT INTO external_identities (address, state, created_at) VALUES (?1, 'pending', ?2) "
       "ON CONFLICT (address) DO NOTHING")
      .with(address, to_unix(now))
      .run();
  auto& s = c.prepare("SELECT id FROM external_identities WHERE address = ?1");
  s.with(address);
  if (!s.step()) {
    refuse(Errc::kInternal, "the directory record of " + address + " vanished");
  }
  return s.int64(0);
}

}  // namespace

Result<domain::LinkWithRecipients> SharingStore::create_link(
    const domain::NewLink& link, const std::vector<domain::NewRecipient>& recipients) {
  return db_.write<domain::LinkWithRecipients>([&](Connection& c) {
    c.prepare(
         "INSERT INTO links (item_id, kind, role, token_hash, password_hash, expires_at, "
         "block_download, message, created_by, created_at) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
        .with(link.item_id, to_string(link.kind), to_string(link.role), link.token_hash,
              link.password_hash, optional_unix(link.expires_at), link.block_download ? 1 : 0,
              link.message, link.created_by, to_unix(link.created_at))
        .run();
    const Id link_id = c.last_insert_id();
    for (const auto& r : recipients) {
      std::optional<Id> user = r.user_id;
      std::optional<Id> external;
      if (!user) {
        external = identity_for(c, r.address, link.created_at);
      }
      c.prepare(
           "INSERT INTO grants (item_id, user_id, external_id, role, link_id, expires_at, "
           "created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
          .with(link.item_id, user, external, to_string(link.role), link_id,
                optional_unix(r.expires_at), link.created_by, to_unix(link.created_at))
          .run();
    }
    return domain::LinkWithRecipients{link_by_id(c, link_id), recipients_of(c, link_id)};
  });
}

Result<Link> SharingStore::find_link(Id id) {
  return db_.read<Link>([&](Connection& c) { return link_by_id(c, id); });
}

Result<Link> SharingStore::find_link_by_token_hash(const std::string& token_hash) {
  return db_.memoized_read<Link>("link-token:" + token_hash, [&](Connection& c) {
    auto& s = c.prepare("SELECT " VST_LINK_COLUMNS VST_LINK_FROM "WHERE l.token_hash = ?1");
    s.with(token_hash);
    if (!s.step()) {
      refuse(Errc::kNotFound, "no such link");
    }
    return read_link(s);
  });
}

Result<Link> SharingStore::update_link(const Link& link) {
  return db_.write<Link>([&](Connection& c) {
    const Link before = link_by_id(c, link.id);
    c.prepare(
         "UPDATE links SET role = ?1, expires_at = ?2, block_download = ?3, password_hash = ?4 "
         "WHERE id = ?5")
        .with(to_string(link.role), optional_unix(link.expires_at), link.block_download ? 1 : 0,
              link.password_hash, link.id)
        .run();
    c.prepare("UPDATE grants SET role = ?1 WHERE link_id = ?2")
        .with(to_string(link.role), link.id)
        .run();
    if (before.password_hash != link.password_hash) {
      c.prepare("DELETE FROM link_sessions WHERE link_id = ?1").with(link.id).run();
    }
    return link_by_id(c, link.id);
  });
}

Result<void> SharingStore::revoke_link(Id id, domain::TimePoint now) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("UPDATE links SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL")
        .with(to_unix(now), id)
        .run();
    c.prepare("DELETE FROM link_sessions WHERE link_id = ?1").with(id).run();
  });
}

Result<void> SharingStore::remove_recipient(Id link_id, const std::string& address,
                                            domain::TimePoint now) {
  return db_.write<void>([&](Connection& c) {
    c.prepare(
         "DELETE FROM grants WHERE link_id = ?1 AND ("
         "user_id IN (SELECT id FROM users WHERE email = ?2) OR "
         "external_id IN (SELECT id FROM external_identities WHERE address = ?2))")
        .with(link_id, address)
        .run();
    if (c.changes() == 0) {
      refuse(Errc::kNotFound, address + " is not a recipient of this link");
    }
    c.prepare(
         "INSERT INTO removed_recipients (link_id, address, removed_at) VALUES (?1, ?2, ?3) "
         "ON CONFLICT (link_id, address) DO UPDATE SET removed_at = excluded.removed_at")
        .with(link_id, address, to_unix(now))
        .run();
  });
}

Result<std::optional<domain::TimePoint>> SharingStore::removed_at(Id link_id,
                                                                  const std::string& address) {
  return db_.read<std::optional<domain::TimePoint>>([&](Connection& c) {
    auto& s =
        c.prepare("SELECT removed_at FROM removed_recipients WHERE link_id = ?1 AND address = ?2");
    s.with(link_id, address);
    return s.step() ? std::optional<domain::TimePoint>(from_unix(s.int64(0))) : std::nullopt;
  });
}

Result<std::vector<Link>> SharingStore::links_on(const std::vector<Id>& item_ids) {
  return db_.read<std::vector<Link>>([&](Connection& c) {
    auto& s = c.prepare("SELECT " VST_LINK_COLUMNS VST_LINK_FROM
                        "WHERE l.item_id IN (SELECT value FROM json_each(?1)) "
                        "ORDER BY l.created_at DESC, l.id DESC");
    s.with(id_list(item_ids));
    std::vector<Link> out;
    while (s.step()) {
      out.push_back(read_link(s));
    }
    return out;
  });
}

Result<std::vector<Grant>> SharingStore::recipients(Id link_id) {
  return db_.read<std::vector<Grant>>([&](Connection& c) { return recipients_of(c, link_id); });
}

Result<std::vector<Link>> SharingStore::links_created_by(Id user_id) {
  return db_.read<std::vector<Link>>([&](Connection& c) {
    auto& s = c.prepare("SELECT " VST_LINK_COLUMNS VST_LINK_FROM
                        "WHERE l.created_by = ?1 AND l.revoked_at IS NULL "
                        "ORDER BY l.created_at DESC, l.id DESC");
    s.with(user_id);
    std::vector<Link> out;
    while (s.step()) {
      out.push_back(read_link(s));
    }
    return out;
  });
}

Result<std::vector<Grant>> SharingStore::grants_on(const std::vector<Id>& item_ids) {
  return db_.read<std::vector<Grant>>([&](Connection& c) {
    auto& s = c.prepare("SELECT " VST_GRANT_COLUMNS VST_GRANT_FROM
                        "WHERE g.link_id IS NULL AND "
                        "g.item_id IN (SELECT value FROM json_each(?1)) ORDER BY g.id");
    s.with(id_list(item_ids));
    std::vector<Grant> out;
    while (s.step()) {
      out.push_back(read_grant(s));
    }
    return out;
  });
}

Result<domain::ShareMarks> SharingStore::share_marks(const std::vector<Id>& item_ids,
                                                     domain::TimePoint now) {
  return db_.read<domain::ShareMarks>([&](Connection& c) {
    auto& s = c.prepare(kShareMarksQuery);
    s.with(id_list(item_ids), to_unix(now));
    domain::ShareMarks out;
    while (s.step()) {
      if (s.int64(0) == 0) {
        out.granted.push_back(s.int64(1));
        continue;
      }
      Link l;
      l.item_id = s.int64(1);
      l.id = s.int64(2);
      l.kind = domain::link_kind_from_string(s.text(3)).value_or(domain::LinkKind::kSpecific);
      l.expires_at = optional_time(s, 4);
      l.created_at = from_unix(s.int64(5));
      l.password_hash = s.text(6);
      out.links.push_back(std::move(l));
    }
    return out;
  });
}

Result<std::vector<domain::ApplicableGrant>> SharingStore::applicable_grants(
    domain::Grantee grantee, Id principal_id, const std::vector<Id>& item_ids) {
  const std::string ids = id_list(item_ids);
  std::string key = std::string(grantee == domain::Grantee::kUser ? "grants:u" : "grants:e") +
                    std::to_string(principal_id) + ":" + ids;
  return db_.memoized_read<std::vector<domain::ApplicableGrant>>(
      std::move(key), [&](Connection& c) {
        // Two statements rather than one with an OR, so that each uses its (principal, item) index.
        auto& s = grantee == domain::Grantee::kUser
                      ? c.prepare("SELECT " VST_GRANT_COLUMNS ", " VST_LINK_COLUMNS VST_GRANT_FROM
                                  "LEFT JOIN links l ON l.id = g.link_id "
                                  "LEFT JOIN users u ON u.id = l.created_by "
                                  "WHERE g.user_id = ?1 AND "
                                  "g.item_id IN (SELECT value FROM json_each(?2))")
                      : c.prepare("SELECT " VST_GRANT_COLUMNS ", " VST_LINK_COLUMNS VST_GRANT_FROM
                                  "LEFT JOIN links l ON l.id = g.link_id "
                                  "LEFT JOIN users u ON u.id = l.created_by "
                                  "WHERE g.external_id = ?1 AND "
                                  "g.item_id IN (SELECT value FROM json_each(?2))");
        s.with(principal_id, ids);
        return read_applicable_grants(s);
      });
}

Result<std::vector<domain::ApplicableGrant>> SharingStore::grants_of(domain::Grantee grantee,
                                                                     Id principal_id) {
  return db_.read<std::vector<domain::ApplicableGrant>>([&](Connection& c) {
    auto& s = grantee == domain::Grantee::kUser
                  ? c.prepare("SELECT " VST_GRANT_COLUMNS ", " VST_LINK_COLUMNS VST_GRANT_FROM
                              "LEFT JOIN links l ON l.id = g.link_id "
                              "LEFT JOIN users u ON u.id = l.created_by "
                              "WHERE g.user_id = ?1 ORDER BY g.created_at DESC, g.id DESC")
                  : c.prepare("SELECT " VST_GRANT_COLUMNS ", " VST_LINK_COLUMNS VST_GRANT_FROM
                              "LEFT JOIN links l ON l.id = g.link_id "
                              "LEFT JOIN users u ON u.id = l.created_by "
                              "WHERE g.external_id = ?1 ORDER BY g.created_at DESC, g.id DESC");
    s.with(principal_id);
    return read_applicable_grants(s);
  });
}

Result<Grant> SharingStore::put_grant(Id item_id, Id user_id, domain::Role role, Id by,
                                      domain::TimePoint now) {
  return db_.write<Grant>([&](Connection& c) {
    c.prepare(
         "INSERT INTO grants (item_id, user_id, role, created_by, created_at) "
         "VALUES (?1, ?2, ?3, ?4, ?5) "
         "ON CONFLICT (item_id, user_id) WHERE link_id IS NULL DO UPDATE SET role = excluded.role")
        .with(item_id, user_id, to_string(role), by, to_unix(now))
        .run();
    auto& s =
        c.prepare("SELECT id FROM grants WHERE item_id = ?1 AND user_id = ?2 AND link_id IS NULL");
    s.with(item_id, user_id);
    if (!s.step()) {
      refuse(Errc::kInternal, "the grant just written is missing");
    }
    const Id id = s.int64(0);
    s.reset();
    return grant_by_id(c, id);
  });
}

Result<Grant> SharingStore::find_grant(Id id) {
  return db_.read<Grant>([&](Connection& c) { return grant_by_id(c, id); });
}

Result<void> SharingStore::remove_grant(Id id) {
  return db_.write<void>(
      [&](Connection& c) { c.prepare("DELETE FROM grants WHERE id = ?1").with(id).run(); });
}

Result<void> SharingStore::record_link_use(Id link_id, domain::TimePoint now) {
  return db_.write<void>([&](Connection& c) {
    c.prepare(
         "UPDATE links SET first_used_at = COALESCE(first_used_at, ?1), last_used_at = ?1 "
         "WHERE id = ?2")
        .with(to_unix(now), link_id)
        .run();
  });
}

Result<void> SharingStore::record_grant_use(Id grant_id, domain::TimePoint now) {
  return db_.write<void>([&](Connection& c) {
    c.prepare(
         "UPDATE grants SET first_used_at = COALESCE(first_used_at, ?1), last_used_at = ?1 "
         "WHERE id = ?2")
        .with(to_unix(now), grant_id)
        .run();
  });
}

Result<void> SharingStore::create_link_session(const std::string& token_hash, Id link_id,
                                               domain::TimePoint now,
                                               domain::TimePoint expires_at) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("DELETE FROM link_sessions WHERE expires_at <= ?1").with(to_unix(now)).run();
    c.prepare(
         "INSERT INTO link_sessions (token_hash, link_id, created_at, expires_at) "
         "VALUES (?1, ?2, ?3, ?4)")
        .with(token_hash, link_id, to_unix(now), to_unix(expires_at))
        .run();
  });
}

Result<Id> SharingStore::find_link_session(const std::string& token_hash, domain::TimePoint now) {
  return db_.read<Id>([&](Connection& c) {
    auto& s =
        c.prepare("SELECT link_id FROM link_sessions WHERE token_hash = ?1 AND expires_at > ?2");
    s.with(token_hash, to_unix(now));
    if (!s.step()) {
      refuse(Errc::kNotFound, "no such link password proof");
    }
    return s.int64(0);
  });
}

Result<domain::ExternalIdentity> SharingStore::find_identity(Id id) {
  return db_.read<domain::ExternalIdentity>([&](Connection& c) { return identity_by_id(c, id); });
}

Result<domain::ExternalIdentity> SharingStore::find_identity_by_address(
    const std::string& address) {
  return db_.read<domain::ExternalIdentity>([&](Connection& c) {
    auto& s = c.prepare("SELECT " VST_IDENTITY_COLUMNS
                        " FROM external_identities WHERE address = ?1 OR id = "
                        "(SELECT external_id FROM identity_aliases WHERE address = ?1)");
    s.with(address);
    if (!s.step()) {
      refuse(Errc::kNotFound, "no such external identity");
    }
    return read_identity(s);
  });
}

Result<std::optional<domain::TimePoint>> SharingStore::identity_last_seen(Id id) {
  return db_.read<std::optional<domain::TimePoint>>([&](Connection& c) {
    auto& s = c.prepare(
        "SELECT (SELECT max(seen) FROM (SELECT COALESCE(e.verified_at, 0) AS seen "
        "UNION ALL SELECT max(proved_at) FROM external_sessions WHERE external_id = e.id "
        "UNION ALL SELECT max(last_used_at) FROM grants WHERE external_id = e.id) AS times) "
        "FROM external_identities e WHERE e.id = ?1");
    s.with(id);
    if (!s.step()) {
      refuse(Errc::kNotFound, "no such external identity");
    }
    const std::int64_t seen = s.int64(0);
    return seen > 0 ? std::optional<domain::TimePoint>(from_unix(seen)) : std::nullopt;
  });
}

Result<domain::ExternalIdentity> SharingStore::set_identity_state(Id id,
                                                                  domain::IdentityState state,
                                                                  domain::TimePoint now) {
  return db_.write<domain::ExternalIdentity>([&](Connection& c) {
    // Lifting a block never brings back the sessions the address had, and a guest made a plain
    // recipient keeps no session opened as a guest: they end here, so the address proves itself
    // again with a new code. (While blocked they are kept, so its pages can say it is blocked.)
    c.prepare(
         "DELETE FROM external_sessions WHERE external_id = ?1 AND CASE (SELECT state FROM "
         "external_identities WHERE id = ?1) WHEN 'blocked' THEN ?2 <> 'blocked' WHEN 'guest' "
         "THEN ?2 NOT IN ('guest', 'blocked') ELSE FALSE END")
        .with(id, to_string(state))
        .run();
    c.prepare(
         "UPDATE external_identities SET state = ?1, verified_at = CASE WHEN ?1 = 'verified' "
         "THEN COALESCE(verified_at, ?2) ELSE verified_at END, "
         "guest_since = CASE WHEN ?1 <> 'guest' THEN NULL WHEN state = 'guest' THEN guest_since "
         "ELSE ?2 END, "
         "expiry_warned_at = CASE WHEN ?1 = 'guest' AND state = 'guest' THEN expiry_warned_at "
         "ELSE NULL END WHERE id = ?3")
        .with(to_string(state), to_unix(now), id)
        .run();
    return identity_by_id(c, id);
  });
}

Result<std::string> PolicyStore::load_org() {
  return db_.read<std::string>([&](Connection& c) {
    auto& s = c.prepare("SELECT value FROM settings WHERE key = 'policy'");
    return s.step() ? s.text(0) : std::string();
  });
}

Result<void> PolicyStore::save_org(const std::string& text) {
  return db_.write<void>([&](Connection& c) {
    c.prepare(
         "INSERT INTO settings (key, value) VALUES ('policy', ?1) "
         "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .with(text)
        .run();
  });
}

Result<std::string> PolicyStore::load_space(Id space_id) {
  return db_.read<std::string>([&](Connection& c) {
    auto& s = c.prepare("SELECT policy FROM spaces WHERE id = ?1");
    s.with(space_id);
    if (!s.step()) {
      refuse(Errc::kNotFound, "no such space");
    }
    return s.text(0);
  });
}

Result<std::pair<std::string, std::string>> PolicyStore::load_for_space(Id space_id) {
  return db_.memoized_read<std::pair<std::string, std::string>>(
      "policy:" + std::to_string(space_id), [&](Connection& c) {
        auto& s = c.prepare(
            "SELECT (SELECT value FROM settings WHERE key = 'policy'), policy FROM spaces "
            "WHERE id = ?1");
        s.with(space_id);
        if (!s.step()) {
          refuse(Errc::kNotFound, "no such space");
        }
        return std::make_pair(s.is_null(0) ? std::string() : s.text(0), s.text(1));
      });
}

Result<void> PolicyStore::save_space(Id space_id, const std::string& text) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("UPDATE spaces SET policy = ?1 WHERE id = ?2").with(text, space_id).run();
    if (c.changes() == 0) {
      refuse(Errc::kNotFound, "no such space");
    }
  });
}

}  // namespace vestibule::store::sql

namespace vestibule::store::sql {

namespace {

domain::AccessRequest read_request(const Statement& s) {
  domain::AccessRequest r;
  r.id = s.int64(0);
  r.link_id = s.int64(1);
  r.item_id = s.int64(2);
  r.address = s.text(3);
  r.message = s.text(4);
  r.state = s.text(5);
  r.created_at = util::from_unix(s.int64(6));
  if (auto t = s.optional_int64(7)) {
    r.decided_at = util::from_unix(*t);
  }
  return r;
}

}  // namespace

Result<void> SharingStore::add_access_request(const domain::AccessRequest& r) {
  return db_.write<void>([&](Connection& c) {
    c.prepare(
         "INSERT INTO access_requests (link_id, item_id, address, message, state, created_at) "
         "VALUES (?1, ?2, ?3, ?4, 'pending', ?5) ON CONFLICT DO NOTHING")
        .with(r.link_id, r.item_id, r.address, r.message, util::to_unix(r.created_at))
        .run();
  });
}

Result<int> SharingStore::count_pending_requests(domain::Id link_id) {
  return db_.read<int>([&](Connection& c) {
    auto& s =
        c.prepare("SELECT count(*) FROM access_requests WHERE link_id = ?1 AND state = 'pending'");
    s.with(link_id);
    s.step();
    return static_cast<int>(s.int64(0));
  });
}

Result<std::vector<domain::AccessRequest>> SharingStore::access_requests(domain::Id item_id) {
  return db_.read<std::vector<domain::AccessRequest>>([&](Connection& c) {
    auto& s = c.prepare(
        "SELECT id, link_id, item_id, address, message, state, created_at, decided_at "
        "FROM access_requests WHERE item_id = ?1 ORDER BY id DESC");
    s.with(item_id);
    std::vector<domain::AccessRequest> out;
    while (s.step()) {
      out.push_back(read_request(s));
    }
    return out;
  });
}

Result<std::vector<domain::AccessRequest>> SharingStore::access_requests_for_manager(
    domain::Id user_id, bool pending_only, std::size_t limit) {
  return db_.read<std::vector<domain::AccessRequest>>([&](Connection& c) {
    // The tops of what the member may share (spaces they own, items they hold a manage grant
    // on), then the requests on items whose path lies under one of them (a range on the path).
    auto& s = c.prepare(
        "WITH tops(path) AS ("
        "SELECT i.path FROM space_members m JOIN spaces sp ON sp.id = m.space_id "
        "JOIN items i ON i.id = sp.root_item_id WHERE m.user_id = ?1 AND m.role = 'owner' "
        "UNION SELECT i.path FROM grants g JOIN items i ON i.id = g.item_id "
        "WHERE g.user_id = ?1 AND g.link_id IS NULL AND g.role = 'manage') "
        "SELECT r.id, r.link_id, r.item_id, r.address, r.message, r.state, r.created_at, "
        "r.decided_at FROM access_requests r JOIN items i ON i.id = r.item_id "
        "WHERE (?2 = 0 OR r.state = 'pending') AND EXISTS (SELECT 1 FROM tops t "
        "WHERE i.path >= t.path AND i.path < substr(t.path, 1, length(t.path) - 1) || '0') "
        "ORDER BY r.state = 'pending' DESC, r.id DESC LIMIT ?3");
    s.with(user_id, pending_only ? 1 : 0, static_cast<std::int64_t>(limit));
    std::vector<domain::AccessRequest> out;
    while (s.step()) {
      out.push_back(read_request(s));
    }
    return out;
  });
}

Result<domain::AccessRequest> SharingStore::find_access_request(domain::Id id) {
  return db_.read<domain::AccessRequest>([&](Connection& c) {
    auto& s = c.prepare(
        "SELECT id, link_id, item_id, address, message, state, created_at, decided_at "
        "FROM access_requests WHERE id = ?1");
    s.with(id);
    if (!s.step()) {
      refuse(Errc::kNotFound, "no such access request");
    }
    return read_request(s);
  });
}

Result<void> SharingStore::decide_access_request(domain::Id id, const std::string& state,
                                                 domain::Id by, domain::TimePoint now) {
  return db_.write<void>([&](Connection& c) {
    c.prepare(
         "UPDATE access_requests SET state = ?1, decided_at = ?2, decided_by = ?3 "
         "WHERE id = ?4 AND state = 'pending'")
        .with(state, util::to_unix(now), by, id)
        .run();
    if (c.changes() == 0) {
      refuse(Errc::kConflict, "this request was already decided");
    }
  });
}

Result<std::vector<domain::DirectoryEntry>> SharingStore::directory() {
  return db_.read<std::vector<domain::DirectoryEntry>>([&](Connection& c) {
    auto& s = c.prepare(
        "SELECT e.id, e.address, e.state, e.created_at, e.verified_at, e.consecutive_failures, "
        "(SELECT count(*) FROM grants g WHERE g.external_id = e.id), "
        "e.last_verified_at, e.guest_since "
        "FROM external_identities e ORDER BY e.address");
    std::vector<domain::DirectoryEntry> out;
    std::unordered_map<Id, std::size_t> position;
    while (s.step()) {
      domain::DirectoryEntry d;
      d.identity.id = s.int64(0);
      d.identity.address = s.text(1);
      d.identity.state =
          domain::identity_state_from_string(s.text(2)).value_or(domain::IdentityState::kPending);
      d.identity.created_at = util::from_unix(s.int64(3));
      if (auto t = s.optional_int64(4)) {
        d.identity.verified_at = util::from_unix(*t);
      }
      d.consecutive_failures = static_cast<int>(s.int64(5));
      d.shares = static_cast<int>(s.int64(6));
      d.identity.last_verified_at = optional_time(s, 7);
      d.identity.guest_since = optional_time(s, 8);
      position.emplace(d.identity.id, out.size());
      out.push_back(std::move(d));
    }
    auto& aliases = c.prepare(
        "SELECT external_id, address FROM identity_aliases WHERE external_id IS NOT NULL "
        "ORDER BY external_id, address");
    while (aliases.step()) {
      if (const auto it = position.find(aliases.int64(0)); it != position.end()) {
        out[it->second].aliases.push_back(aliases.text(1));
      }
    }
    return out;
  });
}

Result<domain::ExternalSharePage> SharingStore::external_shares(
    const domain::ExternalShareQuery& query, const domain::ExternalShareKey& after,
    std::size_t limit, const std::function<bool(domain::Id)>& known) {
  return db_.read<domain::ExternalSharePage>([&](Connection& c) {
    // Links in key order from `after`, each joined with its external recipients through the
    // (link_id, external_id) index, so the order needs no sort and a page stops at LIMIT.
    // The link columns of read_link(), without the token's hash and the message, which the
    // report does not show and need not copy for every row.
    auto& s = c.prepare(
        "SELECT l.id, l.item_id, l.kind, l.role, '', l.password_hash, l.expires_at, "
        "l.block_download, '', l.created_by, u.display_name, l.created_at, l.revoked_at, "
        "l.first_used_at, l.last_used_at, u.email, i.space_id, i.name, i.kind, i.path, "
        "i.trashed_at, sp.name, sp.policy, "
        "g.id, g.external_id, g.expires_at, g.created_at, g.first_used_at, g.last_used_at, "
        "e.address, e.state" VST_LINK_FROM
        "JOIN items i ON i.id = l.item_id JOIN spaces sp ON sp.id = i.space_id "
        "LEFT JOIN grants g ON g.link_id = l.id AND g.external_id IS NOT NULL "
        "AND l.kind = 'specific' "
        "LEFT JOIN external_identities e ON e.id = g.external_id "
        "WHERE l.id >= ?1 AND l.revoked_at IS NULL "
        "AND (l.kind = 'anyone' OR (l.kind = 'specific' AND g.id IS NOT NULL)) "
        "AND (l.id > ?1 OR COALESCE(g.external_id, 0) > ?2) "
        "AND (CAST(?3 AS BIGINT) IS NULL OR l.created_by = ?3) "
        "AND (CAST(?4 AS TEXT) IS NULL OR l.kind = ?4) "
        "AND (CAST(?5 AS TEXT) IS NULL OR substr(e.address, instr(e.address, '@') + 1) = ?5 "
        "OR e.address LIKE '%@%.' || ?5) "
        "ORDER BY l.id, g.external_id LIMIT ?6");
    std::optional<std::string> kind;
    if (query.kind) {
      kind = std::string(to_string(*query.kind));
    }
    s.with(after.link_id, after.external_id, query.created_by, kind, query.domain,
           static_cast<std::int64_t>(limit));
    domain::ExternalSharePage page;
    page.records.reserve(std::min<std::size_t>(limit, 4096));
    std::vector<Id> folders;
    while (s.step()) {
      domain::ExternalShareRecord r;
      r.link = read_link(s);
      r.shared_by_email = s.text(15);
      r.item.id = r.link.item_id;
      r.item.space_id = s.int64(16);
      r.item.name = s.text(17);
      r.item.kind = s.text(18) == "file" ? domain::ItemKind::kFile : domain::ItemKind::kFolder;
      r.item.path = s.text(19);
      r.item.trashed_at = optional_time(s, 20);
      r.space_name = s.text(21);
      r.space_policy = s.text(22);
      if (!s.is_null(23)) {
        Grant g;
        g.id = s.int64(23);
        g.item_id = r.link.item_id;
        g.grantee = domain::Grantee::kExternal;
        g.principal_id = s.int64(24);
        g.role = r.link.role;
        g.link_id = r.link.id;
        g.expires_at = optional_time(s, 25);
        g.created_by = r.link.created_by;
        g.created_at = from_unix(s.int64(26));
        g.first_used_at = optional_time(s, 27);
        g.last_used_at = optional_time(s, 28);
        g.address = s.text(29);  // the report shows no display name: not copied into it
        g.identity_state = domain::identity_state_from_string(s.text(30));
        r.recipient = std::move(g);
      }
      // Upward from the parent, up to the first folder the caller knows: it knows the folders
      // above that one too.
      domain::for_each_ancestor_upward(r.item.path, [&](Id id) {
        if (known(id)) {
          return false;
        }
        folders.push_back(id);
        return true;
      });
      page.records.push_back(std::move(r));
    }
    std::sort(folders.begin(), folders.end());
    folders.erase(std::unique(folders.begin(), folders.end()), folders.end());
    if (!folders.empty()) {
      auto& names = c.prepare(
          "SELECT id, name, trashed_at IS NOT NULL FROM items "
          "WHERE id IN (SELECT value FROM json_each(?1))");
      names.with(id_list(folders));
      while (names.step()) {
        page.ancestors.push_back({names.int64(0), names.text(1), names.int64(2) != 0});
      }
    }
    return page;
  });
}

Result<void> SharingStore::delete_identity(domain::Id id) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("DELETE FROM external_identities WHERE id = ?1").with(id).run();
    if (c.changes() == 0) {
      refuse(Errc::kNotFound, "no such external identity");
    }
  });
}

Result<void> SharingStore::reset_failures(domain::Id id) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("UPDATE external_identities SET consecutive_failures = 0 WHERE id = ?1")
        .with(id)
        .run();
  });
}

}  // namespace vestibule::store::sql

// Aliases, revoking everything of one address, and the guests' expiry.
namespace vestibule::store::sql {

namespace {

// Who holds `address` already, other than `owner`: a sentence for the 409, or "" when nobody.
std::string taken_by(Connection& c, const std::string& address, const domain::AliasOwner& owner) {
  auto& user = c.prepare("SELECT id FROM users WHERE email = ?1");
  user.with(address);
  if (user.step() && (!owner.user_id || user.int64(0) != *owner.user_id)) {
    return address + " is the address of a member's account";
  }
  auto& identity = c.prepare("SELECT id, state FROM external_identities WHERE address = ?1");
  identity.with(address);
  if (identity.step()) {
    if (owner.user_id) {
      return address +
             " is in the external directory (things were shared with it); delete that record "
             "first, then make it an alias of the member";
    }
    if (identity.int64(0) != *owner.external_id) {
      return address +
             " has its own record in the external directory; delete it first, then add it as an "
             "alias";
    }
    return address + " is this identity's own address";
  }
  auto& alias = c.prepare("SELECT user_id, external_id FROM identity_aliases WHERE address = ?1");
  alias.with(address);
  if (alias.step()) {
    const auto user_id = alias.optional_int64(0);
    const auto external_id = alias.optional_int64(1);
    if (user_id != owner.user_id || external_id != owner.external_id) {
      return address + " is already an alias of someone else";
    }
  }
  return {};
}

std::vector<std::string> aliases_in(Connection& c, const domain::AliasOwner& owner) {
  auto& s = c.prepare(
      "SELECT address FROM identity_aliases WHERE (CAST(?1 AS BIGINT) IS NOT NULL AND user_id = "
      "?1) OR "
      "(CAST(?2 AS BIGINT) IS NOT NULL AND external_id = ?2) ORDER BY address");
  s.with(owner.user_id, owner.external_id);
  std::vector<std::string> out;
  while (s.step()) {
    out.push_back(s.text(0));
  }
  return out;
}

}  // namespace

Result<std::optional<domain::AliasOwner>> SharingStore::alias_owner(const std::string& address) {
  return db_.memoized_read<std::optional<domain::AliasOwner>>(
      "alias:" + address, [&](Connection& c) -> std::optional<domain::AliasOwner> {
        auto& s = c.prepare("SELECT user_id, external_id FROM identity_aliases WHERE address = ?1");
        s.with(address);
        if (!s.step()) {
          return std::nullopt;
        }
        return domain::AliasOwner{s.optional_int64(0), s.optional_int64(1)};
      });
}

Result<std::vector<std::string>> SharingStore::aliases_of(const domain::AliasOwner& owner) {
  return db_.read<std::vector<std::string>>([&](Connection& c) { return aliases_in(c, owner); });
}

Result<std::vector<std::string>> SharingStore::set_aliases(const domain::AliasOwner& owner,
                                                           const std::vector<std::string>& aliases,
                                                           domain::TimePoint now) {
  return db_.write<std::vector<std::string>>([&](Connection& c) {
    if (owner.external_id) {
      identity_by_id(c, *owner.external_id);  // kNotFound when it is gone
    }
    for (const auto& address : aliases) {
      if (auto taken = taken_by(c, address, owner); !taken.empty()) {
        refuse(Errc::kConflict, taken + "; an alias belongs to one person only");
      }
    }
    c.prepare(
         "DELETE FROM identity_aliases WHERE (CAST(?1 AS BIGINT) IS NOT NULL AND user_id = ?1) OR "
         "(CAST(?2 AS BIGINT) IS NOT NULL AND external_id = ?2)")
        .with(owner.user_id, owner.external_id)
        .run();
    for (const auto& address : aliases) {
      c.prepare(
           "INSERT INTO identity_aliases (address, user_id, external_id, created_at) "
           "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (address) DO NOTHING")
          .with(address, owner.user_id, owner.external_id, to_unix(now))
          .run();
    }
    return aliases_in(c, owner);
  });
}

Result<domain::RevokedAccess> SharingStore::revoke_all(Id external_id, domain::TimePoint now) {
  return db_.write<domain::RevokedAccess>([&](Connection& c) {
    const auto identity = identity_by_id(c, external_id);
    domain::RevokedAccess out;
    auto& links = c.prepare(
        "SELECT g.link_id, g.item_id, i.name FROM grants g JOIN items i ON i.id = g.item_id "
        "WHERE g.external_id = ?1 AND g.link_id IS NOT NULL ORDER BY g.link_id");
    links.with(external_id);
    while (links.step()) {
      out.links.push_back({links.int64(0), links.int64(1), links.text(2)});
    }
    for (const auto& removed : out.links) {
      c.prepare(
           "INSERT INTO removed_recipients (link_id, address, removed_at) VALUES (?1, ?2, ?3) "
           "ON CONFLICT (link_id, address) DO UPDATE SET removed_at = excluded.removed_at")
          .with(removed.link_id, identity.address, to_unix(now))
          .run();
    }
    c.prepare("DELETE FROM grants WHERE external_id = ?1 AND link_id IS NOT NULL")
        .with(external_id)
        .run();
    c.prepare("DELETE FROM grants WHERE external_id = ?1").with(external_id).run();
    out.direct_grants = c.changes();
    c.prepare("DELETE FROM space_guests WHERE external_id = ?1").with(external_id).run();
    out.spaces_left = c.changes();
    c.prepare("DELETE FROM external_sessions WHERE external_id = ?1").with(external_id).run();
    out.sessions_ended = c.changes();
    return out;
  });
}

Result<std::vector<domain::GuestRecord>> SharingStore::guests() {
  return db_.read<std::vector<domain::GuestRecord>>([&](Connection& c) {
    auto& s = c.prepare("SELECT " VST_IDENTITY_COLUMNS
                        ", expiry_warned_at FROM external_identities WHERE state = 'guest' "
                        "ORDER BY id");
    std::vector<domain::GuestRecord> out;
    while (s.step()) {
      out.push_back({read_identity(s), optional_time(s, 7)});
    }
    return out;
  });
}

Result<bool> SharingStore::mark_expiry_warned(Id external_id, domain::TimePoint now) {
  return db_.write<bool>([&](Connection& c) {
    c.prepare(
         "UPDATE external_identities SET expiry_warned_at = ?1 "
         "WHERE id = ?2 AND expiry_warned_at IS NULL")
        .with(to_unix(now), external_id)
        .run();
    return c.changes() == 1;
  });
}

}  // namespace vestibule::store::sql
