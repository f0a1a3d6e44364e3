#include "domain/external_sharing_report.hpp"

#include "support/store_fixture.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

using namespace std::chrono_literals;
using testing::StoreFixture;

struct Reading {
  std::vector<ExternalShare> rows;
  std::size_t pages = 0;
  std::size_t largest_page = 0;
};

Reading read_all(ExternalSharingReport report) {
  Reading out;
  for (;;) {
    auto page = report.next_page();
    EXPECT_TRUE(page) << page.error().message;
    if (!page || !page.value()) {
      return out;
    }
    ++out.pages;
    out.largest_page = std::max(out.largest_page, page.value()->size());
    for (auto& row : *page.value()) {
      out.rows.push_back(std::move(row));
    }
  }
}

// As the report is written out: each page read from the database before the one before it is
// named.
Reading read_all_one_ahead(ExternalSharingReport report) {
  Reading out;
  auto ahead = report.read_page();
  for (;;) {
    EXPECT_TRUE(ahead) << ahead.error().message;
    if (!ahead || !ahead.value()) {
      return out;
    }
    auto page = std::move(*ahead.value());
    ahead = report.read_page();
    auto rows = report.name_page(std::move(page));
    EXPECT_TRUE(rows) << rows.error().message;
    if (!rows) {
      return out;
    }
    ++out.pages;
    out.largest_page = std::max(out.largest_page, rows.value().size());
    for (auto& row : rows.value()) {
      out.rows.push_back(std::move(row));
    }
  }
}

std::pair<Id, std::string> key_of(const ExternalShare& row) {
  return {row.link_id, row.recipient.value_or("")};
}

// Filters with one or two members set.
ExternalShareFilter by_owner(std::string owner) {
  ExternalShareFilter f;
  f.owner = std::move(owner);
  return f;
}

ExternalShareFilter by_domain(std::string domain) {
  ExternalShareFilter f;
  f.domain = std::move(domain);
  return f;
}

ExternalShareFilter by_kind(LinkKind kind) {
  ExternalShareFilter f;
  f.kind = kind;
  return f;
}

ExternalShareFilter ending_before(TimePoint t) {
  ExternalShareFilter f;
  f.expires_before = t;
  return f;
}

class ExternalSharingReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = f_.add_user("admin@example.org", true);
    ada_ = f_.add_user("ada@example.org");
    bob_ = f_.add_user("bob@example.org");
    ASSERT_TRUE(f_.sharing.change_org_settings(f_.as(admin_), {{"external_sharing", "anyone"}}));
    const auto team = f_.spaces.create_team(f_.as(admin_), "Team").value();
    ASSERT_TRUE(f_.spaces.set_member(f_.as(admin_), team.id, ada_.id, SpaceRole::kOwner));
    ASSERT_TRUE(f_.spaces.set_member(f_.as(admin_), team.id, bob_.id, SpaceRole::kOwner));
    reports_ = f_.files.create_folder(f_.as(ada_), team.root_item_id, "Reports").value();
    q3_ = f_.upload(f_.as(ada_), reports_.id, "q3.pdf", "figures");
  }

  CreatedLink share(const User& who, Id item, LinkKind kind, std::vector<std::string> to = {}) {
    LinkRequest request;
    request.kind = kind;
    for (auto& address : to) {
      request.recipients.push_back({std::move(address), std::nullopt});
    }
    auto created = f_.sharing.create_link(f_.as(who), item, request);
    EXPECT_TRUE(created) << created.error().message;
    return std::move(created).value();
  }

  std::vector<ExternalShare> rows(const ExternalShareFilter& filter = {}) {
    auto report = f_.sharing.external_sharing(f_.as(admin_), filter);
    EXPECT_TRUE(report) << report.error().message;
    return read_all(std::move(report).value()).rows;
  }

  StoreFixture f_;
  User admin_;
  User ada_;
  User bob_;
  Item reports_;
  Item q3_;
};

