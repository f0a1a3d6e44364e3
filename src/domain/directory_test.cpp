// Guests, aliases and one address's reach, over the real stores (StoreFixture).
#include "domain/directory.hpp"

#include "support/recipient_fixture.hpp"

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

using testing::Shared;

constexpr const char* kEve = "eve@partner.example";

Principal admin_of(Shared& s) {
  static int n = 0;
  const auto admin = s.f.add_user("admin" + std::to_string(++n) + "@corp.example", true);
  return s.f.as(admin);
}

void set_policy(Shared& s, const Principal& admin, const nlohmann::json& patch) {
  ASSERT_TRUE(s.f.sharing.change_org_settings(admin, patch));
}

// Eve promoted by an admin and signed in with a sign-in code; returns her session's cookie.
std::string guest_session(Shared& s, const Principal& admin) {
  EXPECT_TRUE(s.f.sharing.change_identity(admin, kEve, IdentityState::kGuest, false));
  const auto code = s.sign_in_code_for("browser-g");
  EXPECT_FALSE(code.empty());
  auto session = s.confirm_sign_in(code, "browser-g", kEve, true);
  EXPECT_TRUE(session);
  return session ? session.value().token : std::string();
}

TEST(Guests, AGuestPastItsExpiryIsRefusedOnTheNextRequestBeforeAnySweep) {
  Shared s;
  const auto admin = admin_of(s);
  set_policy(s, admin,
             {{"guest_expiry", "30d"}, {"reverify_after", "60d"}, {"remember_device_for", "60d"}});
  const auto token = guest_session(s, admin);
  auto who = s.f.verification.authenticate(token);
  ASSERT_TRUE(who);
  EXPECT_EQ(who.value().identity_state, IdentityState::kGuest);
  s.f.clock.advance(std::chrono::hours(24 * 30) - std::chrono::seconds(1));
  EXPECT_TRUE(s.f.verification.authenticate(token));
  s.f.clock.advance(std::chrono::seconds(1));
  auto refused = s.f.verification.authenticate(token);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kUnauthenticated);
  // Not swept yet: the record is still there, and no code is sent to bring it back.
  EXPECT_TRUE(s.f.sharing_store.find_identity_by_address(kEve));
  EXPECT_TRUE(s.sign_in_code_for("browser-h").empty());
  EXPECT_TRUE(s.code_for("browser-h").empty());
}

TEST(Guests, TheSweepWarnsTheOwnerOnceSevenDaysBeforeAndThenDeletesTheGuest) {
  Shared s;
  const auto admin = admin_of(s);
  set_policy(s, admin, {{"guest_expiry", "30d"}});
  guest_session(s, admin);
  s.f.mail_sender.sent.clear();

  s.f.clock.advance(std::chrono::hours(24 * 23) - std::chrono::seconds(1));
  EXPECT_EQ(s.f.directory.sweep_guests().warned, 0);
  s.f.clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(s.f.directory.sweep_guests().warned, 1);
  EXPECT_EQ(s.f.directory.sweep_guests().warned, 0);  // once
  s.f.outbox.deliver_due();
  ASSERT_EQ(s.f.mail_sender.sent.size(), 1U);
  EXPECT_EQ(s.f.mail_sender.sent[0].to, "owner@corp.example");  // the link's creator
  EXPECT_NE(s.f.mail_sender.sent[0].text.find("plan.txt"), std::string::npos);

  s.f.clock.advance(std::chrono::hours(24 * 7));
  const auto swept = s.f.directory.sweep_guests();
  EXPECT_EQ(swept.deleted, 1);
  auto gone = s.f.sharing_store.find_identity_by_address(kEve);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::kNotFound);
  EXPECT_TRUE(
      s.f.sharing.access(s.f.as(s.owner), s.file.id).value().links.at(0).recipients.empty());
}

