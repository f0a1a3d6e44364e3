#include "domain/members.hpp"

#include "support/failing_throttle.hpp"
#include "support/store_fixture.hpp"

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

using testing::StoreFixture;

const ClientInfo kClient{"10.0.0.1", "test"};

TEST(Members, SignInReturnsATokenWhoseHashIsStored) {
  StoreFixture f;
  f.add_user("ada@example.org");
  auto signed_in = f.members.sign_in("ADA@example.org ", "correct horse", kClient).value();
  EXPECT_GE(util::base64url_decode(signed_in.token).value().size(), 32U);
  EXPECT_EQ(signed_in.session.token_hash, util::sha256_hex(signed_in.token));
  EXPECT_EQ(f.members.authenticate(signed_in.token).value().user.email, "ada@example.org");
}

TEST(Members, WrongPasswordUnknownAndDisabledAccountsLookTheSame) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  f.add_user("bob@example.org");
  ASSERT_TRUE(f.members.set_disabled(ada.id, true));
  const auto wrong = f.members.sign_in("bob@example.org", "wrong horse", kClient);
  const auto unknown = f.members.sign_in("eve@example.org", "correct horse", kClient);
  const auto disabled = f.members.sign_in("ada@example.org", "correct horse", kClient);
  for (const auto* r : {&wrong, &unknown, &disabled}) {
    ASSERT_FALSE(*r);
    EXPECT_EQ(r->error().code, Errc::kUnauthenticated);
    EXPECT_EQ(r->error().message, wrong.error().message);
  }
}

TEST(Members, SignOutEndsTheSessionOnTheServer) {
  StoreFixture f;
  f.add_user("ada@example.org");
  auto s = f.members.sign_in("ada@example.org", "correct horse", kClient).value();
  ASSERT_TRUE(f.members.sign_out(s.session));
  EXPECT_EQ(f.members.authenticate(s.token).error().code, Errc::kUnauthenticated);
}

TEST(Members, SessionsExpireByLifetimeAndIdleness) {
  StoreFixture f;
  f.add_user("ada@example.org");
  auto s = f.members.sign_in("ada@example.org", "correct horse", kClient).value();
  f.clock.advance(std::chrono::hours{24 * 6});
  EXPECT_TRUE(f.members.authenticate(s.token));
  f.clock.advance(std::chrono::hours{24 * 7} + std::chrono::seconds{1});
  EXPECT_FALSE(f.members.authenticate(s.token));
}

TEST(Members, DisablingEndsEverySession) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  auto s = f.members.sign_in("ada@example.org", "correct horse", kClient).value();
  ASSERT_TRUE(f.members.set_disabled(ada.id, true));
  EXPECT_FALSE(f.members.authenticate(s.token));
}

TEST(Members, ThrottledSignInSaysWhenToRetry) {
  StoreFixture f;
  f.add_user("ada@example.org");
  for (int i = 0; i < 6; ++i) {
    ASSERT_FALSE(f.members.sign_in("ada@example.org", "nope nope", kClient));
  }
  auto r = f.members.sign_in("ada@example.org", "correct horse", kClient);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kTooManyRequests);
  EXPECT_GT(r.error().retry_after_seconds, 0);
  f.clock.advance(std::chrono::seconds{r.error().retry_after_seconds});
  EXPECT_TRUE(f.members.sign_in("ada@example.org", "correct horse", kClient));
}

TEST(Members, SignInIsUnavailableWhenFailuresCannotBeCountedWhateverThePassword) {
  // With the counts out of reach, a guess must not be answered uncounted: the right password
  // and a wrong one get the same "try again in a moment", so guessing learns nothing.
  StoreFixture f;
  f.add_user("ada@example.org");
  testing::FailingThrottleRepository failing(f.throttle_store);
  SignInThrottle throttle(failing, "sign-in", f.clock, {});
  MembersOptions options;
  options.password_cost = testing::test_password_cost();
  Members members(f.users, f.sessions, f.clock, throttle, options);
  for (const bool reads : {true, false}) {
    failing.fail_reads = reads;
    failing.fail_writes = !reads;
    for (const char* password : {"correct horse", "wrong horse"}) {
      const auto r = members.sign_in("ada@example.org", password, kClient);
      ASSERT_FALSE(r) << password;
      EXPECT_EQ(r.error().code, Errc::kUnavailable) << password;
      EXPECT_EQ(r.error().retry_after_seconds, 1);
    }
  }
  failing.fail_writes = false;
  EXPECT_TRUE(members.sign_in("ada@example.org", "correct horse", kClient));
}

