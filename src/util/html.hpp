// Escaping text for HTML (email bodies, the development mailbox page).
#pragma once

#include <string>
#include <string_view>

namespace vestibule::util {

std::string html_escape(std::string_view text);

}  // namespace vestibule::util
