#include "app/application.hpp"

#include "api/routes.hpp"
#include "app/blob_housekeeping.hpp"
#include "app/exposure.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "store/postgres/database.hpp"
#include "store/sqlite/database.hpp"
#include "util/crypto.hpp"
#include "util/net.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <thread>

#include <fcntl.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace vestibule::app {

namespace fs = std::filesystem;

namespace {

// Multipart uploads and temporary objects (or files) older than this were left by an upload that
// a crash cut short: far above the longest upload, never the blob grace period.
constexpr std::chrono::seconds kTemporariesAge{24 * 3600};
// How often the blob store's sweeps run while the server runs, on the server's clock.
constexpr std::chrono::seconds kBlobHousekeepingEvery{24 * 3600};

util::PasswordHashCost password_cost(const std::string& name) {
  if (name == "moderate") {
    return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
  }
  if (name == "sensitive") {
    return {crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE};
  }
  return util::default_password_cost();
}

// A secret key of the data folder (32 random bytes, mode 0600), created on first start: the
// server key (codes are stored as HMACs under it) or the audit key.
Result<std::string> load_or_create_key(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (fs::exists(path)) {
    std::ifstream in(path, std::ios::binary);
    std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (key.size() != 32) {
      return fail(Errc::kUnavailable, "the server key " + path.string() +
                                          " is damaged (not 32 bytes); restore it from a backup "
                                          "or delete it to make a new one (codes in flight stop "
                                          "working)");
    }
    return key;
  }
  std::string key(32, '\0');
  randombytes_buf(key.data(), key.size());
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(key.data(), static_cast<std::streamsize>(key.size()));
    if (!out) {
      return fail(Errc::kUnavailable, "cannot write the server key " + tmp.string());
    }
  }
  fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, ec);
  fs::rename(tmp, path, ec);
  if (ec) {
    return fail(Errc::kUnavailable,
                "cannot write the server key " + path.string() + ": " + ec.message());
  }
  return key;
}

constexpr std::size_t kKeyBytes = 32;

// Both keys of the node: from [server] key_file when it is set (the server key, then the audit
// key, in one file), else each from its own file in the data folder.
Result<NodeKeys> load_keys(const Config& config) {
  if (config.server.key_file.empty()) {
    const fs::path keys = fs::path(config.server.data_dir) / "keys";
    VST_TRY(server, load_or_create_key(keys / "server.key"));
    VST_TRY(audit, load_or_create_key(keys / "audit.key"));
    return NodeKeys{std::move(server), std::move(audit)};
  }
  const std::string& path = config.server.key_file;
  if (!fs::exists(path)) {
    return fail(Errc::kUnavailable,
                "[server] key_file " + path +
                    " does not exist; make it once with `vestibule keys export " + path +
                    "` on the node whose keys the cluster keeps (or on any node of a new one), "
                    "then copy it to every node, readable by the server's user only");
  }
  std::ifstream in(path, std::ios::binary);
  std::string both((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.eof() && !in) {
    return fail(Errc::kUnavailable, "cannot read [server] key_file " + path);
  }
  if (both.size() != 2 * kKeyBytes) {
    return fail(Errc::kUnavailable, "[server] key_file " + path +
                                        " is damaged (not 64 bytes); copy it again from "
                                        "another node or restore it from a backup");
  }
  return NodeKeys{both.substr(0, kKeyBytes), both.substr(kKeyBytes)};
}

}  // namespace

blob::s3::S3Config s3_config_of(const Config::Storage& storage) {
  blob::s3::S3Config s3;
  s3.endpoint = storage.s3_endpoint;
  s3.bucket = storage.s3_bucket;
  s3.region = storage.s3_region;
  s3.access_key = storage.s3_access_key;
  s3.secret_key = storage.s3_secret_key;
  s3.path_style = storage.s3_path_style;
  return s3;
}

Result<void> export_keys(const Config& config, const std::string& to) {
  VST_TRY(keys, load_keys(config));
  // O_EXCL: an existing key file (another cluster's, or this one's) is never overwritten.
  const int fd = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(Errc::kConflict, "cannot create " + to + ": " + std::strerror(errno) +
                                     (errno == EEXIST ? " (it is never overwritten; choose "
                                                        "another name or remove it first)"
                                                      : ""));
  }
  const std::string both = keys.server + keys.audit;
  const bool written = ::write(fd, both.data(), both.size()) == static_cast<ssize_t>(both.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    ::unlink(to.c_str());
    return fail(Errc::kUnavailable, "cannot write " + to + ": " + std::strerror(errno));
  }
  return outcome::success();
}

