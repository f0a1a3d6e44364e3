#include "domain/policy.hpp"

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

using Json = nlohmann::json;

TEST(Policy, DefaultsAreThoseOfTheSpecification) {
  const Json j = to_json(Policy{});
  EXPECT_EQ(j["external_sharing"], "new_and_existing_guests");
  EXPECT_EQ(j["code_length"], 8);
  EXPECT_EQ(j["code_lifetime"], "10m");
  EXPECT_EQ(j["code_max_tries"], 5);
  EXPECT_EQ(j["code_sends_per_address_per_hour"], 5);
  EXPECT_EQ(j["code_sends_per_link_per_hour"], 20);
  EXPECT_EQ(j["reverify_after"], "30d");
  EXPECT_EQ(j["remember_device_for"], "30d");
  EXPECT_EQ(j["guest_expiry"], "90d");
  EXPECT_EQ(j["default_link_kind"], "specific");
  EXPECT_EQ(j["default_link_role"], "view");
  EXPECT_EQ(j["anyone_link_max_lifetime"], "30d");
  EXPECT_EQ(j["specific_link_max_lifetime"], "0");
  EXPECT_EQ(j["organization_name"], "");
  EXPECT_EQ(j["organization_contact"], "");
  EXPECT_EQ(j.size(), 23U);
}

TEST(Policy, APatchRoundTripsThroughItsStoredForm) {
  const auto p = apply_patch(Policy{}, {{"reverify_after", "7d"},
                                        {"remember_device_for", "1d"},
                                        {"blocked_domains", {"Evil.Example", "@spam.example"}},
                                        {"internal_domains", {"bücher.example"}}})
                     .value();
  const Policy back = policy_from_stored(to_json(p).dump());
  EXPECT_EQ(back.reverify_after, std::chrono::hours(24 * 7));
  EXPECT_EQ(back.remember_device_for, std::chrono::hours(24));
  EXPECT_EQ(back.blocked_domains, (std::vector<std::string>{"evil.example", "spam.example"}));
  EXPECT_EQ(back.internal_domains, (std::vector<std::string>{"xn--bcher-kva.example"}));
}

struct BadSetting {
  Json patch;
  std::string field;
};

class BadSettings : public ::testing::TestWithParam<BadSetting> {};

TEST_P(BadSettings, AreRefusedNamingTheKeyAndNothingChanges) {
  const auto result = apply_patch(Policy{}, GetParam().patch);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(result.error().field, GetParam().field);
  EXPECT_NE(result.error().message.find("example"), std::string::npos)
      << "the message should show a valid value: " << result.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Keys, BadSettings,
    ::testing::Values(
        BadSetting{{{"no_such_key", 1}}, "no_such_key"},
        BadSetting{{{"reverify_after", "3 weeks"}}, "reverify_after"},
        BadSetting{{{"reverify_after", 30}}, "reverify_after"},
        BadSetting{{{"code_length", 4}}, "code_length"},
        BadSetting{{{"code_length", "8"}}, "code_length"},
        BadSetting{{{"external_sharing", "everyone"}}, "external_sharing"},
        BadSetting{{{"email_code_enabled", "yes"}}, "email_code_enabled"},
        BadSetting{{{"default_link_role", "manage"}}, "default_link_role"},
        BadSetting{{{"default_link_kind", "public"}}, "default_link_kind"},
        BadSetting{{{"blocked_domains", "example.org"}}, "blocked_domains"},
        BadSetting{{{"blocked_domains", {"not a domain"}}}, "blocked_domains"},
        BadSetting{{{"allowed_domains", {"a.example"}}, {"blocked_domains", {"b.example"}}},
                   "allowed_domains"},
        BadSetting{{{"remember_device_for", "60d"}}, "remember_device_for"},
        BadSetting{{{"code_lifetime", "5s"}}, "code_lifetime"},
        BadSetting{{{"organization_name", 42}}, "organization_name"},
        BadSetting{{{"organization_name", nullptr}}, "organization_name"},
        BadSetting{{{"organization_name", std::string(101, 'x')}}, "organization_name"},
        BadSetting{{{"organization_name", "Example\nCorp"}}, "organization_name"},
        BadSetting{{{"organization_name", "\xff\xfe"}}, "organization_name"},
        BadSetting{{{"organization_contact", std::string(201, 'x')}}, "organization_contact"},
        BadSetting{{{"organization_contact", "help\tdesk"}}, "organization_contact"},
        BadSetting{{{"organization_contact",
                     "help\xc2\x85"
                     "desk"}},  // C1 NEL
                   "organization_contact"},
        BadSetting{{{"organization_contact",
                     "a\xe2\x80\xa8"
                     "b"}},  // U+2028
                   "organization_contact"}));

