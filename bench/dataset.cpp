#include "dataset.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>

#include <sodium.h>
#include <unistd.h>

namespace vestibule::bench {

namespace fs = std::filesystem;
using domain::Id;
using store::sql::Connection;
using util::to_unix;

namespace {

constexpr std::string_view kAdminEmail = "admin@bench.example";
constexpr std::string_view kAdminName = "Administrator";
constexpr std::string_view kAdminPassword = "bench admin password";
constexpr std::string_view kMemberPassword = "bench member password";
constexpr std::string_view kManifestName = "dataset.json";
// Files per folder at the deepest level: with half of all items there, a million items make
// about ten thousand deepest folders.
constexpr std::int64_t kFilesPerDeepFolder = 50;
constexpr std::size_t kPoolSize = 4;

std::string database_in(const fs::path& data_dir) {
  fs::create_directories(data_dir);
  return (data_dir / "vestibule.db").string();
}

domain::SharingOptions sharing_options(util::PasswordHashCost cost) {
  domain::SharingOptions o;
  o.password_cost = cost;
  return o;
}

domain::MembersOptions members_options(util::PasswordHashCost cost) {
  util::crypto_init();
  domain::MembersOptions o;
  o.password_cost = cost;
  return o;
}

auto broken(const std::string& what) { return fail(Errc::kInternal, "dataset check: " + what); }

std::string describe(const Error& error) { return error.message; }

// Where the folders and files of the tree go. Level d holds the folders at depth d (level 0 is
// the root); the files at the full depth sit in the folders of the last level, the other files
// are spread over all shallower folders. Folder counts grow geometrically from 1 at depth 1 to
// enough at the last level for kFilesPerDeepFolder files each, so there are many deep leaves and
// every depth is populated.
struct Layout {
  std::vector<std::int64_t> folders;  // per level, [0] = 1 (the root)
  std::int64_t deep_files = 0;
  std::int64_t other_files = 0;
};

Result<Layout> plan(const DatasetShape& shape) {
  if (shape.depth < 2) {
    return fail(Errc::kInvalidArgument, "the depth must be at least 2");
  }
  const std::int64_t below_root = shape.items - 1;
  Layout layout;
  layout.deep_files = below_root / 2;
  const auto last = std::max<std::int64_t>(1, layout.deep_files / kFilesPerDeepFolder);
  const int levels = shape.depth - 1;  // folder levels below the root
  layout.folders.push_back(1);
  std::int64_t folders = 0;
  for (int d = 1; d <= levels; ++d) {
    const double grown = std::pow(static_cast<double>(last), static_cast<double>(d) / levels);
    const auto count = std::max<std::int64_t>(layout.folders.back(), std::llround(grown));
    layout.folders.push_back(count);
    folders += count;
  }
  if (folders + 1 > below_root) {
    return fail(Errc::kInvalidArgument, "a tree of depth " + std::to_string(shape.depth) +
                                            " needs more than " + std::to_string(shape.items) +
                                            " items");
  }
  layout.deep_files = std::min(layout.deep_files, below_root - folders);
  layout.other_files = below_root - folders - layout.deep_files;
  return layout;
}

// `count` indexes spread evenly over [0, size).
std::vector<std::size_t> spread(std::size_t size, std::size_t count) {
  std::vector<std::size_t> out;
  count = std::min(count, size);
  out.reserve(count);
  for (std::size_t k = 0; k < count; ++k) {
    out.push_back(k * size / count);
  }
  return out;
}

std::string file_content() {
  std::string text;
  while (text.size() < 4096) {
    text += "Vestibule benchmark file; every generated file has these bytes.\n";
  }
  text.resize(4096);
  return text;
}

// The expiry the Sharing service gives a new link of `kind` under `policy` when none is asked
// for (Sharing::checked_expiry at creation).
std::optional<std::int64_t> default_expiry(domain::LinkKind kind, const domain::Policy& policy,
                                           std::int64_t now) {
  std::optional<std::int64_t> expiry;
  if (kind == domain::LinkKind::kSpecific && policy.specific_link_default_lifetime.count() > 0) {
    expiry = now + policy.specific_link_default_lifetime.count();
  }
  const auto maximum = kind == domain::LinkKind::kAnyone ? policy.anyone_link_max_lifetime
                                                         : policy.specific_link_max_lifetime;
  if (maximum.count() > 0) {
    expiry = std::min(expiry.value_or(now + maximum.count()), now + maximum.count());
  }
  return expiry;
}

struct Tree {
  std::vector<std::vector<Id>> folder_ids;     // per level
  std::vector<std::vector<std::size_t>> tops;  // per level: index of the depth-1 ancestor
  std::vector<Id> deep_files;
  std::vector<bool> deep_below_first;  // under the first folder at depth 1
  std::vector<Id> others;              // folders and files above the full depth
};

}  // namespace

std::string_view file_bytes() {
  static const std::string bytes = file_content();
  return bytes;
}

bool DatasetManifest::same_shape(const DatasetShape& shape) const {
  return items == shape.items && links == shape.links && depth == shape.depth &&
         members == shape.members;
}

nlohmann::json to_json(const DatasetManifest& m) {
  const auto samples = [](const std::vector<Sample>& list) {
    auto out = nlohmann::json::array();
    for (const auto& s : list) {
      nlohmann::json j{{"item_id", s.item_id}};
      if (!s.link_token.empty()) {
        j["link_token"] = s.link_token;
      }
      if (!s.session_token.empty()) {
        j["session_token"] = s.session_token;
        j["address"] = s.address;
      }
      out.push_back(std::move(j));
    }
    return out;
  };
  return {{"items", m.items},
          {"links", m.links},
          {"depth", m.depth},
          {"members", m.members},
          {"generated_at", m.generated_at},
          {"seconds", m.seconds},
          {"admin", {{"email", m.admin_email}, {"password", m.admin_password}}},
          {"member", {{"email", m.member_email}, {"password", m.member_password}}},
          {"space_id", m.space_id},
          {"root_id", m.root_id},
          {"granted_folder_id", m.granted_folder_id},
          {"member_samples", samples(m.member_samples)},
          {"specific_samples", samples(m.specific_samples)},
          {"anyone_samples", samples(m.anyone_samples)}};
}

Result<DatasetManifest> manifest_from_json(const nlohmann::json& j) {
  try {
    DatasetManifest m;
    m.items = j.at("items").get<std::int64_t>();
    m.links = j.at("links").get<std::int64_t>();
    m.depth = j.at("depth").get<int>();
    m.members = j.at("members").get<int>();
    m.generated_at = j.at("generated_at").get<std::int64_t>();
    m.seconds = j.at("seconds").get<double>();
    m.admin_email = j.at("admin").at("email").get<std::string>();
    m.admin_password = j.at("admin").at("password").get<std::string>();
    m.member_email = j.at("member").at("email").get<std::string>();
    m.member_password = j.at("member").at("password").get<std::string>();
    m.space_id = j.at("space_id").get<Id>();
    m.root_id = j.at("root_id").get<Id>();
    m.granted_folder_id = j.at("granted_folder_id").get<Id>();
    const auto samples = [&](const char* key) {
      std::vector<Sample> out;
      for (const auto& s : j.at(key)) {
        out.push_back({s.at("item_id").get<Id>(), s.value("link_token", ""),
                       s.value("session_token", ""), s.value("address", "")});
      }
      return out;
    };
    m.member_samples = samples("member_samples");
    m.specific_samples = samples("specific_samples");
    m.anyone_samples = samples("anyone_samples");
    return m;
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::kInvalidArgument, std::string("unreadable dataset manifest: ") + e.what());
  }
}

