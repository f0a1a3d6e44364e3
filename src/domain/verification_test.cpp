#include "domain/verification.hpp"

#include "support/recipient_fixture.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <regex>
#include <set>

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

using testing::Shared;
using testing::StoreFixture;

TEST(Verification, CodesAreUniformOverTheirDigits) {
  // 10^5 codes of 8 digits: 800 000 digits, chi-square over the ten digits (9 degrees of
  // freedom); p > 0.001 needs the statistic below 27.88.
  std::array<long, 10> counts{};
  for (int i = 0; i < 100000; ++i) {
    for (const char c : Verification::generate_code(8)) {
      ASSERT_TRUE(c >= '0' && c <= '9');
      ++counts[static_cast<std::size_t>(c - '0')];
    }
  }
  const double expected = 800000.0 / 10;
  double chi2 = 0;
  for (const long n : counts) {
    chi2 += (static_cast<double>(n) - expected) * (static_cast<double>(n) - expected) / expected;
  }
  EXPECT_LT(chi2, 27.88);
  // Positions are uniform too: the first digit is not biased against 0.
  std::array<long, 10> first{};
  for (int i = 0; i < 20000; ++i) {
    ++first[static_cast<std::size_t>(Verification::generate_code(8)[0] - '0')];
  }
  double chi2_first = 0;
  for (const long n : first) {
    chi2_first += (static_cast<double>(n) - 2000.0) * (static_cast<double>(n) - 2000.0) / 2000.0;
  }
  EXPECT_LT(chi2_first, 27.88);
}

TEST(Verification, ARightCodeWorksOnceAndOnlyAKeyedHashIsStored) {
  Shared s;
  const std::string code = s.code_for("browser-a");
  ASSERT_EQ(code.size(), 8U);
  // What is stored is the HMAC, never the code.
  const auto stored = s.f.verification_store.live_code(
      s.link.id, "eve@partner.example", util::sha256_hex("browser:browser-a"), s.f.clock.now());
  ASSERT_TRUE(stored && stored.value());
  EXPECT_EQ(stored.value()->code_hmac.find(code), std::string::npos);
  EXPECT_EQ(stored.value()->code_hmac,
            s.f.verification.code_hmac(s.link.id, "eve@partner.example",
                                       util::sha256_hex("browser:browser-a"), code));
  auto verified = s.confirm(code, "browser-a");
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(s.confirm(code, "browser-a").error().code, Errc::kInvalidArgument);
  // The session opens the shared file; the identity is verified.
  const auto who = s.f.verification.authenticate(verified.value().token).value();
  EXPECT_TRUE(s.f.authz.authorize(who, Action::kDownload, s.file));
  EXPECT_EQ(s.f.sharing_store.find_identity(who.external_id).value().state,
            IdentityState::kVerified);
  // The code email's body is scrubbed once sent.
  const auto sent = s.f.outbox_store.recent(10).value();
  for (const auto& m : sent) {
    if (m.kind == MailKind::kCode) {
      EXPECT_EQ(m.state, MailState::kSent);
      EXPECT_TRUE(m.text.empty());
      EXPECT_EQ(m.subject.find(code), std::string::npos);
    }
  }
}

TEST(Verification, ACodeIsBoundToTheBrowserThatAskedForIt) {
  Shared s;
  const std::string code = s.code_for("browser-a");
  // Another browser holding the forwarded link: nothing works, and its wrong tries do not burn
  // the code of the browser that asked.
  EXPECT_EQ(s.confirm(code, "browser-b").error().code, Errc::kInvalidArgument);
  for (int i = 0; i < 50; ++i) {
    EXPECT_FALSE(s.confirm("00000000", "browser-b"));
  }
  EXPECT_TRUE(s.confirm(code, "browser-a"));
}

