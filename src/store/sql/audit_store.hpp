// The audit log in the database (SQLite schema 11): entries chained by HMAC under the audit key,
// personal values beside them with their salts (see src/domain/audit.hpp). Installs itself on the
// Database so that every write transaction appends the entries announced for it.
#pragma once

#include "domain/audit.hpp"
#include "store/sql/engine.hpp"
#include "util/clock.hpp"

#include <optional>
#include <string>

namespace vestibule::store::sql {

class AuditStore final : public domain::AuditLog {
 public:
  // `key`: the audit key (32 bytes), read from its own file.
  AuditStore(Database& db, const util::Clock& clock, std::string key);

  domain::AuditChange before_change(domain::AuditEntry entry) override;
  void record(domain::AuditEntry entry) override;
  Result<domain::AuditPage> list(const domain::AuditFilter& filter) override;
  Result<domain::AuditVerdict> verify() override;
  Result<domain::AuditHead> head() override;
  Result<std::int64_t> prune(domain::TimePoint before, const domain::AuditEntry& actor) override;
  Result<std::int64_t> forget_origins(domain::TimePoint before) override;
  Result<domain::AuditErasure> erase(const std::string& address,
                                     const domain::AuditEntry& actor) override;

 private:
  void append_pending(Connection& c);
  // Appends after the newest entry, or after `previous_hash` when given.
  domain::Id append(Connection& c, domain::AuditEntry entry,
                    const std::optional<std::string>& previous_hash = std::nullopt);
  void complete(domain::AuditEntry& entry) const;

  Database& db_;
  const util::Clock& clock_;
  std::string key_;
};

}  // namespace vestibule::store::sql