TEST_F(ExternalSharingReportTest, PagesCoverEveryExternalWayOnceInKeyOrder) {
  // A few thousand rows written in one transaction: anyone links, specific links with several
  // external recipients, and what the report must leave out (organization and existing links,
  // members among recipients, revoked links).
  constexpr int kAnyone = 1200;
  constexpr int kSpecific = 400;
  constexpr int kRecipientsEach = 3;
  ASSERT_TRUE(f_.db.write<void>([&](store::sql::Connection& c) {
    for (int i = 0; i < 40; ++i) {
      c.prepare("INSERT INTO external_identities (address, state, created_at) VALUES (?1, ?2, 0)")
          .with("guest" + std::to_string(i) + "@partner" + std::to_string(i % 3) + ".example",
                i % 2 == 0 ? "pending" : "verified")
          .run();
    }
    const auto link = [&](const char* kind, int n, bool revoked) {
      c.prepare(
           "INSERT INTO links (item_id, kind, role, token_hash, created_by, created_at, "
           "revoked_at) VALUES (?1, ?2, 'view', ?3, ?4, 0, ?5)")
          .with(q3_.id, kind, std::string(kind) + std::to_string(n), ada_.id,
                revoked ? std::optional<std::int64_t>(1) : std::nullopt)
          .run();
      return c.last_insert_id();
    };
    const auto grant = [&](Id link_id, std::optional<Id> user, std::optional<Id> external) {
      c.prepare(
           "INSERT INTO grants (item_id, user_id, external_id, role, link_id, created_by, "
           "created_at) VALUES (?1, ?2, ?3, 'view', ?4, ?5, 0)")
          .with(q3_.id, user, external, link_id, ada_.id)
          .run();
    };
    for (int i = 0; i < kAnyone + kSpecific; ++i) {
      if (i % 4 == 3 && i / 4 < kSpecific) {
        const Id id = link("specific", i, false);
        for (int r = 0; r < kRecipientsEach; ++r) {
          grant(id, std::nullopt, 1 + (i * 7 + r * 13) % 40);
        }
        grant(id, bob_.id, std::nullopt);
      } else {
        link("anyone", i, false);
      }
      if (i % 100 == 0) {
        link("organization", i, false);
        link("existing", i, false);
        grant(link("specific", i + 100000, true), std::nullopt, 1);
        link("anyone", i + 100000, true);
      }
    }
  }));
  const std::size_t expected = kAnyone + kSpecific * kRecipientsEach;

  const auto big = read_all(
      ExternalSharingReport(f_.sharing_store, f_.policies, f_.clock, {}, std::nullopt, 1000));
  const auto small =
      read_all(ExternalSharingReport(f_.sharing_store, f_.policies, f_.clock, {}, std::nullopt, 7));
  ASSERT_EQ(big.rows.size(), expected);
  ASSERT_EQ(small.rows.size(), expected);
  EXPECT_EQ(big.pages, (expected + 999) / 1000);
  EXPECT_LE(big.largest_page, 1000U);
  EXPECT_LE(small.largest_page, 7U);
  for (std::size_t i = 0; i < expected; ++i) {
    EXPECT_EQ(key_of(big.rows[i]), key_of(small.rows[i])) << i;
    if (i > 0) {
      EXPECT_LE(big.rows[i - 1].link_id, big.rows[i].link_id) << "out of order at " << i;
    }
  }
  std::vector<std::pair<Id, std::string>> keys;
  for (const auto& row : big.rows) {
    EXPECT_TRUE(row.kind == LinkKind::kAnyone || row.kind == LinkKind::kSpecific);
    EXPECT_EQ(row.kind == LinkKind::kSpecific, row.recipient.has_value());
    EXPECT_NE(row.recipient.value_or(""), "bob@example.org");
    EXPECT_EQ(row.item_path, "Team/Reports/q3.pdf");
    keys.push_back(key_of(row));
  }
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(std::adjacent_find(keys.begin(), keys.end()), keys.end()) << "a row came twice";
}

// Items in several folders of a tree, read a row per page: each row names its whole path and
// the trash it lies in, whether the folder names are kept across pages or forgotten after each.
TEST_F(ExternalSharingReportTest, EveryRowNamesItsWholePathWhateverTheNamesKept) {
  const auto year = f_.files.create_folder(f_.as(ada_), reports_.id, "2026").value();
  const auto q4 = f_.files.create_folder(f_.as(ada_), year.id, "Q4").value();
  const auto old = f_.files.create_folder(f_.as(ada_), reports_.id, "Old").value();
  std::vector<std::pair<Id, std::string>> shared = {{q3_.id, "Team/Reports/q3.pdf"}};
  for (int i = 0; i < 3; ++i) {
    const auto name = "f" + std::to_string(i) + ".txt";
    shared.emplace_back(f_.upload(f_.as(ada_), q4.id, name, "x").id,
                        "Team/Reports/2026/Q4/" + name);
    shared.emplace_back(f_.upload(f_.as(ada_), year.id, name, "y").id, "Team/Reports/2026/" + name);
    shared.emplace_back(f_.upload(f_.as(ada_), old.id, name, "z").id, "Team/Reports/Old/" + name);
  }
  for (const auto& [item, path] : shared) {
    share(ada_, item, LinkKind::kAnyone);
  }
  ASSERT_TRUE(f_.files.trash(f_.as(ada_), old.id));
  // Pages of one row and pages of several (the folders' paths named once, reused by the rows
  // below them in the same page and in later ones), each named before the next is read or
  // after it.
  for (const bool ahead : {false, true}) {
    for (const std::size_t page : {std::size_t{1}, std::size_t{4}}) {
      for (const std::size_t kept : {std::size_t{100000}, std::size_t{1}}) {
        ExternalSharingReport report(f_.sharing_store, f_.policies, f_.clock, {}, std::nullopt,
                                     page, kept);
        const auto got =
            ahead ? read_all_one_ahead(std::move(report)) : read_all(std::move(report));
        ASSERT_EQ(got.rows.size(), shared.size()) << kept;
        for (std::size_t i = 0; i < shared.size(); ++i) {
          EXPECT_EQ(got.rows[i].item_id, shared[i].first);
          EXPECT_EQ(got.rows[i].item_path, shared[i].second)
              << "page: " << page << ", names kept: " << kept << ", read ahead: " << ahead;
          EXPECT_EQ(got.rows[i].status == "in_trash",
                    shared[i].second.starts_with("Team/Reports/Old/"))
              << shared[i].second << ": " << got.rows[i].status;
        }
      }
    }
  }
}