TEST(Verification, ACodeIsBoundToItsLinkAndItsAddress) {
  Shared s;
  constexpr const char* kEve = "eve@partner.example";
  constexpr const char* kYan = "yan@partner.example";
  // L2: another file shared with Eve and Yan by another link.
  const auto other = s.f.upload(s.f.as(s.owner), s.f.personal_root(s.owner), "other.txt", "x");
  LinkRequest request;
  request.kind = LinkKind::kSpecific;
  request.recipients = {{kEve, {}}, {kYan, {}}};
  Principal holder2;
  holder2.via = s.f.sharing.create_link(s.f.as(s.owner), other.id, request).value().link.link;
  s.f.outbox.deliver_due();  // the invitations
  const auto code_through = [&](const Principal& holder, const std::string& address) {
    const std::size_t before = s.f.mail_sender.sent.size();
    EXPECT_TRUE(s.f.verification.request(holder, address, "browser-a", "198.51.100.7"));
    s.f.verification.process_pending();
    s.f.outbox.deliver_due();
    EXPECT_EQ(s.f.mail_sender.sent.size(), before + 1);
    return Shared::code_in(s.f.mail_sender.sent.back().text);
  };
  const auto confirm = [&](const Principal& holder, const std::string& address,
                           const std::string& code) {
    return s.f.verification.confirm(holder, address, code, false, "browser-a", "198.51.100.7",
                                    "test");
  };
  const auto refused_as_wrong = [&](const Principal& holder, const std::string& address,
                                    const std::string& code) {
    const auto r = confirm(holder, address, code);
    return !r && r.error().code == Errc::kInvalidArgument;
  };
  // Every one of them has a live code in the same browser, so each refusal below is a mismatch
  // of link or address, not the absence of a code.
  const std::string l1_eve = code_through(s.holder, kEve);
  const std::string l2_eve = code_through(holder2, kEve);
  const std::string l2_yan = code_through(holder2, kYan);
  ASSERT_EQ(std::set<std::string>({l1_eve, l2_eve, l2_yan}).size(), 3U);
  // Link L1's code on link L2, same address: refused.
  EXPECT_TRUE(refused_as_wrong(holder2, kEve, l1_eve));
  // Address Eve's code under address Yan, same link L2: refused.
  EXPECT_TRUE(refused_as_wrong(holder2, kYan, l2_eve));
  // And the reverse of each.
  EXPECT_TRUE(refused_as_wrong(s.holder, kEve, l2_eve));
  EXPECT_TRUE(refused_as_wrong(holder2, kEve, l2_yan));
  // Each code still works where it belongs, for whom it was sent.
  const auto yan = confirm(holder2, kYan, l2_yan);
  ASSERT_TRUE(yan) << yan.error().message;
  EXPECT_EQ(s.f.verification.authenticate(yan.value().token).value().name, kYan);
  const auto eve2 = confirm(holder2, kEve, l2_eve);
  ASSERT_TRUE(eve2) << eve2.error().message;
  EXPECT_EQ(s.f.verification.authenticate(eve2.value().token).value().name, kEve);
  EXPECT_TRUE(confirm(s.holder, kEve, l1_eve));
}

TEST(Verification, FiveWrongTriesBurnTheCodeAndANewOneWorks) {
  Shared s;
  const std::string code = s.code_for("browser-a");
  const std::string wrong = code == "00000000" ? "11111111" : "00000000";
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(s.confirm(wrong, "browser-a").error().code, Errc::kInvalidArgument);
  }
  EXPECT_EQ(s.confirm(code, "browser-a").error().code, Errc::kTooManyRequests);
  const std::string fresh = s.code_for("browser-a");
  EXPECT_TRUE(s.confirm(fresh, "browser-a"));
}

