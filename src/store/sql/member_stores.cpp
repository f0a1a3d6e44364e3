#include "store/sql/repositories.hpp"

namespace vestibule::store::sql {

using domain::Id;
using util::from_unix;
using util::to_unix;

namespace {

constexpr std::string_view kUserColumns =
    "id, email, display_name, password_hash, role, disabled, created_at";

domain::User read_user(const Statement& s) {
  domain::User u;
  u.id = s.int64(0);
  u.email = s.text(1);
  u.display_name = s.text(2);
  u.password_hash = s.text(3);
  u.role = s.text(4) == "admin" ? domain::UserRole::kAdmin : domain::UserRole::kUser;
  u.disabled = s.int64(5) != 0;
  u.created_at = from_unix(s.int64(6));
  return u;
}

domain::User user_by_id(Connection& c, Id id) {
  auto& s = c.prepare(
      "SELECT id, email, display_name, password_hash, role, disabled, created_at FROM users "
      "WHERE id = ?1");
  s.with(id);
  if (!s.step()) {
    refuse(Errc::kNotFound, "no member with id " + std::to_string(id));
  }
  return read_user(s);
}

domain::Session read_session(const Statement& s) {
  domain::Session r;
  r.id = s.int64(0);
  r.token_hash = s.text(1);
  r.user_id = s.int64(2);
  r.method = s.text(3);
  r.created_at = from_unix(s.int64(4));
  r.proved_at = from_unix(s.int64(5));
  r.last_seen_at = from_unix(s.int64(6));
  r.expires_at = from_unix(s.int64(7));
  r.client_address = s.text(8);
  r.user_agent = s.text(9);
  return r;
}

}  // namespace

domain::Space insert_space(Connection& c, const std::string& name, domain::SpaceKind kind,
                           std::optional<Id> owner, Id creator, domain::TimePoint now) {
  c.prepare("INSERT INTO spaces (name, kind, owner_user_id, created_at) VALUES (?1, ?2, ?3, ?4)")
      .with(name, to_string(kind), owner, to_unix(now))
      .run();
  const Id space_id = c.last_insert_id();
  c.prepare(
       "INSERT INTO items (space_id, parent_id, name, kind, path, modified_at, modified_by) "
       "VALUES (?1, NULL, ?2, 'folder', '', ?3, ?4)")
      .with(space_id, name, to_unix(now), creator)
      .run();
  const Id root = c.last_insert_id();
  c.prepare("UPDATE items SET path = '/' || id || '/' WHERE id = ?1").with(root).run();
  c.prepare("UPDATE spaces SET root_item_id = ?1 WHERE id = ?2").with(root, space_id).run();
  c.prepare("INSERT INTO space_members (space_id, user_id, role) VALUES (?1, ?2, 'owner')")
      .with(space_id, creator)
      .run();
  return domain::Space{space_id, name, kind, root, owner, now};
}

Result<domain::User> UserStore::create(const domain::NewUser& user, domain::TimePoint now) {
  return db_.write<domain::User>([&](Connection& c) {
    c.prepare(
         "INSERT INTO users (email, display_name, password_hash, role, disabled, created_at) "
         "VALUES (?1, ?2, ?3, ?4, 0, ?5)")
        .with(user.email, user.display_name, user.password_hash, to_string(user.role), to_unix(now))
        .run();
    const Id id = c.last_insert_id();
    insert_space(c, "My files", domain::SpaceKind::kPersonal, id, id, now);
    return user_by_id(c, id);
  });
}

Result<domain::User> UserStore::find_by_id(Id id) {
  return db_.memoized_read<domain::User>("user:" + std::to_string(id),
                                         [&](Connection& c) { return user_by_id(c, id); });
}

Result<domain::User> UserStore::find_by_email(const std::string& email) {
  return db_.read<domain::User>([&](Connection& c) {
    auto& s = c.prepare(
        "SELECT id, email, display_name, password_hash, role, disabled, created_at FROM users "
        "WHERE email = ?1");
    s.with(email);
    if (!s.step()) {
      refuse(Errc::kNotFound, "no member with the email " + email);
    }
    return read_user(s);
  });
}

Result<std::vector<domain::User>> UserStore::list() {
  return db_.read<std::vector<domain::User>>([&](Connection& c) {
    auto& s = c.prepare(
        "SELECT id, email, display_name, password_hash, role, disabled, created_at FROM users "
        "ORDER BY email");
    std::vector<domain::User> out;
    while (s.step()) {
      out.push_back(read_user(s));
    }
    return out;
  });
}

Result<std::int64_t> UserStore::count() {
  return db_.read<std::int64_t>([](Connection& c) {
    auto& s = c.prepare("SELECT count(*) FROM users");
    s.step();
    return s.int64(0);
  });
}

Result<void> UserStore::set_disabled(Id id, bool disabled) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("UPDATE users SET disabled = ?1 WHERE id = ?2").with(disabled ? 1 : 0, id).run();
    if (c.changes() == 0) {
      refuse(Errc::kNotFound, "no member with id " + std::to_string(id));
    }
  });
}

