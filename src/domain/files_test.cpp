#include "domain/files.hpp"

#include "support/store_fixture.hpp"

#include <gtest/gtest.h>

namespace vestibule::domain {
namespace {

using testing::StoreFixture;

TEST(Files, UploadCreatesThenVersions) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  const auto root = f.personal_root(ada);
  auto up = f.files.begin_upload(f.as(ada), root, "a.txt", std::nullopt).value();
  ASSERT_TRUE(up->write("one"));
  auto first = up->commit().value();
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.item.version, 1);
  const auto second = f.upload(f.as(ada), root, "a.txt", "second");
  EXPECT_EQ(second.id, first.item.id);
  EXPECT_EQ(second.version, 2);
  EXPECT_EQ(second.size, 6);
  EXPECT_EQ(f.read_all(f.as(ada), second.id), "second");
  EXPECT_EQ(f.read_all(f.as(ada), second.id, 1), "one");
  const auto versions = f.files.versions(f.as(ada), second.id).value();
  ASSERT_EQ(versions.size(), 2U);
  EXPECT_EQ(versions[0].number, 2);
  EXPECT_EQ(versions[0].created_by, ada.id);
}

TEST(Files, KeepsOnlyTheLastNVersionsAndReleasesTheirBlobs) {
  StoreFixture f(3);
  const auto ada = f.add_user("ada@example.org");
  const auto root = f.personal_root(ada);
  Item item;
  for (int i = 1; i <= 5; ++i) {
    item = f.upload(f.as(ada), root, "a.txt", "content " + std::to_string(i));
  }
  const auto versions = f.files.versions(f.as(ada), item.id).value();
  ASSERT_EQ(versions.size(), 3U);
  EXPECT_EQ(versions.back().number, 3);
  EXPECT_EQ(f.files.open_content(f.as(ada), item.id, 1).error().code, Errc::kNotFound);
  EXPECT_EQ(f.blobs.list().value().size(), 3U);
}

TEST(Files, AbandonedUploadLeavesNothing) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  const auto root = f.personal_root(ada);
  {
    auto up = f.files.begin_upload(f.as(ada), root, "a.txt", std::nullopt).value();
    ASSERT_TRUE(up->write("partial"));
  }
  EXPECT_TRUE(f.files.children(f.as(ada), root).value().empty());
  EXPECT_TRUE(std::filesystem::is_empty(f.dir.path() / "tmp"));
  EXPECT_TRUE(f.blobs.list().value().empty());
}

TEST(Files, AQuotaCountsEveryKeptVersionAndRefusesWhatDoesNotFit) {
  StoreFixture f(2);
  const auto admin = f.add_user("admin@example.org", true);
  const auto ada = f.add_user("ada@example.org");
  const auto root = f.personal_root(ada);
  const auto space = f.spaces.list(f.as(ada)).value().front().space.id;
  EXPECT_EQ(f.files.set_quota(f.as(ada), space, 10).error().code, Errc::kForbidden);
  ASSERT_TRUE(f.files.set_quota(f.as(admin), space, 10));
  f.upload(f.as(ada), root, "a.txt", "1234");
  f.upload(f.as(ada), root, "a.txt", "5678");  // two kept versions: 8 bytes
  EXPECT_EQ(f.files.storage(f.as(ada), space).value().used_bytes, 8);
  // Declared too large: refused before a byte is read, and nothing is left behind.
  EXPECT_EQ(f.files.begin_upload(f.as(ada), root, "b.txt", 3).error().code,
            Errc::kInsufficientStorage);
  {
    // Of unknown size: refused by the chunk that no longer fits.
    auto up = f.files.begin_upload(f.as(ada), root, "b.txt", std::nullopt).value();
    ASSERT_TRUE(up->write("12"));
    EXPECT_EQ(up->write("3").error().code, Errc::kInsufficientStorage);
  }
  EXPECT_TRUE(std::filesystem::is_empty(f.dir.path() / "tmp"));
  // A third version drops the first (keep 2), so it fits: 4 + 2 bytes.
  f.upload(f.as(ada), root, "a.txt", "ab");
  EXPECT_EQ(f.files.storage(f.as(ada), space).value().used_bytes, 6);
  // Two uploads that each fitted when they began cannot together overrun the quota.
  auto first = f.files.begin_upload(f.as(ada), root, "c.txt", 3).value();
  auto second = f.files.begin_upload(f.as(ada), root, "d.txt", 3).value();
  ASSERT_TRUE(first->write("abc"));
  ASSERT_TRUE(second->write("def"));
  ASSERT_TRUE(first->commit());
  EXPECT_EQ(second->commit().error().code, Errc::kInsufficientStorage);
  EXPECT_EQ(f.files.storage(f.as(ada), space).value().used_bytes, 9);
  // 0 lifts the quota; null returns to the server's default (none in this fixture).
  EXPECT_FALSE(f.files.set_quota(f.as(admin), space, 0).value().quota_bytes.has_value());
  f.upload(f.as(ada), root, "e.txt", "a file well above the old quota");
  EXPECT_FALSE(f.files.set_quota(f.as(admin), space, std::nullopt).value().space_quota);
}

