// The allow-list of inline viewing, and the Content-Disposition both kinds of serving share.
#include "api/content.hpp"

#include "blob/local_blob_store.hpp"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace vestibule::api {
namespace {

TEST(ViewableType, ImagesPdfAudioAndVideoKeepTheirRealTypes) {
  const std::pair<const char*, const char*> cases[] = {
      {"photo.png", "image/png"},        {"photo.jpg", "image/jpeg"},
      {"photo.jpeg", "image/jpeg"},      {"anim.gif", "image/gif"},
      {"photo.webp", "image/webp"},      {"photo.avif", "image/avif"},
      {"scan.bmp", "image/bmp"},         {"favicon.ico", "image/x-icon"},
      {"report.pdf", "application/pdf"}, {"song.mp3", "audio/mpeg"},
      {"song.m4a", "audio/mp4"},         {"song.aac", "audio/aac"},
      {"song.ogg", "audio/ogg"},         {"song.oga", "audio/ogg"},
      {"song.opus", "audio/ogg"},        {"song.wav", "audio/wav"},
      {"song.flac", "audio/flac"},       {"clip.mp4", "video/mp4"},
      {"clip.m4v", "video/mp4"},         {"clip.webm", "video/webm"},
      {"clip.ogv", "video/ogg"},         {"clip.mov", "video/quicktime"},
  };
  for (const auto& [name, type] : cases) {
    const auto found = viewable_type(name);
    ASSERT_TRUE(found) << name;
    EXPECT_EQ(*found, type) << name;
  }
}

TEST(ViewableType, TextOfEveryKindIsPlainTextNeverItsOwnType) {
  for (const char* name : {"notes.txt", "README.md", "data.csv", "server.log", "data.json",
                           "feed.xml", "config.yaml", "config.yml"}) {
    const auto found = viewable_type(name);
    ASSERT_TRUE(found) << name;
    EXPECT_EQ(*found, "text/plain; charset=utf-8") << name;
  }
}

TEST(ViewableType, TheExtensionIsMatchedWithoutRegardToCase) {
  EXPECT_EQ(viewable_type("PHOTO.JPG").value_or(""), "image/jpeg");
  EXPECT_EQ(viewable_type("Report.Pdf").value_or(""), "application/pdf");
  EXPECT_EQ(viewable_type("archive.tar.PNG").value_or(""), "image/png");
}

TEST(ViewableType, ScriptableAndUnknownTypesCanOnlyBeDownloaded) {
  for (const char* name :
       {"page.html", "page.htm", "PAGE.HTML", "logo.svg", "logo.SVG", "logo.svgz", "page.xhtml",
        "app.js", "style.css", "macro.docm", "setup.exe", "archive.zip", "noextension", "dot.",
        "png", "photo.png.html", "photo.png ", ""}) {
    EXPECT_FALSE(viewable_type(name)) << name;
  }
}

TEST(ContentDisposition, AttachmentAndInlineShareTheEncodingOfTheName) {
  EXPECT_EQ(content_disposition("plan \"v2\".pdf"),
            "attachment; filename=\"plan _v2_.pdf\"; filename*=UTF-8''plan%20%22v2%22.pdf");
  EXPECT_EQ(content_disposition("r\xc3\xa9sum\xc3\xa9.pdf", "inline"),
            "inline; filename=\"r__sum__.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf");
  const std::string header = content_disposition("a\r\nSet-Cookie: x=y.txt", "inline");
  EXPECT_EQ(header.find('\r'), std::string::npos);
  EXPECT_EQ(header.find('\n'), std::string::npos);
}

// A store without file descriptors (S3) is served through BlobStore::read(): the response is a
// stream of declared length, read on the worker pool, for the whole file and for a range. A
// local store stands in for it here (its read() is the same port).
TEST(ContentResponse, AStoreWithoutFileDescriptorsIsStreamedWithItsLength) {
  const auto root = std::filesystem::temp_directory_path() /
                    ("vestibule-content-test-" + std::to_string(::getpid()));
  blob::LocalBlobStore store(root, std::chrono::seconds{0});
  ASSERT_TRUE(store.prepare());
  std::string bytes(300 * 1024, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<char>(i * 7 % 251);
  }
  auto writer = store.begin_write().value();
  ASSERT_TRUE(writer->write(bytes));
  const auto blob = writer->commit().value();

  domain::FileContent content;
  content.item.name = "data.bin";
  content.blob = blob.sha256;
  content.size = blob.size;
  content.store = &store;
  const auto body_of = [](const http::Response& r) {
    std::string out;
    for (;;) {
      auto piece = r.stream();
      EXPECT_TRUE(piece) << piece.error().message;
      if (!piece || !piece.value()) {
        return out;
      }
      out += *piece.value();
    }
  };

  http::Request whole;
  auto r = content_response(whole, content);
  EXPECT_EQ(r.status, 200U);
  ASSERT_TRUE(r.stream);
  EXPECT_EQ(r.stream_length, bytes.size());
  EXPECT_TRUE(r.stream_blocks);
  EXPECT_EQ(body_of(r), bytes);

  http::Request ranged;
  ranged.headers.set("Range", "bytes=1000-150999");
  r = content_response(ranged, content);
  EXPECT_EQ(r.status, 206U);
  ASSERT_TRUE(r.stream);
  EXPECT_EQ(r.stream_length, 150000U);
  EXPECT_EQ(body_of(r), bytes.substr(1000, 150000));

  // A blob missing from the store is an error status, decided before anything is sent.
  content.blob = std::string(64, 'a');
  r = content_response(whole, content);
  EXPECT_EQ(r.status, 404U);
  EXPECT_FALSE(r.stream);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace vestibule::api
