// Requests reuse what they read for authorization while nothing is written (store reads memoized
// per request, keyed to the database's change counter). These tests prove the memo never answers
// from stale state: a decision that starts after a change has completed always reflects it,
// whether the change is a write (revoke, remove, block, policy — from this process or another)
// or only the passing of time (expiry, reverification), and also under concurrent readers.
#include "store/sqlite/database.hpp"
#include "support/recipient_fixture.hpp"
#include "util/read_scope.hpp"

#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

using testing::Shared;

// One recipient request, as the HTTP layer runs it: one read scope around reading the session,
// the link and the item, and the decision.
Result<Access> request_as_recipient(testing::StoreFixture& f, const std::string& session,
                                    const std::string& token, Id item_id) {
  const util::ReadScope scope;
  VST_TRY(who, f.verification.authenticate(session));
  VST_TRY(through, f.sharing.through_link(who, token, std::nullopt));
  VST_TRY(item, f.items.find(item_id));
  return f.authz.authorize(through, Action::kDownload, item);
}

// eve@partner.example with a remembered verified session, and an admin.
struct Recipient : Shared {
  User admin;
  std::string session;
  std::string token;

  Recipient() {
    admin = f.add_user("admin@corp.example", true);
    // Long enough that the clock moves of the tests below never end the session by themselves.
    EXPECT_TRUE(f.sharing.change_org_settings(
        f.as(admin), {{"reverify_after", "365d"}, {"remember_device_for", "365d"}}));
    session = confirm(code_for("browser-a"), "browser-a", true).value().token;
    // From here on eve reaches the file through one live link at a time, so taking that link
    // away takes her access away.
    EXPECT_TRUE(f.sharing.revoke_link(f.as(owner), link.id));
    token = share_again();
  }

  // A new specific link to the file for eve, expiring in an hour; returns its token.
  std::string share_again() {
    LinkRequest request;
    request.kind = LinkKind::kSpecific;
    request.recipients = {{"eve@partner.example", {}}};
    request.expires_at = f.clock.now() + std::chrono::hours(1);
    auto created = f.sharing.create_link(f.as(owner), file.id, request).value();
    link = created.link.link;
    return created.token;
  }

  Result<Access> fetch() { return request_as_recipient(f, session, token, file.id); }
};

TEST(AuthorizationMemo, ARepeatedRequestIsAnsweredFromMemoryUntilAWrite) {
  Recipient r;
  ASSERT_TRUE(r.fetch());
  const auto before = store::sqlite::Database::memo_hits();
  ASSERT_TRUE(r.fetch());
  // session, link, item, ancestors, policy, grants: all reused
  EXPECT_GE(store::sqlite::Database::memo_hits() - before, 6U);

  ASSERT_TRUE(r.f.sharing.revoke_link(r.f.as(r.owner), r.link.id));
  const auto after_write = store::sqlite::Database::memo_hits();
  const auto refused = r.fetch();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kGone);
  EXPECT_EQ(store::sqlite::Database::memo_hits(), after_write);  // nothing reused after it
}

TEST(AuthorizationMemo, ExpiryIsDecidedFromTheClockEvenWhenEverythingIsReused) {
  Recipient r;
  ASSERT_TRUE(r.fetch());
  ASSERT_TRUE(r.fetch());
  r.f.clock.advance(std::chrono::hours(1));  // no write at all
  const auto hits = store::sqlite::Database::memo_hits();
  const auto refused = r.fetch();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kGone);
  EXPECT_GT(store::sqlite::Database::memo_hits(), hits);  // answered from memory, yet refused
}

TEST(AuthorizationMemo, AWriteFromAnotherProcessIsSeenByTheNextRequest) {
  Recipient r;
  ASSERT_TRUE(r.fetch());
  ASSERT_TRUE(r.fetch());
  // What the command line does while the server runs: its own connection to the same file.
  store::sqlite::Database other((r.f.dir.path() / "vestibule.db").string(), 1, false);
  store::sql::SharingStore other_sharing(other);
  const auto eve = other_sharing.find_identity_by_address("eve@partner.example").value();
  ASSERT_TRUE(other_sharing.set_identity_state(eve.id, IdentityState::kBlocked, r.f.clock.now()));
  EXPECT_FALSE(r.fetch());
}

// What a change does and how the share is given back afterwards.
struct Change {
  const char* name;
  std::function<void(Recipient&)> apply;
  std::function<void(Recipient&)> restore;
};