Result<std::unique_ptr<Application>> Application::open(Config config, bool test_clock) {
  util::crypto_init();
  std::unique_ptr<Application> app(new Application(std::move(config)));
  const fs::path data_dir = app->config_.server.data_dir;
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) {
    return fail(Errc::kUnavailable, "cannot create the data folder " + data_dir.string() + ": " +
                                        ec.message() + "; choose another with --data-dir");
  }
  // A folder made before files were kept private (or by hand) is closed to others now: nothing
  // inside is reachable without passing through it.
  fs::permissions(data_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) {
    return fail(Errc::kUnavailable, "cannot make the data folder " + data_dir.string() +
                                        " private (mode 0700): " + ec.message() +
                                        "; run the server as the folder's owner");
  }
  if (test_clock) {
    auto manual = std::make_unique<util::ManualClock>(std::chrono::system_clock::now());
    app->manual_clock_ = manual.get();
    app->clock_ = std::move(manual);
  } else {
    app->clock_ = std::make_unique<util::SystemClock>();
  }
  const auto threads = app->config_.server.threads != 0 ? app->config_.server.threads
                                                        : std::thread::hardware_concurrency();
  VST_TRY(keys, load_keys(app->config_));
  const std::size_t connections = std::max(2U, threads) + 2;
  try {
    if (app->config_.database.url.empty()) {
      app->db_ = std::make_unique<store::sqlite::Database>((data_dir / "vestibule.db").string(),
                                                           connections);
    } else {
      app->db_ =
          std::make_unique<store::postgres::Database>(app->config_.database.url, connections);
    }
  } catch (const store::sqlite::SqliteError& e) {
    return fail(Errc::kUnavailable, e.what());
  } catch (const store::postgres::PgError& e) {
    return fail(Errc::kUnavailable,
                std::string(e.what()) + "; check [database] url and that PostgreSQL is running");
  }
  VST_TRYV(app->db_->migrate());

  app->users_ = std::make_unique<store::sql::UserStore>(*app->db_);
  app->sessions_ = std::make_unique<store::sql::SessionStore>(*app->db_);
  app->spaces_repo_ = std::make_unique<store::sql::SpaceStore>(*app->db_);
  app->items_ = std::make_unique<store::sql::ItemStore>(*app->db_);
  if (const auto& storage = app->config_.storage; storage.backend == "s3") {
    blob::s3::S3BlobStoreOptions options;
    options.grace = storage.blob_gc_grace;
    // The nodes share the bucket and the database: the database's holds order one node's
    // deletion of a blob against another's putting the same content back into place.
    options.hold =
        [db = app->db_.get()](const std::string& sha256) -> Result<std::shared_ptr<void>> {
      VST_TRY(hold,
              db->try_hold(store::sql::Hold::kBlobs, blob::s3::S3BlobStore::hold_key(sha256)));
      return std::shared_ptr<void>(std::move(hold));
    };
    app->s3_blobs_ = std::make_unique<blob::s3::S3BlobStore>(s3_config_of(storage), options);
    app->blobs_ = app->s3_blobs_.get();
  } else {
    app->local_blobs_ = std::make_unique<blob::LocalBlobStore>(data_dir, storage.blob_gc_grace);
    app->blobs_ = app->local_blobs_.get();
  }
  // The throttles count in the database, so nodes sharing it share one budget of guesses.
  app->throttle_repo_ = std::make_unique<store::sql::ThrottleStore>(*app->db_);
  app->throttle_ = std::make_unique<domain::SignInThrottle>(
      *app->throttle_repo_, "sign-in", *app->clock_, domain::SignInThrottle::Options{});
  app->sharing_repo_ = std::make_unique<store::sql::SharingStore>(*app->db_);
  app->policies_ = std::make_unique<store::sql::PolicyStore>(*app->db_);
  app->authz_ = std::make_unique<domain::Authorizer>(
      *app->spaces_repo_, *app->items_, *app->sharing_repo_, *app->policies_, *app->clock_);
  app->link_password_throttle_ = std::make_unique<domain::SignInThrottle>(
      *app->throttle_repo_, "link-password", *app->clock_, domain::SignInThrottle::Options{});
  app->sharing_events_ = std::make_unique<domain::LoggedSharingEvents>();
  // The audit key is its own file: whoever can write the database but not read this file cannot
  // forge the chain (back up both; a lost key makes the log unverifiable, not unreadable).
  app->audit_ =
      std::make_unique<store::sql::AuditStore>(*app->db_, *app->clock_, std::move(keys.audit));
  app->audited_events_ =
      std::make_unique<domain::AuditedSharingEvents>(*app->audit_, *app->sharing_events_);
  domain::MembersOptions members_options;
  members_options.session_lifetime = app->config_.security.session_lifetime;
  members_options.session_idle = app->config_.security.session_idle;
  members_options.password_cost = password_cost(app->config_.security.password_hash_cost);
  app->members_ = std::make_unique<domain::Members>(*app->users_, *app->sessions_, *app->clock_,
                                                    *app->throttle_, members_options);
  const auto as_bytes = [](std::uint64_t n) {
    return static_cast<std::int64_t>(
        std::min<std::uint64_t>(n, std::numeric_limits<std::int64_t>::max()));
  };
  domain::FilesOptions files_options;
  files_options.keep_versions = app->config_.storage.keep_versions;
  files_options.space_quota = as_bytes(app->config_.storage.space_quota);
  files_options.min_free_bytes = as_bytes(app->config_.storage.min_free_bytes);
  app->files_ = std::make_unique<domain::Files>(*app->items_, *app->spaces_repo_, *app->blobs_,
                                                *app->authz_, *app->clock_, files_options);
  app->spaces_ = std::make_unique<domain::Spaces>(*app->spaces_repo_, *app->users_,
                                                  *app->sharing_repo_, *app->authz_, *app->clock_);
  app->outbox_repo_ = std::make_unique<store::sql::OutboxStore>(*app->db_);
  const auto& smtp = app->config_.smtp;
  if (smtp.host.empty()) {
    if (!dev_mailbox_allowed(app->config_)) {
      return fail(
          Errc::kInvalidArgument,
          "no SMTP relay is configured (smtp.host), and the development mailbox, which "
          "shows every code and link it holds, is off for a server listening on " +
              app->config_.server.listen +
              (app->config_.server.public_url.empty() ? std::string()
                                                      : " at " + app->config_.server.public_url) +
              " (smtp.dev_mailbox = \"" + smtp.dev_mailbox +
              "\"); set smtp.host to your mail relay, or smtp.dev_mailbox = \"on\" for "
              "a development instance");
    }
    app->dev_mailbox_ = std::make_unique<mail::DevMailbox>(data_dir / "mail", *app->clock_);
  } else {
    mail::SmtpSettings settings{
        smtp.host,     smtp.port,
        smtp.tls,      smtp.username,
        smtp.password, smtp.from.empty() ? "Vestibule <no-reply@" + smtp.host + ">" : smtp.from,
        smtp.ca_file,  std::chrono::seconds{30}};
    app->smtp_sender_ = std::make_unique<mail::SmtpSender>(std::move(settings), *app->clock_);
  }
  domain::MailSender& sender = app->dev_mailbox_
                                   ? static_cast<domain::MailSender&>(*app->dev_mailbox_)
                                   : static_cast<domain::MailSender&>(*app->smtp_sender_);
  app->outbox_ = std::make_unique<domain::Outbox>(*app->outbox_repo_, sender, *app->clock_,
                                                  domain::OutboxOptions{});
  domain::SharingOptions sharing_options;
  sharing_options.password_cost = members_options.password_cost;
  app->sharing_ = std::make_unique<domain::Sharing>(
      *app->sharing_repo_, *app->items_, *app->spaces_repo_, *app->users_, *app->policies_,
      *app->authz_, *app->audited_events_, *app->link_password_throttle_, *app->outbox_,
      *app->clock_, sharing_options);
  app->verification_repo_ = std::make_unique<store::sql::VerificationStore>(*app->db_);
  domain::VerificationOptions verification_options;
  verification_options.server_key = std::move(keys.server);
  app->verification_ = std::make_unique<domain::Verification>(
      *app->verification_repo_, *app->sharing_repo_, *app->items_, *app->authz_, *app->outbox_,
      *app->audited_events_, *app->clock_, std::move(verification_options));
  app->directory_ = std::make_unique<domain::ExternalDirectory>(
      *app->sharing_repo_, *app->spaces_repo_, *app->users_, *app->items_, *app->authz_,
      *app->outbox_, *app->audited_events_, *app->clock_);
  app->api_token_repo_ = std::make_unique<store::sql::ApiTokenStore>(*app->db_);
  app->api_tokens_ =
      std::make_unique<domain::ApiTokens>(*app->api_token_repo_, *app->users_, *app->clock_);
  app->session_directory_ = std::make_unique<store::sql::SessionDirectoryStore>(*app->db_);
  app->session_list_ =
      std::make_unique<domain::Sessions>(*app->session_directory_, *app->authz_, *app->clock_,
                                         domain::SessionsOptions{members_options.session_idle});
  return app;
}

