#include "app/config.hpp"

#include <string>

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

}  // namespace
}  // namespace vestibule::app
