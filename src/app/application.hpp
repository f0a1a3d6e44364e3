// Application: the composition root. Builds the storage, blob store, domain services and the API
// from a Config and wires them together; the CLI commands and `serve` use it. Owns everything it
// builds; not copyable.
#pragma once

#include "app/config.hpp"
#include "blob/local_blob_store.hpp"
#include "blob/s3/s3_blob_store.hpp"
#include "domain/api_tokens.hpp"
#include "domain/audit_events.hpp"
#include "domain/authz.hpp"
#include "domain/directory.hpp"
#include "domain/files.hpp"
#include "domain/members.hpp"
#include "domain/outbox.hpp"
#include "domain/sessions.hpp"
#include "domain/sharing.hpp"
#include "domain/spaces.hpp"
#include "domain/verification.hpp"
#include "mail/dev_mailbox.hpp"
#include "mail/outbox_worker.hpp"
#include "mail/smtp_sender.hpp"
#include "store/sql/audit_store.hpp"
#include "store/sql/engine.hpp"
#include "store/sql/repositories.hpp"
#include "util/clock.hpp"

#include <memory>
#include <optional>

namespace vestibule::app {

// The node's two secret keys: the server key (codes are stored as HMACs under it) and the audit
// key (the audit log's chain).
struct NodeKeys {
  std::string server;
  std::string audit;
};

// Writes the keys this configuration uses (the data folder's, made when missing, or those of
// [server] key_file) into `to`, one file for [server] key_file on every node of a cluster: mode
// 0600, never over an existing file.
Result<void> export_keys(const Config& config, const std::string& to);

// The S3 client's settings from the [storage] s3_* keys.
blob::s3::S3Config s3_config_of(const Config::Storage& storage);

class Application {
 public:
  // Opens (creating) the data folder and database and migrates it to the current schema.
  static Result<std::unique_ptr<Application>> open(Config config, bool test_clock = false);

  // Creates the bootstrap admin on an empty database; returns a line for the operator to read
  // (empty when nothing was created).
  Result<std::string> bootstrap_admin();
  // Serves HTTP until SIGTERM/SIGINT; returns the process exit code.
  int serve();

  domain::Members& members() { return *members_; }
  domain::Sharing& sharing() { return *sharing_; }
  domain::ApiTokens& api_tokens() { return *api_tokens_; }
  store::sql::Database& database() { return *db_; }
  domain::AuditLog& audit() { return *audit_; }
  domain::ExternalDirectory& directory() { return *directory_; }
  const Config& config() const { return config_; }

 private:
  explicit Application(Config config) : config_(std::move(config)) {}
  // [audit] retention and client_address_retention, on the outbox worker's thread.
  void apply_audit_retention();
  // At start-up: the blob store made ready (folders, or the bucket), what crashed uploads left
  // behind removed, and the blobs no version refers to collected. False (after logging why) when
  // the store cannot be used.
  bool prepare_blob_store();

  Config config_;
  std::unique_ptr<util::Clock> clock_;
  util::ManualClock* manual_clock_ = nullptr;
  std::unique_ptr<store::sql::Database> db_;
  std::unique_ptr<store::sql::UserStore> users_;
  std::unique_ptr<store::sql::SessionStore> sessions_;
  std::unique_ptr<store::sql::SpaceStore> spaces_repo_;
  std::unique_ptr<store::sql::ItemStore> items_;
  // [storage] backend: the one store below that is set is what blobs_ points at.
  std::unique_ptr<blob::LocalBlobStore> local_blobs_;
  std::unique_ptr<blob::s3::S3BlobStore> s3_blobs_;
  domain::BlobStore* blobs_ = nullptr;
  std::unique_ptr<store::sql::ThrottleStore> throttle_repo_;
  std::unique_ptr<domain::SignInThrottle> throttle_;
  std::unique_ptr<store::sql::SharingStore> sharing_repo_;
  std::unique_ptr<store::sql::PolicyStore> policies_;
  std::unique_ptr<domain::Authorizer> authz_;
  std::unique_ptr<domain::SignInThrottle> link_password_throttle_;
  std::unique_ptr<domain::LoggedSharingEvents> sharing_events_;
  std::unique_ptr<store::sql::AuditStore> audit_;
  std::unique_ptr<domain::AuditedSharingEvents> audited_events_;
  std::unique_ptr<domain::Members> members_;
  std::unique_ptr<domain::Files> files_;
  std::unique_ptr<domain::Spaces> spaces_;
  std::unique_ptr<store::sql::OutboxStore> outbox_repo_;
  std::unique_ptr<mail::DevMailbox> dev_mailbox_;
  std::unique_ptr<mail::SmtpSender> smtp_sender_;
  std::unique_ptr<domain::Outbox> outbox_;
  std::unique_ptr<domain::Sharing> sharing_;
  std::unique_ptr<store::sql::VerificationStore> verification_repo_;
  std::unique_ptr<domain::Verification> verification_;
  std::optional<util::TimePoint> last_retention_;
  std::unique_ptr<domain::ExternalDirectory> directory_;
  std::unique_ptr<store::sql::ApiTokenStore> api_token_repo_;
  std::unique_ptr<domain::ApiTokens> api_tokens_;
  std::unique_ptr<store::sql::SessionDirectoryStore> session_directory_;
  std::unique_ptr<domain::Sessions> session_list_;
};

}  // namespace vestibule::app
