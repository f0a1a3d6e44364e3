// Sign-in by email code without a link (SPEC §5 "POST /api/v1/session/code"): the same
// Verification flow as a link's code, bound to no link. Only an address of the external
// directory that is not blocked and still has a recipient grant opening something gets a code;
// the code and its budgets, tries and failures are those of link codes.
#include "domain/verification.hpp"
#include "support/recipient_fixture.hpp"

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

using testing::Shared;

constexpr const char* kEve = "eve@partner.example";

TEST(SignInCode, AnInvitedAddressGetsACodeWhoseSessionOpensWhatWasShared) {
  Shared s;
  const std::string code = s.sign_in_code_for("browser-a");
  ASSERT_EQ(code.size(), 8U);
  const auto& mail = s.f.mail_sender.sent.back();
  EXPECT_EQ(mail.kind, MailKind::kCode);
  EXPECT_EQ(mail.to, kEve);
  EXPECT_FALSE(mail.link_id);
  EXPECT_EQ(mail.subject.find(code), std::string::npos);
  // Stored only as the keyed hash over (no link, address, browser, code).
  const auto stored = s.f.verification_store.live_code(
      std::nullopt, kEve, util::sha256_hex("browser:browser-a"), s.f.clock.now());
  ASSERT_TRUE(stored && stored.value());
  EXPECT_EQ(
      stored.value()->code_hmac,
      s.f.verification.code_hmac(std::nullopt, kEve, util::sha256_hex("browser:browser-a"), code));
  EXPECT_NE(
      stored.value()->code_hmac,
      s.f.verification.code_hmac(s.link.id, kEve, util::sha256_hex("browser:browser-a"), code));

  auto verified = s.confirm_sign_in(code, "browser-a");
  ASSERT_TRUE(verified) << verified.error().message;
  const auto who = s.f.verification.authenticate(verified.value().token).value();
  EXPECT_EQ(who.kind, PrincipalKind::kExternal);
  EXPECT_EQ(who.email, kEve);
  Principal through = who;
  through.via = s.link;
  EXPECT_TRUE(s.f.authz.authorize(through, Action::kDownload, s.file));
  EXPECT_EQ(s.f.sharing.shared_with_me(who).value().size(), 1U);
  // The directory record is verified, and the recipient shows when it proved itself.
  EXPECT_EQ(s.f.sharing_store.find_identity(who.external_id).value().state,
            IdentityState::kVerified);
  const auto recipients = s.f.sharing_store.recipients(s.link.id).value();
  ASSERT_EQ(recipients.size(), 1U);
  EXPECT_EQ(recipients.front().verified_at, s.f.clock.now());
  // Single use.
  EXPECT_EQ(s.confirm_sign_in(code, "browser-a").error().code, Errc::kInvalidArgument);
}

TEST(SignInCode, TheAnswerIsTheSameForEveryAddress) {
  Shared s;
  const auto invited = s.f.verification.request_sign_in(kEve, "b", "198.51.100.9").value();
  const auto stranger =
      s.f.verification.request_sign_in("eva@partner.example", "c", "198.51.100.9").value();
  EXPECT_EQ(invited.expires_at, s.f.clock.now() + std::chrono::minutes(10));
  EXPECT_EQ(invited.code_lifetime, std::chrono::minutes(10));
  EXPECT_EQ(invited.code_length, 8);
  EXPECT_EQ(stranger.expires_at, invited.expires_at);
  EXPECT_EQ(stranger.code_lifetime, invited.code_lifetime);
  EXPECT_EQ(stranger.code_length, invited.code_length);
  EXPECT_EQ(stranger.resend_after, invited.resend_after);
}

TEST(SignInCode, OnlyDirectoryAddressesWithSomethingThatStillWorksGetOne) {
  Shared s;
  const auto admin = s.f.add_user("admin@corp.example", true);
  s.f.add_user("ada@corp.example");
  // Never shared with; a member (no directory record): nothing.
  EXPECT_TRUE(s.sign_in_code_for("b", "mallory@partner.example").empty());
  EXPECT_TRUE(s.sign_in_code_for("b", "ada@corp.example").empty());

  // Shared with, then its only link revoked: nothing.
  LinkRequest request;
  request.kind = LinkKind::kSpecific;
  request.recipients = {{"rev@partner.example", {}}};
  const auto revoked = s.f.sharing.create_link(s.f.as(s.owner), s.file.id, request).value();
  ASSERT_TRUE(s.f.sharing.revoke_link(s.f.as(s.owner), revoked.link.link.id));
  s.f.outbox.deliver_due();
  s.f.mail_sender.sent.clear();
  EXPECT_TRUE(s.sign_in_code_for("b", "rev@partner.example").empty());

  // The recipient's own expiry has passed: nothing.
  request.recipients = {{"late@partner.example", s.f.clock.now() + std::chrono::hours(1)}};
  ASSERT_TRUE(s.f.sharing.create_link(s.f.as(s.owner), s.file.id, request));
  s.f.outbox.deliver_due();
  s.f.mail_sender.sent.clear();
  EXPECT_FALSE(s.sign_in_code_for("b", "late@partner.example").empty());
  s.f.clock.advance(std::chrono::hours(2));
  EXPECT_TRUE(s.sign_in_code_for("c", "late@partner.example").empty());

  // The shared item went to the trash: nothing; restored: a code again.
  ASSERT_TRUE(s.f.files.trash(s.f.as(s.owner), s.file.id));
  EXPECT_TRUE(s.sign_in_code_for("b").empty());
  ASSERT_TRUE(s.f.files.restore(s.f.as(s.owner), s.file.id, std::nullopt));
  EXPECT_FALSE(s.sign_in_code_for("b").empty());

  // Blocked: nothing; deleted from the directory: nothing.
  ASSERT_TRUE(s.f.sharing.change_identity(s.f.as(admin), kEve, IdentityState::kBlocked, false));
  EXPECT_TRUE(s.sign_in_code_for("c").empty());
  ASSERT_TRUE(s.f.sharing.change_identity(s.f.as(admin), kEve, IdentityState::kVerified, false));
  EXPECT_FALSE(s.sign_in_code_for("d").empty());
  ASSERT_TRUE(s.f.sharing.delete_identity(s.f.as(admin), kEve));
  EXPECT_TRUE(s.sign_in_code_for("e").empty());
}