Result<void> UserStore::set_password_hash(Id id, const std::string& hash) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("UPDATE users SET password_hash = ?1 WHERE id = ?2").with(hash, id).run();
    if (c.changes() == 0) {
      refuse(Errc::kNotFound, "no member with id " + std::to_string(id));
    }
  });
}

Result<domain::User> UserStore::update(Id id, const domain::UserChange& change) {
  return db_.write<domain::User>([&](Connection& c) {
    const domain::User before = user_by_id(c, id);  // kNotFound before anything is written
    if (change.disabled) {
      c.prepare("UPDATE users SET disabled = ?1 WHERE id = ?2")
          .with(*change.disabled ? 1 : 0, id)
          .run();
    }
    if (change.role) {
      c.prepare("UPDATE users SET role = ?1 WHERE id = ?2").with(to_string(*change.role), id).run();
    }
    if (change.display_name) {
      c.prepare("UPDATE users SET display_name = ?1 WHERE id = ?2")
          .with(*change.display_name, id)
          .run();
    }
    domain::User after = user_by_id(c, id);
    const auto active_admin = [](const domain::User& u) {
      return u.role == domain::UserRole::kAdmin && !u.disabled;
    };
    // Checked inside the transaction, so two admins demoting each other at once cannot both
    // succeed: the second sees the first's change and is refused (and rolled back).
    if (active_admin(before) && !active_admin(after)) {
      auto& admins = c.prepare("SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0");
      admins.step();
      const auto remaining = admins.int64(0);
      admins.reset();
      if (remaining == 0) {
        refuse(Errc::kConflict,
               "this would leave the organization without an active admin; make another member "
               "an admin first");
      }
    }
    return after;
  });
}

Result<domain::Session> SessionStore::create(const domain::Session& session) {
  return db_.write<domain::Session>([&](Connection& c) {
    c.prepare(
         "INSERT INTO sessions (token_hash, user_id, method, created_at, proved_at, "
         "last_seen_at, expires_at, client_address, user_agent) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
        .with(session.token_hash, session.user_id, session.method, to_unix(session.created_at),
              to_unix(session.proved_at), to_unix(session.last_seen_at),
              to_unix(session.expires_at), session.client_address, session.user_agent)
        .run();
    domain::Session stored = session;
    stored.id = c.last_insert_id();
    return stored;
  });
}

Result<domain::Session> SessionStore::find_by_token_hash(const std::string& token_hash) {
  return db_.memoized_read<domain::Session>("session:" + token_hash, [&](Connection& c) {
    auto& s = c.prepare(
        "SELECT id, token_hash, user_id, method, created_at, proved_at, last_seen_at, "
        "expires_at, client_address, user_agent FROM sessions WHERE token_hash = ?1");
    s.with(token_hash);
    if (!s.step()) {
      refuse(Errc::kNotFound, "no such session");
    }
    return read_session(s);
  });
}

Result<void> SessionStore::touch(Id id, domain::TimePoint last_seen) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("UPDATE sessions SET last_seen_at = ?1 WHERE id = ?2")
        .with(to_unix(last_seen), id)
        .run();
  });
}

Result<void> SessionStore::remove(Id id) {
  return db_.write<void>(
      [&](Connection& c) { c.prepare("DELETE FROM sessions WHERE id = ?1").with(id).run(); });
}

Result<void> SessionStore::remove_for_user(Id user_id, Id keep) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("DELETE FROM sessions WHERE user_id = ?1 AND id != ?2").with(user_id, keep).run();
  });
}

Result<void> SessionStore::remove_expired(domain::TimePoint now) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("DELETE FROM sessions WHERE expires_at <= ?1").with(to_unix(now)).run();
  });
}

Result<domain::Space> SpaceStore::create_team(const std::string& name, Id owner,
                                              domain::TimePoint now) {
  return db_.write<domain::Space>([&](Connection& c) {
    return insert_space(c, name, domain::SpaceKind::kTeam, std::nullopt, owner, now);
  });
}

