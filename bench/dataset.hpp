// Dataset: a data folder filled at the scale of SPEC §8 for the benchmarks. One admin and N
// members, a team space holding a folder tree of a given depth and item count, and links on
// distinct items (mostly specific links with one external recipient each, some anyone links),
// so one dataset serves the authorization benchmark and the external-sharing report. The few
// rows that matter to sign-in and policy go through the real services; the bulk is written with
// prepared INSERTs in a few large transactions (a million items through the services would take
// hours), producing the rows the stores themselves write — dataset_test.cpp holds them to that.
// Not thread-safe: one generator per data folder at a time.
#pragma once

#include "blob/local_blob_store.hpp"
#include "domain/authz.hpp"
#include "domain/files.hpp"
#include "domain/members.hpp"
#include "domain/outbox.hpp"
#include "domain/sharing.hpp"
#include "domain/spaces.hpp"
#include "domain/verification.hpp"
#include "store/sql/repositories.hpp"
#include "store/sqlite/database.hpp"
#include "util/clock.hpp"
#include "util/crypto.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace vestibule::bench {

struct DatasetShape {
  std::int64_t items = 1000;  // in the team space, its root folder included
  std::int64_t links = 100;   // each on a distinct item while there are enough items
  int depth = 20;             // of the deepest files; the root folder is at depth 0
  int members = 100;          // besides the admin
  // How many requests of each benchmark case to prepare (fewer when the dataset has fewer).
  int samples = 1000;
  // The admin signs in with the real default cost; tests lower it.
  util::PasswordHashCost admin_password_cost = util::default_password_cost();
};

// One request to authorize: who (a session or link token, or a member's address) asks for which
// item (a file at the full depth).
struct Sample {
  domain::Id item_id = 0;
  std::string link_token;     // specific and anyone cases
  std::string session_token;  // the recipient's verified session (specific case)
  std::string address;        // the recipient's address (specific case)
};

// What a script or a benchmark needs to use a generated dataset; kept beside it as dataset.json.
struct DatasetManifest {
  std::int64_t items = 0;
  std::int64_t links = 0;
  int depth = 0;
  int members = 0;
  std::int64_t generated_at = 0;  // Unix seconds; every row was written at this time
  double seconds = 0;             // how long generating took
  std::string admin_email;
  std::string admin_password;
  std::string member_email;  // holds a direct grant on a folder at depth 1, no membership
  std::string member_password;
  domain::Id space_id = 0;
  domain::Id root_id = 0;
  domain::Id granted_folder_id = 0;
  std::vector<Sample> member_samples;    // files below the granted folder
  std::vector<Sample> specific_samples;  // specific links on files, one verified recipient each
  std::vector<Sample> anyone_samples;    // anyone links on files

  [[nodiscard]] bool same_shape(const DatasetShape& shape) const;
};

nlohmann::json to_json(const DatasetManifest& manifest);
Result<DatasetManifest> manifest_from_json(const nlohmann::json& json);

// The bytes of every generated file (one blob, stored once).
std::string_view file_bytes();

// The real stores and domain services over one data folder, with a clock that moves only when
// told (the dataset's rows carry the time they were generated at). Owns everything it builds.
struct Services {
  Services(const std::filesystem::path& data_dir, util::TimePoint now,
           util::PasswordHashCost password_cost = util::default_password_cost());

  // The principal a member's session gives (as the API builds it).
  Result<domain::Principal> member(const std::string& email);

  struct QuietEvents final : domain::SharingEvents {
    void record(const domain::SharingEvent& /*event*/) override {}
  };
  // The benchmarks never deliver mail: queued invitations stay queued.
  struct NoMail final : domain::MailSender {
    domain::SendOutcome send(const domain::MailMessage& /*message*/,
                             const std::function<bool()>& /*may_finish*/) override {
      return {domain::SendOutcome::Kind::kTemporary, "benchmarks send no mail"};
    }
  };

  util::ManualClock clock;
  store::sqlite::Database db;
  store::sql::UserStore users{db};
  store::sql::SessionStore sessions{db};
  store::sql::SpaceStore space_store{db};
  store::sql::ItemStore items{db};
  store::sql::SharingStore sharing_store{db};
  store::sql::PolicyStore policies{db};
  store::sql::OutboxStore outbox_store{db};
  store::sql::VerificationStore verification_store{db};
  blob::LocalBlobStore blobs;
  domain::Authorizer authz{space_store, items, sharing_store, policies, clock};
  domain::SignInThrottle throttle{clock, {}};
  domain::SignInThrottle link_throttle{clock, {}};
  QuietEvents events;
  NoMail mail;
  domain::Outbox outbox{outbox_store, mail, clock, {}};
  domain::Members members;
  domain::Files files;
  domain::Spaces spaces{space_store, users, sharing_store, authz, clock};
  domain::Sharing sharing;
  domain::Verification verification;
};

// Fills `data_dir` (created; it must not hold a database yet) and writes dataset.json there.
Result<DatasetManifest> generate(const std::filesystem::path& data_dir, const DatasetShape& shape);

// Asks the real services about the dataset: every sample is authorized as its case expects,
// requests outside what was shared are refused, a file can be opened, a folder listed and an
// item's access report read. kInternal naming what was wrong otherwise.
Result<void> check(Services& services, const DatasetManifest& manifest);

// The dataset in `data_dir` if it was generated with this shape and passes check(), else a new
// one in its place, checked too. A folder that holds something other than a generated dataset is
// refused.
Result<DatasetManifest> open_or_generate(const std::filesystem::path& data_dir,
                                         const DatasetShape& shape);

// The manifest of the dataset in `data_dir`.
Result<DatasetManifest> load_manifest(const std::filesystem::path& data_dir);

}  // namespace vestibule::bench
