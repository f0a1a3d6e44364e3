#include "store/sql/audit_store.hpp"

#include "util/crypto.hpp"
#include "util/request_origin.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>

#include <spdlog/spdlog.h>

namespace vestibule::store::sql {

using domain::AuditEntry;
using util::from_unix;
using util::to_unix;

namespace {

constexpr std::array<const char*, 4> kPersonalFields = {"actor_address", "target_address",
                                                        "client_ip", "user_agent"};

const std::string& personal_value(const domain::AuditPersonal& p, std::string_view field) {
  if (field == "actor_address") {
    return p.actor_address;
  }
  if (field == "target_address") {
    return p.target_address;
  }
  if (field == "client_ip") {
    return p.client_ip;
  }
  return p.user_agent;
}

void set_personal(domain::AuditPersonal& p, std::string_view field, std::string value) {
  if (field == "actor_address") {
    p.actor_address = std::move(value);
  } else if (field == "target_address") {
    p.target_address = std::move(value);
  } else if (field == "client_ip") {
    p.client_ip = std::move(value);
  } else if (field == "user_agent") {
    p.user_agent = std::move(value);
  }
}

constexpr std::string_view kColumns =
    "id, at, event, actor_kind, actor_id, target, details, commitments, hash, erased_at, "
    "erased_by";

AuditEntry entry_from(const Statement& s, nlohmann::json* commitments) {
  AuditEntry e;
  e.id = s.int64(0);
  e.at = from_unix(s.int64(1));
  e.event = s.text(2);
  e.actor_kind = s.text(3);
  e.actor_id = s.int64(4);
  e.target = s.text(5);
  e.details = nlohmann::json::parse(s.text(6), nullptr, false);
  if (e.details.is_discarded()) {
    e.details = s.text(6);  // kept as text so verify reports the entry, not a parse error
  }
  if (commitments != nullptr) {
    *commitments = nlohmann::json::parse(s.text(7), nullptr, false);
  }
  e.hash = s.text(8);
  if (auto t = s.optional_int64(9)) {
    e.erased_at = from_unix(*t);
  }
  e.erased_by = s.text(10);
  return e;
}

// The hash the newest entry ends the chain with, "" for an empty log.
std::string last_hash(Connection& c) {
  auto& s = c.prepare("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1");
  return s.step() ? s.text(0) : std::string();
}

}  // namespace

AuditStore::AuditStore(Database& db, const util::Clock& clock, std::string key)
    : db_(db), clock_(clock), key_(std::move(key)) {
  db_.set_before_commit([this](Connection& c) { append_pending(c); });
}

void AuditStore::append_pending(Connection& c) {
  auto& pending = domain::audit::pending();
  if (pending.empty()) {
    return;
  }
  // Taken now: if the transaction rolls back, the change they record did not happen either.
  auto entries = std::exchange(pending, {});
  for (auto& [ticket, entry] : entries) {
    if (!entry.new_link_token_hash.empty()) {
      auto& link =
          c.prepare("SELECT id FROM links WHERE token_hash = ?1").with(entry.new_link_token_hash);
      if (link.step()) {
        const domain::Id id = link.int64(0);
        entry.target = "link:" + std::to_string(id);
        entry.details["link"] = id;
      }
    }
    append(c, std::move(entry));
  }
}

domain::Id AuditStore::append(Connection& c, AuditEntry entry,
                              const std::optional<std::string>& previous_hash) {
  nlohmann::json commitments = nlohmann::json::object();
  std::vector<std::pair<std::string, std::string>> salts;
  for (const char* field : kPersonalFields) {
    const std::string& value = personal_value(entry.personal, field);
    if (value.empty()) {
      continue;
    }
    std::string salt = util::random_token(16);
    commitments[field] = domain::audit::commitment(salt, value);
    salts.emplace_back(field, std::move(salt));
  }
  const std::string previous = previous_hash ? *previous_hash : last_hash(c);
  c.prepare(
       "INSERT INTO audit_log (at, event, actor_kind, actor_id, target, details, commitments, "
       "hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '')")
      .with(to_unix(entry.at), entry.event, entry.actor_kind, entry.actor_id, entry.target,
            entry.details.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace),
            commitments.dump())
      .run();
  entry.id = c.last_insert_id();
  const std::string hash =
      domain::audit::chain_hash(key_, previous, domain::audit::canonical(entry, commitments));
  c.prepare("UPDATE audit_log SET hash = ?2 WHERE id = ?1").with(entry.id, hash).run();
  for (const auto& [field, salt] : salts) {
    c.prepare("INSERT INTO audit_personal (entry, field, value, salt) VALUES (?1, ?2, ?3, ?4)")
        .with(entry.id, field, personal_value(entry.personal, field), salt)
        .run();
  }
  return entry.id;
}