TEST(Verification, ACodeLivesForItsLifetime) {
  Shared s;
  const std::string code = s.code_for("browser-a");
  s.f.clock.advance(std::chrono::minutes(10) - std::chrono::seconds(1));
  EXPECT_TRUE(s.confirm(code, "browser-a"));
  const std::string late = s.code_for("browser-a");
  s.f.clock.advance(std::chrono::minutes(10) + std::chrono::seconds(1));
  EXPECT_EQ(s.confirm(late, "browser-a").error().code, Errc::kInvalidArgument);
}

TEST(Verification, NonRecipientsGetTheSameAnswerAndNoMail) {
  Shared s;
  EXPECT_TRUE(s.f.verification.request(s.holder, "mallory@partner.example", "b", "198.51.100.9"));
  s.f.verification.process_pending();
  s.f.outbox.deliver_due();
  EXPECT_TRUE(s.f.mail_sender.sent.empty());
}

TEST(Verification, TheAnswerToARequestSaysTheSameToEveryAddress) {
  Shared s;
  const auto invited =
      s.f.verification.request(s.holder, "eve@partner.example", "b", "198.51.100.9").value();
  const auto stranger =
      s.f.verification.request(s.holder, "eva@partner.example", "c", "198.51.100.9").value();
  EXPECT_EQ(invited.expires_at, s.f.clock.now() + std::chrono::minutes(10));
  EXPECT_EQ(invited.code_length, 8);
  EXPECT_EQ(invited.resend_after, Verification::kResendAfter);
  EXPECT_EQ(stranger.expires_at, invited.expires_at);
  EXPECT_EQ(stranger.code_length, invited.code_length);
  EXPECT_EQ(stranger.resend_after, invited.resend_after);
}

TEST(Verification, SendBudgetsHoldPerBrowserAndPerClientWithALargerCapPerAddress) {
  Shared s;
  int codes = 0;
  for (int i = 0; i < 8; ++i) {
    if (!s.code_for("browser-forwarded").empty()) {
      ++codes;
    }
  }
  EXPECT_EQ(codes, 5);  // code_sends_per_address_per_hour, for this browser
  // Someone else's browser used up its own budget, not the recipient's.
  EXPECT_FALSE(s.code_for("browser-eve").empty());
  // Across browsers (and networks), an address gets at most 4 times that in an hour.
  for (int i = 0; i < 20; ++i) {
    const std::size_t before = s.f.mail_sender.sent.size();
    ASSERT_TRUE(s.f.verification.request(s.holder, "eve@partner.example",
                                         "browser-" + std::to_string(i),
                                         "203.0.113." + std::to_string(i)));
    s.f.verification.process_pending();
    s.f.outbox.deliver_due();
    codes += static_cast<int>(s.f.mail_sender.sent.size() - before);
  }
  EXPECT_EQ(codes + 1, 20);
  // Per (link, client address): the 21st request in an hour is refused with a retry time (nine
  // came from 198.51.100.7 above).
  for (int i = 9; i < 20; ++i) {
    ASSERT_TRUE(s.f.verification.request(s.holder, "x@partner.example", "b", "198.51.100.7"));
  }
  const auto refused = s.f.verification.request(s.holder, "x@partner.example", "b", "198.51.100.7");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kTooManyRequests);
  EXPECT_GT(refused.error().retry_after_seconds, 0);
  s.f.clock.advance(std::chrono::minutes(61));
  EXPECT_FALSE(s.code_for("browser-z").empty());
}

