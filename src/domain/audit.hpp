// The audit log: an append-only record of every security-relevant event (SPEC §2 "Audit log").
//
// Each entry is chained: hash = HMAC-SHA-256(audit key, previous hash "\n" canonical entry), so
// editing, deleting, inserting or reordering any entry breaks the chain from that entry on, and
// a person who can write the database but cannot read the audit key cannot forge a new chain.
// The canonical entry holds salted commitments of the personal fields (addresses, client
// address, user agent), never the fields themselves: erasing one person's data removes the values
// and their salts and keeps every hash valid, so the log stays verifiable after a data subject's
// request.
//
// A change and its entry are written in one transaction: the code making a change announces the
// entry first (AuditLog::before_change); the next write transaction the thread commits (the
// change's own) appends it. Events without a change of their own (a failed sign-in, a download)
// are appended at once (AuditLog::record).
#pragma once

#include "domain/model.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace vestibule::domain {

// The fields that name or locate a person; committed to, erasable.
struct AuditPersonal {
  std::string actor_address;
  std::string target_address;
  std::string client_ip;
  std::string user_agent;
};

struct AuditEntry {
  Id id = 0;
  TimePoint at{};
  std::string event;       // e.g. "member.signed_in", "link.revoked"
  std::string actor_kind;  // member, guest, external, anonymous, cli, system
  Id actor_id = 0;         // the member's or the external identity's id (0 when none)
  std::string target;      // what it is about: "link:12", "item:5", "settings", ""
  nlohmann::json details = nlohmann::json::object();  // never personal data
  AuditPersonal personal;
  // For an entry about a link its own transaction creates: the new link's token hash. The link's
  // id is not known when the entry is announced, so the append reads it then (target "link:N"
  // and details.link); never stored itself.
  std::string new_link_token_hash;
  // As stored.
  std::string hash;
  std::optional<TimePoint> erased_at;  // personal fields removed on a data subject's request
  std::string erased_by;
};

struct AuditFilter {
  std::string event;   // exact, or a prefix ending in '.' ("link.")
  std::string actor;   // an address, or a numeric id
  std::string target;  // "link:12", or an address
  std::optional<TimePoint> since;
  std::optional<TimePoint> until;
  std::optional<Id> before_id;  // the cursor: entries older than this one
  std::size_t limit = 100;
};

struct AuditPage {
  std::vector<AuditEntry> entries;  // newest first
  std::optional<Id> next_cursor;
};

struct AuditVerdict {
  bool ok = true;
  std::int64_t entries = 0;
  std::optional<Id> first_bad;
  std::string reason;
};

struct AuditHead {
  Id id = 0;  // 0 for an empty log
  std::string hash;
  std::int64_t entries = 0;
};

struct AuditErasure {
  std::int64_t entries = 0;  // audit entries whose personal fields were erased
  std::int64_t rows = 0;     // other rows removed (directory, sessions, mail, requests…)
};

namespace audit {

// The canonical text the chain covers (its commitments, not the personal values).
std::string canonical(const AuditEntry& entry, const nlohmann::json& commitments);
// SHA-256 hex of "salt:value"; "" for an empty value (nothing to commit to).
std::string commitment(const std::string& salt, const std::string& value);
// HMAC-SHA-256(key, previous "\n" canonical) as lower-case hex.
std::string chain_hash(const std::string& key, const std::string& previous,
                       const std::string& canonical_text);

// Entries announced on this thread and not yet written (see the file comment), by ticket.
std::vector<std::pair<std::uint64_t, AuditEntry>>& pending();
// Adds an entry to pending(); returns its ticket.
std::uint64_t announce(AuditEntry entry);

}  // namespace audit

// Keeps an announced entry until a write transaction takes it; drops it when the change never
// happened (the guard ends first).
class AuditChange {
 public:
  AuditChange() = default;
  explicit AuditChange(std::uint64_t ticket) : ticket_(ticket) {}
  AuditChange(AuditChange&& other) noexcept : ticket_(std::exchange(other.ticket_, 0)) {}
  AuditChange& operator=(AuditChange&&) = delete;
  AuditChange(const AuditChange&) = delete;
  AuditChange& operator=(const AuditChange&) = delete;
  ~AuditChange();

 private:
  std::uint64_t ticket_ = 0;
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // Fills time and origin when unset; see the file comment.
  [[nodiscard]] virtual AuditChange before_change(AuditEntry entry) = 0;
  virtual void record(AuditEntry entry) = 0;

  virtual Result<AuditPage> list(const AuditFilter& filter) = 0;
  virtual Result<AuditVerdict> verify() = 0;
  virtual Result<AuditHead> head() = 0;
  // Removes entries older than `before` and appends a checkpoint that keeps the rest verifiable.
  // `actor` names who asked (kind, id, address).
  virtual Result<std::int64_t> prune(TimePoint before, const AuditEntry& actor) = 0;
  // Removes client addresses and user agents recorded before `before` (their own retention).
  virtual Result<std::int64_t> forget_origins(TimePoint before) = 0;
  // Erases every personal value of `address` in the log (and the rows of the rest of the
  // database that name it), keeping the chain valid.
  virtual Result<AuditErasure> erase(const std::string& address, const AuditEntry& actor) = 0;
};

}  // namespace vestibule::domain