TEST(Guests, SigningInAgainMovesTheExpiry) {
  Shared s;
  const auto admin = admin_of(s);
  set_policy(s, admin, {{"guest_expiry", "30d"}});
  guest_session(s, admin);
  s.f.clock.advance(std::chrono::hours(24 * 20));
  const auto code = s.sign_in_code_for("browser-g");
  ASSERT_TRUE(s.confirm_sign_in(code, "browser-g"));
  s.f.clock.advance(std::chrono::hours(24 * 20));
  EXPECT_EQ(s.f.directory.sweep_guests().deleted, 0);
  EXPECT_TRUE(s.f.sharing_store.find_identity_by_address(kEve));
}

TEST(Guests, AGuestInATeamSpaceReadsItAsAVisitorAndWritesAsAMember) {
  Shared s;
  const auto admin = admin_of(s);
  const auto token = guest_session(s, admin);
  auto space = s.f.spaces.create_team(admin, "Partners").value();
  const auto who = s.f.verification.authenticate(token).value();
  auto root = s.f.items.find(space.root_item_id).value();
  EXPECT_EQ(s.f.authz.authorize(who, Action::kList, root).error().code, Errc::kNotFound);
  ASSERT_TRUE(s.f.spaces.set_guest(admin, space.id, kEve, SpaceRole::kVisitor));
  EXPECT_TRUE(s.f.authz.authorize(who, Action::kList, root));
  EXPECT_EQ(s.f.authz.authorize(who, Action::kUpload, root).error().code, Errc::kForbidden);
  ASSERT_TRUE(s.f.spaces.set_guest(admin, space.id, kEve, SpaceRole::kMember));
  EXPECT_TRUE(s.f.authz.authorize(who, Action::kUpload, root));
  EXPECT_EQ(s.f.spaces.list(who).value().size(), 1U);
  EXPECT_EQ(s.f.spaces.set_guest(admin, space.id, kEve, SpaceRole::kOwner).error().code,
            Errc::kInvalidArgument);
  // Moved out of guest: the session opened as a guest ends, and with a new one the place stays
  // but opens nothing.
  ASSERT_TRUE(s.f.sharing.change_identity(admin, kEve, IdentityState::kVerified, false));
  EXPECT_EQ(s.f.verification.authenticate(token).error().code, Errc::kUnauthenticated);
  const auto code = s.sign_in_code_for("browser-h");
  ASSERT_FALSE(code.empty());
  const auto again = s.confirm_sign_in(code, "browser-h", kEve, true);
  ASSERT_TRUE(again);
  const auto demoted = s.f.verification.authenticate(again.value().token).value();
  EXPECT_EQ(s.f.authz.authorize(demoted, Action::kList, root).error().code, Errc::kNotFound);
  EXPECT_TRUE(s.f.spaces.list(demoted).value().empty());
  EXPECT_EQ(s.f.spaces.set_guest(admin, space.id, kEve, SpaceRole::kVisitor).error().code,
            Errc::kConflict);
}

TEST(Aliases, AnAliasReachesItsIdentityAndBelongsToOnePersonOnly) {
  Shared s;
  const auto admin = admin_of(s);
  auto set = s.f.directory.set_identity_aliases(admin, kEve, {"Eve.Home@Mail.Example"});
  ASSERT_TRUE(set);
  EXPECT_EQ(set.value().aliases, std::vector<std::string>{"eve.home@mail.example"});
  EXPECT_EQ(s.f.sharing_store.find_identity_by_address("eve.home@mail.example").value().address,
            kEve);
  // Sharing with the alias lists the identity, not a second record.
  LinkRequest request;
  request.kind = LinkKind::kSpecific;
  request.recipients = {{"eve.home@mail.example", {}}};
  auto created = s.f.sharing.create_link(s.f.as(s.owner), s.file.id, request);
  ASSERT_TRUE(created);
  EXPECT_EQ(created.value().link.recipients.at(0).address, kEve);
  EXPECT_EQ(s.f.directory.list(admin, {}).value().size(), 1U);
  // A sign-in code to the alias proves Eve.
  const auto code = s.sign_in_code_for("browser-a", "eve.home@mail.example");
  ASSERT_FALSE(code.empty());
  EXPECT_EQ(s.f.mail_sender.sent.back().to, "eve.home@mail.example");
  auto session = s.confirm_sign_in(code, "browser-a", "eve.home@mail.example");
  ASSERT_TRUE(session);
  EXPECT_EQ(session.value().session.address, kEve);

  // Someone else cannot have it, nor Eve's own address, nor a member's.
  LinkRequest other;
  other.kind = LinkKind::kSpecific;
  other.recipients = {{"hal@partner.example", {}}};
  ASSERT_TRUE(s.f.sharing.create_link(s.f.as(s.owner), s.file.id, other));
  for (const char* taken : {"eve.home@mail.example", kEve, "owner@corp.example"}) {
    auto refused = s.f.directory.set_identity_aliases(admin, "hal@partner.example", {taken});
    ASSERT_FALSE(refused) << taken;
    EXPECT_EQ(refused.error().code, Errc::kConflict) << taken;
  }
  const auto owner_id = s.owner.id;
  EXPECT_EQ(
      s.f.directory.set_member_aliases(admin, owner_id, {"eve.home@mail.example"}).error().code,
      Errc::kConflict);
}