void AuditStore::complete(AuditEntry& entry) const {
  if (entry.at == domain::TimePoint{}) {
    entry.at = clock_.now();
  }
  const auto& origin = util::current_request_origin();
  if (entry.personal.client_ip.empty()) {
    entry.personal.client_ip = std::string(origin.client_ip);
  }
  if (entry.personal.user_agent.empty()) {
    entry.personal.user_agent = std::string(origin.user_agent);
  }
  if (entry.actor_kind.empty()) {
    entry.actor_kind = "anonymous";
  }
}

domain::AuditChange AuditStore::before_change(AuditEntry entry) {
  complete(entry);
  return domain::AuditChange(domain::audit::announce(std::move(entry)));
}

void AuditStore::record(AuditEntry entry) {
  complete(entry);
  const std::string event = entry.event;
  const domain::AuditChange guard(domain::audit::announce(std::move(entry)));
  // The hook appends what is pending; nothing else is written, and no memo depends on it.
  if (auto written = db_.write_unversioned([](Connection&) {}); !written) {
    spdlog::error("audit: could not record {}: {}", event, written.error().message);
  }
}

Result<domain::AuditPage> AuditStore::list(const domain::AuditFilter& filter) {
  std::optional<std::int64_t> actor_id;
  if (!filter.actor.empty() && filter.actor.find_first_not_of("0123456789") == std::string::npos) {
    actor_id = std::stoll(filter.actor);
  }
  const std::size_t limit = std::clamp<std::size_t>(filter.limit, 1, 1000);
  return db_.read<domain::AuditPage>([&](Connection& c) {
    domain::AuditPage page;
    auto& s = c.prepare(
        "SELECT id, at, event, actor_kind, actor_id, target, details, commitments, hash, "
        "erased_at, erased_by FROM audit_log a WHERE "
        "(?1 = '' OR a.event = ?1 OR (substr(?1, length(?1)) = '.' AND substr(a.event, 1, "
        "length(?1)) = "
        "?1)) "
        "AND (CAST(?2 AS BIGINT) IS NULL OR a.at >= ?2) AND (CAST(?3 AS BIGINT) IS NULL OR a.at < "
        "?3) "
        "AND (CAST(?4 AS BIGINT) IS NULL OR a.id < ?4) "
        "AND (?5 = '' OR a.actor_id = ?6 OR EXISTS (SELECT 1 FROM audit_personal p WHERE "
        "p.entry = a.id AND p.field = 'actor_address' AND p.value = ?5)) "
        "AND (?7 = '' OR a.target = ?7 OR EXISTS (SELECT 1 FROM audit_personal p WHERE "
        "p.entry = a.id AND p.field = 'target_address' AND p.value = ?7)) "
        "ORDER BY a.id DESC LIMIT ?8");
    std::optional<std::int64_t> since;
    std::optional<std::int64_t> until;
    if (filter.since) {
      since = to_unix(*filter.since);
    }
    if (filter.until) {
      until = to_unix(*filter.until);
    }
    s.with(filter.event, since, until, filter.before_id, filter.actor, actor_id.value_or(-1),
           filter.target, static_cast<std::int64_t>(limit + 1));
    while (s.step()) {
      page.entries.push_back(entry_from(s, nullptr));
    }
    s.reset();
    if (page.entries.size() > limit) {
      page.entries.pop_back();
      page.next_cursor = page.entries.back().id;
    }
    for (auto& e : page.entries) {
      auto& p = c.prepare("SELECT field, value FROM audit_personal WHERE entry = ?1").with(e.id);
      while (p.step()) {
        set_personal(e.personal, p.text(0), p.text(1));
      }
    }
    return page;
  });
}

