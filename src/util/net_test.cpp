#include "util/net.hpp"

#include <gtest/gtest.h>

namespace vestibule::util {
namespace {

TEST(Net, ParsesAddressesAndNetworks) {
  const auto n = parse_networks("10.0.0.0/8, 192.168.1.7 fd00::/8,[::1]").value();
  ASSERT_EQ(n.size(), 4U);
  EXPECT_EQ(n[0].prefix, 8U);
  EXPECT_EQ(n[1].prefix, 32U);
  EXPECT_EQ(n[2].prefix, 8U);
  EXPECT_EQ(n[3].prefix, 128U);
  EXPECT_TRUE(parse_networks("").value().empty());
  for (const char* bad :
       {"10.0.0.0/33", "fd00::/129", "proxy.example", "10.0.0/8", "1.2.3.4/x", "1.2.3.4/"}) {
    auto r = parse_networks(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
  }
}

TEST(Net, MembershipByPrefix) {
  const auto n = parse_networks("10.0.0.0/8, 192.168.1.7, fd00::/8, 0.0.0.0/0").value();
  EXPECT_TRUE(in_networks({n[0]}, "10.200.3.4"));
  EXPECT_FALSE(in_networks({n[0]}, "11.0.0.1"));
  EXPECT_TRUE(in_networks({n[1]}, "192.168.1.7"));
  EXPECT_FALSE(in_networks({n[1]}, "192.168.1.8"));
  EXPECT_TRUE(in_networks({n[2]}, "fd12:3456::1"));
  EXPECT_FALSE(in_networks({n[2]}, "fe80::1"));
  EXPECT_TRUE(in_networks({n[0]}, "::ffff:10.1.2.3"));  // IPv4-mapped
  EXPECT_TRUE(in_networks({n[3]}, "203.0.113.9"));
  EXPECT_FALSE(in_networks({n[3]}, "2001:db8::1"));
  EXPECT_FALSE(in_networks(n, "not an address"));
}

TEST(Net, TheClientBehindTrustedProxiesOnly) {
  const auto proxies = parse_networks("10.0.0.0/8").value();
  // No trusted proxies, or a peer that is not one: the header is the client's own words.
  EXPECT_EQ(client_behind_proxies("203.0.113.9", "198.51.100.1", {}), "203.0.113.9");
  EXPECT_EQ(client_behind_proxies("203.0.113.9", "198.51.100.1", proxies), "203.0.113.9");
  // Through the proxy: the rightmost hop that is not a proxy; a forged left part is ignored.
  EXPECT_EQ(client_behind_proxies("10.0.0.2", "198.51.100.1", proxies), "198.51.100.1");
  EXPECT_EQ(client_behind_proxies("10.0.0.2", "1.1.1.1, 198.51.100.1, 10.0.0.3", proxies),
            "198.51.100.1");
  EXPECT_EQ(client_behind_proxies("10.0.0.2", "10.0.0.9, 10.0.0.3", proxies), "10.0.0.9");
  EXPECT_EQ(client_behind_proxies("10.0.0.2", "", proxies), "10.0.0.2");
  EXPECT_EQ(client_behind_proxies("10.0.0.2", "garbage, 198.51.100.1", proxies), "198.51.100.1");
  EXPECT_EQ(client_behind_proxies("10.0.0.2", "198.51.100.1, garbage", proxies), "10.0.0.2");
  EXPECT_EQ(client_behind_proxies("10.0.0.2", "[2001:db8::7]", proxies), "2001:db8::7");
}

}  // namespace
}  // namespace vestibule::util
