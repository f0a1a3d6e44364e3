// StoreFixture: the real SQLite store and local blob store in a temporary folder, with the
// domain services wired over them and a ManualClock, for tests of the domain and the storage.
#pragma once

#include "blob/local_blob_store.hpp"
#include "domain/api_tokens.hpp"
#include "domain/authz.hpp"
#include "domain/directory.hpp"
#include "domain/files.hpp"
#include "domain/members.hpp"
#include "domain/sessions.hpp"
#include "domain/sharing.hpp"
#include "domain/spaces.hpp"
#include "domain/verification.hpp"
#include "store/sql/audit_store.hpp"
#include "store/sql/repositories.hpp"
#include "store/sqlite/database.hpp"
#include "support/temp_dir.hpp"
#include "util/clock.hpp"

#include <memory>

namespace vestibule::testing {

// A mail sender that keeps what it was given and answers as told.
struct RecordingSender final : domain::MailSender {
  domain::SendOutcome send(const domain::MailMessage& message,
                           const std::function<bool()>& may_finish) override {
    if (may_finish && !may_finish()) {
      return {domain::SendOutcome::Kind::kClaimLost, "the claim ended"};
    }
    sent.push_back(message);
    return answer;
  }
  std::vector<domain::MailMessage> sent;
  domain::SendOutcome answer{domain::SendOutcome::Kind::kSent, "250 ok"};
};

// Keeps every sharing event, for tests that check what was recorded.
struct RecordedSharingEvents final : domain::SharingEvents {
  void record(const domain::SharingEvent& event) override { events.push_back(event); }
  std::vector<domain::SharingEvent> events;
};

struct StoreFixture {
  explicit StoreFixture(int keep_versions = 10);

  // A member with a personal space; password "correct horse".
  domain::User add_user(const std::string& email, bool admin = false);
  domain::Principal as(const domain::User& user) const {
    return domain::Principal::member(user.id, user.role == domain::UserRole::kAdmin,
                                     user.display_name);
  }
  domain::Item upload(const domain::Principal& who, domain::Id folder, const std::string& name,
                      const std::string& bytes);
  std::string read_all(const domain::Principal& who, domain::Id id,
                       std::optional<std::int64_t> version = std::nullopt);
  domain::Id personal_root(const domain::User& user);

  TempDir dir;
  util::ManualClock clock;
  store::sqlite::Database db;
  store::sql::AuditStore audit{db, clock, std::string(32, 'k')};
  store::sql::UserStore users{db};
  store::sql::SessionStore sessions{db};
  store::sql::SpaceStore space_store{db};
  store::sql::ItemStore items{db};
  blob::LocalBlobStore blobs;
  store::sql::ThrottleStore throttle_store{db};
  domain::SignInThrottle throttle{throttle_store, "sign-in", clock, {}};
  store::sql::SharingStore sharing_store{db};
  store::sql::PolicyStore policies{db};
  domain::Authorizer authz{space_store, items, sharing_store, policies, clock};
  domain::SignInThrottle link_throttle{throttle_store, "link-password", clock, {}};
  RecordedSharingEvents events;
  store::sql::OutboxStore outbox_store{db};
  RecordingSender mail_sender;
  domain::Outbox outbox{outbox_store, mail_sender, clock, {}};
  domain::Members members;
  domain::Files files;
  domain::Spaces spaces{space_store, users, sharing_store, authz, clock};
  domain::Sharing sharing;
  store::sql::VerificationStore verification_store{db};
  domain::Verification verification;
  domain::ExternalDirectory directory{sharing_store, space_store, users,  items,
                                      authz,         outbox,      events, clock};
  store::sql::ApiTokenStore api_token_store{db};
  domain::ApiTokens api_tokens{api_token_store, users, clock};
  store::sql::SessionDirectoryStore session_directory{db};
  domain::Sessions session_list{session_directory, authz, clock};
};

// Cheapest Argon2id cost, so tests do not spend seconds hashing.
util::PasswordHashCost test_password_cost();

}  // namespace vestibule::testing