TEST(Files, FolderNamesClashAndUploadsCannotReplaceFolders) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  const auto root = f.personal_root(ada);
  ASSERT_TRUE(f.files.create_folder(f.as(ada), root, "docs"));
  EXPECT_EQ(f.files.create_folder(f.as(ada), root, "docs").error().code, Errc::kConflict);
  EXPECT_EQ(f.files.begin_upload(f.as(ada), root, "docs", std::nullopt).error().code,
            Errc::kConflict);
  EXPECT_EQ(f.files.create_folder(f.as(ada), root, "..").error().code, Errc::kInvalidArgument);
}

TEST(Files, MoveRefusesCyclesAndRewritesTheSubtree) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  const auto root = f.personal_root(ada);
  const auto a = f.files.create_folder(f.as(ada), root, "a").value();
  const auto b = f.files.create_folder(f.as(ada), a.id, "b").value();
  const auto file = f.upload(f.as(ada), b.id, "x.txt", "x");
  EXPECT_EQ(f.files.update(f.as(ada), a.id, std::nullopt, b.id).error().code, Errc::kConflict);
  EXPECT_EQ(f.files.update(f.as(ada), a.id, std::nullopt, a.id).error().code, Errc::kConflict);
  const auto c = f.files.create_folder(f.as(ada), root, "c").value();
  ASSERT_TRUE(f.files.update(f.as(ada), b.id, std::nullopt, c.id));
  const auto moved = f.files.get(f.as(ada), file.id).value();
  EXPECT_EQ(moved.path, c.path + std::to_string(b.id) + "/" + std::to_string(file.id) + "/");
  const auto ancestors = f.items.ancestors(moved).value();
  ASSERT_EQ(ancestors.size(), 3U);
  EXPECT_EQ(ancestors[1].id, c.id);
  EXPECT_EQ(ancestors[2].id, b.id);
}

TEST(Files, RenameClashIsAConflict) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  const auto root = f.personal_root(ada);
  f.upload(f.as(ada), root, "a.txt", "a");
  const auto b = f.upload(f.as(ada), root, "b.txt", "b");
  EXPECT_EQ(f.files.update(f.as(ada), b.id, "a.txt", std::nullopt).error().code, Errc::kConflict);
  EXPECT_EQ(f.files.update(f.as(ada), b.id, "c.txt", std::nullopt).value().name, "c.txt");
}

TEST(Files, TrashHidesTheSubtreeRestoreBringsItBackPurgeDeletesIt) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  const auto root = f.personal_root(ada);
  const auto folder = f.files.create_folder(f.as(ada), root, "docs").value();
  const auto file = f.upload(f.as(ada), folder.id, "x.txt", "x");
  ASSERT_TRUE(f.files.trash(f.as(ada), folder.id));
  EXPECT_EQ(f.files.get(f.as(ada), file.id).error().code, Errc::kNotFound);
  EXPECT_TRUE(f.files.children(f.as(ada), root).value().empty());
  EXPECT_EQ(f.files.trashed(f.as(ada), folder.space_id).value().size(), 1U);
  // The name is free again while the folder is in the trash.
  const auto other = f.files.create_folder(f.as(ada), root, "docs").value();
  EXPECT_EQ(f.files.restore(f.as(ada), folder.id, std::nullopt).error().code, Errc::kConflict);
  ASSERT_TRUE(f.files.restore(f.as(ada), folder.id, std::string("docs (restored)")));
  EXPECT_EQ(f.read_all(f.as(ada), file.id), "x");
  EXPECT_EQ(f.files.purge(f.as(ada), folder.id).error().code, Errc::kConflict);
  ASSERT_TRUE(f.files.trash(f.as(ada), folder.id));
  ASSERT_TRUE(f.files.purge(f.as(ada), folder.id));
  EXPECT_EQ(f.items.find(file.id).error().code, Errc::kNotFound);
  EXPECT_TRUE(f.blobs.list().value().empty());
  EXPECT_TRUE(f.files.get(f.as(ada), other.id));
}

