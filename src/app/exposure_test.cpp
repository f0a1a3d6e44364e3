#include "app/exposure.hpp"

#include <gtest/gtest.h>

namespace vestibule::app {
namespace {

Config config_of(std::string listen, std::string public_url = "", std::string smtp_host = "",
                 std::string dev_mailbox = "auto") {
  Config c;
  c.server.listen = std::move(listen);
  c.server.public_url = std::move(public_url);
  c.smtp.host = std::move(smtp_host);
  c.smtp.dev_mailbox = std::move(dev_mailbox);
  return c;
}

TEST(Exposure, LoopbackAndWildcardAddresses) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "LocalHost", "[::1]", "::1"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "10.0.0.7", "[::]", "files.example.org", "128.0.0.1"}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "[::]", "::", ""}) {
    EXPECT_TRUE(is_wildcard_host(host)) << host;
  }
  EXPECT_FALSE(is_wildcard_host("127.0.0.1"));
}

TEST(Exposure, DevMailboxOnlyOnAPlainDevelopmentInstanceUnlessAsked) {
  EXPECT_TRUE(dev_mailbox_allowed(config_of("127.0.0.1:8080")));
  EXPECT_TRUE(dev_mailbox_allowed(config_of("localhost:8080", "http://localhost:8080")));
  EXPECT_FALSE(dev_mailbox_allowed(config_of("0.0.0.0:8080")));
  EXPECT_FALSE(dev_mailbox_allowed(config_of("10.0.0.7:8080")));
  EXPECT_FALSE(dev_mailbox_allowed(config_of("127.0.0.1:8080", "https://files.example.org")));
  EXPECT_FALSE(dev_mailbox_allowed(config_of("127.0.0.1:8080", "", "", "off")));
  EXPECT_TRUE(dev_mailbox_allowed(config_of("0.0.0.0:8080", "https://f.example", "", "on")));
  // A relay always wins: the mailbox never runs beside it.
  EXPECT_FALSE(dev_mailbox_allowed(config_of("127.0.0.1:8080", "", "smtp.example.org", "on")));
}

TEST(Exposure, AllowedHostsOfALoopbackInstance) {
  const auto hosts = allowed_hosts(config_of("127.0.0.1:0"), 41234);
  EXPECT_EQ(hosts, (std::vector<std::string>{"127.0.0.1:41234", "localhost:41234", "[::1]:41234"}));
}

TEST(Exposure, AllowedHostsAddThePublicUrlWithAndWithoutItsDefaultPort) {
  const auto hosts = allowed_hosts(config_of("127.0.0.1:8080", "https://Files.Example.org/"), 8080);
  EXPECT_EQ(hosts, (std::vector<std::string>{"files.example.org", "files.example.org:443",
                                             "127.0.0.1:8080", "localhost:8080", "[::1]:8080"}));
  const auto explicit_port = allowed_hosts(config_of("10.0.0.7:80", "http://f.example:8080"), 80);
  EXPECT_EQ(explicit_port, (std::vector<std::string>{"f.example:8080", "10.0.0.7:80", "10.0.0.7"}));
}

TEST(Exposure, AWildcardListenAddressIsHeldToThePublicUrlOnly) {
  EXPECT_EQ(allowed_hosts(config_of("0.0.0.0:8080", "https://files.example.org"), 8080),
            (std::vector<std::string>{"files.example.org", "files.example.org:443"}));
  // No name is known: nothing to hold requests to.
  EXPECT_TRUE(allowed_hosts(config_of("0.0.0.0:8080"), 8080).empty());
  EXPECT_EQ(allowed_hosts(config_of("[::1]:9000"), 9000),
            (std::vector<std::string>{"[::1]:9000", "localhost:9000", "127.0.0.1:9000"}));
}

}  // namespace
}  // namespace vestibule::app