namespace {

domain::Space read_space(const Statement& s) {
  domain::Space r;
  r.id = s.int64(0);
  r.name = s.text(1);
  r.kind = s.text(2) == "personal" ? domain::SpaceKind::kPersonal : domain::SpaceKind::kTeam;
  r.root_item_id = s.int64(3);
  r.owner_user_id = s.optional_int64(4);
  r.created_at = from_unix(s.int64(5));
  return r;
}

domain::SpaceRole read_role(const std::string& text) {
  return domain::space_role_from_string(text).value_or(domain::SpaceRole::kVisitor);
}

}  // namespace

Result<domain::Space> SpaceStore::find(Id id) {
  return db_.memoized_read<domain::Space>("space:" + std::to_string(id), [&](Connection& c) {
    auto& s = c.prepare(
        "SELECT id, name, kind, root_item_id, owner_user_id, created_at FROM spaces "
        "WHERE id = ?1");
    s.with(id);
    if (!s.step()) {
      refuse(Errc::kNotFound, "no such space, or you are not a member of it");
    }
    return read_space(s);
  });
}

Result<std::vector<domain::SpaceWithRole>> SpaceStore::list_for_user(Id user_id) {
  return db_.read<std::vector<domain::SpaceWithRole>>([&](Connection& c) {
    auto& s = c.prepare(
        "SELECT s.id, s.name, s.kind, s.root_item_id, s.owner_user_id, s.created_at, m.role "
        "FROM space_members m JOIN spaces s ON s.id = m.space_id WHERE m.user_id = ?1 "
        "ORDER BY s.kind = 'team', s.name, s.id");
    s.with(user_id);
    std::vector<domain::SpaceWithRole> out;
    while (s.step()) {
      out.push_back({read_space(s), read_role(s.text(6))});
    }
    return out;
  });
}

Result<std::optional<domain::SpaceRole>> SpaceStore::member_role(Id space_id, Id user_id) {
  return db_.memoized_read<std::optional<domain::SpaceRole>>(
      "member:" + std::to_string(space_id) + ":" + std::to_string(user_id),
      [&](Connection& c) -> std::optional<domain::SpaceRole> {
        auto& s = c.prepare("SELECT role FROM space_members WHERE space_id = ?1 AND user_id = ?2");
        s.with(space_id, user_id);
        if (!s.step()) {
          return std::nullopt;
        }
        return read_role(s.text(0));
      });
}

namespace {

std::vector<domain::SpaceMember> list_members(Connection& c, Id space_id,
                                              std::optional<Id> only = std::nullopt) {
  auto& s = c.prepare(
      "SELECT m.space_id, m.user_id, m.role, u.email, u.display_name FROM space_members m "
      "JOIN users u ON u.id = m.user_id WHERE m.space_id = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR "
      "m.user_id = ?2) "
      "ORDER BY u.email");
  s.with(space_id, only);
  std::vector<domain::SpaceMember> out;
  while (s.step()) {
    out.push_back({s.int64(0), s.int64(1), read_role(s.text(2)), s.text(3), s.text(4)});
  }
  return out;
}

}  // namespace

Result<std::vector<domain::SpaceMember>> SpaceStore::members(Id space_id) {
  return db_.read<std::vector<domain::SpaceMember>>(
      [&](Connection& c) { return list_members(c, space_id); });
}

Result<domain::SpaceMember> SpaceStore::set_member(Id space_id, Id user_id,
                                                   domain::SpaceRole role) {
  return db_.write<domain::SpaceMember>([&](Connection& c) {
    c.prepare(
         "INSERT INTO space_members (space_id, user_id, role) VALUES (?1, ?2, ?3) "
         "ON CONFLICT (space_id, user_id) DO UPDATE SET role = excluded.role")
        .with(space_id, user_id, to_string(role))
        .run();
    return list_members(c, space_id, user_id).at(0);
  });
}

Result<void> SpaceStore::remove_member(Id space_id, Id user_id) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("DELETE FROM space_members WHERE space_id = ?1 AND user_id = ?2")
        .with(space_id, user_id)
        .run();
    if (c.changes() == 0) {
      refuse(Errc::kNotFound, "this person is not a member of the space");
    }
  });
}