TEST(Files, IdenticalContentIsStoredOnceAndKeptWhileReferenced) {
  StoreFixture f;
  const auto ada = f.add_user("ada@example.org");
  const auto root = f.personal_root(ada);
  const auto a = f.upload(f.as(ada), root, "a.txt", "same");
  f.upload(f.as(ada), root, "b.txt", "same");
  EXPECT_EQ(f.blobs.list().value().size(), 1U);
  ASSERT_TRUE(f.files.trash(f.as(ada), a.id));
  ASSERT_TRUE(f.files.purge(f.as(ada), a.id));
  EXPECT_EQ(f.blobs.list().value().size(), 1U);
}

TEST(Files, GarbageCollectionRemovesUnreferencedBlobs) {
  StoreFixture f;
  auto writer = f.blobs.begin_write().value();
  ASSERT_TRUE(writer->write("orphan"));
  ASSERT_TRUE(writer->commit());
  EXPECT_EQ(f.files.collect_garbage().value(), 1U);
  EXPECT_TRUE(f.blobs.list().value().empty());
}

TEST(Files, RestoringAVersionMakesANewOneWithItsBytes) {
  StoreFixture f(3);
  const auto ada = f.add_user("ada@example.org");
  const auto bob = f.add_user("bob@example.org");
  const auto root = f.personal_root(ada);
  Item item;
  for (const char* body : {"one", "two", "three"}) {
    item = f.upload(f.as(ada), root, "a.txt", body);
  }
  EXPECT_EQ(f.files.restore_version(f.as(bob), item.id, 1).error().code, Errc::kNotFound);
  ASSERT_TRUE(f.sharing.put_grant(f.as(ada), root, "bob@example.org", Role::kView));
  EXPECT_EQ(f.files.restore_version(f.as(bob), item.id, 1).error().code, Errc::kForbidden);
  ASSERT_TRUE(f.sharing.put_grant(f.as(ada), root, "bob@example.org", Role::kEdit));
  f.clock.advance(std::chrono::minutes(5));

  const auto restored = f.files.restore_version(f.as(bob), item.id, 1).value();
  EXPECT_EQ(restored.version, 4);
  EXPECT_EQ(restored.size, 3);
  EXPECT_EQ(restored.modified_by, bob.id);
  EXPECT_EQ(restored.modified_at, f.clock.now());
  EXPECT_EQ(f.read_all(f.as(ada), item.id), "one");
  const auto versions = f.files.versions(f.as(ada), item.id).value();
  ASSERT_EQ(versions.size(), 3U);  // keep_versions = 3: version 1 itself was dropped
  EXPECT_EQ(versions[0].number, 4);
  EXPECT_EQ(versions[0].created_by, bob.id);
  EXPECT_EQ(versions[2].number, 2);
  EXPECT_EQ(f.read_all(f.as(ada), item.id, 3), "three");
  // The bytes live on in version 4; the blob of "one" is still there, nothing else leaked.
  EXPECT_EQ(f.blobs.list().value().size(), 3U);

  EXPECT_EQ(f.files.restore_version(f.as(ada), item.id, 1).error().code, Errc::kNotFound);
  EXPECT_EQ(f.files.restore_version(f.as(ada), item.id, 0).error().code, Errc::kNotFound);
  EXPECT_EQ(f.files.restore_version(f.as(ada), item.id, 4).value().version, 4);
  EXPECT_EQ(f.files.restore_version(f.as(ada), root, 1).error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace vestibule::domain
