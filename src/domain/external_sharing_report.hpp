// The external-sharing report (SPEC §4 "See"): every way an item can be reached from outside the
// organization, one row per (item, way): each anyone link, and each external recipient of a
// specific link. Revoked links are gone for good and are not listed; a link that is expired, off
// by the policy, blocked or in the trash is listed with that status, because its owner or a
// policy change can bring it back. The report is read page by page (keyset pagination, each page
// in its own short read transaction), so neither memory nor a database snapshot grows with the
// number of rows. A report object is one reading, used from one thread at a time (but for its
// two steps, read_page() and name_page(), which may run at once); the repositories it reads must
// outlive it.
#pragma once

#include "domain/model.hpp"
#include "domain/policy.hpp"
#include "domain/repositories.hpp"
#include "util/clock.hpp"
#include "util/result.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace vestibule::domain {

// What the admin asks for; absent members do not filter.
struct ExternalShareFilter {
  std::optional<std::string> owner;   // the email of the member who shared (created the link)
  std::optional<std::string> domain;  // recipients at this domain or below it; no anyone links
  std::optional<LinkKind> kind;       // anyone or specific
  std::optional<TimePoint> expires_before;  // rows whose access ends before this time
};

// One row of the report.
struct ExternalShare {
  Id item_id = 0;
  std::string item_name;
  ItemKind item_kind = ItemKind::kFile;
  std::string item_path;  // names from the space's root folder down, "Team/Reports/q3.pdf"
  Id space_id = 0;
  std::string space_name;
  Id shared_by_id = 0;
  std::string shared_by_name;
  std::string shared_by_email;
  Id link_id = 0;
  LinkKind kind = LinkKind::kAnyone;
  Role role = Role::kView;
  bool block_download = false;
  bool has_password = false;
  TimePoint created_at;
  // When access through this row ends: the link's expiry, shortened by the policy's maximum
  // lifetime in the item's space and by the recipient's own expiry.
  std::optional<TimePoint> expires_at;
  std::optional<std::string> recipient;  // specific links: the external address
  std::optional<IdentityState> recipient_state;
  std::optional<TimePoint> first_used_at;  // by the recipient, or through the anyone link
  std::optional<TimePoint> last_used_at;
  // Whether it works now, the first reason that stops it: in_trash (the item or a folder above
  // it), expired, blocked (the recipient's address, by an admin), off_by_policy (the policy in
  // the item's space no longer allows the link or the recipient), else active.
  std::string_view status;
};

class ExternalSharingReport {
 public:
  static constexpr std::size_t kPageSize = 2000;
  static constexpr std::size_t kFolderNamesKept = 100000;

  ExternalSharingReport(SharingRepository& sharing, PolicyRepository& policies,
                        const util::Clock& clock, ExternalShareQuery query,
                        std::optional<TimePoint> expires_before, std::size_t page_size = kPageSize,
                        std::size_t folder_names_kept = kFolderNamesKept);

  // The next page of rows, in (link, recipient) order, or nullopt once every row was read. A
  // page may be empty when the expiry filter left none of its rows. Each page is read with the
  // policy and the clock of that moment.
  Result<std::optional<std::vector<ExternalShare>>> next_page();

  // next_page() in its two steps, so that the next page can be read from the database while the
  // rows of this one are named and written out: read_page() and name_page() may run on two
  // threads at once (each keeps to members of its own), each of them on one thread at a time.
  // read_page() gives nullopt once every row was read.
  Result<std::optional<ExternalSharePage>> read_page();
  Result<std::vector<ExternalShare>> name_page(ExternalSharePage page);

 private:
  SharingRepository* sharing_;
  PolicyRepository* policies_;
  const util::Clock* clock_;
  ExternalShareQuery query_;
  std::optional<TimePoint> expires_before_;
  std::size_t page_size_;
  // Folder names read by earlier pages, so that each folder is read once per report (deep trees
  // repeat the same folders on every page). Bounded: past it, names are read again.
  std::size_t folder_names_kept_;

  // read_page()'s: where the next page starts, and the folders whose names earlier pages read.
  ExternalShareKey after_;
  bool done_ = false;
  std::unordered_set<Id> read_folders_;

  // name_page()'s. `folders_` holds the same folders as `read_folders_` once a page is named:
  // both take each page's ancestors and are forgotten past the same bound.
  std::unordered_map<Id, AncestorName> folders_;

  // A folder's path of names from the space's root down, "Team/Reports/", made once from
  // `folders_` and then reused by every item below it, rather than put together again from
  // each folder above every row. Forgotten with `folders_`, or when they hold this many bytes.
  struct NamedPath {
    std::string names;
    bool trashed = false;  // the folder or one above it is in the trash
  };
  static constexpr std::size_t kNamedPathBytesKept = std::size_t{32} << 20U;
  std::unordered_map<Id, NamedPath> named_;
  std::size_t named_bytes_ = 0;
  std::vector<Id> unnamed_;  // scratch of names_above(), kept to reuse its memory

  // The path of names of the folders above the item at the stored `path`, appended to `out`;
  // whether one of them is in the trash.
  bool names_above(std::string_view path, std::string& out);
};

}  // namespace vestibule::domain
