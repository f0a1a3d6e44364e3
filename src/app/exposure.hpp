// What a running server exposes depending on where it listens and the URL it is reached at: the
// development mailbox (which hands out every code and link token) only on a plain development
// instance, and the Host names requests may carry, so a page from another site cannot reach a
// loopback instance through a DNS name it controls (DNS rebinding).
#pragma once

#include "app/config.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vestibule::app {

// 127.0.0.0/8, ::1 (bracketed or not) and "localhost".
bool is_loopback_host(std::string_view host);
// 0.0.0.0, :: and the empty host: every interface.
bool is_wildcard_host(std::string_view host);

// Whether the development mailbox may run under `config`: never with a relay (smtp.host);
// smtp.dev_mailbox "on" or "off" decides; "auto" allows it only for a loopback listen address and
// a public URL that is not https.
bool dev_mailbox_allowed(const Config& config);

// The Host header values (lower case, "host:port" or "host" alone for the scheme's default port)
// a request may carry: the public URL's authority, and the bound address with `port` unless it is
// a wildcard; for a loopback address also localhost, 127.0.0.1 and [::1]. Empty — no check — only
// for a wildcard listen address without a public URL, where no name is known.
std::vector<std::string> allowed_hosts(const Config& config, std::uint16_t port);

}  // namespace vestibule::app