TEST(ForEachAncestorUpward, VisitsTheFoldersAboveAnItemFromItsParentUpUntilToldToStop) {
  const auto visited = [](std::string_view path, Id stop_at) {
    std::vector<Id> out;
    for_each_ancestor_upward(path, [&](Id id) {
      out.push_back(id);
      return id != stop_at;
    });
    return out;
  };
  EXPECT_EQ(visited("/1/7/42/", 0), (std::vector<Id>{7, 1}));
  EXPECT_EQ(visited("/1/70/4200/31/", 0), (std::vector<Id>{4200, 70, 1}));
  EXPECT_EQ(visited("/1/70/4200/31/", 70), (std::vector<Id>{4200, 70}));
  EXPECT_EQ(visited("/1/", 0), std::vector<Id>{});  // a space's root has no folder above it
  EXPECT_EQ(visited("", 0), std::vector<Id>{});
}

TEST_F(ExternalSharingReportTest, RowsSayWhatIsSharedByWhomWithWhom) {
  const auto anyone = share(ada_, q3_.id, LinkKind::kAnyone);
  const auto specific =
      share(bob_, reports_.id, LinkKind::kSpecific, {"eve@partner.example", "bob@example.org"});
  share(ada_, q3_.id, LinkKind::kOrganization);

  const auto all = rows();
  ASSERT_EQ(all.size(), 2U);
  const auto& a = all[0];
  EXPECT_EQ(a.link_id, anyone.link.link.id);
  EXPECT_EQ(a.kind, LinkKind::kAnyone);
  EXPECT_EQ(a.item_id, q3_.id);
  EXPECT_EQ(a.item_name, "q3.pdf");
  EXPECT_EQ(a.item_kind, ItemKind::kFile);
  EXPECT_EQ(a.item_path, "Team/Reports/q3.pdf");
  EXPECT_EQ(a.space_name, "Team");
  EXPECT_EQ(a.shared_by_id, ada_.id);
  EXPECT_EQ(a.shared_by_email, "ada@example.org");
  EXPECT_FALSE(a.recipient);
  // The policy's maximum lifetime for anyone links (30 days by default) is the expiry.
  ASSERT_TRUE(a.expires_at);
  EXPECT_EQ(*a.expires_at, a.created_at + 30 * 24h);
  EXPECT_EQ(a.status, "active");

  const auto& s = all[1];
  EXPECT_EQ(s.link_id, specific.link.link.id);
  EXPECT_EQ(s.kind, LinkKind::kSpecific);
  EXPECT_EQ(s.item_path, "Team/Reports");
  EXPECT_EQ(s.item_kind, ItemKind::kFolder);
  EXPECT_EQ(s.shared_by_email, "bob@example.org");
  EXPECT_EQ(s.recipient, "eve@partner.example");
  EXPECT_EQ(s.recipient_state, IdentityState::kPending);
  EXPECT_FALSE(s.expires_at);
  EXPECT_FALSE(s.last_used_at);
  EXPECT_EQ(s.status, "active");
}

