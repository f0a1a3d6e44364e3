// The share dialog's side of Sharing: the recipient check is the very classification link
// creation applies (so the two never disagree), the link options are the rules creation applies,
// and resent invitations are budgeted per recipient.
#include "domain/sharing.hpp"

#include "support/store_fixture.hpp"

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

using testing::StoreFixture;

class SharingDialog : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = f_.add_user("admin@example.org", true);
    owner_ = f_.add_user("owner@example.org");
    f_.add_user("colleague@example.org");
    const auto disabled = f_.add_user("gone@example.org");
    ASSERT_TRUE(f_.members.set_disabled(disabled.id, true));
    item_ = f_.upload(f_.as(owner_), f_.personal_root(owner_), "plan.txt", "the plan");
    // Directory records in each state: shared with once, then moved by the admin.
    LinkRequest request;
    request.kind = LinkKind::kSpecific;
    request.recipients = {
        {"pat@partner.example", {}}, {"gus@partner.example", {}}, {"bea@partner.example", {}}};
    ASSERT_TRUE(f_.sharing.create_link(f_.as(owner_), item_.id, request));
    ASSERT_TRUE(f_.sharing.change_identity(f_.as(admin_), "gus@partner.example",
                                           IdentityState::kGuest, false));
    ASSERT_TRUE(f_.sharing.change_identity(f_.as(admin_), "bea@partner.example",
                                           IdentityState::kBlocked, false));
  }

  void set_policy(const nlohmann::json& patch) {
    // Back to the defaults first, so each case states all it depends on.
    ASSERT_TRUE(f_.sharing.change_org_settings(f_.as(admin_), to_json(Policy{})));
    ASSERT_TRUE(f_.sharing.change_org_settings(f_.as(admin_), patch));
  }

  RecipientCheck check_one(const std::string& address) {
    auto checked = f_.sharing.check_recipients(f_.as(owner_), item_.id, {address}, std::nullopt);
    EXPECT_TRUE(checked) << address;
    return checked.value().at(0);
  }

  Result<CreatedLink> share_with(const std::string& address) {
    LinkRequest request;
    request.kind = LinkKind::kSpecific;
    request.recipients = {{address, {}}};
    return f_.sharing.create_link(f_.as(owner_), item_.id, request);
  }

  StoreFixture f_;
  User admin_;
  User owner_;
  Item item_;
};

TEST_F(SharingDialog, CheckAndCreateAgreeOnEveryAddressUnderEveryPolicy) {
  const std::vector<nlohmann::json> policies = {
      nlohmann::json::object(),
      {{"internal_domains", {"example.org"}}},
      {{"blocked_domains", {"partner.example"}}},
      {{"allowed_domains", {"elsewhere.example"}}},
      {{"external_sharing", "internal_only"}},
      {{"external_sharing", "existing_guests"}},
      {{"external_sharing", "anyone"}, {"email_code_enabled", false}},
  };
  const std::vector<std::string> addresses = {
      "Colleague@Example.org", "gone@example.org",    "new@partner.example",
      "pat@partner.example",   "gus@partner.example", "bea@partner.example",
      "nobody@example.org",    "not an address",      "x@elsewhere.example"};
  for (const auto& policy : policies) {
    set_policy(policy);
    for (const auto& address : addresses) {
      SCOPED_TRACE(policy.dump() + " " + address);
      const RecipientCheck checked = check_one(address);
      const auto created = share_with(address);
      if (checked.accepted()) {
        EXPECT_TRUE(created) << (created ? "" : created.error().message);
        continue;
      }
      ASSERT_FALSE(created);
      if (checked.status == RecipientStatus::kInvalid) {
        EXPECT_EQ(created.error().code, Errc::kInvalidArgument);
        EXPECT_EQ(created.error().field, "recipients");
        continue;
      }
      EXPECT_EQ(created.error().code, Errc::kPolicyRefused);
      ASSERT_EQ(created.error().refused.size(), 1U);
      EXPECT_EQ(created.error().refused[0].address, *checked.normalized);
      EXPECT_EQ(created.error().refused[0].rule, checked.refusal->rule);
      EXPECT_EQ(created.error().refused[0].message, checked.refusal->message);
    }
  }
}

