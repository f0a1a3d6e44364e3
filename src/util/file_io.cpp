#include "util/file_io.hpp"

#include <cerrno>
#include <string>
#include <system_error>

#include <unistd.h>

namespace vestibule::util {

Result<void> pread_exact(int fd, char* out, std::size_t size, std::uint64_t offset) {
  std::size_t filled = 0;
  while (filled < size) {
    const ssize_t got =
        ::pread(fd, out + filled, size - filled, static_cast<off_t>(offset + filled));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      return fail(Errc::kInternal,
                  "reading the file failed: " + std::generic_category().message(errno));
    }
    if (got == 0) {
      return fail(Errc::kInternal, "the file ended before its recorded size");
    }
    filled += static_cast<std::size_t>(got);
  }
  return outcome::success();
}

}  // namespace vestibule::util
