// The authorization matrix: principals × link kinds × link roles × actions × states, every cell
// asserted against the tables below. Each link kind shares its own folder of a team space, so
// the cells of one kind are not affected by grants of another. Requests come *through* the link
// (as on /api/v1/shares/{token}/…), with the link read fresh after the state was applied, as the
// server does on every request.
#include "domain/authz.hpp"
#include "support/store_fixture.hpp"

#include <array>
#include <map>

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

using testing::StoreFixture;

enum class State {
  kActive,
  kExpired,           // every link's expiry has passed
  kRevoked,           // every link revoked
  kRecipientRemoved,  // the specific link's recipients removed
  kPasswordMissing,   // the anyone link has a password this browser has not proved
  kPolicyTightened,   // external_sharing lowered from anyone to existing_guests
  kDownloadBlocked,   // every link blocks downloads
};

const char* name_of(State s) {
  switch (s) {
    case State::kActive:
      return "Active";
    case State::kExpired:
      return "Expired";
    case State::kRevoked:
      return "Revoked";
    case State::kRecipientRemoved:
      return "RecipientRemoved";
    case State::kPasswordMissing:
      return "PasswordMissing";
    case State::kPolicyTightened:
      return "PolicyTightened";
    case State::kDownloadBlocked:
      return "DownloadBlocked";
  }
  return "?";
}

constexpr std::array kPrincipals = {"owner",        "space_member",     "visitor",
                                    "other_member", "recipient_member", "guest",
                                    "external",     "stranger",         "anonymous"};
constexpr std::array kKinds = {LinkKind::kAnyone, LinkKind::kOrganization, LinkKind::kSpecific,
                               LinkKind::kExisting};
constexpr std::array kActions = {Action::kRead,   Action::kList,   Action::kDownload,
                                 Action::kUpload, Action::kRename, Action::kDelete,
                                 Action::kShare};

// What a principal gets through a link of each kind (anyone, organization, specific, existing):
//   M / E / V  the principal's own space role (manage / edit / view), downloads never blocked
//   V+         the better of view (space visitor) and the link's role; downloads allowed
//   R          exactly the link's role, from the link alone (blocked downloads apply)
//   401 403 410  refused: needs a password / sign-in / verification, not for this principal,
//                the link is dead
using Row = std::array<const char*, 4>;
using Table = std::map<std::string, Row>;

const Table kActiveTable = {
    {"owner", {"M", "M", "M", "M"}},
    {"space_member", {"E", "E", "E", "E"}},
    {"visitor", {"V+", "V+", "V", "V"}},
    {"other_member", {"R", "R", "403", "403"}},
    {"recipient_member", {"R", "R", "R", "403"}},
    {"guest", {"R", "401", "R", "403"}},
    {"external", {"R", "401", "R", "403"}},
    {"stranger", {"R", "401", "403", "403"}},
    {"anonymous", {"R", "401", "401", "401"}},
};

Table table_for(State state) {
  Table t = kActiveTable;
  switch (state) {
    case State::kActive:
    case State::kDownloadBlocked:
      break;
    case State::kExpired:
    case State::kRevoked:
      for (auto& [who, row] : t) {
        row = {"410", "410", "410", "410"};  // a dead link refuses everyone, owners included
      }
      break;
    case State::kRecipientRemoved:
      t["recipient_member"][2] = "403";
      t["guest"][2] = "403";
      t["external"][2] = "403";
      break;
    case State::kPasswordMissing:
      // Without the password only a principal's own access remains.
      t["visitor"][0] = "V";
      for (const char* who :
           {"other_member", "recipient_member", "guest", "external", "stranger", "anonymous"}) {
        t[who][0] = "401";
      }
      break;
    case State::kPolicyTightened:
      for (auto& [who, row] : t) {
        row[0] = "410";  // anyone links are off under existing_guests
      }
      t["external"][2] = "403";  // a verified address that is not a guest is cut off
      break;
  }
  return t;
}

struct World {
  StoreFixture f;
  std::map<std::string, Principal> principals;
  std::map<LinkKind, Id> links;
  std::map<LinkKind, Item> folders;
  std::map<LinkKind, Item> files;
};

Principal external_principal(StoreFixture& f, const std::string& address, IdentityState state) {
  const auto identity = f.sharing_store.find_identity_by_address(address).value();
  EXPECT_TRUE(f.sharing_store.set_identity_state(identity.id, state, f.clock.now()));
  Principal p;
  p.kind = PrincipalKind::kExternal;
  p.external_id = identity.id;
  p.name = address;
  p.proved_at = f.clock.now();  // verified just now, well within the reverification period
  return p;
}