TEST_F(SharingDialog, EachStatusIsNamed) {
  set_policy({{"internal_domains", {"example.org"}}});
  ASSERT_TRUE(f_.sharing.change_identity(f_.as(admin_), "pat@partner.example",
                                         IdentityState::kVerified, false));
  const auto checked =
      f_.sharing
          .check_recipients(f_.as(owner_), item_.id,
                            {"colleague@example.org", "gone@example.org", "pat@partner.example",
                             "gus@partner.example", "bea@partner.example", "new@partner.example",
                             "nobody@example.org", "@"},
                            LinkKind::kSpecific)
          .value();
  std::vector<RecipientStatus> statuses;
  for (const auto& c : checked) {
    statuses.push_back(c.status);
  }
  EXPECT_EQ(statuses,
            (std::vector<RecipientStatus>{RecipientStatus::kMember, RecipientStatus::kRefused,
                                          RecipientStatus::kVerified, RecipientStatus::kGuest,
                                          RecipientStatus::kBlocked, RecipientStatus::kNew,
                                          RecipientStatus::kRefused, RecipientStatus::kInvalid}));
  EXPECT_EQ(checked[0].display_name, "colleague");
  EXPECT_EQ(checked[1].refusal->rule, "account_disabled");
  EXPECT_EQ(checked[2].last_seen_at, util::from_unix(util::to_unix(f_.clock.now())));
  EXPECT_EQ(checked[4].refusal->rule, "identity_blocked");
  EXPECT_EQ(checked[6].refusal->rule, "internal_domains");
  EXPECT_FALSE(checked[7].normalized);
}

TEST_F(SharingDialog, CheckWritesNothingAndSendsNothing) {
  const auto directory = f_.sharing.directory(f_.as(admin_)).value().size();
  const auto mail = f_.outbox_store.recent(1000).value().size();
  ASSERT_TRUE(f_.sharing.check_recipients(
      f_.as(owner_), item_.id, {"new@partner.example", "other@partner.example"}, std::nullopt));
  EXPECT_EQ(f_.sharing.directory(f_.as(admin_)).value().size(), directory);
  EXPECT_EQ(f_.outbox_store.recent(1000).value().size(), mail);
}

TEST_F(SharingDialog, CheckIsForThoseWhoMayShareAndIsBounded) {
  const auto colleague = f_.members.find_by_email("colleague@example.org").value();
  EXPECT_EQ(f_.sharing.check_recipients(f_.as(colleague), item_.id, {"a@b.example"}, std::nullopt)
                .error()
                .code,
            Errc::kNotFound);
  std::vector<std::string> many(Sharing::kMaxCheckedAddresses + 1, "a@b.example");
  EXPECT_EQ(f_.sharing.check_recipients(f_.as(owner_), item_.id, many, std::nullopt).error().field,
            "addresses");
  EXPECT_EQ(f_.sharing.check_recipients(f_.as(owner_), item_.id, {"a@b.example"}, LinkKind::kAnyone)
                .error()
                .code,
            Errc::kInvalidArgument);
}

TEST_F(SharingDialog, OptionsSayWhatCreateWouldDo) {
  set_policy({{"specific_link_default_lifetime", "2d"}, {"specific_link_max_lifetime", "7d"}});
  auto options = f_.sharing.link_options(f_.as(owner_), item_.id).value();
  ASSERT_EQ(options.kinds.size(), 4U);
  EXPECT_EQ(options.kinds[1].kind, LinkKind::kAnyone);
  ASSERT_TRUE(options.kinds[1].refusal);
  EXPECT_EQ(options.kinds[1].refusal->rule, "external_sharing");
  LinkRequest anyone;
  anyone.kind = LinkKind::kAnyone;
  const auto refused = f_.sharing.create_link(f_.as(owner_), item_.id, anyone);
  EXPECT_EQ(refused.error().code, Errc::kPolicyRefused);
  EXPECT_EQ(refused.error().message, options.kinds[1].refusal->message);

  const auto created = share_with("colleague@example.org").value();
  EXPECT_EQ(created.link.link.expires_at, options.specific.default_at);
  EXPECT_EQ(options.specific.max, std::chrono::hours(24 * 7));
  EXPECT_EQ(options.specific.max_at, f_.clock.now() + std::chrono::hours(24 * 7));
  EXPECT_FALSE(options.organization.default_at);
  EXPECT_FALSE(options.organization.max_at);

  set_policy({{"external_sharing", "anyone"}, {"default_link_kind", "anyone"}});
  options = f_.sharing.link_options(f_.as(owner_), item_.id).value();
  EXPECT_FALSE(options.kinds[1].refusal);
  EXPECT_EQ(options.default_kind, LinkKind::kAnyone);
  EXPECT_EQ(options.anyone.default_at, f_.clock.now() + std::chrono::hours(24 * 30));
  const auto space = f_.spaces.list(f_.as(owner_)).value().front().space.id;
  ASSERT_TRUE(f_.sharing.change_space_settings(f_.as(owner_), space,
                                               {{"external_sharing", "existing_guests"}}));
  options = f_.sharing.link_options(f_.as(owner_), item_.id).value();
  EXPECT_TRUE(options.kinds[1].refusal);
  EXPECT_EQ(options.default_kind, LinkKind::kSpecific);
}

