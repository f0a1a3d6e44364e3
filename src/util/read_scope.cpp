#include "util/read_scope.hpp"

namespace vestibule::util {

namespace {
thread_local std::uint64_t t_serial = 0;
thread_local int t_depth = 0;
}  // namespace

ReadScope::ReadScope() {
  if (t_depth++ == 0) {
    ++t_serial;
  }
}

ReadScope::~ReadScope() {
  if (--t_depth == 0) {
    ++t_serial;
  }
}

std::uint64_t ReadScope::current() { return t_depth > 0 ? t_serial : 0; }

void ReadScope::note_write() { ++t_serial; }

}  // namespace vestibule::util
