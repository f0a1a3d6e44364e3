// The schema's versioned migrations, built into the binary. Migration N (1-based) takes the
// database from PRAGMA user_version N-1 to N. Never edit a released migration; add a new one.
#pragma once

#include <string_view>
#include <vector>

namespace vestibule::store::sqlite {

const std::vector<std::string_view>& migrations();

}  // namespace vestibule::store::sqlite
