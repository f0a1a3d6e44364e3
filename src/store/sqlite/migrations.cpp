#include "store/sqlite/migrations.hpp"

namespace vestibule::store::sqlite {

const std::vector<std::string_view>& migrations() {
  static const std::vector<std::string_view> kMigrations = {
      // 1: members, sessions, spaces, items and versions.
      R"sql(
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('user', 'admin')),
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  method TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  proved_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  client_address TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
CREATE TABLE spaces (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('personal', 'team')),
  root_item_id INTEGER,
  owner_user_id INTEGER REFERENCES users(id),
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX spaces_one_personal ON spaces(owner_user_id) WHERE kind = 'personal';
CREATE TABLE space_members (
  space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('owner', 'member', 'visitor')),
  PRIMARY KEY (space_id, user_id)
) WITHOUT ROWID;
CREATE INDEX space_members_by_user ON space_members(user_id);
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  space_id INTEGER NOT NULL REFERENCES spaces(id),
  parent_id INTEGER REFERENCES items(id),
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('file', 'folder')),
  path TEXT NOT NULL,
  size INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 0,
  blob TEXT,
  modified_at INTEGER NOT NULL,
  modified_by INTEGER REFERENCES users(id),
  modified_by_label TEXT NOT NULL DEFAULT '',
  trashed_at INTEGER,
  trashed_by INTEGER REFERENCES users(id)
);
CREATE UNIQUE INDEX items_live_name ON items(parent_id, name) WHERE trashed_at IS NULL;
CREATE INDEX items_by_path ON items(path);
CREATE INDEX items_trashed ON items(space_id) WHERE trashed_at IS NOT NULL;
CREATE TABLE versions (
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  blob TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  created_by INTEGER REFERENCES users(id),
  created_by_label TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (item_id, number)
) WITHOUT ROWID;
CREATE INDEX versions_by_blob ON versions(blob);
)sql",
      // 2: sharing: the external directory, links, grants, link password proofs, policy.
      R"sql(
CREATE TABLE external_identities (
  id INTEGER PRIMARY KEY,
  address TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('pending', 'verified', 'guest', 'blocked')),
  created_at INTEGER NOT NULL,
  verified_at INTEGER
);
CREATE TABLE links (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('anyone', 'organization', 'specific', 'existing')),
  role TEXT NOT NULL CHECK (role IN ('view', 'edit')),
  token_hash TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL DEFAULT '',
  expires_at INTEGER,
  block_download INTEGER NOT NULL DEFAULT 0,
  message TEXT NOT NULL DEFAULT '',
  created_by INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  first_used_at INTEGER,
  last_used_at INTEGER
);
CREATE INDEX links_by_item ON links(item_id);
CREATE TABLE grants (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
  external_id INTEGER REFERENCES external_identities(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('view', 'edit', 'manage')),
  link_id INTEGER REFERENCES links(id) ON DELETE CASCADE,
  expires_at INTEGER,
  created_by INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  first_used_at INTEGER,
  last_used_at INTEGER,
  CHECK ((user_id IS NULL) <> (external_id IS NULL))
);
CREATE UNIQUE INDEX grants_direct ON grants(item_id, user_id) WHERE link_id IS NULL;
CREATE UNIQUE INDEX grants_link_user ON grants(link_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX grants_link_external ON grants(link_id, external_id)
  WHERE external_id IS NOT NULL;
CREATE INDEX grants_by_user ON grants(user_id, item_id);
CREATE INDEX grants_by_external ON grants(external_id, item_id);
CREATE INDEX grants_by_item ON grants(item_id);
CREATE TABLE link_sessions (
  token_hash TEXT PRIMARY KEY,
  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX link_sessions_by_link ON link_sessions(link_id);
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
ALTER TABLE spaces ADD COLUMN policy TEXT NOT NULL DEFAULT '';
)sql",
      // 3: the outbox.
      R"sql(
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('invitation', 'code', 'notification')),
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  body_text TEXT NOT NULL,
  body_html TEXT NOT NULL,
  message_id TEXT NOT NULL,
  secret INTEGER NOT NULL DEFAULT 0,
  link_id INTEGER REFERENCES links(id) ON DELETE SET NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'dropped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  expires_at INTEGER,
  finished_at INTEGER
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'queued';
CREATE INDEX outbox_by_link ON outbox(link_id, recipient);
CREATE INDEX outbox_by_recipient ON outbox(recipient, kind, created_at);
)sql",
      // 4: verification of external recipients.
      R"sql(
