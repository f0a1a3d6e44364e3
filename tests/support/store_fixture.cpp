#include "support/store_fixture.hpp"

#include <stdexcept>

#include <sodium.h>
#include <unistd.h>

namespace vestibule::testing {

util::PasswordHashCost test_password_cost() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

namespace {

domain::MembersOptions members_options() {
  util::crypto_init();
  domain::MembersOptions o;
  o.password_cost = test_password_cost();
  return o;
}

domain::SharingOptions sharing_options() {
  domain::SharingOptions o;
  o.password_cost = test_password_cost();
  return o;
}

}  // namespace

StoreFixture::StoreFixture(int keep_versions)
    : db((dir.path() / "vestibule.db").string(), 4),
      blobs(dir.path(), std::chrono::seconds{0}),
      members(users, sessions, clock, throttle, members_options()),
      files(items, space_store, blobs, authz, clock, domain::FilesOptions{keep_versions}),
      sharing(sharing_store, items, space_store, users, policies, authz, events, link_throttle,
              outbox, clock, sharing_options()),
      verification(verification_store, sharing_store, items, authz, outbox, events, clock,
                   domain::VerificationOptions{std::string(32, 'k'), std::chrono::hours(12), 100}) {
  if (!db.migrate()) {
    throw std::runtime_error("migration failed");
  }
  if (!blobs.prepare()) {
    throw std::runtime_error("blob store failed");
  }
}

domain::User StoreFixture::add_user(const std::string& email, bool admin) {
  return members
      .add_user(email, "correct horse", "",
                admin ? domain::UserRole::kAdmin : domain::UserRole::kUser)
      .value();
}

domain::Id StoreFixture::personal_root(const domain::User& user) {
  // Held in a variable: a range-for over `.value()` of a temporary Result would dangle.
  const auto listed = spaces.list(as(user)).value();
  for (const auto& s : listed) {
    if (s.space.kind == domain::SpaceKind::kPersonal) {
      return s.space.root_item_id;
    }
  }
  throw std::runtime_error("no personal space");
}

domain::Item StoreFixture::upload(const domain::Principal& who, domain::Id folder,
                                  const std::string& name, const std::string& bytes) {
  auto upload = files.begin_upload(who, folder, name, std::nullopt).value();
  upload->write(bytes).value();
  return upload->commit().value().item;
}

std::string StoreFixture::read_all(const domain::Principal& who, domain::Id id,
                                   std::optional<std::int64_t> version) {
  auto content = files.open_content(who, id, version).value();
  auto bytes = domain::read_whole(content);
  if (!bytes) {
    throw std::runtime_error(bytes.error().message);
  }
  return bytes.value();
}

}  // namespace vestibule::testing
