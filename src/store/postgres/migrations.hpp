// The PostgreSQL schema's versioned migrations, built into the binary. Migration N (1-based) takes
// the database from schema version N-1 to N (the engine keeps the version in its own table).
// Migration 1 is the whole schema that SQLite reaches after all of its migrations
// (store/sqlite/migrations.cpp), so that the repositories' SQL runs unchanged on both engines;
// a later schema change adds a migration to both lists. Never edit a released migration.
#pragma once

#include <string_view>
#include <vector>

namespace vestibule::store::postgres {

const std::vector<std::string_view>& migrations();

}  // namespace vestibule::store::postgres
