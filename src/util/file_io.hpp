// Reading an exact number of bytes from a file descriptor at an offset, through short reads and
// interrupted calls.
#pragma once

#include "util/result.hpp"

#include <cstddef>
#include <cstdint>

namespace vestibule::util {

// Fills `out` with `size` bytes of `fd` from `offset`. kInternal, saying why, when the file ends
// early or cannot be read.
Result<void> pread_exact(int fd, char* out, std::size_t size, std::uint64_t offset);

}  // namespace vestibule::util