void build(World& w, State state, Role role) {
  auto& f = w.f;
  const auto admin = f.add_user("admin@corp.example", true);
  ASSERT_TRUE(f.sharing.change_org_settings(f.as(admin), {{"external_sharing", "anyone"}}));
  const auto owner = f.add_user("owner@corp.example");
  const auto member = f.add_user("member@corp.example");
  const auto visitor = f.add_user("visitor@corp.example");
  const auto other = f.add_user("other@corp.example");
  const auto recipient = f.add_user("recipient@corp.example");
  const auto space = f.spaces.create_team(f.as(admin), "Projects").value();
  ASSERT_TRUE(f.spaces.set_member(f.as(admin), space.id, owner.id, SpaceRole::kOwner));
  ASSERT_TRUE(f.spaces.set_member(f.as(admin), space.id, member.id, SpaceRole::kMember));
  ASSERT_TRUE(f.spaces.set_member(f.as(admin), space.id, visitor.id, SpaceRole::kVisitor));

  for (const auto kind : kKinds) {
    const auto folder =
        f.files.create_folder(f.as(owner), space.root_item_id, std::string(to_string(kind)));
    ASSERT_TRUE(folder);
    w.folders[kind] = folder.value();
    w.files[kind] = f.upload(f.as(owner), folder.value().id, "f.txt", "bytes");
    LinkRequest request;
    request.kind = kind;
    request.role = role;
    request.block_download = state == State::kDownloadBlocked;
    if (state == State::kExpired) {
      request.expires_at = f.clock.now() + std::chrono::hours(1);
    }
    if (kind == LinkKind::kSpecific) {
      request.recipients = {{"recipient@corp.example", {}},
                            {"guest@partner.example", {}},
                            {"external@partner.example", {}}};
    }
    if (kind == LinkKind::kAnyone && state == State::kPasswordMissing) {
      request.password = "link password";
    }
    auto created = f.sharing.create_link(f.as(owner), folder.value().id, request);
    ASSERT_TRUE(created) << created.error().message;
    w.links[kind] = created.value().link.link.id;
  }
  // The stranger was invited to something else, so it exists in the directory.
  const auto elsewhere = f.upload(f.as(owner), f.personal_root(owner), "other.txt", "x");
  LinkRequest other_share;
  other_share.kind = LinkKind::kSpecific;
  other_share.recipients = {{"stranger@partner.example", {}}};
  ASSERT_TRUE(f.sharing.create_link(f.as(owner), elsewhere.id, other_share));

  w.principals["owner"] = f.as(owner);
  w.principals["space_member"] = f.as(member);
  w.principals["visitor"] = f.as(visitor);
  w.principals["other_member"] = f.as(other);
  w.principals["recipient_member"] = f.as(recipient);
  w.principals["guest"] = external_principal(f, "guest@partner.example", IdentityState::kGuest);
  w.principals["external"] =
      external_principal(f, "external@partner.example", IdentityState::kVerified);
  w.principals["stranger"] =
      external_principal(f, "stranger@partner.example", IdentityState::kVerified);
  w.principals["anonymous"] = Principal{};

  switch (state) {
    case State::kExpired:
      f.clock.advance(std::chrono::hours(2));
      break;
    case State::kRevoked:
      for (const auto& [kind, id] : w.links) {
        ASSERT_TRUE(f.sharing.revoke_link(f.as(owner), id));
      }
      break;
    case State::kRecipientRemoved:
      for (const char* address :
           {"recipient@corp.example", "guest@partner.example", "external@partner.example"}) {
        ASSERT_TRUE(f.sharing.remove_recipient(f.as(owner), w.links[LinkKind::kSpecific], address));
      }
      break;
    case State::kPolicyTightened:
      ASSERT_TRUE(
          f.sharing.change_org_settings(f.as(admin), {{"external_sharing", "existing_guests"}}));
      break;
    default:
      break;
  }
}

// The item an action is tried on: the shared folder for folder actions, the file inside it for
// file actions.
bool on_file(Action a) {
  return a == Action::kDownload || a == Action::kRename || a == Action::kDelete;
}

std::optional<Errc> expected_outcome(const std::string& cell, Role link_role, Action action,
                                     bool downloads_blocked) {
  if (cell == "401") {
    return Errc::kUnauthenticated;
  }
  if (cell == "403") {
    return Errc::kForbidden;
  }
  if (cell == "410") {
    return Errc::kGone;
  }
  Role role = Role::kView;
  bool from_link_only = false;
  if (cell == "M") {
    role = Role::kManage;
  } else if (cell == "E") {
    role = Role::kEdit;
  } else if (cell == "V") {
    role = Role::kView;
  } else if (cell == "V+") {
    role = std::max(Role::kView, link_role);
  } else if (cell == "R") {
    role = link_role;
    from_link_only = true;
  }
  if (role < required_role(action)) {
    return Errc::kForbidden;
  }
  if (action == Action::kDownload && downloads_blocked && from_link_only) {
    return Errc::kForbidden;
  }
  return std::nullopt;
}