CREATE TABLE verification_requests (
  id INTEGER PRIMARY KEY,
  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  browser_hash TEXT NOT NULL,
  client_address TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  processed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX verification_requests_pending ON verification_requests(id) WHERE processed = 0;
CREATE INDEX verification_requests_budget ON verification_requests(link_id, client_address, created_at);
CREATE TABLE verification_codes (
  id INTEGER PRIMARY KEY,
  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  external_id INTEGER NOT NULL REFERENCES external_identities(id) ON DELETE CASCADE,
  browser_hash TEXT NOT NULL,
  code_hmac TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  tries INTEGER NOT NULL DEFAULT 0,
  consumed_at INTEGER
);
CREATE INDEX verification_codes_live ON verification_codes(link_id, address, browser_hash);
CREATE INDEX verification_codes_budget ON verification_codes(address, created_at);
CREATE TABLE external_sessions (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  external_id INTEGER NOT NULL REFERENCES external_identities(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  proved_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  remembered INTEGER NOT NULL DEFAULT 0,
  client_address TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX external_sessions_by_identity ON external_sessions(external_id);
ALTER TABLE external_identities ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
)sql",
      // 5: requests for access from people holding a link that is not (or no longer) for them.
      R"sql(
CREATE TABLE access_requests (
  id INTEGER PRIMARY KEY,
  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  message TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'declined')),
  created_at INTEGER NOT NULL,
  decided_at INTEGER,
  decided_by INTEGER REFERENCES users(id)
);
CREATE INDEX access_requests_by_item ON access_requests(item_id, state);
CREATE UNIQUE INDEX access_requests_one_pending ON access_requests(link_id, address)
  WHERE state = 'pending';
)sql",
      // 6: a counter that every write transaction advances, so a reader can tell in one read that
      // nothing was written since it last looked (and reuse what it read then).
      R"sql(
CREATE TABLE change_counter (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
);
INSERT INTO change_counter (id, value) VALUES (1, 0);
)sql",
      // 7: addresses removed from a specific link, so its page can tell a removed recipient
      // ("they stopped sharing this with you") from someone it was never shared with, and the
      // link can be reached by id (GET /api/v1/shared-with-me/{link_id}) by who was on it.
      // Written with the removal, in its transaction; adding the address to the link again
      // (any grant of that link for it) clears the row.
      R"sql(
CREATE TABLE removed_recipients (
  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  removed_at INTEGER NOT NULL,
  PRIMARY KEY (link_id, address)
) WITHOUT ROWID;
CREATE TRIGGER removed_recipients_readded AFTER INSERT ON grants
WHEN NEW.link_id IS NOT NULL
BEGIN
  DELETE FROM removed_recipients
  WHERE link_id = NEW.link_id
    AND address = COALESCE((SELECT email FROM users WHERE id = NEW.user_id),
                           (SELECT address FROM external_identities WHERE id = NEW.external_id));
END;
)sql",
      // 8: sign-in by email code without a link (POST /api/v1/session/code): a code request and
      // a code may belong to no link (link_id NULL; SQLite cannot drop a NOT NULL, so both tables
      // are rebuilt with the same columns and indexes).
      R"sql(
CREATE TABLE verification_requests_8 (
  id INTEGER PRIMARY KEY,
  link_id INTEGER REFERENCES links(id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  browser_hash TEXT NOT NULL,
  client_address TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  processed INTEGER NOT NULL DEFAULT 0
);
INSERT INTO verification_requests_8 (id, link_id, address, browser_hash, client_address,
                                     created_at, processed)
  SELECT id, link_id, address, browser_hash, client_address, created_at, processed
  FROM verification_requests;
DROP TABLE verification_requests;
ALTER TABLE verification_requests_8 RENAME TO verification_requests;
CREATE INDEX verification_requests_pending ON verification_requests(id) WHERE processed = 0;
CREATE INDEX verification_requests_budget
  ON verification_requests(link_id, client_address, created_at);
CREATE TABLE verification_codes_8 (
  id INTEGER PRIMARY KEY,
  link_id INTEGER REFERENCES links(id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  external_id INTEGER NOT NULL REFERENCES external_identities(id) ON DELETE CASCADE,
  browser_hash TEXT NOT NULL,
  code_hmac TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  tries INTEGER NOT NULL DEFAULT 0,
  consumed_at INTEGER
);
INSERT INTO verification_codes_8 (id, link_id, address, external_id, browser_hash, code_hmac,
                                  created_at, expires_at, tries, consumed_at)
  SELECT id, link_id, address, external_id, browser_hash, code_hmac, created_at, expires_at,
         tries, consumed_at
  FROM verification_codes;
DROP TABLE verification_codes;
ALTER TABLE verification_codes_8 RENAME TO verification_codes;
CREATE INDEX verification_codes_live ON verification_codes(link_id, address, browser_hash);
CREATE INDEX verification_codes_budget ON verification_codes(address, created_at);
)sql",
      // 9: when an address last proved itself with a code, a link's or a sign-in code (manage
      // access shows it, and when reverification is due). Every confirmed code writes it;
      // existing records start from their newest recipient session's proof, else from when they
      // were first verified.
      R"sql(
ALTER TABLE external_identities ADD COLUMN last_verified_at INTEGER;
UPDATE external_identities
SET last_verified_at = COALESCE(
  (SELECT max(proved_at) FROM external_sessions WHERE external_id = external_identities.id),
  verified_at);
)sql",
      // 10: code requests by address, for the budget of sign-in hints to members.
      R"sql(