void Application::apply_audit_retention() {
  // At most once an hour of the server's clock (so the test clock's jumps apply it at once).
  const auto now = clock_->now();
  if (last_retention_ && now - *last_retention_ < std::chrono::hours{1}) {
    return;
  }
  last_retention_ = now;
  const auto& a = config_.audit;
  if (a.client_address_retention.count() > 0) {
    if (auto r = audit_->forget_origins(now - a.client_address_retention); !r) {
      spdlog::warn("audit: removing old client addresses failed: {}", r.error().message);
    }
  }
  if (a.retention.count() > 0) {
    domain::AuditEntry actor;
    actor.actor_kind = "system";
    auto pruned = audit_->prune(now - a.retention, actor);
    if (!pruned) {
      spdlog::warn("audit: pruning failed: {}", pruned.error().message);
    } else if (pruned.value() > 0) {
      spdlog::info("audit: pruned {} entries older than the retention", pruned.value());
    }
  }
}

Result<std::string> Application::bootstrap_admin() {
  VST_TRY(count, users_->count());
  if (count > 0) {
    return std::string();
  }
  const auto& b = config_.bootstrap;
  const std::string email = b.admin_email.empty() ? "admin@vestibule.localhost" : b.admin_email;
  const bool generated = b.admin_password.empty();
  const std::string password = generated ? util::random_token(15) : b.admin_password;
  VST_TRY(user, members_->add_user(email, password, "Administrator", domain::UserRole::kAdmin));
  spdlog::info("bootstrap admin {} created", user.email);
  if (generated) {
    return "Bootstrap admin: " + user.email + " password: " + password +
           "\n  (shown once; change it with POST /api/v1/me/password or `vestibule user reset`)";
  }
  return "Bootstrap admin: " + user.email + " (password as configured)";
}