TEST(Policy, OrganizationNameAndContactAreCountedInCharactersAndStored) {
  std::string name;
  for (int i = 0; i < 100; ++i) {
    name += "\xc3\xa9";  // é: 100 characters, 200 bytes
  }
  const std::string contact = "IT help desk \xe2\x80\x94 it-help@example.org, +1 555 0100";
  const auto p =
      apply_patch(Policy{}, {{"organization_name", name}, {"organization_contact", contact}});
  ASSERT_TRUE(p) << p.error().message;
  const Policy back = policy_from_stored(to_json(p.value()).dump());
  EXPECT_EQ(back.organization_name, name);
  EXPECT_EQ(back.organization_contact, contact);
  EXPECT_EQ(apply_patch(p.value(), {{"organization_name", ""}}).value().organization_name, "");
  // Organization-wide only: a space cannot set either.
  EXPECT_EQ(apply_space_patch({}, {{"organization_name", "Team"}}, Policy{}).error().field,
            "organization_name");
  EXPECT_EQ(apply_space_patch({}, {{"organization_contact", "x"}}, Policy{}).error().field,
            "organization_contact");
  EXPECT_EQ(effective_policy(p.value(), SpacePolicy{}).organization_name, name);
}

TEST(Policy, OnlyAnObjectIsAPatch) {
  EXPECT_EQ(apply_patch(Policy{}, Json::array()).error().code, Errc::kInvalidArgument);
}

TEST(SpacePolicy, CanOnlyTighten) {
  Policy org;
  org.external_sharing = ExternalSharing::kExistingGuests;
  const auto tighter = apply_space_patch({}, {{"external_sharing", "internal_only"}}, org);
  ASSERT_TRUE(tighter);
  EXPECT_EQ(effective_policy(org, tighter.value()).external_sharing,
            ExternalSharing::kInternalOnly);
  EXPECT_EQ(apply_space_patch({}, {{"external_sharing", "anyone"}}, org).error().field,
            "external_sharing");
  EXPECT_EQ(apply_space_patch({}, {{"reverify_after", "60d"}}, org).error().field,
            "reverify_after");
  EXPECT_EQ(apply_space_patch({}, {{"code_length", 10}}, org).error().field, "code_length");
  EXPECT_EQ(apply_space_patch({}, {{"anyone_link_max_lifetime", "0"}}, org).error().field,
            "anyone_link_max_lifetime");
}

TEST(SpacePolicy, TheEffectivePolicyIsTheStricterOfBoth) {
  Policy org;
  org.external_sharing = ExternalSharing::kAnyone;
  org.anyone_link_max_lifetime = std::chrono::hours(24 * 30);
  org.blocked_domains = {"a.example"};
  const auto space = apply_space_patch({},
                                       {{"external_sharing", "new_and_existing_guests"},
                                        {"anyone_link_max_lifetime", "7d"},
                                        {"blocked_domains", {"b.example"}},
                                        {"reverify_after", "1d"}},
                                       org)
                         .value();
  Policy effective = effective_policy(org, space);
  EXPECT_EQ(effective.external_sharing, ExternalSharing::kNewAndExistingGuests);
  EXPECT_EQ(effective.anyone_link_max_lifetime, std::chrono::hours(24 * 7));
  EXPECT_EQ(effective.blocked_domains, (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(effective.reverify_after, std::chrono::hours(24));
  EXPECT_LE(effective.remember_device_for, effective.reverify_after);
  // The organization tightening further wins over an older space setting.
  org.external_sharing = ExternalSharing::kInternalOnly;
  effective = effective_policy(org, space);
  EXPECT_EQ(effective.external_sharing, ExternalSharing::kInternalOnly);
}

TEST(Policy, ExternalAddressesAreJudgedByLevelAndDomain) {
  Policy p;
  EXPECT_FALSE(external_address_refusal(p, "eve@partner.example", false));
  p.blocked_domains = {"partner.example"};
  EXPECT_EQ(external_address_refusal(p, "eve@mail.partner.example", false)->rule,
            "blocked_domains");
  EXPECT_FALSE(external_address_refusal(p, "eve@notpartner.example", false));
  p.blocked_domains.clear();
  p.allowed_domains = {"partner.example"};
  EXPECT_EQ(external_address_refusal(p, "eve@other.example", false)->rule, "allowed_domains");
  p.allowed_domains.clear();
  p.external_sharing = ExternalSharing::kExistingGuests;
  EXPECT_EQ(external_address_refusal(p, "eve@other.example", false)->rule, "external_sharing");
  EXPECT_FALSE(external_address_refusal(p, "eve@other.example", true));
  p.external_sharing = ExternalSharing::kNewAndExistingGuests;
  p.email_code_enabled = false;
  EXPECT_EQ(external_address_refusal(p, "eve@other.example", false)->rule, "email_code_enabled");
  EXPECT_FALSE(external_address_refusal(p, "eve@other.example", true));
  p.external_sharing = ExternalSharing::kInternalOnly;
  EXPECT_EQ(external_address_refusal(p, "eve@other.example", true)->rule, "external_sharing");
}

}  // namespace
}  // namespace vestibule::domain
