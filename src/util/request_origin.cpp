#include "util/request_origin.hpp"

#include <utility>

namespace vestibule::util {

namespace {
thread_local RequestOrigin t_origin;
}  // namespace

RequestOriginScope::RequestOriginScope(RequestOrigin origin)
    : previous_(std::exchange(t_origin, std::move(origin))) {}
RequestOriginScope::~RequestOriginScope() { t_origin = std::move(previous_); }
const RequestOrigin& current_request_origin() { return t_origin; }

}  // namespace vestibule::util
