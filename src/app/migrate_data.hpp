// `vestibule migrate-data`: copies a single-node installation (the SQLite database of a data
// folder and its local blobs) into a PostgreSQL database and, optionally, an S3 bucket, so that
// links, sessions, codes and the audit chain keep working on the cluster.
//
// - Tables come from the source's own schema (every table but SQLite's internal ones), copied in
//   foreign-key order, each in one PostgreSQL transaction (COPY, ids kept, user triggers off so
//   derived columns such as spaces.used_bytes are copied rather than counted again) that also
//   records the table as done in `vestibule_migrate_data`, a table of the target made by the
//   command: a run cut short and started again carries on after the last committed table, and
//   progress can never say "done" for rows that are not there. Identities are then set past the
//   copied ids. The table is dropped once everything verified.
// - Blobs go up under their content key (`blobs/<sha256>`); one already there with the right
//   size is skipped, so a second run sends only what is missing.
// - Verification: the row count of every table on both sides, and the SHA-256 of every blob
//   recomputed from what the target holds, streamed.
// - The source is opened read-only and never written; a data folder whose database another
//   process holds open (a server) is refused.
#pragma once

#include "app/config.hpp"

#include <ostream>
#include <string>

namespace vestibule::app {

struct MigrateDataOptions {
  // server.data_dir: the source; database.url: the target; storage.*: where the blobs go
  // (backend "local": they stay in the data folder).
  Config config;
  // When set, the server and audit keys of the source are written there for [server] key_file
  // (never over a different file).
  std::string key_file;
  // Only compare the source with the target (rows per table, every blob's hash); write nothing.
  bool verify_only = false;
};

// Exit status: 0 everything copied and verified; 1 a mismatch (named) or a failure part-way
// (running the same command again resumes); 2 bad input or a target that cannot be used, and
// nothing was written.
int migrate_data(const MigrateDataOptions& options, std::ostream& out, std::ostream& err);

}  // namespace vestibule::app
