#include "app/config.hpp"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace vestibule::app {
namespace {

Result<Config> with_flag(const std::string& key, const std::string& value) {
  ConfigSources sources;
  sources.flags.emplace_back(key, value);
  return load_config(sources);
}

// The listen address and the public URL become the Host names the server answers for and the
// links its mail carries; white space or a control character in them was accepted (found by
// fuzz/config_fuzzer.cpp: listen = "127 = .0.sArver0.1:8080").
TEST(Config, ListenAndPublicUrlWithSpacesOrControlCharactersAreRefused) {
  for (const std::string listen :
       {"127 = .0.1:8080", "127.0.0.1\t:8080", "local\x7fhost:80", "localhost\r\n:80"}) {
    const auto config = with_flag("server.listen", listen);
    ASSERT_FALSE(config) << listen;
    EXPECT_EQ(config.error().code, Errc::kInvalidArgument);
  }
  for (const std::string url :
       {"https://files example.org", "https://files.example.org\r\nX: y", "http://a\x01.example"}) {
    const auto config = with_flag("server.public_url", url);
    ASSERT_FALSE(config) << url;
    EXPECT_EQ(config.error().code, Errc::kInvalidArgument);
  }
  EXPECT_EQ(with_flag("server.listen", "[::1]:8080").value().listen_port(), 8080);
  EXPECT_EQ(
      with_flag("server.public_url", "https://files.example.org:8443").value().server.public_url,
      "https://files.example.org:8443");
}

// A public URL without a host made an empty Host name the server answers for and links without a
// host in its mail (found by fuzz/headers_fuzzer.cpp: "http://:80").
TEST(Config, APublicUrlWithoutAHostIsRefused) {
  for (const std::string url : {"http://", "http://:80", "https://@/files", "https://user@:443"}) {
    const auto config = with_flag("server.public_url", url);
    ASSERT_FALSE(config) << url;
    EXPECT_EQ(config.error().code, Errc::kInvalidArgument);
  }
  for (const std::string url : {"http://[::1]:8080", "https://files.example.org/vestibule", ""}) {
    EXPECT_TRUE(with_flag("server.public_url", url)) << url;
  }
}

Result<Config> with_flags(const std::vector<std::pair<std::string, std::string>>& flags) {
  ConfigSources sources;
  sources.flags = flags;
  return load_config(sources);
}

const std::vector<std::pair<std::string, std::string>> kS3 = {
    {"storage.backend", "s3"},
    {"storage.s3_endpoint", "http://127.0.0.1:7480"},
    {"storage.s3_bucket", "vestibule"},
    {"storage.s3_access_key", "AK"},
    {"storage.s3_secret_key", "SK"}};

TEST(Config, TheS3StorageKeysAreReadFromEveryKindOfSource) {
  auto config = with_flags(kS3);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config.value().storage.backend, "s3");
  EXPECT_EQ(config.value().storage.s3_endpoint, "http://127.0.0.1:7480");
  EXPECT_EQ(config.value().storage.s3_bucket, "vestibule");
  EXPECT_EQ(config.value().storage.s3_region, "us-east-1");
  EXPECT_TRUE(config.value().storage.s3_path_style);

  ConfigSources sources;
  sources.environment = {{"VESTIBULE_STORAGE__BACKEND", "s3"},
                         {"VESTIBULE_STORAGE__S3_ENDPOINT", "https://s3.example.org"},
                         {"VESTIBULE_STORAGE__S3_BUCKET", "files.example"},
                         {"VESTIBULE_STORAGE__S3_REGION", "eu-west-1"},
                         {"VESTIBULE_STORAGE__S3_ACCESS_KEY", "AK"},
                         {"VESTIBULE_STORAGE__S3_SECRET_KEY", "SK"},
                         {"VESTIBULE_STORAGE__S3_PATH_STYLE", "false"}};
  config = load_config(sources);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config.value().storage.s3_region, "eu-west-1");
  EXPECT_FALSE(config.value().storage.s3_path_style);
  EXPECT_EQ(config.value().storage.s3_secret_key, "SK");

  // The local store needs none of them.
  EXPECT_TRUE(with_flag("storage.backend", "local"));
}

TEST(Config, TheDatabaseUrlChoosesPostgresAndIsNeverRepeatedInAnError) {
  EXPECT_EQ(with_flags({}).value().database.url, "");
  ConfigSources sources;
  sources.environment = {{"VESTIBULE_DATABASE__URL", "postgres://v:pw@db.example:5432/v"}};
  auto config = load_config(sources);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config.value().database.url, "postgres://v:pw@db.example:5432/v");
  EXPECT_TRUE(with_flag("database.url", "postgresql://db.example/v?sslmode=require"));

  for (const auto* bad : {"mysql://v:pw-secret@db.example/v", "postgres://", "pw-secret",
                          "postgres://v:pw-secret@db.example/v extra"}) {
    const auto refused = with_flag("database.url", bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, Errc::kInvalidArgument);
    EXPECT_NE(refused.error().message.find("[database] url is not a PostgreSQL URI"),
              std::string::npos)
        << refused.error().message;
    EXPECT_EQ(refused.error().message.find("pw-secret"), std::string::npos)
        << refused.error().message;
  }
}

TEST(Config, AnS3StorageThatIsNotFullyNamedIsRefusedSayingWhatIsMissing) {
  const auto refused_with = [](std::vector<std::pair<std::string, std::string>> flags,
                               const std::string& expected) {
    const auto config = with_flags(flags);
    ASSERT_FALSE(config) << expected;
    EXPECT_EQ(config.error().code, Errc::kInvalidArgument);
    EXPECT_NE(config.error().message.find(expected), std::string::npos) << config.error().message;
  };
  refused_with({{"storage.backend", "s4"}},
               "[storage] backend = 's4' is not allowed; expected "
               "one of local, s3");
  for (const auto* key : {"s3_endpoint", "s3_bucket", "s3_access_key", "s3_secret_key"}) {
    auto flags = kS3;
    std::erase_if(flags, [&](const auto& f) { return f.first == std::string("storage.") + key; });
    refused_with(flags, std::string("[storage] backend = \"s3\" needs ") + key);
  }
  auto flags = kS3;
  flags.emplace_back("storage.s3_endpoint", "127.0.0.1:7480");
  refused_with(flags, "s3_endpoint = '127.0.0.1:7480' is not allowed; expected an http://");
  flags = kS3;
  flags.emplace_back("storage.s3_bucket", "My_Bucket");
  refused_with(flags, "s3_bucket = 'My_Bucket' is not allowed");
  refused_with({{"storage.s3_path_style", "yes"}}, "expected true or false");
}

}  // namespace
}  // namespace vestibule::app
