#include "domain/sessions.hpp"

#include <algorithm>
#include <charconv>

namespace vestibule::domain {

std::string to_string(SessionRef ref) {
  return (ref.kind == SessionKind::kMember ? "m" : "r") + std::to_string(ref.id);
}

std::optional<SessionRef> session_ref_from_string(std::string_view text) {
  if (text.size() < 2 || (text[0] != 'm' && text[0] != 'r')) {
    return std::nullopt;
  }
  SessionRef ref;
  ref.kind = text[0] == 'm' ? SessionKind::kMember : SessionKind::kRecipient;
  const auto digits = text.substr(1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ref.id);
  if (ec != std::errc{} || end != digits.data() + digits.size() || ref.id <= 0) {
    return std::nullopt;
  }
  return ref;
}

Sessions::Sessions(SessionDirectory& directory, Authorizer& authz, const util::Clock& clock,
                   SessionsOptions options)
    : directory_(directory), authz_(authz), clock_(clock), options_(options) {}

std::vector<SessionRecord> Sessions::live(std::vector<SessionRecord> records, TimePoint now) const {
  std::vector<SessionRecord> out;
  out.reserve(records.size());
  for (auto& record : records) {
    if (record.ref.kind == SessionKind::kMember && record.last_seen_at) {
      record.expires_at = std::min(record.expires_at, *record.last_seen_at + options_.member_idle);
    }
    if (record.expires_at > now) {
      out.push_back(std::move(record));
    }
  }
  return out;
}

Result<std::vector<SessionRecord>> Sessions::list_own(const Principal& who) {
  SessionQuery query;
  query.now = clock_.now();
  if (who.kind == PrincipalKind::kMember) {
    query.kind = SessionKind::kMember;
    query.user_id = who.user_id;
  } else if (who.external_id != 0) {
    query.kind = SessionKind::kRecipient;
    query.external_id = who.external_id;
  } else {
    return fail(Errc::kUnauthenticated, "you are not signed in; sign in to see your sessions");
  }
  VST_TRY(records, directory_.list(query));
  return live(std::move(records), query.now);
}

Result<SessionRecord> Sessions::find(const std::string& id) {
  const auto ref = session_ref_from_string(id);
  const auto missing = [&id] { return fail(Errc::kNotFound, "no session with id '" + id + "'"); };
  if (!ref) {
    return missing();
  }
  auto record = directory_.find(*ref);
  if (!record) {
    return record.error().code == Errc::kNotFound ? missing() : fail(record.error());
  }
  return record;
}

Result<void> Sessions::revoke_own(const Principal& who, const std::string& id) {
  auto record = find(id);
  if (!record) {
    return fail(record.error());
  }
  const auto& r = record.value();
  const bool mine = (who.kind == PrincipalKind::kMember && r.ref.kind == SessionKind::kMember &&
                     r.principal_id == who.user_id) ||
                    (who.kind != PrincipalKind::kMember && who.external_id != 0 &&
                     r.ref.kind == SessionKind::kRecipient && r.principal_id == who.external_id);
  if (!mine) {
    return fail(Errc::kNotFound, "you have no session with id '" + id + "'");
  }
  return directory_.remove(r.ref);
}

Result<std::vector<SessionRecord>> Sessions::list_any(const Principal& admin, SessionQuery query) {
  VST_TRYV(authz_.authorize_admin(admin));
  query.now = clock_.now();
  VST_TRY(records, directory_.list(query));
  return live(std::move(records), query.now);
}

Result<void> Sessions::revoke_any(const Principal& admin, const std::string& id) {
  VST_TRYV(authz_.authorize_admin(admin));
  VST_TRY(record, find(id));
  return directory_.remove(record.ref);
}

}  // namespace vestibule::domain