namespace {

std::vector<domain::SpaceGuest> list_guests(Connection& c, std::optional<Id> space_id,
                                            std::optional<Id> external_id) {
  auto& s = c.prepare(
      "SELECT g.space_id, g.external_id, e.address, e.state, g.role, s.name FROM space_guests g "
      "JOIN external_identities e ON e.id = g.external_id JOIN spaces s ON s.id = g.space_id "
      "WHERE (CAST(?1 AS BIGINT) IS NULL OR g.space_id = ?1) AND (CAST(?2 AS BIGINT) IS NULL OR "
      "g.external_id = ?2) "
      "ORDER BY s.name, e.address");
  s.with(space_id, external_id);
  std::vector<domain::SpaceGuest> out;
  while (s.step()) {
    domain::SpaceGuest g;
    g.space_id = s.int64(0);
    g.external_id = s.int64(1);
    g.address = s.text(2);
    g.state = domain::identity_state_from_string(s.text(3)).value_or(domain::IdentityState::kGuest);
    g.role = read_role(s.text(4));
    g.space_name = s.text(5);
    out.push_back(std::move(g));
  }
  return out;
}

domain::SpaceStorage read_storage(Connection& c, Id space_id) {
  auto& s = c.prepare("SELECT used_bytes, quota_bytes FROM spaces WHERE id = ?1");
  s.with(space_id);
  if (!s.step()) {
    refuse(Errc::kNotFound, "no such space, or you are not a member of it");
  }
  domain::SpaceStorage out{s.int64(0), s.optional_int64(1)};
  s.reset();
  return out;
}

}  // namespace

Result<std::optional<domain::SpaceRole>> SpaceStore::guest_role(Id space_id, Id external_id) {
  return db_.memoized_read<std::optional<domain::SpaceRole>>(
      "guest:" + std::to_string(space_id) + ":" + std::to_string(external_id),
      [&](Connection& c) -> std::optional<domain::SpaceRole> {
        auto& s =
            c.prepare("SELECT role FROM space_guests WHERE space_id = ?1 AND external_id = ?2");
        s.with(space_id, external_id);
        if (!s.step()) {
          return std::nullopt;
        }
        return read_role(s.text(0));
      });
}

Result<std::vector<domain::SpaceWithRole>> SpaceStore::list_for_guest(Id external_id) {
  return db_.read<std::vector<domain::SpaceWithRole>>([&](Connection& c) {
    auto& s = c.prepare(
        "SELECT s.id, s.name, s.kind, s.root_item_id, s.owner_user_id, s.created_at, g.role "
        "FROM space_guests g JOIN spaces s ON s.id = g.space_id WHERE g.external_id = ?1 "
        "ORDER BY s.name, s.id");
    s.with(external_id);
    std::vector<domain::SpaceWithRole> out;
    while (s.step()) {
      out.push_back({read_space(s), read_role(s.text(6))});
    }
    return out;
  });
}

Result<std::vector<domain::SpaceGuest>> SpaceStore::guests_of(Id space_id) {
  return db_.read<std::vector<domain::SpaceGuest>>(
      [&](Connection& c) { return list_guests(c, space_id, std::nullopt); });
}

Result<std::vector<domain::SpaceGuest>> SpaceStore::spaces_of_guest(Id external_id) {
  return db_.read<std::vector<domain::SpaceGuest>>(
      [&](Connection& c) { return list_guests(c, std::nullopt, external_id); });
}

Result<domain::SpaceGuest> SpaceStore::set_guest(Id space_id, Id external_id,
                                                 domain::SpaceRole role, domain::TimePoint now) {
  return db_.write<domain::SpaceGuest>([&](Connection& c) {
    c.prepare(
         "INSERT INTO space_guests (space_id, external_id, role, created_at) "
         "VALUES (?1, ?2, ?3, ?4) "
         "ON CONFLICT (space_id, external_id) DO UPDATE SET role = excluded.role")
        .with(space_id, external_id, to_string(role), util::to_unix(now))
        .run();
    return list_guests(c, space_id, external_id).at(0);
  });
}

Result<void> SpaceStore::remove_guest(Id space_id, Id external_id) {
  return db_.write<void>([&](Connection& c) {
    c.prepare("DELETE FROM space_guests WHERE space_id = ?1 AND external_id = ?2")
        .with(space_id, external_id)
        .run();
    if (c.changes() == 0) {
      refuse(Errc::kNotFound, "this guest is not in the space");
    }
  });
}

Result<domain::SpaceStorage> SpaceStore::storage(Id space_id) {
  // Never memoized: every upload must see what the uploads before it stored.
  return db_.read<domain::SpaceStorage>([&](Connection& c) { return read_storage(c, space_id); });
}

Result<domain::SpaceStorage> SpaceStore::set_quota(Id space_id,
                                                   std::optional<std::int64_t> quota_bytes) {
  return db_.write<domain::SpaceStorage>([&](Connection& c) {
    c.prepare("UPDATE spaces SET quota_bytes = ?1 WHERE id = ?2").with(quota_bytes, space_id).run();
    return read_storage(c, space_id);
  });
}

}  // namespace vestibule::store::sql