Services::Services(const fs::path& data_dir, util::TimePoint now,
                   util::PasswordHashCost password_cost)
    : clock(now),
      db(database_in(data_dir), kPoolSize),
      blobs(data_dir, std::chrono::seconds{0}),
      members(users, sessions, clock, throttle, members_options(password_cost)),
      files(items, space_store, blobs, authz, clock, domain::FilesOptions{}),
      sharing(sharing_store, items, space_store, users, policies, authz, events, link_throttle,
              outbox, clock, sharing_options(password_cost)),
      verification(verification_store, sharing_store, items, authz, outbox, events, clock,
                   domain::VerificationOptions{std::string(32, 'b'), std::chrono::hours(12), 100}) {
  if (auto migrated = db.migrate(); !migrated) {
    throw std::runtime_error("cannot migrate the dataset's database: " + migrated.error().message);
  }
  if (auto prepared = blobs.prepare(); !prepared) {
    throw std::runtime_error("cannot prepare the dataset's blobs: " + prepared.error().message);
  }
}

Result<domain::Principal> Services::member(const std::string& email) {
  VST_TRY(user, users.find_by_email(email));
  return domain::Principal::member(user.id, user.role == domain::UserRole::kAdmin,
                                   user.display_name, user.email);
}

Result<DatasetManifest> generate(const fs::path& data_dir, const DatasetShape& shape) {
  if (fs::exists(data_dir / "vestibule.db")) {
    return fail(Errc::kConflict,
                data_dir.string() + " already holds a database; give a new folder");
  }
  VST_TRY(layout, plan(shape));
  const auto started = std::chrono::steady_clock::now();
  util::crypto_init();
  const util::TimePoint time = util::from_unix(to_unix(std::chrono::system_clock::now()));
  const std::int64_t now = to_unix(time);
  Services s(data_dir, time, shape.admin_password_cost);

  // What sign-in, policy and the space rest on goes through the services.
  VST_TRY(admin_user, s.members.add_user(std::string(kAdminEmail), std::string(kAdminPassword),
                                         std::string(kAdminName), domain::UserRole::kAdmin));
  const auto admin =
      domain::Principal::member(admin_user.id, true, admin_user.display_name, admin_user.email);
  VST_TRYV(s.sharing.change_org_settings(admin, {{"external_sharing", "anyone"}}));
  VST_TRY(space, s.spaces.create_team(admin, "Benchmark"));
  VST_TRY(root, s.items.find(space.root_item_id));
  VST_TRY(policy, s.authz.policy_in(space.id));
  VST_TRY(writer, s.blobs.begin_write());
  VST_TRYV(writer->write(file_bytes()));
  VST_TRY(blob, writer->commit());

  DatasetManifest m;
  m.items = shape.items;
  m.links = shape.links;
  m.depth = shape.depth;
  m.members = shape.members;
  m.generated_at = now;
  m.admin_email = kAdminEmail;
  m.admin_password = kAdminPassword;
  m.member_password = kMemberPassword;
  m.space_id = space.id;
  m.root_id = root.id;

  // Members share one password hash (cheapest cost: they are many, and sign-in still works).
  const util::PasswordHashCost cheapest{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
  VST_TRY(member_hash, util::hash_password(kMemberPassword, cheapest));
  VST_TRY(member_ids, s.db.write<std::vector<Id>>([&](Connection& c) {
    std::vector<Id> ids;
    for (int i = 1; i <= shape.members; ++i) {
      const std::string name = "member-" + std::to_string(i);
      c.prepare(
           "INSERT INTO users (email, display_name, password_hash, role, disabled, created_at) "
           "VALUES (?1, ?2, ?3, 'user', 0, ?4)")
          .with(name + "@bench.example", name, member_hash, now)
          .run();
      const Id id = c.last_insert_id();
      store::sql::insert_space(c, "My files", domain::SpaceKind::kPersonal, id, id, time);
      ids.push_back(id);
      // Some members are in the team space; the first (the benchmark's) only holds a grant.
      if (i > 1 && i % 3 != 0) {
        c.prepare("INSERT INTO space_members (space_id, user_id, role) VALUES (?1, ?2, ?3)")
            .with(space.id, id, i % 3 == 1 ? "member" : "visitor")
            .run();
      }
    }
    return ids;
  }));
  if (!member_ids.empty()) {
    m.member_email = "member-1@bench.example";
  }

  // The tree, level by level, with ids given in the order the store would give them.
  VST_TRY(tree, s.db.write<Tree>([&](Connection& c) {
    c.exec("PRAGMA cache_size = -262144");  // 256 MiB: the indexes of a million rows stay put
    Tree t;
    auto& max_id = c.prepare("SELECT max(id) FROM items");
    max_id.step();
    Id next = max_id.int64(0) + 1;
    max_id.reset();
    std::vector<std::vector<std::string>> paths(layout.folders.size());
    t.folder_ids.resize(layout.folders.size());
    t.tops.resize(layout.folders.size());
    t.folder_ids[0] = {root.id};
    t.tops[0] = {0};
    paths[0] = {root.path};
    const auto label = std::string(kAdminName);
    const auto add_folder = [&](std::size_t level, std::size_t parent, const std::string& name) {
      const Id id = next++;
      std::string path = paths[level - 1][parent] + std::to_string(id) + "/";
      c.prepare(
           "INSERT INTO items (id, space_id, parent_id, name, kind, path, modified_at, "
           "modified_by, modified_by_label) VALUES (?1, ?2, ?3, ?4, 'folder', ?5, ?6, ?7, ?8)")
          .with(id, space.id, t.folder_ids[level - 1][parent], name, path, now, admin_user.id,
                label)
          .run();
      t.folder_ids[level].push_back(id);
      t.tops[level].push_back(level == 1 ? t.folder_ids[1].size() - 1 : t.tops[level - 1][parent]);
      paths[level].push_back(std::move(path));
    };
    const auto add_file = [&](std::size_t level, std::size_t parent, const std::string& name) {
      const Id id = next++;
      c.prepare(
           "INSERT INTO items (id, space_id, parent_id, name, kind, path, size, version, blob, "
           "modified_at, modified_by, modified_by_label) "
           "VALUES (?1, ?2, ?3, ?4, 'file', ?5, ?6, 1, ?7, ?8, ?9, ?10)")
          .with(id, space.id, t.folder_ids[level][parent], name,
                paths[level][parent] + std::to_string(id) + "/", blob.size, blob.sha256, now,
                admin_user.id, label)
          .run();
      c.prepare(
           "INSERT INTO versions (item_id, number, blob, size, created_at, created_by, "
           "created_by_label) VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6)")
          .with(id, blob.sha256, blob.size, now, admin_user.id, label)
          .run();
      return id;
    };
    for (std::size_t level = 1; level < layout.folders.size(); ++level) {
      const auto above = static_cast<std::size_t>(layout.folders[level - 1]);
      for (std::int64_t j = 0; j < layout.folders[level]; ++j) {
        add_folder(level, static_cast<std::size_t>(j) % above,
                   "folder-" + std::to_string(level) + "-" + std::to_string(j));
      }
      t.others.insert(t.others.end(), t.folder_ids[level].begin(), t.folder_ids[level].end());
    }
    const std::size_t last = layout.folders.size() - 1;
    for (std::int64_t k = 0; k < layout.deep_files; ++k) {
      const auto parent = static_cast<std::size_t>(k) % t.folder_ids[last].size();
      t.deep_files.push_back(add_file(last, parent, "file-" + std::to_string(k) + ".txt"));
      t.deep_below_first.push_back(t.tops[last][parent] == 0);
    }
    std::vector<std::pair<std::size_t, std::size_t>> shallow;  // (level, index) of folders
    for (std::size_t level = 0; level < last; ++level) {
      for (std::size_t j = 0; j < t.folder_ids[level].size(); ++j) {
        shallow.emplace_back(level, j);
      }
    }
    for (std::int64_t k = 0; k < layout.other_files; ++k) {
      const auto& [level, parent] = shallow[static_cast<std::size_t>(k) % shallow.size()];
      t.others.push_back(add_file(level, parent, "document-" + std::to_string(k) + ".txt"));
    }
    return t;
  }));
  m.granted_folder_id = tree.folder_ids[1][0];

  // Links on distinct items: four in five on files at the full depth, the rest on folders and
  // shallower files; one in ten is an anyone link, the others specific with one external
  // recipient. Recipients are shared by two links each, and half of them have verified.
  struct PlannedLink {
    Id item_id = 0;
    domain::LinkKind kind = domain::LinkKind::kSpecific;
    std::size_t recipient = 0;
    bool deep = false;
  };
  std::vector<PlannedLink> planned;
  const auto deep_links = std::min<std::size_t>(
      tree.deep_files.size(), static_cast<std::size_t>(shape.links - shape.links / 5));
  const auto other_links = static_cast<std::size_t>(shape.links) - deep_links;
  for (const auto k : spread(tree.deep_files.size(), deep_links)) {
    planned.push_back({tree.deep_files[k], domain::LinkKind::kSpecific, 0, true});
  }
  for (std::size_t k = 0; k < other_links; ++k) {
    // Wraps around (several links on one item) only when there are fewer items than links.
    planned.push_back({tree.others[(k * tree.others.size() / other_links) % tree.others.size()],
                       domain::LinkKind::kSpecific, 0, false});
  }
  std::size_t specific = 0;
  for (std::size_t k = 0; k < planned.size(); ++k) {
    if (k % 10 == 9) {
      planned[k].kind = domain::LinkKind::kAnyone;
    } else {
      ++specific;
    }
  }
  const std::size_t identities = std::max<std::size_t>(1, (specific + 1) / 2);
  {
    std::size_t n = 0;
    for (auto& link : planned) {
      if (link.kind == domain::LinkKind::kSpecific) {
        link.recipient = n++ % identities;
      }
    }
  }
  const auto verified = [](std::size_t recipient) { return recipient % 2 == 1; };
  const auto address_of = [](std::size_t recipient) {
    return "recipient-" + std::to_string(recipient) + "@partner-" +
           std::to_string(recipient % 100) + ".example";
  };
  // The samples: links on deep files, specific ones with a verified recipient (each its own).
  std::vector<std::size_t> specific_candidates;
  std::vector<std::size_t> anyone_candidates;
  {
    std::vector<bool> taken(identities, false);
    for (std::size_t k = 0; k < planned.size(); ++k) {
      const auto& link = planned[k];
      if (!link.deep) {
        continue;
      }
      if (link.kind == domain::LinkKind::kAnyone) {
        anyone_candidates.push_back(k);
      } else if (verified(link.recipient) && !taken[link.recipient]) {
        taken[link.recipient] = true;
        specific_candidates.push_back(k);
      }
    }
  }
  const auto samples = static_cast<std::size_t>(std::max(shape.samples, 1));
  std::map<std::size_t, Sample*> sampled;  // planned link -> its sample
  for (const auto k : spread(specific_candidates.size(), samples)) {
    m.specific_samples.push_back({planned[specific_candidates[k]].item_id, "", "", ""});
  }
  for (const auto k : spread(anyone_candidates.size(), samples)) {
    m.anyone_samples.push_back({planned[anyone_candidates[k]].item_id, "", "", ""});
  }
  // Pointers taken once both lists are complete.
  for (std::size_t i = 0; const auto k : spread(specific_candidates.size(), samples)) {
    sampled[specific_candidates[k]] = &m.specific_samples[i++];
  }
  for (std::size_t i = 0; const auto k : spread(anyone_candidates.size(), samples)) {
    sampled[anyone_candidates[k]] = &m.anyone_samples[i++];
  }
  {
    std::vector<Id> below;
    for (std::size_t k = 0; k < tree.deep_files.size(); ++k) {
      if (tree.deep_below_first[k]) {
        below.push_back(tree.deep_files[k]);
      }
    }
    for (const auto k : spread(below.size(), samples)) {
      m.member_samples.push_back({below[k], "", "", ""});
    }
  }

  VST_TRYV(s.db.write<void>([&](Connection& c) {
    c.exec("PRAGMA cache_size = -262144");
    std::vector<Id> identity_ids;
    identity_ids.reserve(identities);
    for (std::size_t r = 0; r < identities; ++r) {
      c.prepare(
           "INSERT INTO external_identities (address, state, created_at, verified_at) "
           "VALUES (?1, ?2, ?3, ?4)")
          .with(address_of(r), verified(r) ? "verified" : "pending", now,
                verified(r) ? std::optional<std::int64_t>(now) : std::nullopt)
          .run();
      identity_ids.push_back(c.last_insert_id());
    }
    const auto role = std::string(to_string(policy.default_link_role));
    for (std::size_t k = 0; k < planned.size(); ++k) {
      const auto& link = planned[k];
      const std::string token = util::random_token(32);
      c.prepare(
           "INSERT INTO links (item_id, kind, role, token_hash, password_hash, expires_at, "
           "block_download, message, created_by, created_at) "
           "VALUES (?1, ?2, ?3, ?4, '', ?5, 0, '', ?6, ?7)")
          .with(link.item_id, to_string(link.kind), role, util::sha256_hex(token),
                default_expiry(link.kind, policy, now), admin_user.id, now)
          .run();
      const Id link_id = c.last_insert_id();
      Sample* sample = sampled.contains(k) ? sampled[k] : nullptr;
      if (sample != nullptr) {
        sample->link_token = token;
      }
      if (link.kind != domain::LinkKind::kSpecific) {
        continue;
      }
      c.prepare(
           "INSERT INTO grants (item_id, user_id, external_id, role, link_id, expires_at, "
           "created_by, created_at) VALUES (?1, NULL, ?2, ?3, ?4, NULL, ?5, ?6)")
          .with(link.item_id, identity_ids[link.recipient], role, link_id, admin_user.id, now)
          .run();
      if (sample != nullptr) {
        // A remembered session, as Verification::confirm leaves after a code was typed.
        const auto lasts = std::min(policy.remember_device_for, policy.reverify_after).count();
        sample->session_token = util::random_token(32);
        sample->address = address_of(link.recipient);
        c.prepare(
             "INSERT INTO external_sessions (token_hash, external_id, created_at, proved_at, "
             "expires_at, remembered, client_address, user_agent) "
             "VALUES (?1, ?2, ?3, ?3, ?4, 1, '127.0.0.1', 'vestibule-dataset')")
            .with(util::sha256_hex(sample->session_token), identity_ids[link.recipient], now,
                  now + lasts)
            .run();
      }
    }
    // Direct grants: the benchmark's member may edit the first folder at depth 1; the others
    // may view a folder each, at every depth in turn.
    for (std::size_t i = 0; i < member_ids.size(); ++i) {
      Id folder = tree.folder_ids[1][0];
      if (i > 0) {
        const std::size_t level = 1 + i % (tree.folder_ids.size() - 1);
        folder = tree.folder_ids[level][i % tree.folder_ids[level].size()];
      }
      c.prepare(
           "INSERT INTO grants (item_id, user_id, role, created_by, created_at) "
           "VALUES (?1, ?2, ?3, ?4, ?5)")
          .with(folder, member_ids[i], i == 0 ? "edit" : "view", admin_user.id, now)
          .run();
    }
  }));
  s.db.checkpoint_truncate();

  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::ofstream out(data_dir / kManifestName, std::ios::trunc);
  out << to_json(m).dump(1) << "\n";
  if (!out) {
    return fail(Errc::kUnavailable, "cannot write " + (data_dir / kManifestName).string());
  }
  return m;
}

Result<DatasetManifest> load_manifest(const fs::path& data_dir) {
  std::ifstream in(data_dir / kManifestName);
  if (!in) {
    return fail(Errc::kNotFound, "no dataset in " + data_dir.string());
  }
  auto json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded()) {
    return fail(Errc::kInvalidArgument, "unreadable " + (data_dir / kManifestName).string());
  }
  return manifest_from_json(json);
}