TEST(Verification, SignInHintsToAMemberKeepTheAddressBudget) {
  Shared s;
  const auto mia = s.f.add_user("mia@corp.example");
  LinkRequest request;
  request.kind = LinkKind::kSpecific;
  request.recipients = {{mia.email, {}}};
  Principal holder;
  holder.via = s.f.sharing.create_link(s.f.as(s.owner), s.file.id, request).value().link.link;
  const auto hints = [&] {
    return std::count_if(s.f.mail_sender.sent.begin(), s.f.mail_sender.sent.end(),
                         [&](const auto& m) { return m.to == mia.email; });
  };
  s.f.outbox.deliver_due();
  const auto invitations = hints();
  // Requests from many browsers and networks: a hint each, up to the address's hourly budget.
  for (int i = 0; i < 9; ++i) {
    ASSERT_TRUE(s.f.verification.request(holder, mia.email, "browser-" + std::to_string(i),
                                         "203.0.113." + std::to_string(i)));
    s.f.verification.process_pending();
    s.f.outbox.deliver_due();
  }
  EXPECT_EQ(hints() - invitations, 5);  // code_sends_per_address_per_hour
  EXPECT_EQ(s.f.mail_sender.sent.back().kind, MailKind::kNotification);
  s.f.clock.advance(std::chrono::minutes(61));
  ASSERT_TRUE(s.f.verification.request(holder, mia.email, "browser-later", "203.0.113.99"));
  s.f.verification.process_pending();
  s.f.outbox.deliver_due();
  EXPECT_EQ(hints() - invitations, 6);
}

TEST(Verification, ConfirmingAnswersRecipientsAndOthersAlike) {
  Shared s;
  const std::string code = s.code_for("browser-eve");
  ASSERT_FALSE(code.empty());
  const std::string wrong = code == "00000000" ? "11111111" : "00000000";
  ASSERT_TRUE(
      s.f.verification.request(s.holder, "eva@partner.example", "browser-eva", "198.51.100.7"));
  s.f.verification.process_pending();
  const auto answers = [&](const std::string& address, const std::string& browser) {
    std::vector<std::pair<Errc, std::string>> out;
    for (int i = 0; i < 7; ++i) {
      auto r = s.f.verification.confirm(s.holder, address, wrong, false, browser, "198.51.100.7",
                                        "test");
      EXPECT_FALSE(r);
      out.emplace_back(r.error().code, r.error().message);
    }
    return out;
  };
  const auto recipient = answers("eve@partner.example", "browser-eve");
  const auto stranger = answers("eva@partner.example", "browser-eva");
  EXPECT_EQ(recipient, stranger);
  ASSERT_EQ(recipient.size(), 7U);
  EXPECT_EQ(recipient[4].first, Errc::kInvalidArgument);  // code_max_tries = 5 wrong answers...
  EXPECT_EQ(recipient[5].first, Errc::kTooManyRequests);  // ...then the code is burnt
  // A new request starts again for both; after code_lifetime both are plain wrong-code answers.
  ASSERT_FALSE(s.code_for("browser-eve").empty());
  ASSERT_TRUE(
      s.f.verification.request(s.holder, "eva@partner.example", "browser-eva", "198.51.100.7"));
  s.f.verification.process_pending();
  EXPECT_EQ(answers("eve@partner.example", "browser-eve")[0].first, Errc::kInvalidArgument);
  EXPECT_EQ(answers("eva@partner.example", "browser-eva")[0].first, Errc::kInvalidArgument);
  s.f.clock.advance(std::chrono::minutes(11));
  EXPECT_EQ(answers("eve@partner.example", "browser-eve"),
            answers("eva@partner.example", "browser-eva"));
  EXPECT_EQ(answers("eva@partner.example", "browser-eva")[6].first, Errc::kInvalidArgument);
}

TEST(Verification, AWrongTryIsRecordedAlikeForRecipientsAndOthers) {
  Shared s;
  const std::string code = s.code_for("browser-eve");
  ASSERT_FALSE(code.empty());
  const std::string wrong = code == "00000000" ? "11111111" : "00000000";
  ASSERT_TRUE(
      s.f.verification.request(s.holder, "eva@partner.example", "browser-eva", "198.51.100.7"));
  s.f.verification.process_pending();
  s.f.events.events.clear();
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(s.f.verification.confirm(s.holder, "eve@partner.example", wrong, false,
                                          "browser-eve", "198.51.100.7", "test"));
    EXPECT_FALSE(s.f.verification.confirm(s.holder, "eva@partner.example", wrong, false,
                                          "browser-eva", "198.51.100.7", "test"));
  }
  // One `verification.failed` per wrong try for either address (the same work: its write).
  const auto failed = [&](const std::string& address) {
    return std::count_if(s.f.events.events.begin(), s.f.events.events.end(), [&](const auto& e) {
      return e.type == "verification.failed" && e.subject == address;
    });
  };
  EXPECT_EQ(failed("eve@partner.example"), 3);
  EXPECT_EQ(failed("eva@partner.example"), 3);
}

