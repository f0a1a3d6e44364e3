#include "support/process_memory.hpp"

#include <cstdlib>
#include <fstream>

#include <malloc.h>

namespace vestibule::testing {

long status_kib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return -1;
}

long reset_peak_kib() {
  ::malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
  return status_kib("VmRSS");
}

}  // namespace vestibule::testing