std::string describe(std::optional<Errc> outcome) {
  if (!outcome) {
    return "allowed";
  }
  switch (*outcome) {
    case Errc::kUnauthenticated:
      return "401";
    case Errc::kForbidden:
      return "403";
    case Errc::kNotFound:
      return "404";
    case Errc::kGone:
      return "410";
    default:
      return "error " + std::to_string(static_cast<int>(*outcome));
  }
}

struct MatrixCase {
  State state;
  Role role;
};

class AuthorizationMatrix : public ::testing::TestWithParam<MatrixCase> {};

TEST_P(AuthorizationMatrix, EveryCellMatchesTheTable) {
  const auto [state, role] = GetParam();
  World w;
  build(w, state, role);
  if (HasFatalFailure()) {
    return;
  }
  const Table table = table_for(state);
  int cells = 0;
  for (std::size_t k = 0; k < kKinds.size(); ++k) {
    const LinkKind kind = kKinds[k];
    const Link link = w.f.sharing_store.find_link(w.links[kind]).value();
    for (const char* name : kPrincipals) {
      Principal who = w.principals[name];
      who.via = link;
      const std::string cell = table.at(name)[k];
      for (const Action action : kActions) {
        const Item& item = on_file(action) ? w.files[kind] : w.folders[kind];
        const auto result = w.f.authz.authorize(who, action, item);
        const auto expected =
            expected_outcome(cell, role, action, state == State::kDownloadBlocked);
        const std::string got =
            result ? std::string("allowed") : describe(std::optional<Errc>(result.error().code));
        EXPECT_EQ(got, describe(expected))
            << name << " through a " << to_string(kind) << " link (" << to_string(role)
            << ") doing action " << static_cast<int>(action) << " in state " << name_of(state)
            << "; table cell " << cell;
        ++cells;
      }
    }
  }
  EXPECT_EQ(cells, static_cast<int>(kKinds.size() * kPrincipals.size() * kActions.size()));
}

INSTANTIATE_TEST_SUITE_P(StatesAndRoles, AuthorizationMatrix,
                         ::testing::Values(MatrixCase{State::kActive, Role::kView},
                                           MatrixCase{State::kActive, Role::kEdit},
                                           MatrixCase{State::kExpired, Role::kView},
                                           MatrixCase{State::kExpired, Role::kEdit},
                                           MatrixCase{State::kRevoked, Role::kView},
                                           MatrixCase{State::kRevoked, Role::kEdit},
                                           MatrixCase{State::kRecipientRemoved, Role::kView},
                                           MatrixCase{State::kRecipientRemoved, Role::kEdit},
                                           MatrixCase{State::kPasswordMissing, Role::kView},
                                           MatrixCase{State::kPasswordMissing, Role::kEdit},
                                           MatrixCase{State::kPolicyTightened, Role::kView},
                                           MatrixCase{State::kPolicyTightened, Role::kEdit},
                                           MatrixCase{State::kDownloadBlocked, Role::kView},
                                           MatrixCase{State::kDownloadBlocked, Role::kEdit}),
                         [](const ::testing::TestParamInfo<MatrixCase>& param_info) {
                           return std::string(name_of(param_info.param.state)) +
                                  (param_info.param.role == Role::kView ? "View" : "Edit");
                         });

// Outside the link's item, a token gives nothing, whatever else the principal could see: the
// answer is the same 404 as for an item that does not exist.
TEST(AuthorizationThroughLinks, ItemsOutsideTheSharedOneAreNotFound) {
  World w;
  build(w, State::kActive, Role::kEdit);
  const Link anyone = w.f.sharing_store.find_link(w.links[LinkKind::kAnyone]).value();
  for (const char* name : kPrincipals) {
    Principal who = w.principals[name];
    who.via = anyone;
    for (const auto kind : {LinkKind::kOrganization, LinkKind::kSpecific}) {
      EXPECT_EQ(w.f.authz.authorize(who, Action::kRead, w.files[kind]).error().code,
                Errc::kNotFound)
          << name;
    }
  }
}

// A recipient's grant also works without the link (one verified address opens everything shared
// with it), and stops with the link.
TEST(AuthorizationThroughLinks, RecipientGrantsFollowTheirLink) {
  World w;
  build(w, State::kActive, Role::kView);
  const auto& specific_file = w.files[LinkKind::kSpecific];
  for (const char* name : {"recipient_member", "guest", "external"}) {
    EXPECT_TRUE(w.f.authz.authorize(w.principals[name], Action::kDownload, specific_file)) << name;
    EXPECT_EQ(w.f.authz.authorize(w.principals[name], Action::kUpload, specific_file).error().code,
              Errc::kForbidden)
        << name;
  }
  EXPECT_EQ(
      w.f.authz.authorize(w.principals["stranger"], Action::kRead, specific_file).error().code,
      Errc::kNotFound);
  ASSERT_TRUE(w.f.sharing.revoke_link(w.principals["owner"], w.links[LinkKind::kSpecific]));
  for (const char* name : {"recipient_member", "guest", "external"}) {
    EXPECT_EQ(w.f.authz.authorize(w.principals[name], Action::kRead, specific_file).error().code,
              Errc::kNotFound)
        << name;
  }
}

