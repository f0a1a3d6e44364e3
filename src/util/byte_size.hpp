// Sizes as people read them in messages: "300 bytes", "4.0 KiB", "1.5 GiB".
#pragma once

#include <cstdint>
#include <string>

namespace vestibule::util {

// Units of 1024 named as people read them (KB, MB, GB): one decimal below 10, whole numbers
// above, as the web pages show sizes; negative sizes read as 0 bytes.
std::string format_byte_size(std::int64_t bytes);

}  // namespace vestibule::util