TEST(Aliases, AMembersAliasIsAnInternalAddressThatReachesTheMember) {
  Shared s;
  const auto admin = admin_of(s);
  set_policy(s, admin, {{"internal_domains", {"corp.example"}}});
  const auto bob = s.f.add_user("bob@corp.example");
  auto refused = s.f.sharing.check_recipients(s.f.as(s.owner), s.file.id, {"robert@corp.example"},
                                              std::nullopt);
  EXPECT_EQ(refused.value().at(0).status, RecipientStatus::kRefused);
  ASSERT_TRUE(s.f.directory.set_member_aliases(admin, bob.id, {"robert@corp.example"}));
  auto checked = s.f.sharing.check_recipients(s.f.as(s.owner), s.file.id, {"robert@corp.example"},
                                              std::nullopt);
  EXPECT_EQ(checked.value().at(0).status, RecipientStatus::kMember);
  EXPECT_EQ(checked.value().at(0).user_id, bob.id);
}

TEST(Reach, RevokeAllRemovesEveryLinkAndSessionInOneGoAndTheReachSaysSo) {
  Shared s;
  const auto admin = admin_of(s);
  const auto code = s.code_for("browser-a");
  auto session = s.confirm(code, "browser-a");
  ASSERT_TRUE(session);
  auto record = s.f.directory.record(admin, kEve);
  ASSERT_TRUE(record);
  ASSERT_EQ(record.value().reach.size(), 1U);
  EXPECT_EQ(record.value().reach[0].item.id, s.file.id);
  EXPECT_EQ(record.value().reach[0].link->id, s.link.id);
  EXPECT_EQ(record.value().reach[0].state, "active");

  auto revoked = s.f.directory.revoke_all(admin, kEve);
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked.value().links.size(), 1U);
  EXPECT_EQ(revoked.value().sessions_ended, 1);
  EXPECT_FALSE(s.f.verification.authenticate(session.value().token));
  EXPECT_TRUE(s.f.directory.record(admin, kEve).value().reach.empty());
  // The link remembers the removal, so its page can say so.
  EXPECT_TRUE(s.f.sharing_store.removed_at(s.link.id, kEve).value().has_value());
  // Admins only.
  EXPECT_EQ(s.f.directory.revoke_all(s.f.as(s.owner), kEve).error().code, Errc::kForbidden);
}

TEST(Reach, TheListFiltersByState) {
  Shared s;
  const auto admin = admin_of(s);
  DirectoryFilter pending;
  pending.state = IdentityState::kPending;
  EXPECT_EQ(s.f.directory.list(admin, pending).value().size(), 1U);
  const auto code = s.code_for("browser-a");
  ASSERT_TRUE(s.confirm(code, "browser-a"));
  EXPECT_TRUE(s.f.directory.list(admin, pending).value().empty());
  DirectoryFilter verified;
  verified.state = IdentityState::kVerified;
  EXPECT_EQ(s.f.directory.list(admin, verified).value().size(), 1U);
}

}  // namespace
}  // namespace vestibule::domain