TEST(Members, ChangingThePasswordCanEndOtherSessions) {
  StoreFixture f;
  f.add_user("ada@example.org");
  auto first = f.members.sign_in("ada@example.org", "correct horse", kClient).value();
  auto second = f.members.sign_in("ada@example.org", "correct horse", kClient).value();
  auto who = f.members.authenticate(second.token).value();
  EXPECT_EQ(f.members.change_password(who, "bad guess", "battery staple", true).error().code,
            Errc::kForbidden);
  ASSERT_TRUE(f.members.change_password(who, "correct horse", "battery staple", true));
  EXPECT_FALSE(f.members.authenticate(first.token));
  EXPECT_TRUE(f.members.authenticate(second.token));
  EXPECT_TRUE(f.members.sign_in("ada@example.org", "battery staple", kClient));
}

TEST(Members, AddUserValidatesInputAndRefusesDuplicates) {
  StoreFixture f;
  f.add_user("ada@example.org");
  EXPECT_EQ(f.members.add_user("ADA@example.org", "long enough", "", UserRole::kUser).error().code,
            Errc::kConflict);
  EXPECT_EQ(f.members.add_user("not-an-email", "long enough", "", UserRole::kUser).error().field,
            "email");
  EXPECT_EQ(f.members.add_user("bob@example.org", "short", "", UserRole::kUser).error().field,
            "password");
}

TEST(Members, AdminsChangeOtherAccountsButNeverDisableOrDemoteThemselves) {
  StoreFixture f;
  const auto admin = f.add_user("admin@example.org", true);
  const auto bob = f.add_user("bob@example.org");
  auto s = f.members.sign_in("bob@example.org", "correct horse", kClient).value();

  UserChange disable;
  disable.disabled = true;
  const auto disabled = f.members.change_account(admin.id, bob.id, disable).value();
  EXPECT_TRUE(disabled.disabled);
  EXPECT_FALSE(f.members.authenticate(s.token));  // the session ended with the change

  EXPECT_EQ(f.members.change_account(admin.id, admin.id, disable).error().field, "disabled");
  UserChange demote;
  demote.role = UserRole::kUser;
  EXPECT_EQ(f.members.change_account(admin.id, admin.id, demote).error().code,
            Errc::kInvalidArgument);
  UserChange rename;
  rename.display_name = "";
  EXPECT_EQ(f.members.change_account(admin.id, bob.id, rename).error().field, "display_name");
  EXPECT_EQ(f.members.change_account(admin.id, 9999, disable).error().code, Errc::kNotFound);
}

TEST(Members, TheLastActiveAdminStays) {
  StoreFixture f;
  const auto first = f.add_user("first@example.org", true);
  const auto second = f.add_user("second@example.org", true);
  UserChange demote;
  demote.role = UserRole::kUser;
  // As if both admins demoted each other at once: the second change is refused as a whole.
  ASSERT_TRUE(f.members.change_account(second.id, first.id, demote));
  UserChange both;
  both.role = UserRole::kUser;
  both.display_name = "renamed";
  EXPECT_EQ(f.members.change_account(first.id, second.id, both).error().code, Errc::kConflict);
  const auto kept = f.users.find_by_id(second.id).value();
  EXPECT_EQ(kept.role, UserRole::kAdmin);
  EXPECT_EQ(kept.display_name, "second");
}

TEST(Members, AGeneratedPasswordSignsInAndEndsEarlierSessions) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  auto s = f.members.sign_in("ada@example.org", "correct horse", kClient).value();
  const auto password = f.members.reset_password_generated(ada.id).value();
  EXPECT_GE(password.size(), 20U);
  EXPECT_FALSE(f.members.authenticate(s.token));
  EXPECT_TRUE(f.members.sign_in("ada@example.org", password, kClient));
  EXPECT_EQ(f.members.reset_password_generated(9999).error().code, Errc::kNotFound);
}

}  // namespace
}  // namespace vestibule::domain