TEST(Verification, TheReverificationPeriodIsCheckedOnEveryDecision) {
  Shared s;
  const auto admin = s.f.add_user("admin@corp.example", true);
  const auto verified = s.confirm(s.code_for("browser-a"), "browser-a", true).value();
  EXPECT_TRUE(verified.max_age);
  const auto who = s.f.verification.authenticate(verified.token).value();
  ASSERT_TRUE(s.f.authz.authorize(who, Action::kDownload, s.file));
  ASSERT_TRUE(s.f.sharing.change_org_settings(
      s.f.as(admin), {{"reverify_after", "1h"}, {"remember_device_for", "1h"}}));
  s.f.clock.advance(std::chrono::minutes(59));
  EXPECT_TRUE(s.f.authz.authorize(who, Action::kDownload, s.file));
  s.f.clock.advance(std::chrono::minutes(2));
  EXPECT_EQ(s.f.authz.authorize(who, Action::kDownload, s.file).error().code,
            Errc::kUnauthenticated);
}

TEST(Verification, PeriodZeroAcceptsNoRememberedDevice) {
  Shared s;
  const auto admin = s.f.add_user("admin@corp.example", true);
  const auto remembered = s.confirm(s.code_for("browser-a"), "browser-a", true).value();
  const auto who = s.f.verification.authenticate(remembered.token).value();
  ASSERT_TRUE(s.f.sharing.change_org_settings(
      s.f.as(admin), {{"reverify_after", "0"}, {"remember_device_for", "0"}}));
  EXPECT_EQ(s.f.authz.authorize(who, Action::kRead, s.file).error().code, Errc::kUnauthenticated);
  const auto fresh = s.confirm(s.code_for("browser-b"), "browser-b", true).value();
  EXPECT_FALSE(fresh.max_age);  // not remembered under period 0
  EXPECT_TRUE(s.f.authz.authorize(s.f.verification.authenticate(fresh.token).value(), Action::kRead,
                                  s.file));
}

TEST(Verification, PastTheFailureBudgetAOneTimeLinkReplacesTheCode) {
  Shared s;
  auto identity = s.f.sharing_store.find_identity_by_address("eve@partner.example").value();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(s.f.verification_store.record_wrong_try(0, identity.id));
  }
  s.f.verification.set_public_url("https://files.example.org");
  ASSERT_TRUE(
      s.f.verification.request(s.holder, "eve@partner.example", "browser-a", "198.51.100.7"));
  s.f.verification.process_pending();
  s.f.outbox.deliver_due();
  ASSERT_FALSE(s.f.mail_sender.sent.empty());
  const auto& mail = s.f.mail_sender.sent.back();
  EXPECT_EQ(mail.to, "eve@partner.example");
  // No guessable code: a link to /verify whose token has 256 bits, in the URL's fragment.
  std::smatch m;
  const std::string text = mail.text;
  ASSERT_TRUE(
      std::regex_search(text, m,
                        std::regex("https://files\\.example\\.org/"
                                   "verify#link=([0-9]+)&email=([^&]+)&token=([A-Za-z0-9_-]+)")))
      << text;
  EXPECT_EQ(m[1].str(), std::to_string(s.link.id));
  const std::string token = m[3].str();
  EXPECT_EQ(token.size(), 43U);
  EXPECT_EQ(mail.subject.find(token), std::string::npos);
  // Only in the browser that asked, and once.
  EXPECT_FALSE(s.f.verification.confirm_one_time(s.link.id, "eve@partner.example", token, false,
                                                 "browser-b", "198.51.100.8", "test"));
  auto verified = s.f.verification.confirm_one_time(s.link.id, "eve@partner.example", token, false,
                                                    "browser-a", "198.51.100.7", "test");
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_TRUE(s.f.verification.authenticate(verified.value().token));
  EXPECT_FALSE(s.f.verification.confirm_one_time(s.link.id, "eve@partner.example", token, false,
                                                 "browser-a", "198.51.100.7", "test"));
  // The success starts the count again: the next request gets a code.
  EXPECT_EQ(s.f.verification_store.consecutive_failures(identity.id).value(), 0);
  EXPECT_FALSE(s.code_for("browser-a").empty());
}

