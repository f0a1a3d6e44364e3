#include "domain/audit.hpp"

#include "util/clock.hpp"
#include "util/crypto.hpp"

#include <algorithm>
#include <array>

#include <sodium.h>

namespace vestibule::domain {

namespace audit {

namespace {
thread_local std::vector<std::pair<std::uint64_t, AuditEntry>> t_pending;
thread_local std::uint64_t t_next_ticket = 0;
}  // namespace

std::string canonical(const AuditEntry& entry, const nlohmann::json& commitments) {
  // nlohmann's objects keep their keys sorted, so dump() is canonical for a given content.
  const nlohmann::json doc = {
      {"v", 1},
      {"id", entry.id},
      {"at", util::to_unix(entry.at)},
      {"event", entry.event},
      {"actor_kind", entry.actor_kind},
      {"actor_id", entry.actor_id},
      {"target", entry.target},
      {"details", entry.details},
      {"personal", commitments},
  };
  return doc.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

std::string commitment(const std::string& salt, const std::string& value) {
  if (value.empty()) {
    return {};
  }
  return util::sha256_hex(salt + ":" + value);
}

std::string chain_hash(const std::string& key, const std::string& previous,
                       const std::string& canonical_text) {
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  const std::string head = previous + "\n";
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(head.data()),
                                head.size());
  crypto_auth_hmacsha256_update(
      &state, reinterpret_cast<const unsigned char*>(canonical_text.data()), canonical_text.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  std::array<char, (crypto_auth_hmacsha256_BYTES * 2) + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), mac.data(), mac.size());
  return {hex.data()};
}

std::vector<std::pair<std::uint64_t, AuditEntry>>& pending() { return t_pending; }

std::uint64_t announce(AuditEntry entry) {
  const std::uint64_t ticket = ++t_next_ticket;
  t_pending.emplace_back(ticket, std::move(entry));
  return ticket;
}

}  // namespace audit

AuditChange::~AuditChange() {
  if (ticket_ == 0) {
    return;
  }
  auto& pending = audit::pending();
  std::erase_if(pending, [this](const auto& p) { return p.first == ticket_; });
}

}  // namespace vestibule::domain
