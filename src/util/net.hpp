// Client addresses behind reverse proxies: which peers are trusted proxies (addresses and CIDR
// networks, IPv4 and IPv6), and the client a request really comes from, read from
// X-Forwarded-For only when the peer is one of them.
#pragma once

#include "util/result.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace vestibule::util {

struct IpNetwork {
  boost::asio::ip::address base;
  unsigned prefix = 0;  // bits that must match
};

// "10.0.0.0/8, 192.168.1.7, fd00::/8" (commas or spaces between entries); an empty list is
// empty. kInvalidArgument naming the entry that is not an address or a network.
Result<std::vector<IpNetwork>> parse_networks(std::string_view list);

// Whether `address` (IPv4, IPv6, or IPv4-mapped IPv6) is in one of `networks`; false when it
// is not an address.
bool in_networks(const std::vector<IpNetwork>& networks, std::string_view address);

// The client of a request that came from `peer` with this X-Forwarded-For: the peer itself
// unless it is a trusted proxy; else the rightmost hop that is not a trusted proxy (hops further
// left were written by the client and prove nothing), or the leftmost when every hop is trusted.
// A hop that is not an address ends the walk there: the peer behind it is named instead.
std::string client_behind_proxies(std::string_view peer, std::string_view forwarded_for,
                                  const std::vector<IpNetwork>& trusted);

}  // namespace vestibule::util