CREATE INDEX verification_requests_by_address ON verification_requests(address, created_at);
)sql",
      // 11: the audit log (src/domain/audit.hpp). Personal values live beside the chained entries
      // with their salts, so erasing them leaves every entry and its hash in place.
      R"sql(
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  event TEXT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id INTEGER NOT NULL DEFAULT 0,
  target TEXT NOT NULL DEFAULT '',
  details TEXT NOT NULL DEFAULT '{}',
  commitments TEXT NOT NULL DEFAULT '{}',
  hash TEXT NOT NULL,
  erased_at INTEGER,
  erased_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_event ON audit_log(event, id);
CREATE INDEX audit_log_by_target ON audit_log(target, id);
CREATE INDEX audit_log_by_actor ON audit_log(actor_id, id);
CREATE INDEX audit_log_by_time ON audit_log(at);
CREATE TABLE audit_personal (
  entry INTEGER NOT NULL REFERENCES audit_log(id) ON DELETE CASCADE,
  field TEXT NOT NULL,
  value TEXT NOT NULL,
  salt TEXT NOT NULL,
  PRIMARY KEY (entry, field)
) WITHOUT ROWID;
CREATE INDEX audit_personal_by_value ON audit_personal(value, field);
)sql",
      // 12: guests, aliases. When an identity became a guest (its expiry counts from the later of
      // that and its last sign-in) and when the owners were warned that it is about to expire;
      // other addresses of the same person (a member's or an external identity's: one owner per
      // address, so an alias never belongs to two people); guests as members of team spaces.
      R"sql(
ALTER TABLE external_identities ADD COLUMN guest_since INTEGER;
ALTER TABLE external_identities ADD COLUMN expiry_warned_at INTEGER;
UPDATE external_identities SET guest_since = COALESCE(last_verified_at, created_at)
WHERE state = 'guest';
CREATE INDEX external_identities_by_state ON external_identities(state);
CREATE TABLE identity_aliases (
  address TEXT PRIMARY KEY,
  external_id INTEGER REFERENCES external_identities(id) ON DELETE CASCADE,
  user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  CHECK ((external_id IS NULL) <> (user_id IS NULL))
) WITHOUT ROWID;
CREATE INDEX identity_aliases_by_external ON identity_aliases(external_id);
CREATE INDEX identity_aliases_by_user ON identity_aliases(user_id);
CREATE TABLE space_guests (
  space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  external_id INTEGER NOT NULL REFERENCES external_identities(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('member', 'visitor')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (space_id, external_id)
) WITHOUT ROWID;
CREATE INDEX space_guests_by_identity ON space_guests(external_id);
)sql",
      // 13: API tokens (only the SHA-256 of the secret is kept), and when a recipient's session
      // was last used, for the session listings.
      R"sql(
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  scope TEXT NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id);
ALTER TABLE external_sessions ADD COLUMN last_seen_at INTEGER;
)sql",
      // 14: storage quotas. What each space stores (every kept version, the trash included) is
      // kept up to date by triggers on versions, so an upload checks its quota without summing
      // the space; quota_bytes is an admin's quota for one space (NULL: the server's default).
      R"sql(
ALTER TABLE spaces ADD COLUMN used_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spaces ADD COLUMN quota_bytes INTEGER;
UPDATE spaces SET used_bytes = COALESCE(
  (SELECT sum(v.size) FROM versions v JOIN items i ON i.id = v.item_id
   WHERE i.space_id = spaces.id), 0);
CREATE TRIGGER versions_add_to_space AFTER INSERT ON versions BEGIN
  UPDATE spaces SET used_bytes = used_bytes + NEW.size
  WHERE id = (SELECT space_id FROM items WHERE id = NEW.item_id);
END;
CREATE TRIGGER versions_remove_from_space AFTER DELETE ON versions BEGIN
  UPDATE spaces SET used_bytes = used_bytes - OLD.size
  WHERE id = (SELECT space_id FROM items WHERE id = OLD.item_id);
END;
)sql",
      // 15: the throttles' failure counts (sign-in, link passwords), in the database so that
      // every node sharing it counts the same failures. One row per (scope, kind, subject): kind
      // 'pair' (subject: account, line break, client address), 'account' or 'address'; a blocked
      // time is in microseconds since the epoch. Pruning deletes by scope and blocked time.
      R"sql(
CREATE TABLE throttle_entries (
  scope TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('pair', 'account', 'address')),
  subject TEXT NOT NULL,
  failures INTEGER NOT NULL,
  blocked_until_us INTEGER NOT NULL,
  PRIMARY KEY (scope, kind, subject)
) WITHOUT ROWID;
CREATE INDEX throttle_entries_by_blocked ON throttle_entries(scope, blocked_until_us);
)sql",
      // 16: a link's recipients (grants by link: the partial unique indexes serve only lookups
      // of one user or one address) and a member's own links, found without reading every grant
      // or every link.
      R"sql(
CREATE INDEX grants_by_link ON grants(link_id);
CREATE INDEX links_by_creator ON links(created_by);
)sql",
  };
  return kMigrations;
}

}  // namespace vestibule::store::sqlite