TEST_F(SharingDialog, ResentInvitationsAreBudgetedPerRecipient) {
  const auto created = share_with("eve@partner.example").value();
  const Id link = created.link.link.id;
  for (std::size_t i = 0; i < Sharing::kResendsPerHour; ++i) {
    ASSERT_TRUE(f_.sharing.resend_invitation(f_.as(owner_), link, "EVE@partner.example"));
    f_.clock.advance(std::chrono::minutes(10));
  }
  const auto refused = f_.sharing.resend_invitation(f_.as(owner_), link, "eve@partner.example");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kTooManyRequests);
  // The first resend was 30 minutes ago: it leaves the hour's window in 30 minutes.
  EXPECT_EQ(refused.error().retry_after_seconds, 30 * 60);
  f_.clock.advance(std::chrono::minutes(30));
  EXPECT_TRUE(f_.sharing.resend_invitation(f_.as(owner_), link, "eve@partner.example"));

  const auto sent =
      f_.outbox_store.history(link, "eve@partner.example", MailKind::kInvitation).value();
  ASSERT_EQ(sent.size(), 1 + Sharing::kResendsPerHour + 1);
  const auto all = f_.outbox_store.recent(1).value();
  ASSERT_EQ(all.size(), 1U);
  EXPECT_FALSE(all[0].secret);  // carries no token
  EXPECT_NE(all[0].text.find("/shared/" + std::to_string(link)), std::string::npos);
  EXPECT_EQ(all[0].text.find(created.token), std::string::npos);

  EXPECT_EQ(f_.sharing.resend_invitation(f_.as(owner_), link, "bob@partner.example").error().code,
            Errc::kNotFound);
  ASSERT_TRUE(f_.sharing.revoke_link(f_.as(owner_), link));
  EXPECT_EQ(f_.sharing.resend_invitation(f_.as(owner_), link, "eve@partner.example").error().code,
            Errc::kConflict);
}

TEST_F(SharingDialog, SharedByListsSoonestExpiryFirstThenNewest) {
  const auto at = [&](std::optional<std::chrono::hours> in) {
    LinkRequest request;
    request.kind = LinkKind::kOrganization;
    if (in) {
      request.expires_at = f_.clock.now() + *in;
    }
    const Id id = f_.sharing.create_link(f_.as(owner_), item_.id, request).value().link.link.id;
    f_.clock.advance(std::chrono::seconds(5));
    return id;
  };
  const Id never_old = at(std::nullopt);
  const Id late = at(std::chrono::hours(48));
  const Id never_new = at(std::nullopt);
  const Id soon = at(std::chrono::hours(2));
  const Id revoked = at(std::nullopt);
  ASSERT_TRUE(f_.sharing.revoke_link(f_.as(owner_), revoked));
  std::vector<Id> ids;
  const auto shared = f_.sharing.shared_by(f_.as(owner_)).value();  // held: no dangling
  for (const auto& s : shared) {
    ids.push_back(s.link.link.id);
  }
  // SetUp's link (to pat, gus and bea) never expires and is the oldest.
  ASSERT_EQ(ids.size(), 5U);
  EXPECT_EQ(std::vector<Id>(ids.begin(), ids.begin() + 4),
            (std::vector<Id>{soon, late, never_new, never_old}));
  const auto colleague = f_.members.find_by_email("colleague@example.org").value();
  EXPECT_TRUE(f_.sharing.shared_by(f_.as(colleague)).value().empty());
}

}  // namespace
}  // namespace vestibule::domain