bool Application::prepare_blob_store() {
  std::size_t swept = 0;
  if (local_blobs_) {
    auto prepared = local_blobs_->prepare();
    if (!prepared) {
      spdlog::error("{}", prepared.error().message);
      return false;
    }
    swept = prepared.value();
  } else {
    // A store that cannot be reached at start-up stops the start: the operator sees at once
    // what is wrong (the message names the endpoint and the cause) rather than a node that
    // runs and refuses every file.
    if (auto prepared = s3_blobs_->prepare(); !prepared) {
      std::cerr << "vestibule: cannot start: " << prepared.error().message << "\n";
      return false;
    }
    // Only what is far older than any upload: other nodes may be uploading right now.
    auto removed = s3_blobs_->sweep_temporaries(kTemporariesAge);
    if (!removed) {
      spdlog::warn("blob store: removing what interrupted uploads left failed: {}",
                   removed.error().message);
    } else {
      swept = removed.value();
    }
  }
  if (swept > 0) {
    spdlog::info("removed {} unfinished upload(s) left by an earlier stop", swept);
  }
  if (auto collected = files_->collect_garbage(); !collected) {
    spdlog::warn("blob store: collecting unreferenced blobs failed: {}", collected.error().message);
  } else if (collected.value() > 0) {
    spdlog::info("collected {} unreferenced blob(s)", collected.value());
  }
  return true;
}

