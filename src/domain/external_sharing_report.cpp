#include "domain/external_sharing_report.hpp"

#include "domain/authz.hpp"
#include "domain/sharing.hpp"

#include <algorithm>
#include <ranges>
#include <unordered_map>
#include <utility>

namespace vestibule::domain {

namespace {

std::string_view status_of(const ExternalShareRecord& r, bool in_trash, const Policy& policy,
                           TimePoint now) {
  if (in_trash) {
    return "in_trash";
  }
  // Never "revoked" here: revoked links are not records.
  if (const auto link = link_status(r.link, policy, now); link != "active" || !r.recipient) {
    return link;
  }
  if (r.recipient->expires_at && *r.recipient->expires_at <= now) {
    return "expired";
  }
  const auto state = r.recipient->identity_state.value_or(IdentityState::kPending);
  if (state == IdentityState::kBlocked) {
    return "blocked";
  }
  if (external_address_refusal(policy, r.recipient->address, state == IdentityState::kGuest)) {
    return "off_by_policy";
  }
  return "active";
}

}  // namespace

ExternalSharingReport::ExternalSharingReport(SharingRepository& sharing, PolicyRepository& policies,
                                             const util::Clock& clock, ExternalShareQuery query,
                                             std::optional<TimePoint> expires_before,
                                             std::size_t page_size, std::size_t folder_names_kept)
    : sharing_(&sharing),
      policies_(&policies),
      clock_(&clock),
      query_(std::move(query)),
      expires_before_(expires_before),
      page_size_(std::max<std::size_t>(page_size, 1)),
      folder_names_kept_(folder_names_kept) {}

Result<std::optional<std::vector<ExternalShare>>> ExternalSharingReport::next_page() {
  VST_TRY(page, read_page());
  if (!page) {
    return std::optional<std::vector<ExternalShare>>();
  }
  VST_TRY(rows, name_page(std::move(*page)));
  return std::optional<std::vector<ExternalShare>>(std::move(rows));
}

Result<std::optional<ExternalSharePage>> ExternalSharingReport::read_page() {
  if (done_) {
    return std::optional<ExternalSharePage>();
  }
  VST_TRY(page, sharing_->external_shares(query_, after_, page_size_,
                                          [this](Id id) { return read_folders_.contains(id); }));
  done_ = page.records.size() < page_size_;
  if (page.records.empty()) {
    return std::optional<ExternalSharePage>();
  }
  const auto& last = page.records.back();
  after_ = {last.link.id, last.recipient ? last.recipient->principal_id : 0};
  for (const auto& a : page.ancestors) {
    read_folders_.insert(a.id);
  }
  // Only once this page is read: its rows need the names earlier pages read, which the query
  // did not read again. name_page() forgets them after naming this page.
  if (read_folders_.size() > folder_names_kept_) {
    read_folders_.clear();  // later pages read the names they need again
  }
  return std::optional<ExternalSharePage>(std::move(page));
}

Result<std::vector<ExternalShare>> ExternalSharingReport::name_page(ExternalSharePage page) {
  VST_TRY(org_text, policies_->load_org());
  const Policy org = policy_from_stored(org_text);
  std::unordered_map<std::string, Policy> policies;  // by the space's stored override
  for (auto& a : page.ancestors) {
    const Id id = a.id;
    folders_.insert_or_assign(id, std::move(a));
  }
  const TimePoint now = clock_->now();

  std::vector<ExternalShare> rows;
  rows.reserve(page.records.size());
  for (auto& r : page.records) {
    auto policy = policies.find(r.space_policy);
    if (policy == policies.end()) {
      policy = policies
                   .emplace(r.space_policy,
                            effective_policy(org, space_policy_from_stored(r.space_policy)))
                   .first;
    }
    std::optional<TimePoint> expires_at = Authorizer::effective_expiry(r.link, policy->second);
    if (r.recipient && r.recipient->expires_at) {
      expires_at =
          expires_at ? std::min(*expires_at, *r.recipient->expires_at) : *r.recipient->expires_at;
    }
    if (expires_before_ && (!expires_at || *expires_at >= *expires_before_)) {
      continue;
    }

    ExternalShare row;
    bool in_trash = r.item.trashed_at.has_value();
    in_trash = names_above(r.item.path, row.item_path) || in_trash;
    row.item_path.append(r.item.name);
    row.status = status_of(r, in_trash, policy->second, now);
    row.item_id = r.item.id;
    row.item_name = std::move(r.item.name);
    row.item_kind = r.item.kind;
    row.space_id = r.item.space_id;
    row.space_name = std::move(r.space_name);
    row.shared_by_id = r.link.created_by;
    row.shared_by_name = std::move(r.link.created_by_name);
    row.shared_by_email = std::move(r.shared_by_email);
    row.link_id = r.link.id;
    row.kind = r.link.kind;
    row.role = r.link.role;
    row.block_download = r.link.block_download;
    row.has_password = !r.link.password_hash.empty();
    row.created_at = r.link.created_at;
    row.expires_at = expires_at;
    if (r.recipient) {
      row.recipient = std::move(r.recipient->address);
      row.recipient_state = r.recipient->identity_state.value_or(IdentityState::kPending);
      row.first_used_at = r.recipient->first_used_at;
      row.last_used_at = r.recipient->last_used_at;
    } else {
      row.first_used_at = r.link.first_used_at;
      row.last_used_at = r.link.last_used_at;
    }
    rows.push_back(std::move(row));
  }
  // As read_page() did, once this page is named.
  if (folders_.size() > folder_names_kept_) {
    folders_.clear();
  }
  if (folders_.empty() || named_bytes_ > kNamedPathBytesKept) {
    named_.clear();
    named_bytes_ = 0;
  }
  return rows;
}

bool ExternalSharingReport::names_above(std::string_view path, std::string& out) {
  // From the parent upward to the first folder already named.
  unnamed_.clear();
  const NamedPath* named = nullptr;
  for_each_ancestor_upward(path, [&](Id id) {
    if (const auto it = named_.find(id); it != named_.end()) {
      named = &it->second;  // stays valid while named_ grows: its elements do not move
      return false;
    }
    unnamed_.push_back(id);
    return true;
  });
  // Then down again, naming each folder from the one above it.
  for (const Id id : std::views::reverse(unnamed_)) {
    NamedPath next = named != nullptr ? *named : NamedPath{};
    if (const auto folder = folders_.find(id); folder != folders_.end()) {
      next.names.append(folder->second.name).append("/");
      next.trashed = next.trashed || folder->second.trashed;
    }  // else purged since: nothing to name
    named_bytes_ += next.names.size();
    named = &named_.insert_or_assign(id, std::move(next)).first->second;
  }
  if (named == nullptr) {
    return false;  // a space's root folder: nothing above it
  }
  out.append(named->names);
  return named->trashed;
}

}  // namespace vestibule::domain
