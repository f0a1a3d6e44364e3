#include "app/exposure.hpp"

#include <algorithm>
#include <cctype>

namespace vestibule::app {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view unbracketed(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

// "host" -> itself; an IPv6 address gets its brackets, as it appears in a Host header.
std::string host_for_header(std::string_view host) {
  const auto bare = unbracketed(host);
  if (bare.find(':') != std::string_view::npos) {
    return "[" + std::string(bare) + "]";
  }
  return std::string(bare);
}

void add(std::vector<std::string>& hosts, std::string value) {
  value = lower(value);
  if (std::find(hosts.begin(), hosts.end(), value) == hosts.end()) {
    hosts.push_back(std::move(value));
  }
}

// The authority of an http(s) URL, and the scheme's default port: "files.example.org:8443".
void add_url_authority(std::vector<std::string>& hosts, std::string_view url) {
  std::string_view default_port;
  if (url.starts_with("https://")) {
    url.remove_prefix(8);
    default_port = "443";
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
    default_port = "80";
  } else {
    return;
  }
  const auto end = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, end);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.empty()) {
    return;
  }
  const auto bracket = authority.rfind(']');
  const auto colon = authority.rfind(':');
  const bool has_port =
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  if (has_port) {
    add(hosts, std::string(authority));
    if (authority.substr(colon + 1) == default_port) {
      add(hosts, std::string(authority.substr(0, colon)));  // browsers omit the default port
    }
  } else {
    add(hosts, std::string(authority));
    add(hosts, std::string(authority) + ":" + std::string(default_port));
  }
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  const auto bare = unbracketed(host);
  return lower(bare) == "localhost" || bare == "::1" || bare.starts_with("127.");
}

bool is_wildcard_host(std::string_view host) {
  const auto bare = unbracketed(host);
  return bare.empty() || bare == "0.0.0.0" || bare == "::";
}

bool dev_mailbox_allowed(const Config& config) {
  if (!config.smtp.host.empty() || config.smtp.dev_mailbox == "off") {
    return false;
  }
  if (config.smtp.dev_mailbox == "on") {
    return true;
  }
  return is_loopback_host(config.listen_host()) &&
         !config.server.public_url.starts_with("https://");
}

std::vector<std::string> allowed_hosts(const Config& config, std::uint16_t port) {
  std::vector<std::string> hosts;
  add_url_authority(hosts, config.server.public_url);
  const std::string host = config.listen_host();
  const std::string suffix = ":" + std::to_string(port);
  if (is_wildcard_host(host)) {
    return hosts;  // empty without a public URL: no name to hold requests to
  }
  std::vector<std::string> names{host_for_header(host)};
  if (is_loopback_host(host)) {
    names.insert(names.end(), {"localhost", "127.0.0.1", "[::1]"});
  }
  for (const auto& name : names) {
    add(hosts, name + suffix);
    if (port == 80) {
      add(hosts, name);  // browsers omit the default port
    }
  }
  return hosts;
}

}  // namespace vestibule::app
