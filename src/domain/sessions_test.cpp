#include "domain/sessions.hpp"

#include "support/store_fixture.hpp"

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

using testing::StoreFixture;
using namespace std::chrono_literals;

TEST(Sessions, IdsNameTheKindAndNothingElseParses) {
  EXPECT_EQ(to_string(SessionRef{SessionKind::kMember, 12}), "m12");
  EXPECT_EQ(to_string(SessionRef{SessionKind::kRecipient, 7}), "r7");
  const auto parsed = session_ref_from_string("r7");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->kind, SessionKind::kRecipient);
  EXPECT_EQ(parsed->id, 7);
  for (const auto* bad : {"", "m", "x1", "m0", "m-1", "m1x", "12"}) {
    EXPECT_FALSE(session_ref_from_string(bad)) << bad;
  }
}

TEST(Sessions, AMemberListsAndRevokesOnlyTheirOwn) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  const auto bob = f.add_user("bob@example.org");
  const auto laptop = f.members.sign_in("ada@example.org", "correct horse", {"10.0.0.1", "laptop"});
  const auto phone = f.members.sign_in("ada@example.org", "correct horse", {"10.0.0.2", "phone"});
  const auto bobs = f.members.sign_in("bob@example.org", "correct horse", {"10.0.0.3", "bob"});
  ASSERT_TRUE(laptop && phone && bobs);

  auto me = f.as(ada);
  me.session_id = laptop.value().session.id;
  const auto listed = f.session_list.list_own(me).value();
  ASSERT_EQ(listed.size(), 2U);
  for (const auto& s : listed) {
    EXPECT_EQ(s.ref.kind, SessionKind::kMember);
    EXPECT_EQ(s.principal, "ada@example.org");
    EXPECT_EQ(s.method, "password");
  }
  const auto bob_id = to_string(SessionRef{SessionKind::kMember, bobs.value().session.id});
  EXPECT_EQ(f.session_list.revoke_own(me, bob_id).error().code, Errc::kNotFound);
  EXPECT_TRUE(f.members.authenticate(bobs.value().token));

  const auto phone_id = to_string(SessionRef{SessionKind::kMember, phone.value().session.id});
  ASSERT_TRUE(f.session_list.revoke_own(me, phone_id));
  EXPECT_FALSE(f.members.authenticate(phone.value().token));
  EXPECT_TRUE(f.members.authenticate(laptop.value().token));
  EXPECT_EQ(f.session_list.list_own(f.as(bob)).value().size(), 1U);
}

TEST(Sessions, AnIdleMemberSessionIsNotListedAndShowsItsIdleLimit) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  ASSERT_TRUE(f.members.sign_in("ada@example.org", "correct horse", {"10.0.0.1", "laptop"}));
  const auto listed = f.session_list.list_own(f.as(ada)).value();
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0].expires_at, listed[0].created_at + SessionsOptions{}.member_idle);
  f.clock.advance(SessionsOptions{}.member_idle + 1s);
  EXPECT_TRUE(f.session_list.list_own(f.as(ada)).value().empty());
}

TEST(Sessions, OnlyAdminsListAndRevokeAnyonesAndFiltersApply) {
  StoreFixture f;
  const auto root = f.add_user("root@example.org", true);
  const auto ada = f.add_user("ada@example.org");
  const auto adas = f.members.sign_in("ada@example.org", "correct horse", {"10.0.0.1", "x"});
  ASSERT_TRUE(f.members.sign_in("root@example.org", "correct horse", {"192.0.2.5", "y"}));
  ASSERT_TRUE(adas);

  EXPECT_EQ(f.session_list.list_any(f.as(ada), {}).error().code, Errc::kForbidden);
  EXPECT_EQ(f.session_list.list_any(f.as(root), {}).value().size(), 2U);
  SessionQuery by_person;
  by_person.principal = "ADA@";
  const auto found = f.session_list.list_any(f.as(root), by_person).value();
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].principal, "ada@example.org");
  SessionQuery by_client;
  by_client.client = "192.0.2.";
  EXPECT_EQ(f.session_list.list_any(f.as(root), by_client).value().at(0).principal,
            "root@example.org");
  SessionQuery recipients;
  recipients.kind = SessionKind::kRecipient;
  EXPECT_TRUE(f.session_list.list_any(f.as(root), recipients).value().empty());

  const auto id = to_string(found[0].ref);
  EXPECT_EQ(f.session_list.revoke_any(f.as(ada), id).error().code, Errc::kForbidden);
  ASSERT_TRUE(f.session_list.revoke_any(f.as(root), id));
  EXPECT_FALSE(f.members.authenticate(adas.value().token));
  EXPECT_EQ(f.session_list.revoke_any(f.as(root), id).error().code, Errc::kNotFound);
}

}  // namespace
}  // namespace vestibule::domain