TEST(Verification, LiftingABlockDoesNotBringBackOldSessions) {
  Shared s;
  const auto verified = s.confirm(s.code_for("browser-a"), "browser-a");
  ASSERT_TRUE(verified);
  const auto id = s.f.sharing_store.find_identity_by_address("eve@partner.example").value().id;
  ASSERT_TRUE(s.f.sharing_store.set_identity_state(id, IdentityState::kBlocked, s.f.clock.now()));
  EXPECT_FALSE(s.f.verification.authenticate(verified.value().token));
  EXPECT_TRUE(s.f.verification.identify(verified.value().token));  // its pages say "blocked"
  ASSERT_TRUE(s.f.sharing_store.set_identity_state(id, IdentityState::kVerified, s.f.clock.now()));
  EXPECT_FALSE(s.f.verification.authenticate(verified.value().token));
  EXPECT_FALSE(s.f.verification.identify(verified.value().token));
}

TEST(Outbox, RetriesTemporaryFailuresWithBackOffAndDropsExpiredCodes) {
  StoreFixture f;
  f.mail_sender.answer = {SendOutcome::Kind::kTemporary, "connection refused"};
  ASSERT_TRUE(f.outbox.enqueue({MailKind::kInvitation, "a@partner.example", "s", "t", "h", true,
                                std::nullopt, std::nullopt}));
  ASSERT_TRUE(f.outbox.enqueue({MailKind::kCode, "a@partner.example", "code", "12345678", "h", true,
                                std::nullopt, f.clock.now() + std::chrono::minutes(10)}));
  f.outbox.deliver_due();
  EXPECT_EQ(f.mail_sender.sent.size(), 2U);
  f.outbox.deliver_due();  // nothing due before the back-off
  EXPECT_EQ(f.mail_sender.sent.size(), 2U);
  f.mail_sender.answer = {SendOutcome::Kind::kSent, "250 ok"};
  f.clock.advance(std::chrono::minutes(11));  // past the code's lifetime and the first back-off
  f.outbox.deliver_due();
  ASSERT_EQ(f.mail_sender.sent.size(), 3U);
  EXPECT_EQ(f.mail_sender.sent.back().kind, MailKind::kInvitation);
  const auto all = f.outbox_store.recent(10).value();
  for (const auto& m : all) {
    EXPECT_EQ(m.state, m.kind == MailKind::kCode ? MailState::kDropped : MailState::kSent);
    EXPECT_TRUE(m.text.empty());  // secrets scrubbed, sent or dropped
  }
  f.clock.advance(std::chrono::hours(2));
  f.outbox.deliver_due();
  EXPECT_EQ(f.mail_sender.sent.size(), 3U);  // exactly once
}