std::vector<Change> changes() {
  const auto share_again = [](Recipient& r) { r.token = r.share_again(); };
  const auto set_eve = [](Recipient& r, IdentityState state) {
    ASSERT_TRUE(r.f.sharing.change_identity(r.f.as(r.admin), "eve@partner.example", state, false));
  };
  return {
      {"revoke the link",
       [](Recipient& r) { ASSERT_TRUE(r.f.sharing.revoke_link(r.f.as(r.owner), r.link.id)); },
       share_again},
      {"remove the recipient",
       [](Recipient& r) {
         ASSERT_TRUE(
             r.f.sharing.remove_recipient(r.f.as(r.owner), r.link.id, "eve@partner.example"));
       },
       share_again},
      {"block the address", [=](Recipient& r) { set_eve(r, IdentityState::kBlocked); },
       [=](Recipient& r) {
         set_eve(r, IdentityState::kVerified);
         // Lifting the block ended eve's sessions: she proves her address again.
         auto again = r.confirm_sign_in(r.sign_in_code_for("browser-a"), "browser-a",
                                        "eve@partner.example", true);
         ASSERT_TRUE(again) << again.error().message;
         r.session = again.value().token;
       }},
      {"let the link expire", [](Recipient& r) { r.f.clock.advance(std::chrono::hours(2)); },
       share_again},
      {"block the address's domain",
       [](Recipient& r) {
         ASSERT_TRUE(r.f.sharing.change_org_settings(r.f.as(r.admin),
                                                     {{"blocked_domains", {"partner.example"}}}));
       },
       [](Recipient& r) {
         ASSERT_TRUE(r.f.sharing.change_org_settings(
             r.f.as(r.admin), {{"blocked_domains", nlohmann::json::array()}}));
       }},
      {"shorten the reverification period",
       [](Recipient& r) {
         r.f.clock.advance(std::chrono::minutes(2));
         ASSERT_TRUE(r.f.sharing.change_org_settings(
             r.f.as(r.admin), {{"reverify_after", "1m"}, {"remember_device_for", "1m"}}));
       },
       [](Recipient& r) {
         ASSERT_TRUE(r.f.sharing.change_org_settings(
             r.f.as(r.admin), {{"reverify_after", "365d"}, {"remember_device_for", "365d"}}));
       }},
      {"make the space internal only",
       [](Recipient& r) {
         const auto changed = r.f.sharing.change_space_settings(
             r.f.as(r.owner), r.file.space_id, {{"external_sharing", "internal_only"}});
         ASSERT_TRUE(changed) << changed.error().message;
       },
       [](Recipient& r) {
         ASSERT_TRUE(r.f.sharing.change_space_settings(r.f.as(r.owner), r.file.space_id,
                                                       {{"external_sharing", nullptr}}));
       }},
  };
}

TEST(AuthorizationMemo, EachChangeAppliesToTheNextRequest) {
  Recipient r;
  for (const auto& change : changes()) {
    SCOPED_TRACE(change.name);
    ASSERT_TRUE(r.fetch());
    ASSERT_TRUE(r.fetch());
    change.apply(r);
    EXPECT_FALSE(r.fetch());
    change.restore(r);
    EXPECT_TRUE(r.fetch());
  }
}

TEST(AuthorizationMemo, ConcurrentReadersNeverSeeAStaleAnswer) {
  // The writer cycles through four phases, each change of every kind several times: 0 "eve has
  // access", 1 making the change, 2 "the change took it away", 3 giving access back. Readers note
  // the phase before and after each request; a request that ran wholly inside phase 0 must be
  // allowed and one wholly inside phase 2 refused (one overlapping a change may see either).
  // Readers keep their memo warm, so a stale memo would show as an allowed request in phase 2.
  Recipient r;
  const auto all = changes();
  std::atomic<int> phase{0};
  std::atomic<bool> done{false};
  std::atomic<int> decided_in_phase{0};
  std::mutex token_mutex;  // guards the two below: what a request presents
  std::string current_token = r.token;
  std::string current_session = r.session;
  std::atomic<int> stale{0};
  std::atomic<int> wrongly_refused{0};
  std::atomic<int> refused_in_change{0};
  std::atomic<std::uint64_t> memo_hits{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;

  const auto reader = [&] {
    const auto hits_before = store::sqlite::Database::memo_hits();
    while (!done.load()) {
      const int p0 = phase.load();
      std::string token;
      std::string session;
      {
        std::lock_guard lock(token_mutex);
        token = current_token;
        session = current_session;
      }
      const auto outcome = request_as_recipient(r.f, session, token, r.file.id);
      if (phase.load() != p0) {
        continue;  // overlapped a change: either answer is right
      }
      if (p0 % 2 == 1) {
        continue;  // a change in progress
      }
      const bool changed = p0 % 4 == 2;
      if (changed && outcome) {
        ++stale;
        std::lock_guard lock(failures_mutex);
        failures.push_back(std::string("allowed after: ") + all[(p0 / 4) % all.size()].name);
      } else if (!changed && !outcome) {
        ++wrongly_refused;
        std::lock_guard lock(failures_mutex);
        failures.push_back("refused while shared: " + outcome.error().message);
      } else if (changed) {
        ++refused_in_change;
      }
      ++decided_in_phase;
    }
    memo_hits += store::sqlite::Database::memo_hits() - hits_before;
  };
  const auto let_readers_decide = [&] {
    decided_in_phase = 0;
    while (decided_in_phase.load() < 300) {
      std::this_thread::yield();
    }
  };

  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back(reader);
  }
  constexpr int kRounds = 3;
  for (int round = 0; round < kRounds; ++round) {
    for (const auto& change : all) {
      let_readers_decide();
      ++phase;
      change.apply(r);
      ++phase;  // the change is complete
      let_readers_decide();
      ++phase;
      change.restore(r);
      {
        std::lock_guard lock(token_mutex);
        current_token = r.token;
        current_session = r.session;
      }
      ++phase;  // shared again
    }
  }
  let_readers_decide();
  done = true;
  for (auto& t : readers) {
    t.join();
  }
  for (std::size_t i = 0; i < failures.size() && i < 5; ++i) {
    ADD_FAILURE() << failures[i];
  }
  EXPECT_EQ(stale.load(), 0);
  EXPECT_EQ(wrongly_refused.load(), 0);
  EXPECT_GE(refused_in_change.load(), 300 * kRounds * static_cast<int>(all.size()) / 2);
  EXPECT_GT(memo_hits.load(), 0U);  // the readers did answer from memory
}

}  // namespace
}  // namespace vestibule::domain