TEST(SignInCode, ThePolicyOfTheSharedItemsSpaceDecides) {
  Shared s;
  const auto admin = s.f.add_user("admin@corp.example", true);
  ASSERT_TRUE(s.f.sharing.change_org_settings(
      s.f.as(admin), {{"blocked_domains", nlohmann::json::array({"partner.example"})}}));
  EXPECT_TRUE(s.sign_in_code_for("b").empty());
  ASSERT_TRUE(s.f.sharing.change_org_settings(s.f.as(admin),
                                              {{"blocked_domains", nlohmann::json::array()}}));
  EXPECT_FALSE(s.sign_in_code_for("b").empty());
}

TEST(SignInCode, IsNeverALinksCodeNorTheReverse) {
  Shared s;
  const std::string sign_in = s.sign_in_code_for("browser-a");
  ASSERT_FALSE(sign_in.empty());
  EXPECT_EQ(s.confirm(sign_in, "browser-a").error().code, Errc::kInvalidArgument);
  const std::string link_code = s.code_for("browser-b");
  ASSERT_FALSE(link_code.empty());
  EXPECT_EQ(s.confirm_sign_in(link_code, "browser-b").error().code, Errc::kInvalidArgument);
  // Both still work where they belong.
  EXPECT_TRUE(s.confirm_sign_in(sign_in, "browser-a"));
  EXPECT_TRUE(s.confirm(link_code, "browser-b"));
}

TEST(SignInCode, IsBoundToTheBrowserAndBurnedAfterTheTriesThatCountPerAddress) {
  Shared s;
  const std::string code = s.sign_in_code_for("browser-a");
  ASSERT_FALSE(code.empty());
  // Another browser: refused, and its wrong tries never touch browser A's code.
  EXPECT_EQ(s.confirm_sign_in(code, "browser-b").error().code, Errc::kInvalidArgument);
  const auto identity = s.f.sharing_store.find_identity_by_address(kEve).value();
  const std::string wrong = code == "00000000" ? "11111111" : "00000000";
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(s.confirm_sign_in(wrong, "browser-a").error().code, Errc::kInvalidArgument);
  }
  EXPECT_EQ(s.f.verification_store.consecutive_failures(identity.id).value(), 5);
  EXPECT_EQ(s.confirm_sign_in(code, "browser-a").error().code, Errc::kTooManyRequests);
  // A new code works, and its success resets the count.
  const std::string fresh = s.sign_in_code_for("browser-a");
  EXPECT_TRUE(s.confirm_sign_in(fresh, "browser-a"));
  EXPECT_EQ(s.f.verification_store.consecutive_failures(identity.id).value(), 0);
}

TEST(SignInCode, ShareTheLinkCodesBudgetsAndFailureBlock) {
  Shared s;
  // Per address and browser, link codes and sign-in codes together: 5 an hour.
  int codes = 0;
  for (int i = 0; i < 4; ++i) {
    codes += s.code_for("one-browser").empty() ? 0 : 1;
    codes += s.sign_in_code_for("one-browser").empty() ? 0 : 1;
  }
  EXPECT_EQ(codes, 5);
  // Per client address: the 21st sign-in request in an hour is refused with a retry time.
  for (int i = 4; i < 20; ++i) {
    ASSERT_TRUE(s.f.verification.request_sign_in("x@partner.example", "b", "198.51.100.7"));
  }
  const auto refused = s.f.verification.request_sign_in("x@partner.example", "b", "198.51.100.7");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kTooManyRequests);
  EXPECT_GT(refused.error().retry_after_seconds, 0);
  // Another client address is not refused.
  EXPECT_TRUE(s.f.verification.request_sign_in("x@partner.example", "b", "203.0.113.1"));
  s.f.clock.advance(std::chrono::minutes(61));
  EXPECT_FALSE(s.sign_in_code_for("browser-z").empty());
  // 100 consecutive failures (across codes of any kind): no more guessable sign-in codes
  // either, a one-time link instead (Verification.PastTheFailureBudgetAOneTimeLinkReplacesTheCode).
  const auto identity = s.f.sharing_store.find_identity_by_address(kEve).value();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(s.f.verification_store.record_wrong_try(0, identity.id));
  }
  s.f.clock.advance(std::chrono::minutes(61));
  const std::size_t before = s.f.mail_sender.sent.size();
  ASSERT_TRUE(s.f.verification.request_sign_in(kEve, "browser-y", "198.51.100.7"));
  s.f.verification.process_pending();
  s.f.outbox.deliver_due();
  ASSERT_EQ(s.f.mail_sender.sent.size(), before + 1);
  EXPECT_NE(s.f.mail_sender.sent.back().text.find("/verify#email="), std::string::npos);
}

TEST(SignInCode, ALapsedCodeIsRefused) {
  Shared s;
  const std::string code = s.sign_in_code_for("browser-a");
  s.f.clock.advance(std::chrono::minutes(10) + std::chrono::seconds(1));
  EXPECT_EQ(s.confirm_sign_in(code, "browser-a").error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace vestibule::domain
