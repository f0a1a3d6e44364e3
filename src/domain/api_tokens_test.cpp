#include "domain/api_tokens.hpp"

#include "support/store_fixture.hpp"

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

using testing::StoreFixture;
using namespace std::chrono_literals;

TEST(ApiTokens, ATokenIsShownOnceAndStoredOnlyAsItsHash) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  const auto created = f.api_tokens.create(ada, "backup", "read", std::nullopt).value();
  EXPECT_TRUE(created.secret.starts_with("vst_"));
  EXPECT_GE(util::base64url_decode(created.secret.substr(4)).value().size(), 16U);
  const auto stored = f.api_token_store.find(created.token.id).value();
  EXPECT_EQ(stored.token_hash, util::sha256_hex(created.secret));
  EXPECT_EQ(stored.expires_at - stored.created_at, f.api_tokens.options().default_lifetime);
  const auto who = f.api_tokens.authenticate(created.secret).value();
  EXPECT_EQ(who.user.id, ada.id);
  ASSERT_TRUE(who.token);
  EXPECT_EQ(who.token->scope, TokenScope::kRead);
}

TEST(ApiTokens, AdminScopeIsOnlyForAdmins) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  const auto root = f.add_user("root@example.org", true);
  const auto refused = f.api_tokens.create(ada, "x", "admin", std::nullopt);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kForbidden);
  EXPECT_EQ(refused.error().field, "scope");
  EXPECT_TRUE(f.api_tokens.create(root, "x", "admin", std::nullopt));
}

TEST(ApiTokens, NameScopeAndExpiryAreChecked) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  for (const auto& [name, scope, expires, field] :
       std::vector<std::tuple<std::string, std::string, std::optional<std::string>, std::string>>{
           {"", "read", std::nullopt, "name"},
           {std::string(101, 'n'), "read", std::nullopt, "name"},
           {"a\nb", "read", std::nullopt, "name"},
           {"n", "all", std::nullopt, "scope"},
           {"n", "read", "0", "expires_in"},
           {"n", "read", "366d", "expires_in"},
           {"n", "read", "tomorrow", "expires_in"}}) {
    const auto r = f.api_tokens.create(ada, name, scope, expires);
    ASSERT_FALSE(r) << name << " " << scope;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(r.error().field, field);
  }
  EXPECT_TRUE(f.api_tokens.create(ada, "n", "write", "365d"));
}

TEST(ApiTokens, ExpiredRevokedUnknownMalformedAndDisabledAreRefused) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  const auto hour = f.api_tokens.create(ada, "short", "write", "1h").value();
  f.clock.advance(59min);
  EXPECT_TRUE(f.api_tokens.authenticate(hour.secret));
  f.clock.advance(1min);
  EXPECT_EQ(f.api_tokens.authenticate(hour.secret).error().code, Errc::kUnauthenticated);

  const auto other = f.api_tokens.create(ada, "other", "write", std::nullopt).value();
  ASSERT_TRUE(f.api_tokens.authenticate(other.secret));
  ASSERT_TRUE(f.members.set_disabled(ada.id, true));
  EXPECT_EQ(f.api_tokens.authenticate(other.secret).error().code, Errc::kUnauthenticated);
  ASSERT_TRUE(f.members.set_disabled(ada.id, false));
  ASSERT_TRUE(f.api_tokens.authenticate(other.secret));
  ASSERT_TRUE(f.api_tokens.revoke(ada.id, other.token.id));
  EXPECT_EQ(f.api_tokens.authenticate(other.secret).error().code, Errc::kUnauthenticated);

  for (const auto& bad : std::vector<std::string>{"", "vst_", "abc", "vst_" + std::string(43, '!'),
                                                  "vst_" + std::string(43, 'A')}) {
    EXPECT_EQ(f.api_tokens.authenticate(bad).error().code, Errc::kUnauthenticated) << bad;
  }
}

TEST(ApiTokens, OnlyTheCanonicalSpellingIsWellFormed) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  const auto token = f.api_tokens.create(ada, "script", "read", std::nullopt).value();
  EXPECT_TRUE(ApiTokens::well_formed(token.secret));
  // The last of 43 characters carries 4 bits and 2 zero bits: setting a zero bit spells other
  // text for the same bytes, which is refused as malformed rather than looked up.
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string other = token.secret;
  other.back() = kAlphabet[kAlphabet.find(other.back()) ^ 1U];
  EXPECT_FALSE(ApiTokens::well_formed(other));
  const auto refused = f.api_tokens.authenticate(other);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("malformed"), std::string::npos);
  EXPECT_FALSE(ApiTokens::well_formed(token.secret + "A"));
  EXPECT_FALSE(ApiTokens::well_formed("VST_" + token.secret.substr(4)));
}

TEST(ApiTokens, OnlyTheOwnerRevokesAndOthersSeeNotFound) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  const auto bob = f.add_user("bob@example.org");
  const auto token = f.api_tokens.create(ada, "t", "read", std::nullopt).value();
  EXPECT_EQ(f.api_tokens.revoke(bob.id, token.token.id).error().code, Errc::kNotFound);
  EXPECT_TRUE(f.api_tokens.authenticate(token.secret));
  EXPECT_EQ(f.api_tokens.list(ada.id).value().size(), 1U);
  EXPECT_TRUE(f.api_tokens.list(bob.id).value().empty());
}

TEST(ApiTokens, OnlyAnAdminTokenCreatesTokensAndWhatItCreatesDoesNotOutliveIt) {
  StoreFixture f;
  const auto root = f.add_user("root@example.org", true);
  const auto write = f.api_tokens.create(root, "w", "write", std::nullopt).value();
  const auto via_write = f.api_tokens.authenticate(write.secret).value();
  EXPECT_EQ(f.api_tokens.create(root, "c", "read", std::nullopt, via_write.token).error().code,
            Errc::kForbidden);
  const auto admin = f.api_tokens.create(root, "a", "admin", "2d").value();
  const auto via_admin = f.api_tokens.authenticate(admin.secret).value();
  const auto child = f.api_tokens.create(root, "c", "write", "30d", via_admin.token).value();
  EXPECT_EQ(child.token.expires_at, admin.token.expires_at);
}

TEST(ApiTokens, AnAdminTokenWithoutTheAdminScopeIsNoAdmin) {
  StoreFixture f;
  const auto root = f.add_user("root@example.org", true);
  Principal p = f.as(root);
  p.token_scope = TokenScope::kWrite;
  p.admin = false;  // as api::principal_of gives it
  const auto refused = f.authz.authorize_admin(p);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kForbidden);
  p.token_scope = TokenScope::kAdmin;
  p.admin = true;
  EXPECT_TRUE(f.authz.authorize_admin(p));
}

}  // namespace
}  // namespace vestibule::domain
