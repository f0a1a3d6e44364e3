// This process's memory as Linux reports it, for tests and benchmarks that bound memory growth.
#pragma once

#include <string>

namespace vestibule::testing {

// A field of /proc/self/status in KiB ("VmRSS", "VmHWM"); -1 when absent.
long status_kib(const std::string& field);

// Starts a new peak-memory measurement: the allocator's free memory back to the system (earlier
// buffers would otherwise be reused without showing as growth), then VmHWM back to the current
// RSS (Linux's clear_refs "5"). Returns that RSS.
long reset_peak_kib();

}  // namespace vestibule::testing