Result<domain::AuditVerdict> AuditStore::verify() {
  return db_.read<domain::AuditVerdict>([&](Connection& c) {
    domain::AuditVerdict verdict;
    const auto broken = [&verdict](domain::Id id, std::string reason) {
      verdict.ok = false;
      verdict.first_bad = id;
      verdict.reason = std::move(reason);
    };
    // Where the kept part of the log starts: the first entry ever, or the entry after the last
    // pruned one, whose hash the newest checkpoint carries.
    domain::Id expected_first = 1;
    std::string previous;
    {
      auto& s = c.prepare(
          "SELECT details FROM audit_log WHERE event = 'audit.pruned' ORDER BY id DESC LIMIT 1");
      if (s.step()) {
        const auto details = nlohmann::json::parse(s.text(0), nullptr, false);
        if (details.is_object() && details.contains("last_pruned") &&
            details.contains("last_pruned_hash")) {
          expected_first = details.value("last_pruned", domain::Id{0}) + 1;
          previous = details.value("last_pruned_hash", std::string());
        }
      }
      s.reset();
    }
    domain::Id after = 0;
    bool first = true;
    for (;;) {
      auto& s = c.prepare(
          "SELECT id, at, event, actor_kind, actor_id, target, details, commitments, hash, "
          "erased_at, erased_by FROM audit_log WHERE id > ?1 ORDER BY id LIMIT 2000");
      s.with(after);
      std::vector<std::pair<AuditEntry, nlohmann::json>> batch;
      while (s.step()) {
        nlohmann::json commitments;
        auto e = entry_from(s, &commitments);
        batch.emplace_back(std::move(e), std::move(commitments));
      }
      s.reset();
      if (batch.empty()) {
        break;
      }
      // The batch's personal values in one range read (the key starts with the entry's id).
      struct Personal {
        std::string field;
        std::string value;
        std::string salt;
      };
      std::unordered_map<domain::Id, std::vector<Personal>> personal;
      {
        auto& p = c.prepare(
                       "SELECT entry, field, value, salt FROM audit_personal WHERE entry > ?1 AND "
                       "entry <= ?2")
                      .with(after, batch.back().first.id);
        while (p.step()) {
          personal[p.int64(0)].push_back({p.text(1), p.text(2), p.text(3)});
        }
        p.reset();
      }
      for (auto& [e, commitments] : batch) {
        ++verdict.entries;
        if (first) {
          first = false;
          if (e.id != expected_first) {
            broken(e.id, "the log starts at entry " + std::to_string(e.id) + " but entry " +
                             std::to_string(expected_first) +
                             " should come first: earlier entries were removed without a "
                             "checkpoint");
            return verdict;
          }
        }
        if (!commitments.is_object()) {
          broken(e.id, "the entry's commitments are not readable: it was changed");
          return verdict;
        }
        const std::string expected =
            domain::audit::chain_hash(key_, previous, domain::audit::canonical(e, commitments));
        if (!util::secure_equal(expected, e.hash)) {
          broken(e.id,
                 "the entry does not match its hash: it was changed, inserted or moved, or the "
                 "entry before it was removed");
          return verdict;
        }
        if (const auto found = personal.find(e.id); found != personal.end()) {
          for (const auto& [field, value, salt] : found->second) {
            const auto committed = commitments.find(field);
            if (committed == commitments.end() || !committed->is_string() ||
                domain::audit::commitment(salt, value) != committed->get<std::string>()) {
              broken(e.id, "the entry's " + field + " was changed");
              return verdict;
            }
          }
        }
        previous = e.hash;
        after = e.id;
      }
    }
    return verdict;
  });
}