int Application::serve() {
  if (!prepare_blob_store()) {
    return 1;
  }
  std::ignore = sessions_->remove_expired(clock_->now());  // housekeeping; retried next start

  auto bootstrap = bootstrap_admin();
  if (!bootstrap) {
    std::cerr << "vestibule: cannot create the bootstrap admin: " << bootstrap.error().message
              << "\n";
    return 1;
  }

  http::ServerOptions options;
  options.host = config_.listen_host();
  options.port = config_.listen_port();
  options.threads = config_.server.threads;
  options.max_header_bytes = config_.http.max_header_bytes;
  options.max_header_fields = config_.http.max_header_fields;
  options.header_timeout = config_.http.header_timeout;
  options.idle_timeout = config_.http.idle_timeout;
  options.io_timeout = config_.http.io_timeout;
  options.shutdown_grace = config_.http.shutdown_grace;
  options.max_connections = config_.http.max_connections;
  options.max_connections_per_client = config_.http.max_connections_per_client;
  options.min_body_rate = config_.http.min_body_rate;
  options.access_log = config_.http.access_log == "json"  ? http::AccessLogFormat::kJson
                       : config_.http.access_log == "off" ? http::AccessLogFormat::kOff
                                                          : http::AccessLogFormat::kText;
  options.secure = config_.server.public_url.starts_with("https://");
  if (auto proxies = util::parse_networks(config_.http.trusted_proxies)) {  // checked at load
    options.trusted_proxies = std::move(proxies.value());
  }

  http::Metrics metrics;
  http::Router router;
  api::ApiOptions api_options;
  api_options.max_json_body = config_.http.max_json_body;
  api_options.max_upload_bytes = config_.storage.max_upload_bytes;
  api_options.test_clock = manual_clock_ != nullptr;
  api_options.web_dir = config_.http.web_dir;
  api::Services services{*members_,
                         *files_,
                         *spaces_,
                         *sharing_,
                         *authz_,
                         *verification_,
                         *audit_,
                         *directory_,
                         *api_tokens_,
                         *session_list_,
                         *clock_,
                         manual_clock_,
                         [this]() -> std::optional<std::string> {
                           if (!db_->schema_version().has_value()) {
                             return "the database is not answering; see the server log";
                           }
                           if (auto store = blobs_->ready(); !store) {
                             return "the blob store is not answering: " + store.error().message;
                           }
                           return std::nullopt;
                         },
                         api_options,
                         {},
                         [this] { return db_->stamp(); }};
  http::Server server(options, router, metrics);
  try {
    server.bind();
  } catch (const std::exception& e) {
    std::cerr << "vestibule: cannot listen on " << config_.server.listen << ": " << e.what()
              << "; choose another address with --listen HOST:PORT\n";
    return 1;
  }
  const std::string bound = "http://" + options.host + ":" + std::to_string(server.port());
  server.allow_hosts(allowed_hosts(config_, server.port()));
  services.options.public_url =
      config_.server.public_url.empty() ? bound : config_.server.public_url;
  services.options.secure_cookies = services.options.public_url.starts_with("https://");
  sharing_->set_public_url(services.options.public_url);
  verification_->set_public_url(services.options.public_url);
  if (dev_mailbox_) {
    services.dev_mail = [this] {
      auto list = nlohmann::json::array();
      for (const auto& m : dev_mailbox_->list()) {
        list.push_back({{"to", m.to},
                        {"subject", m.subject},
                        {"text", m.text},
                        {"html", m.html},
                        {"kind", m.kind},
                        {"sent_at", m.sent_at}});
      }
      return list;
    };
  }
  api::add_all_routes(router, services, metrics);
  // The guests' expiry sweep rides on the outbox worker's passes, at most once per interval of
  // real time; what it decides comes from the server's clock (so the test clock moves it).
  const auto sweep_every =
      manual_clock_ != nullptr ? std::chrono::milliseconds{200} : std::chrono::milliseconds{60000};
  auto last_sweep = std::chrono::steady_clock::now() - sweep_every;
  // Start-up has just swept the store; the next sweeps run a day later, and daily after that.
  // Only temporaries older than a day go: uploads are running on this node (and on others).
  BlobHousekeeping blob_housekeeping(
      *clock_, kBlobHousekeepingEvery,
      {[this]() -> Result<std::size_t> {
         return local_blobs_ ? local_blobs_->sweep_temporaries(kTemporariesAge)
                             : s3_blobs_->sweep_temporaries(kTemporariesAge);
       },
       [this] { return files_->collect_garbage(); }});
  mail::OutboxWorker outbox_worker(
      *outbox_, std::chrono::milliseconds{200},
      [this, sweep_every, &last_sweep, &blob_housekeeping] {
        if (const auto t = std::chrono::steady_clock::now(); t - last_sweep >= sweep_every) {
          last_sweep = t;
          const auto guests = directory_->sweep_guests();
          if (guests.warned + guests.deleted > 0) {
            spdlog::info("guests: {} expiry warnings, {} expired guests deleted", guests.warned,
                         guests.deleted);
          }
        }
        apply_audit_retention();
        blob_housekeeping.run_if_due();
        return verification_->process_pending();
      });
  outbox_worker.start();
  verification_->on_request([&outbox_worker] { outbox_worker.wake(); });

  std::cout << "Vestibule listening on " << bound << "\n";
  if (!bootstrap.value().empty()) {
    std::cout << bootstrap.value() << "\n";
  }
  std::cout << "Data folder: " << fs::absolute(config_.server.data_dir).string() << "\n"
            << std::flush;
  if (dev_mailbox_) {
    std::cout << "Development mailbox (no SMTP relay configured; sign in as an admin to read it): "
              << services.options.public_url << "/dev/mail\n"
              << std::flush;
  }
  server.run();
  verification_->on_request({});
  outbox_worker.stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace vestibule::app