TEST(Outbox, PermanentFailuresKeepTheRelaysAnswer) {
  StoreFixture f;
  f.mail_sender.answer = {SendOutcome::Kind::kPermanent, "550 5.1.1 mailbox unavailable"};
  ASSERT_TRUE(f.outbox.enqueue({MailKind::kInvitation, "a@partner.example", "s", "t", "h", false,
                                std::nullopt, std::nullopt}));
  f.outbox.deliver_due();
  const auto m = f.outbox_store.recent(1).value().front();
  EXPECT_EQ(m.state, MailState::kFailed);
  EXPECT_NE(m.last_error.find("550"), std::string::npos);
  f.clock.advance(std::chrono::hours(2));
  f.outbox.deliver_due();
  EXPECT_EQ(f.mail_sender.sent.size(), 1U);
}

// The outbox store with claims whose right ends (as when a node's database connection is lost)
// once `lose_after` questions have been asked of them.
struct ClaimsThatEnd final : OutboxRepository {
  explicit ClaimsThatEnd(OutboxRepository& store) : inner(store) {}
  Result<MailMessage> enqueue(const NewMail& mail, const std::string& id, TimePoint now) override {
    return inner.enqueue(mail, id, now);
  }
  Result<std::vector<MailMessage>> due(TimePoint now, std::size_t limit) override {
    return inner.due(now, limit);
  }
  Result<std::optional<ClaimedMail>> claim(Id id, TimePoint now) override {
    auto claimed = inner.claim(id, now);
    if (claimed && claimed.value() && lost) {
      claimed.value()->stands = [this] {
        ++asked;
        return false;
      };
    }
    return claimed;
  }
  Result<void> mark_sent(Id id, TimePoint now, bool scrub) override {
    return inner.mark_sent(id, now, scrub);
  }
  Result<void> reschedule(Id id, int attempts, TimePoint next, const std::string& e) override {
    return inner.reschedule(id, attempts, next, e);
  }
  Result<void> finish(Id id, MailState state, int attempts, const std::string& error,
                      TimePoint now) override {
    return inner.finish(id, state, attempts, error, now);
  }
  Result<std::optional<MailMessage>> latest(Id link, const std::string& to, MailKind k) override {
    return inner.latest(link, to, k);
  }
  Result<std::vector<MailMessage>> recent(std::size_t limit) override {
    return inner.recent(limit);
  }
  Result<std::vector<MailMessage>> history(Id link, const std::string& to, MailKind k) override {
    return inner.history(link, to, k);
  }
  OutboxRepository& inner;
  bool lost = true;
  int asked = 0;
};

// A worker whose claim has ended by the time the message is ready to go delivers nothing and
// writes nothing: the message is another worker's now, and that worker's outcome must stand.
TEST(Outbox, AWorkerWhoseClaimEndedBeforeTheEndOfAMessageNeitherSendsNorWrites) {
  StoreFixture f;
  ClaimsThatEnd claims(f.outbox_store);
  Outbox outbox(claims, f.mail_sender, f.clock, {});
  ASSERT_TRUE(outbox.enqueue({MailKind::kInvitation, "a@partner.example", "s", "t", "h", true,
                              std::nullopt, std::nullopt}));
  EXPECT_EQ(outbox.deliver_due(), 0U);
  EXPECT_EQ(claims.asked, 1);
  EXPECT_TRUE(f.mail_sender.sent.empty());
  auto m = f.outbox_store.recent(1).value().front();
  EXPECT_EQ(m.state, MailState::kQueued);
  EXPECT_EQ(m.attempts, 0);  // no attempt recorded over the other worker's
  EXPECT_TRUE(m.last_error.empty());

  // The worker that holds it next (here: the claim stands) sends it, once.
  claims.lost = false;
  EXPECT_EQ(outbox.deliver_due(), 1U);
  ASSERT_EQ(f.mail_sender.sent.size(), 1U);
  m = f.outbox_store.recent(1).value().front();
  EXPECT_EQ(m.state, MailState::kSent);
  EXPECT_EQ(outbox.deliver_due(), 0U);
  EXPECT_EQ(f.mail_sender.sent.size(), 1U);
}

}  // namespace
}  // namespace vestibule::domain