Result<domain::AuditHead> AuditStore::head() {
  return db_.read<domain::AuditHead>([](Connection& c) {
    domain::AuditHead h;
    auto& s = c.prepare("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
    if (s.step()) {
      h.id = s.int64(0);
      h.hash = s.text(1);
    }
    s.reset();
    auto& n = c.prepare("SELECT count(*) FROM audit_log");
    n.step();
    h.entries = n.int64(0);
    return h;
  });
}

Result<std::int64_t> AuditStore::prune(domain::TimePoint before, const AuditEntry& actor) {
  AuditEntry checkpoint = actor;
  checkpoint.at = clock_.now();
  checkpoint.event = "audit.pruned";
  checkpoint.target = "audit";
  complete(checkpoint);
  return db_.write<std::int64_t>([&](Connection& c) -> std::int64_t {
    auto& s = c.prepare(
        "SELECT id, hash FROM audit_log WHERE id = (SELECT max(id) FROM audit_log WHERE at < ?1)");
    s.with(to_unix(before));
    if (!s.step()) {
      s.reset();
      return 0;
    }
    const domain::Id last = s.int64(0);
    const std::string last_hash_value = s.text(1);
    s.reset();
    c.prepare("DELETE FROM audit_log WHERE id <= ?1").with(last).run();
    const auto removed = static_cast<std::int64_t>(c.changes());
    checkpoint.details = {{"last_pruned", last},
                          {"last_pruned_hash", last_hash_value},
                          {"pruned", removed},
                          {"before", to_unix(before)}};
    // With nothing left the checkpoint itself comes first, chained from the last pruned entry
    // as verify expects of the first kept one.
    const bool emptied = last_hash(c).empty();
    append(c, checkpoint, emptied ? std::optional(last_hash_value) : std::nullopt);
    return removed;
  });
}

Result<std::int64_t> AuditStore::forget_origins(domain::TimePoint before) {
  return db_.write<std::int64_t>([&](Connection& c) -> std::int64_t {
    c.prepare(
         "DELETE FROM audit_personal WHERE field IN ('client_ip', 'user_agent') AND entry IN "
         "(SELECT id FROM audit_log WHERE at < ?1)")
        .with(to_unix(before))
        .run();
    return c.changes();
  });
}

Result<domain::AuditErasure> AuditStore::erase(const std::string& address,
                                               const AuditEntry& actor) {
  AuditEntry erased = actor;
  erased.at = clock_.now();
  erased.event = "identity.erased";
  complete(erased);
  const std::string by =
      actor.personal.actor_address.empty() ? actor.actor_kind : actor.personal.actor_address;
  auto done = db_.write<domain::AuditErasure>([&](Connection& c) {
    domain::AuditErasure result;
    std::vector<domain::Id> own;
    std::vector<domain::Id> about;
    {
      // An entry about the address whose actor is no member (a code request, a failed code)
      // came from that person's own browser: its client address and agent are theirs too.
      auto& s = c.prepare(
          "SELECT p.entry, p.field = 'actor_address' OR a.actor_kind <> 'member' "
          "FROM audit_personal p JOIN audit_log a ON a.id = p.entry "
          "WHERE p.value = ?1 AND p.field IN ('actor_address', 'target_address')");
      s.with(address);
      while (s.step()) {
        (s.int64(1) != 0 ? own : about).push_back(s.int64(0));
      }
      s.reset();
    }
    // Their own requests: every personal value of the entry is theirs (address, client, agent).
    for (const auto id : own) {
      c.prepare("DELETE FROM audit_personal WHERE entry = ?1").with(id).run();
    }
    c.prepare("DELETE FROM audit_personal WHERE value = ?1").with(address).run();
    std::vector<domain::Id> touched = own;
    touched.insert(touched.end(), about.begin(), about.end());
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (const auto id : touched) {
      c.prepare("UPDATE audit_log SET erased_at = ?2, erased_by = ?3 WHERE id = ?1")
          .with(id, to_unix(erased.at), by)
          .run();
    }
    result.entries = static_cast<std::int64_t>(touched.size());

    std::optional<std::int64_t> identity;
    {
      auto& s = c.prepare("SELECT id FROM external_identities WHERE address = ?1").with(address);
      if (s.step()) {
        identity = s.int64(0);
      }
      s.reset();
    }
    // Every other row that names the address. Secure delete (on for every connection) zeroes
    // the freed space; the caller empties the WAL afterwards.
    const auto remove = [&c, &result](std::string_view sql, const std::string& value) {
      c.prepare(sql).with(value).run();
      result.rows += c.changes();
    };
    remove("DELETE FROM external_identities WHERE address = ?1", address);
    remove(
        "DELETE FROM outbox WHERE recipient = ?1 OR instr(subject, ?1) > 0 OR "
        "instr(body_text, ?1) > 0 OR instr(body_html, ?1) > 0",
        address);
    remove("DELETE FROM verification_codes WHERE address = ?1", address);
    remove("DELETE FROM verification_requests WHERE address = ?1", address);
    remove("DELETE FROM access_requests WHERE address = ?1", address);
    remove("DELETE FROM removed_recipients WHERE address = ?1", address);
    remove("DELETE FROM identity_aliases WHERE address = ?1", address);

    erased.target = identity ? "identity:" + std::to_string(*identity) : "identity";
    erased.details = {{"entries", result.entries}, {"rows", result.rows}};
    append(c, erased);
    return result;
  });
  if (done) {
    db_.checkpoint_truncate();
  }
  return done;
}

}  // namespace vestibule::store::sql