TEST_F(ExternalSharingReportTest, StatusSaysWhyAWayDoesNotWorkNowAndRevokedOnesAreGone) {
  const auto doomed = share(ada_, q3_.id, LinkKind::kAnyone);
  ASSERT_TRUE(f_.sharing.revoke_link(f_.as(ada_), doomed.link.link.id));
  const auto folder = f_.files.create_folder(f_.as(ada_), reports_.id, "old").value();
  const auto inside = f_.upload(f_.as(ada_), folder.id, "draft.txt", "draft");
  share(ada_, inside.id, LinkKind::kSpecific, {"eve@partner.example"});
  ASSERT_TRUE(f_.files.trash(f_.as(ada_), folder.id));
  share(ada_, q3_.id, LinkKind::kSpecific, {"mallory@elsewhere.example"});
  ASSERT_TRUE(f_.sharing.change_identity(f_.as(admin_), "mallory@elsewhere.example",
                                         IdentityState::kBlocked, false));
  share(ada_, q3_.id, LinkKind::kSpecific, {"carol@partner.example"});
  share(ada_, q3_.id, LinkKind::kAnyone);

  auto statuses = [&] {
    std::vector<std::string> out;
    for (const auto& row : rows()) {
      out.push_back(row.recipient.value_or("anyone") + " " + std::string(row.status));
    }
    return out;
  };
  EXPECT_EQ(statuses(), (std::vector<std::string>{
                            "eve@partner.example in_trash", "mallory@elsewhere.example blocked",
                            "carol@partner.example active", "anyone active"}));
  ASSERT_TRUE(f_.sharing.change_org_settings(
      f_.as(admin_), {{"external_sharing", "new_and_existing_guests"},
                      {"blocked_domains", nlohmann::json::array({"partner.example"})}}));
  EXPECT_EQ(statuses(), (std::vector<std::string>{
                            "eve@partner.example in_trash", "mallory@elsewhere.example blocked",
                            "carol@partner.example off_by_policy", "anyone off_by_policy"}));
  f_.clock.advance(31 * 24h);
  EXPECT_EQ(statuses(), (std::vector<std::string>{
                            "eve@partner.example in_trash", "mallory@elsewhere.example blocked",
                            "carol@partner.example off_by_policy", "anyone expired"}));
}

TEST_F(ExternalSharingReportTest, FiltersNarrowTheRows) {
  share(ada_, q3_.id, LinkKind::kAnyone);
  share(ada_, q3_.id, LinkKind::kSpecific, {"eve@partner.example", "zed@sub.partner.example"});
  share(bob_, reports_.id, LinkKind::kSpecific, {"mallory@elsewhere.example"});
  LinkRequest soon;
  soon.kind = LinkKind::kSpecific;
  soon.recipients = {{"early@elsewhere.example", f_.clock.now() + 2h}};
  ASSERT_TRUE(f_.sharing.create_link(f_.as(bob_), q3_.id, soon));

  const auto recipients = [&](const ExternalShareFilter& filter) {
    std::vector<std::string> out;
    for (const auto& row : rows(filter)) {
      out.push_back(row.recipient.value_or("anyone"));
    }
    return out;
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(recipients({}), (Names{"anyone", "eve@partner.example", "zed@sub.partner.example",
                                   "mallory@elsewhere.example", "early@elsewhere.example"}));
  EXPECT_EQ(recipients(by_owner(" BOB@example.org")),
            (Names{"mallory@elsewhere.example", "early@elsewhere.example"}));
  EXPECT_EQ(recipients(by_domain("Partner.Example")),
            (Names{"eve@partner.example", "zed@sub.partner.example"}));
  EXPECT_EQ(recipients(by_domain("sub.partner.example")), (Names{"zed@sub.partner.example"}));
  EXPECT_EQ(recipients(by_domain("artner.example")), Names{});
  EXPECT_EQ(recipients(by_kind(LinkKind::kAnyone)), (Names{"anyone"}));
  // Before the anyone link's 30-day cap: the recipient whose access ends in 2 hours, and the
  // anyone link itself; links without an end are never "before".
  EXPECT_EQ(recipients(ending_before(f_.clock.now() + 3h)), (Names{"early@elsewhere.example"}));
  EXPECT_EQ(recipients(ending_before(f_.clock.now() + 31 * 24h)),
            (Names{"anyone", "early@elsewhere.example"}));
  auto both = by_owner("ada@example.org");
  both.kind = LinkKind::kSpecific;
  EXPECT_EQ(recipients(both), (Names{"eve@partner.example", "zed@sub.partner.example"}));
}

TEST_F(ExternalSharingReportTest, OnlyAdminsGetItAndBadFiltersNameTheField) {
  const auto member = f_.sharing.external_sharing(f_.as(ada_), {});
  ASSERT_FALSE(member);
  EXPECT_EQ(member.error().code, Errc::kForbidden);

  const auto field_of = [&](const ExternalShareFilter& filter) {
    auto report = f_.sharing.external_sharing(f_.as(admin_), filter);
    EXPECT_FALSE(report);
    EXPECT_EQ(report ? Errc::kInternal : report.error().code, Errc::kInvalidArgument);
    return report ? std::string() : report.error().field;
  };
  EXPECT_EQ(field_of(by_owner("nobody@example.org")), "owner");
  EXPECT_EQ(field_of(by_owner("not an address")), "owner");
  EXPECT_EQ(field_of(by_domain("%")), "domain");
  EXPECT_EQ(field_of(by_domain("a..b")), "domain");
  EXPECT_EQ(field_of(by_kind(LinkKind::kOrganization)), "kind");
}

}  // namespace
}  // namespace vestibule::domain
