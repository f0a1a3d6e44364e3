// Removed recipients (schema 7): removing an address from a specific link remembers it in the
// same transaction, and adding the address to the link again — by whatever code path writes its
// grant — forgets it.
#include "store/sqlite/database.hpp"
#include "support/store_fixture.hpp"

#include <gtest/gtest.h>

namespace vestibule::store {
namespace {

using namespace vestibule::domain;

struct Removal : ::testing::Test {
  void SetUp() override {
    owner = f.add_user("owner@example.org");
    ada = f.add_user("ada@example.org");
    file = f.upload(f.as(owner), f.personal_root(owner), "plan.txt", "the plan");
    LinkRequest request;
    request.kind = LinkKind::kSpecific;
    request.recipients = {{"eve@partner.example", {}}, {"ada@example.org", {}}};
    link = f.sharing.create_link(f.as(owner), file.id, request).value().link.link;
  }

  // A grant of the link written directly, as any future way of adding a recipient would.
  void readd(std::optional<Id> user, std::optional<Id> external) {
    ASSERT_TRUE(f.db.write<void>([&](sql::Connection& c) {
      c.prepare(
           "INSERT INTO grants (item_id, user_id, external_id, role, link_id, created_by, "
           "created_at) VALUES (?1, ?2, ?3, 'view', ?4, ?5, ?6)")
          .with(file.id, user, external, link.id, owner.id, util::to_unix(f.clock.now()))
          .run();
    }));
  }

  testing::StoreFixture f;
  User owner;
  User ada;
  Item file;
  Link link;
};

TEST_F(Removal, IsRememberedWithItsTimeForExternalAddressesAndMembers) {
  EXPECT_EQ(f.sharing_store.removed_at(link.id, "eve@partner.example").value(), std::nullopt);
  const TimePoint when = f.clock.now();
  ASSERT_TRUE(f.sharing.remove_recipient(f.as(owner), link.id, "Eve@Partner.Example"));
  ASSERT_TRUE(f.sharing.remove_recipient(f.as(owner), link.id, "ada@example.org"));
  EXPECT_EQ(f.sharing_store.removed_at(link.id, "eve@partner.example").value(), when);
  EXPECT_EQ(f.sharing_store.removed_at(link.id, "ada@example.org").value(), when);
  EXPECT_EQ(f.sharing_store.removed_at(link.id, "mallory@elsewhere.example").value(), std::nullopt);
  // Removing someone who is not a recipient writes nothing.
  EXPECT_EQ(
      f.sharing.remove_recipient(f.as(owner), link.id, "mallory@elsewhere.example").error().code,
      Errc::kNotFound);
  EXPECT_EQ(f.sharing_store.removed_at(link.id, "mallory@elsewhere.example").value(), std::nullopt);
}

TEST_F(Removal, AddingTheAddressAgainForgetsIt) {
  ASSERT_TRUE(f.sharing.remove_recipient(f.as(owner), link.id, "eve@partner.example"));
  ASSERT_TRUE(f.sharing.remove_recipient(f.as(owner), link.id, "ada@example.org"));
  const auto eve = f.sharing_store.find_identity_by_address("eve@partner.example").value();
  readd(std::nullopt, eve.id);
  EXPECT_EQ(f.sharing_store.removed_at(link.id, "eve@partner.example").value(), std::nullopt);
  EXPECT_TRUE(f.sharing_store.removed_at(link.id, "ada@example.org").value());
  readd(ada.id, std::nullopt);
  EXPECT_EQ(f.sharing_store.removed_at(link.id, "ada@example.org").value(), std::nullopt);
}

TEST_F(Removal, ARemovedRecipientStillFindsTheLinkByIdAndNobodyElseDoes) {
  Principal eve;
  eve.kind = PrincipalKind::kExternal;
  eve.external_id = f.sharing_store.find_identity_by_address("eve@partner.example").value().id;
  eve.email = "eve@partner.example";
  Principal ada_p = Principal::member(ada.id, false, "Ada", "ada@example.org");
  const auto stranger = f.add_user("stranger@example.org");
  EXPECT_TRUE(f.authz.recipient_link(eve, link.id));
  EXPECT_TRUE(f.authz.recipient_link(ada_p, link.id));
  EXPECT_EQ(f.authz.recipient_link(f.as(stranger), link.id).error().code, Errc::kNotFound);
  EXPECT_EQ(f.authz.recipient_link(Principal{}, link.id).error().code, Errc::kNotFound);
  ASSERT_TRUE(f.sharing.remove_recipient(f.as(owner), link.id, "eve@partner.example"));
  EXPECT_TRUE(f.authz.recipient_link(eve, link.id));  // was removed: the page says so
  // Through the link the removed recipient reaches nothing.
  eve.proved_at = f.clock.now();
  eve.via = f.authz.recipient_link(eve, link.id).value();
  EXPECT_FALSE(f.authz.authorize(eve, Action::kRead, file));
  // Links that are not specific are never found by id.
  ASSERT_TRUE(f.sharing.change_org_settings(f.as(f.add_user("admin@example.org", true)),
                                            {{"external_sharing", "anyone"}}));
  LinkRequest anyone;
  anyone.kind = LinkKind::kAnyone;
  const auto open = f.sharing.create_link(f.as(owner), file.id, anyone).value().link.link;
  EXPECT_EQ(f.authz.recipient_link(f.as(owner), open.id).error().code, Errc::kNotFound);
  EXPECT_EQ(f.authz.recipient_link(ada_p, 987654).error().code, Errc::kNotFound);
}

}  // namespace
}  // namespace vestibule::store
