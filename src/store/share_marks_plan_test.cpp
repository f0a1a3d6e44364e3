// The listings' `shared` mark is one query for all the items of a listing (SharingStore::
// share_marks); it must find its rows through the indexes on the item, never by scanning the
// links or grants tables, whatever their size.
#include "store/sqlite/database.hpp"
#include "store/sql/repositories.hpp"
#include "support/store_fixture.hpp"

#include <gtest/gtest.h>

namespace vestibule::store {
namespace {

using namespace vestibule::domain;

TEST(ShareMarks, TheQueryPlanUsesTheItemIndexesOfLinksAndGrants) {
  testing::StoreFixture f;
  const std::string sql =
      "EXPLAIN QUERY PLAN " + std::string(sql::SharingStore::kShareMarksQuery);
  const auto plan = f.db.read<std::string>([&](sql::Connection& c) {
    auto& s = c.prepare(sql);
    s.with("[1,2,3]", 0);
    std::string out;
    while (s.step()) {
      out += s.text(3) + "\n";
    }
    return out;
  });
  ASSERT_TRUE(plan) << plan.error().message;
  const std::string& p = plan.value();
  EXPECT_NE(p.find("SEARCH l USING INDEX links_by_item (item_id=?)"), std::string::npos) << p;
  EXPECT_NE(p.find("SEARCH g USING INDEX"), std::string::npos) << p;
  EXPECT_EQ(p.find("SCAN l"), std::string::npos) << p;
  EXPECT_EQ(p.find("SCAN g"), std::string::npos) << p;
}

TEST(ShareMarks, FindLiveLinksAndDirectGrantsOfTheItemsOnly) {
  testing::StoreFixture f;
  const auto owner = f.add_user("owner@example.org");
  f.add_user("ada@example.org");
  const Id root = f.personal_root(owner);
  const auto folder = f.files.create_folder(f.as(owner), root, "folder").value();
  const auto linked = f.upload(f.as(owner), folder.id, "linked.txt", "a");
  const auto granted = f.upload(f.as(owner), folder.id, "granted.txt", "b");
  const auto revoked = f.upload(f.as(owner), folder.id, "revoked.txt", "c");
  const auto expired = f.upload(f.as(owner), folder.id, "expired.txt", "d");
  const auto plain = f.upload(f.as(owner), folder.id, "plain.txt", "e");
  LinkRequest request;
  request.kind = LinkKind::kOrganization;
  ASSERT_TRUE(f.sharing.create_link(f.as(owner), linked.id, request));
  ASSERT_TRUE(f.sharing.put_grant(f.as(owner), granted.id, "ada@example.org", Role::kView));
  const auto gone = f.sharing.create_link(f.as(owner), revoked.id, request).value();
  ASSERT_TRUE(f.sharing.revoke_link(f.as(owner), gone.link.link.id));
  request.expires_at = f.clock.now() + std::chrono::hours(1);
  ASSERT_TRUE(f.sharing.create_link(f.as(owner), expired.id, request));
  f.clock.advance(std::chrono::hours(2));
  // A link on the folder marks the folder, not what is in it.
  request.expires_at.reset();
  ASSERT_TRUE(f.sharing.create_link(f.as(owner), folder.id, request));

  const auto marks =
      f.sharing_store
          .share_marks({linked.id, granted.id, revoked.id, expired.id, plain.id}, f.clock.now())
          .value();
  ASSERT_EQ(marks.links.size(), 1U);
  EXPECT_EQ(marks.links.front().item_id, linked.id);
  EXPECT_EQ(marks.links.front().kind, LinkKind::kOrganization);
  EXPECT_FALSE(marks.links.front().revoked_at);
  EXPECT_EQ(marks.granted, std::vector<Id>{granted.id});
}

}  // namespace
}  // namespace vestibule::store
