#include "util/net.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace vestibule::util {

namespace ip = boost::asio::ip;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// An address as written in a list or a header: bare, or an IPv6 one in brackets. IPv4-mapped
// IPv6 addresses become IPv4.
std::optional<ip::address> address_of(std::string_view text) {
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  boost::system::error_code ec;
  auto address = ip::make_address(std::string(text), ec);
  if (ec) {
    return std::nullopt;
  }
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

bool matches(const IpNetwork& network, const ip::address& address) {
  if (network.base.is_v4() != address.is_v4()) {
    return false;
  }
  if (address.is_v4()) {
    if (network.prefix == 0) {
      return true;
    }
    const auto shift = 32U - network.prefix;
    return (network.base.to_v4().to_uint() >> shift) == (address.to_v4().to_uint() >> shift);
  }
  const auto a = network.base.to_v6().to_bytes();
  const auto b = address.to_v6().to_bytes();
  unsigned bits = network.prefix;
  for (std::size_t i = 0; i < a.size() && bits > 0; ++i) {
    const unsigned take = std::min(bits, 8U);
    const auto mask = static_cast<unsigned char>(0xFFU << (8U - take));
    if ((a[i] & mask) != (b[i] & mask)) {
      return false;
    }
    bits -= take;
  }
  return true;
}

}  // namespace

Result<std::vector<IpNetwork>> parse_networks(std::string_view list) {
  std::vector<IpNetwork> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto end = std::min(list.find_first_of(", ", start), list.size());
    const auto entry = trim(list.substr(start, end - start));
    start = end + 1;
    if (entry.empty()) {
      continue;
    }
    const auto bad = [&] {
      return fail(Errc::kInvalidArgument,
                  "'" + std::string(entry) +
                      "' is not an IP address or a network like 10.0.0.0/8 or fd00::/8");
    };
    const auto slash = entry.find('/');
    const auto address = address_of(entry.substr(0, slash));
    if (!address) {
      return bad();
    }
    const unsigned max = address->is_v4() ? 32U : 128U;
    unsigned prefix = max;
    if (slash != std::string_view::npos) {
      const auto digits = entry.substr(slash + 1);
      const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (ec != std::errc{} || ptr != digits.data() + digits.size() || prefix > max) {
        return bad();
      }
    }
    out.push_back({*address, prefix});
  }
  return out;
}

bool in_networks(const std::vector<IpNetwork>& networks, std::string_view text) {
  const auto address = address_of(trim(text));
  return address && std::any_of(networks.begin(), networks.end(),
                                [&](const IpNetwork& n) { return matches(n, *address); });
}

std::string client_behind_proxies(std::string_view peer, std::string_view forwarded_for,
                                  const std::vector<IpNetwork>& trusted) {
  if (trusted.empty() || !in_networks(trusted, peer)) {
    return std::string(peer);
  }
  std::vector<std::string_view> hops;
  std::size_t start = 0;
  while (start <= forwarded_for.size()) {
    const auto end = std::min(forwarded_for.find(',', start), forwarded_for.size());
    if (const auto hop = trim(forwarded_for.substr(start, end - start)); !hop.empty()) {
      hops.push_back(hop);
    }
    start = end + 1;
  }
  std::string client(peer);
  for (std::size_t i = hops.size(); i-- > 0;) {  // from the nearest hop outwards
    const auto address = address_of(hops[i]);
    if (!address) {
      return client;  // not an address: the last hop that was one is the client
    }
    client = address->to_string();
    if (!in_networks(trusted, client)) {
      return client;
    }
  }
  return client;
}

}  // namespace vestibule::util
