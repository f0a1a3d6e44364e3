// Sizes as people read them in messages: "300 bytes", "4.0 KiB", "1.5 GiB".
#pragma once

#include <cstdint>
#include <string>

namespace vestibule::util {

// Binary units with one decimal above 1 KiB; negative sizes read as 0 bytes.
std::string format_byte_size(std::int64_t bytes);

}  // namespace vestibule::util
