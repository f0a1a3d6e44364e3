// What the member's pages show of sharing: the `shared` mark of listed items (Sharing::
// shared_among) and when a recipient's proof of its address runs out (reverify_at).
#include "domain/sharing.hpp"
#include "support/store_fixture.hpp"

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

using testing::StoreFixture;

TEST(ReverifyAt, IsTheLastProofPlusThePeriodOfThePolicy) {
  Policy policy;
  policy.reverify_after = std::chrono::hours(24 * 30);
  Grant recipient;
  recipient.grantee = Grantee::kExternal;
  EXPECT_FALSE(reverify_at(recipient, policy));  // never verified
  const TimePoint proved = util::from_unix(1'800'000'000);
  recipient.verified_at = proved;
  EXPECT_EQ(reverify_at(recipient, policy), proved + std::chrono::hours(24 * 30));
  policy.reverify_after = std::chrono::hours(1);
  EXPECT_EQ(reverify_at(recipient, policy), proved + std::chrono::hours(1));
  policy.reverify_after = std::chrono::seconds(0);  // a code for every new session
  EXPECT_FALSE(reverify_at(recipient, policy));
  Grant member;
  member.grantee = Grantee::kUser;
  member.verified_at = proved;
  policy.reverify_after = std::chrono::hours(1);
  EXPECT_FALSE(reverify_at(member, policy));
}

struct Marks : ::testing::Test {
  void SetUp() override {
    admin = f.add_user("admin@example.org", true);
    owner = f.add_user("owner@example.org");
    f.add_user("ada@example.org");
    folder = f.files.create_folder(f.as(owner), f.personal_root(owner), "folder").value();
  }
  Item file(const std::string& name) { return f.upload(f.as(owner), folder.id, name, name); }
  Link link_on(const Item& item, LinkKind kind, std::optional<TimePoint> expires = std::nullopt,
               std::vector<RecipientInput> recipients = {}) {
    LinkRequest request;
    request.kind = kind;
    request.expires_at = expires;
    request.recipients = std::move(recipients);
    return f.sharing.create_link(f.as(owner), item.id, request).value().link.link;
  }

  StoreFixture f;
  User admin;
  User owner;
  Item folder;
};

TEST_F(Marks, AnActiveLinkOrADirectGrantOnTheItemItselfMarksIt) {
  ASSERT_TRUE(f.sharing.change_org_settings(f.as(admin), {{"external_sharing", "anyone"}}));
  const Item specific = file("specific.txt");
  const Item granted = file("granted.txt");
  const Item revoked = file("revoked.txt");
  const Item expired = file("expired.txt");
  const Item plain = file("plain.txt");
  const Item anyone = file("anyone.txt");
  link_on(specific, LinkKind::kSpecific, std::nullopt, {{"eve@partner.example", {}}});
  ASSERT_TRUE(f.sharing.put_grant(f.as(owner), granted.id, "ada@example.org", Role::kView));
  ASSERT_TRUE(f.sharing.revoke_link(f.as(owner), link_on(revoked, LinkKind::kOrganization).id));
  link_on(expired, LinkKind::kOrganization, f.clock.now() + std::chrono::hours(1));
  link_on(anyone, LinkKind::kAnyone, std::nullopt);
  f.clock.advance(std::chrono::hours(2));

  const std::vector<Item> listed = f.files.children(f.as(owner), folder.id).value();
  auto shared = f.sharing.shared_among(listed).value();
  EXPECT_EQ(shared, (std::unordered_set<Id>{specific.id, granted.id, anyone.id}));
  EXPECT_FALSE(shared.contains(plain.id));
  // The parent folder is not marked by what is shared inside it.
  EXPECT_TRUE(f.sharing.shared_among({folder}).value().empty());

  // A link the policy now turns off (anyone links under new_and_existing_guests) no longer
  // marks its item; its own expiry or the policy's maximum lifetime neither.
  ASSERT_TRUE(f.sharing.change_org_settings(f.as(admin),
                                            {{"external_sharing", "new_and_existing_guests"}}));
  shared = f.sharing.shared_among(listed).value();
  EXPECT_EQ(shared, (std::unordered_set<Id>{specific.id, granted.id}));
  ASSERT_TRUE(f.sharing.change_org_settings(f.as(admin), {{"specific_link_max_lifetime", "1h"}}));
  shared = f.sharing.shared_among(listed).value();
  EXPECT_EQ(shared, (std::unordered_set<Id>{granted.id}));
  EXPECT_TRUE(f.sharing.shared_among({}).value().empty());
}

}  // namespace
}  // namespace vestibule::domain
