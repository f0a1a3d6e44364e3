#include "domain/api_tokens.hpp"

#include "util/crypto.hpp"
#include "util/duration.hpp"
#include "util/rfc3339.hpp"

#include <algorithm>

namespace vestibule::domain {

namespace {

Error not_valid(std::string message) {
  return make_error(Errc::kUnauthenticated, std::move(message));
}

}  // namespace

ApiTokens::ApiTokens(ApiTokenRepository& tokens, UserRepository& users, const util::Clock& clock,
                     ApiTokensOptions options)
    : tokens_(tokens), users_(users), clock_(clock), options_(options) {}

Result<CreatedToken> ApiTokens::create(const User& owner, const std::string& name,
                                       const std::string& scope_text,
                                       const std::optional<std::string>& expires_in,
                                       const std::optional<ApiToken>& via) {
  if (via && via->scope != TokenScope::kAdmin) {
    return fail(Errc::kForbidden,
                "an API token with the " + std::string(to_string(via->scope)) +
                    " scope cannot create tokens; create them signed in, or with an admin-scope "
                    "token");
  }
  if (name.empty() || name.size() > kNameMax) {
    return fail(Errc::kInvalidArgument,
                "give the token a name of 1 to " + std::to_string(kNameMax) +
                    " characters, saying what uses it (\"backup script\")",
                "name");
  }
  if (std::any_of(name.begin(), name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return fail(Errc::kInvalidArgument, "the token's name cannot contain control characters",
                "name");
  }
  const auto scope = token_scope_from_string(scope_text);
  if (!scope) {
    return fail(Errc::kInvalidArgument, R"("scope" must be read, write or admin)", "scope");
  }
  if (*scope == TokenScope::kAdmin && owner.role != UserRole::kAdmin) {
    return fail(Errc::kForbidden, "only administrators can have tokens with the admin scope",
                "scope");
  }
  std::chrono::seconds lifetime = options_.default_lifetime;
  if (expires_in) {
    auto parsed = util::parse_duration(*expires_in);
    if (!parsed || parsed.value().count() <= 0 || parsed.value() > options_.max_lifetime) {
      return fail(Errc::kInvalidArgument,
                  R"("expires_in" must be a duration from 1s to )" +
                      util::format_duration(options_.max_lifetime) +
                      R"(, such as "30d" or "12h"; every token expires)",
                  "expires_in");
    }
    lifetime = parsed.value();
  }
  const auto now = clock_.now();
  ApiToken token;
  token.user_id = owner.id;
  token.user_email = owner.email;
  token.name = name;
  token.scope = *scope;
  token.created_at = now;
  token.expires_at = now + lifetime;
  if (via && via->expires_at < token.expires_at) {
    token.expires_at = via->expires_at;  // a token made by a token does not outlive it
  }
  std::string secret = std::string(kPrefix) + util::random_token(kSecretBytes);
  token.token_hash = util::sha256_hex(secret);
  VST_TRY(stored, tokens_.create(token));
  stored.user_email = owner.email;
  return CreatedToken{std::move(stored), std::move(secret)};
}

Result<void> ApiTokens::revoke(Id user_id, Id token_id) {
  auto token = tokens_.find(token_id);
  if (!token || token.value().user_id != user_id) {
    if (token || token.error().code == Errc::kNotFound) {
      return fail(Errc::kNotFound, "you have no API token with id " + std::to_string(token_id));
    }
    return fail(token.error());
  }
  return tokens_.remove(token_id);
}

Result<void> ApiTokens::revoke_any(Id token_id) {
  auto token = tokens_.find(token_id);
  if (!token) {
    if (token.error().code == Errc::kNotFound) {
      return fail(Errc::kNotFound, "no API token with id " + std::to_string(token_id));
    }
    return fail(token.error());
  }
  return tokens_.remove(token_id);
}

Result<Authenticated> ApiTokens::authenticate(std::string_view secret) {
  if (!well_formed(secret)) {
    return fail(not_valid(
        "the bearer token is malformed: an API token is \"vst_\" followed by 43 characters; "
        "copy it whole from where it was created"));
  }
  auto found = tokens_.find_by_token_hash(util::sha256_hex(secret));
  if (!found) {
    if (found.error().code == Errc::kNotFound) {
      return fail(not_valid(
          "this API token is not valid: it was revoked or never existed; create a new one "
          "with POST /api/v1/me/tokens"));
    }
    return fail(found.error());
  }
  const ApiToken& token = found.value();
  const auto now = clock_.now();
  if (now >= token.expires_at) {
    return fail(not_valid("this API token expired at " + util::format_rfc3339(token.expires_at) +
                          "; create a new one with POST /api/v1/me/tokens"));
  }
  auto user = users_.find_by_id(token.user_id);
  if (!user || user.value().disabled) {
    return fail(
        not_valid("this API token's account is disabled; an administrator can enable it again"));
  }
  // As for sessions: a minute's precision is enough for "last used", and writing on every
  // request would serialize readers on the database.
  if (!token.last_used_at || now - *token.last_used_at > std::chrono::minutes(1)) {
    std::ignore = tokens_.touch(token.id, now);  // a missed touch only ages "last used"
  }
  Authenticated who;
  who.user = std::move(user).value();
  who.token = token;
  who.token->user_email = who.user.email;
  return who;
}

}  // namespace vestibule::domain