Result<void> check(Services& s, const DatasetManifest& m) {
  using domain::Action;
  const auto count = [&](const char* sql, Id arg) {
    return s.db.read<std::int64_t>([&](Connection& c) {
      auto& q = c.prepare(sql);
      q.with(arg);
      q.step();
      return q.int64(0);
    });
  };
  VST_TRY(items, count("SELECT count(*) FROM items WHERE space_id = ?1", m.space_id));
  if (items != m.items) {
    return broken("the team space holds " + std::to_string(items) + " items, not " +
                  std::to_string(m.items));
  }
  VST_TRY(admin, s.member(m.admin_email));
  VST_TRY(links, count("SELECT count(*) FROM links WHERE created_by = ?1", admin.user_id));
  if (links != m.links) {
    return broken(std::to_string(links) + " links, not " + std::to_string(m.links));
  }
  if (m.member_samples.empty() || m.specific_samples.empty() || m.anyone_samples.empty()) {
    return broken("a benchmark case has no samples: too few items or links");
  }
  VST_TRY(member, s.member(m.member_email));
  VST_TRY(root, s.items.find(m.root_id));

  for (const auto& sample : m.member_samples) {
    VST_TRY(item, s.items.find(sample.item_id));
    auto access = s.authz.authorize(member, Action::kDownload, item);
    if (!access || access.value().role != domain::Role::kEdit) {
      return broken("the member cannot download item " + std::to_string(item.id) + ": " +
                    (access ? "wrong role" : describe(access.error())));
    }
    if (static_cast<int>(access.value().ancestors.size()) != m.depth) {
      return broken("item " + std::to_string(item.id) + " is not at depth " +
                    std::to_string(m.depth));
    }
  }
  if (auto above = s.authz.authorize(member, Action::kRead, root);
      above || above.error().code != Errc::kNotFound) {
    return broken("the member's grant reaches above the granted folder");
  }

  for (const auto& sample : m.specific_samples) {
    VST_TRY(recipient, s.verification.authenticate(sample.session_token));
    VST_TRY(through, s.sharing.through_link(recipient, sample.link_token, std::nullopt));
    VST_TRY(item, s.items.find(sample.item_id));
    auto access = s.authz.authorize(through, Action::kDownload, item);
    if (!access || !access.value().recipient_grant) {
      return broken(
          sample.address + " cannot download item " + std::to_string(item.id) +
          " through its link: " + (access ? "no recipient grant" : describe(access.error())));
    }
    if (s.authz.authorize(through, Action::kRead, root)) {
      return broken("a specific link reaches outside its item");
    }
  }
  {
    const auto& sample = m.specific_samples.front();
    VST_TRY(through, s.sharing.through_link({}, sample.link_token, std::nullopt));
    VST_TRY(item, s.items.find(sample.item_id));
    if (auto access = s.authz.authorize(through, Action::kDownload, item);
        access || access.error().code != Errc::kUnauthenticated) {
      return broken("a specific link lets in someone who has not verified");
    }
    VST_TRY(report, s.sharing.access(admin, item.id));
    const bool listed = std::any_of(report.links.begin(), report.links.end(), [&](const auto& l) {
      return std::any_of(l.recipients.begin(), l.recipients.end(),
                         [&](const auto& g) { return g.address == sample.address; });
    });
    if (!listed) {
      return broken("manage access of item " + std::to_string(item.id) + " does not list " +
                    sample.address);
    }
  }

  for (const auto& sample : m.anyone_samples) {
    VST_TRY(through, s.sharing.through_link({}, sample.link_token, std::nullopt));
    VST_TRY(item, s.items.find(sample.item_id));
    if (auto access = s.authz.authorize(through, Action::kDownload, item); !access) {
      return broken("an anyone link does not open item " + std::to_string(item.id) + ": " +
                    describe(access.error()));
    }
  }
  {
    VST_TRY(through, s.sharing.through_link({}, m.anyone_samples.front().link_token, std::nullopt));
    VST_TRYV(s.sharing.summary(through));
    VST_TRY(content, s.files.open_content(through, m.anyone_samples.front().item_id));
    VST_TRY(bytes, domain::read_whole(content));
    if (bytes != file_bytes()) {
      return broken("a generated file's bytes cannot be read back");
    }
  }
  VST_TRY(children, s.files.children(member, m.granted_folder_id));
  if (children.empty()) {
    return broken("the granted folder lists no children");
  }
  return outcome::success();
}

Result<DatasetManifest> open_or_generate(const fs::path& data_dir, const DatasetShape& shape) {
  if (auto found = load_manifest(data_dir); found && found.value().same_shape(shape)) {
    Services s(data_dir, util::from_unix(found.value().generated_at) + std::chrono::minutes(1),
               shape.admin_password_cost);
    if (check(s, found.value())) {
      return found;
    }
  }
  if (fs::exists(data_dir) && !fs::is_empty(data_dir)) {
    if (!fs::exists(data_dir / kManifestName)) {
      return fail(Errc::kConflict, data_dir.string() +
                                       " holds something other than a generated dataset; give "
                                       "an empty or new folder");
    }
    fs::remove_all(data_dir);
  }
  VST_TRY(made, generate(data_dir, shape));
  Services s(data_dir, util::from_unix(made.generated_at) + std::chrono::minutes(1),
             shape.admin_password_cost);
  VST_TRYV(check(s, made));
  return made;
}

}  // namespace vestibule::bench
