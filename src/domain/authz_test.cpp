#include "domain/authz.hpp"

#include "support/store_fixture.hpp"

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

using testing::StoreFixture;

// Principals of a team space × actions → the expected outcome.
struct Case {
  std::optional<SpaceRole> role;  // none: not a member
  Action action;
  std::optional<Errc> expected;  // none: allowed
};

class SpaceRoleMatrix : public ::testing::TestWithParam<Case> {};

TEST_P(SpaceRoleMatrix, DecidesFromTheCurrentMembership) {
  StoreFixture f;
  const auto admin = f.add_user("admin@example.org", true);
  const auto who = f.add_user("who@example.org");
  const auto space = f.spaces.create_team(f.as(admin), "Team").value();
  const auto folder = f.files.create_folder(f.as(admin), space.root_item_id, "docs").value();
  const auto file = f.upload(f.as(admin), folder.id, "x.txt", "x");
  if (GetParam().role) {
    ASSERT_TRUE(f.spaces.set_member(f.as(admin), space.id, who.id, *GetParam().role));
  }
  auto result = f.authz.authorize(f.as(who), GetParam().action, file);
  if (GetParam().expected) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, *GetParam().expected);
  } else {
    EXPECT_TRUE(result);
  }
  // Removing the membership takes effect on the next decision.
  if (GetParam().role && GetParam().role != SpaceRole::kOwner) {
    ASSERT_TRUE(f.spaces.remove_member(f.as(admin), space.id, who.id));
    EXPECT_EQ(f.authz.authorize(f.as(who), GetParam().action, file).error().code, Errc::kNotFound);
  }
}

constexpr auto kVisitor = SpaceRole::kVisitor;
constexpr auto kMember = SpaceRole::kMember;
constexpr auto kOwner = SpaceRole::kOwner;

INSTANTIATE_TEST_SUITE_P(AllRolesAllActions, SpaceRoleMatrix,
                         ::testing::Values(Case{std::nullopt, Action::kRead, Errc::kNotFound},
                                           Case{std::nullopt, Action::kDownload, Errc::kNotFound},
                                           Case{std::nullopt, Action::kUpload, Errc::kNotFound},
                                           Case{std::nullopt, Action::kDelete, Errc::kNotFound},
                                           Case{kVisitor, Action::kRead, std::nullopt},
                                           Case{kVisitor, Action::kList, std::nullopt},
                                           Case{kVisitor, Action::kDownload, std::nullopt},
                                           Case{kVisitor, Action::kUpload, Errc::kForbidden},
                                           Case{kVisitor, Action::kRename, Errc::kForbidden},
                                           Case{kVisitor, Action::kDelete, Errc::kForbidden},
                                           Case{kVisitor, Action::kManage, Errc::kForbidden},
                                           Case{kMember, Action::kRead, std::nullopt},
                                           Case{kMember, Action::kUpload, std::nullopt},
                                           Case{kMember, Action::kRename, std::nullopt},
                                           Case{kMember, Action::kDelete, std::nullopt},
                                           Case{kMember, Action::kManage, Errc::kForbidden},
                                           Case{kOwner, Action::kRead, std::nullopt},
                                           Case{kOwner, Action::kDelete, std::nullopt},
                                           Case{kOwner, Action::kManage, std::nullopt}));

TEST(Authorizer, PersonalSpacesAreInvisibleToOthersEvenAdmins) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  const auto admin = f.add_user("admin@example.org", true);
  const auto file = f.upload(f.as(ada), f.personal_root(ada), "x.txt", "x");
  EXPECT_EQ(f.authz.authorize(f.as(admin), Action::kRead, file).error().code, Errc::kNotFound);
  EXPECT_EQ(f.files.open_content(f.as(admin), file.id).error().code, Errc::kNotFound);
}

TEST(Authorizer, TrashedAncestorHidesTheItem) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  const auto folder = f.files.create_folder(f.as(ada), f.personal_root(ada), "a").value();
  const auto file = f.upload(f.as(ada), folder.id, "x.txt", "x");
  ASSERT_TRUE(f.files.trash(f.as(ada), folder.id));
  EXPECT_EQ(f.authz.authorize(f.as(ada), Action::kRead, file).error().code, Errc::kNotFound);
}

TEST(Spaces, ATeamSpaceKeepsAnOwner) {
  StoreFixture f;
  const auto admin = f.add_user("admin@example.org", true);
  const auto space = f.spaces.create_team(f.as(admin), "Team").value();
  EXPECT_EQ(f.spaces.set_member(f.as(admin), space.id, admin.id, SpaceRole::kMember).error().code,
            Errc::kConflict);
  const auto ada = f.add_user("ada@example.org");
  EXPECT_EQ(f.spaces.create_team(f.as(ada), "Mine").error().code, Errc::kForbidden);
}

}  // namespace
}  // namespace vestibule::domain