// `edit` works inside the shared item: its holder changes what is in it, not the item itself.
TEST(AuthorizationThroughLinks, EditOnAnItemDoesNotRenameOrDeleteTheItemItself) {
  World w;
  build(w, State::kActive, Role::kEdit);
  const auto& folder = w.folders[LinkKind::kSpecific];
  const auto& inside = w.files[LinkKind::kSpecific];
  for (const char* name : {"recipient_member", "external"}) {
    const Principal who = w.principals[name];
    EXPECT_TRUE(w.f.authz.authorize(who, Action::kUpload, folder)) << name;
    EXPECT_TRUE(w.f.authz.authorize(who, Action::kRename, inside)) << name;
    EXPECT_TRUE(w.f.authz.authorize(who, Action::kDelete, inside)) << name;
    EXPECT_EQ(w.f.authz.authorize(who, Action::kRename, folder).error().code, Errc::kForbidden)
        << name;
    EXPECT_EQ(w.f.authz.authorize(who, Action::kDelete, folder).error().code, Errc::kForbidden)
        << name;
  }
  // A space member's edit comes from the root: the folder itself can be renamed.
  EXPECT_TRUE(w.f.authz.authorize(w.principals["space_member"], Action::kRename, folder));
  // A manage grant on the item itself does allow it.
  const auto owner = w.principals["owner"];
  ASSERT_TRUE(w.f.sharing.put_grant(owner, folder.id, "other@corp.example", Role::kManage));
  EXPECT_TRUE(w.f.authz.authorize(w.principals["other_member"], Action::kRename, folder));
}

TEST(AuthorizationThroughLinks, ABlockedIdentityLosesEverythingAtOnce) {
  World w;
  build(w, State::kActive, Role::kView);
  const auto& file = w.files[LinkKind::kSpecific];
  const Principal external = w.principals["external"];
  ASSERT_TRUE(w.f.authz.authorize(external, Action::kDownload, file));
  ASSERT_TRUE(w.f.sharing_store.set_identity_state(external.external_id, IdentityState::kBlocked,
                                                   w.f.clock.now()));
  EXPECT_EQ(w.f.authz.authorize(external, Action::kDownload, file).error().code, Errc::kNotFound);
}

TEST(AuthorizationThroughLinks, PolicyMaximumLifetimeShortensLinksCreatedBefore) {
  World w;
  build(w, State::kActive, Role::kView);
  const Principal admin = w.f.as(w.f.users.find_by_email("admin@corp.example").value());
  Principal anonymous;
  anonymous.via = w.f.sharing_store.find_link(w.links[LinkKind::kAnyone]).value();
  const auto& file = w.files[LinkKind::kAnyone];
  w.f.clock.advance(std::chrono::hours(48));
  ASSERT_TRUE(w.f.authz.authorize(anonymous, Action::kDownload, file));
  ASSERT_TRUE(w.f.sharing.change_org_settings(admin, {{"anyone_link_max_lifetime", "1d"}}));
  EXPECT_EQ(w.f.authz.authorize(anonymous, Action::kDownload, file).error().code, Errc::kGone);
}

TEST(AuthorizationThroughLinks, ASpaceTighteningAppliesToItsLinksOnly) {
  World w;
  build(w, State::kActive, Role::kView);
  const Principal admin = w.f.as(w.f.users.find_by_email("admin@corp.example").value());
  Principal anonymous;
  anonymous.via = w.f.sharing_store.find_link(w.links[LinkKind::kAnyone]).value();
  const auto& file = w.files[LinkKind::kAnyone];
  ASSERT_TRUE(w.f.authz.authorize(anonymous, Action::kDownload, file));
  ASSERT_TRUE(w.f.sharing.change_space_settings(admin, file.space_id,
                                                {{"external_sharing", "internal_only"}}));
  EXPECT_EQ(w.f.authz.authorize(anonymous, Action::kDownload, file).error().code, Errc::kGone);
  // A space cannot loosen what the organization allows.
  ASSERT_TRUE(w.f.sharing.change_org_settings(admin, {{"external_sharing", "existing_guests"}}));
  EXPECT_EQ(
      w.f.sharing.change_space_settings(admin, file.space_id, {{"external_sharing", "anyone"}})
          .error()
          .code,
      Errc::kInvalidArgument);
}

}  // namespace
}  // namespace vestibule::domain
