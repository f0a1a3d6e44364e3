// The configuration loader (app/config): a TOML file, then `section.key=value` flags as the
// command line gives them. The input up to its first NUL byte is the file; each line after it is
// one flag. Properties: nothing throws (a bad file must be a clear error at start-up, not a
// crash); a refused configuration is kInvalidArgument with a message; an accepted one has a
// listen address whose host and port can be read, and the Host names it answers for
// (app/exposure) are lower case, non-empty and free of white space and control characters.
#include "app/config.hpp"
#include "app/exposure.hpp"
#include "check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>

#include <sys/mman.h>
#include <unistd.h>

namespace {

// The file the loader reads: in memory, reached by its /proc/self/fd path.
int config_file() {
  static const int fd = memfd_create("vestibule.toml", 0);
  FUZZ_CHECK(fd >= 0);
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const std::string_view file = input.substr(0, nul);

  const int fd = config_file();
  FUZZ_CHECK(ftruncate(fd, 0) == 0);
  FUZZ_CHECK(pwrite(fd, file.data(), file.size(), 0) == static_cast<ssize_t>(file.size()));

  vestibule::app::ConfigSources sources;
  sources.file = "/proc/self/fd/" + std::to_string(fd);
  if (nul != std::string_view::npos) {
    std::string_view rest = input.substr(nul + 1);
    while (!rest.empty()) {
      const auto end = rest.find('\n');
      const auto line = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
      const auto eq = line.find('=');
      if (eq != std::string_view::npos) {
        sources.flags.emplace_back(line.substr(0, eq), line.substr(eq + 1));
      }
    }
  }

  const auto config = vestibule::app::load_config(sources);
  if (!config) {
    FUZZ_CHECK(config.error().code == vestibule::Errc::kInvalidArgument);
    FUZZ_CHECK(!config.error().message.empty());
    return 0;
  }
  std::ignore = config.value().listen_host();
  const std::uint16_t port = config.value().listen_port();
  std::ignore = vestibule::app::dev_mailbox_allowed(config.value());
  for (const auto& host : vestibule::app::allowed_hosts(config.value(), port)) {
    FUZZ_CHECK(!host.empty());
    for (const char ch : host) {
      const auto c = static_cast<unsigned char>(ch);
      FUZZ_CHECK(c > 0x20 && c != 0x7F && !(c >= 'A' && c <= 'Z'));
    }
  }
  return 0;
}
