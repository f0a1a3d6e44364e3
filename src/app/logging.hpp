// Sets up the process's loggers (the only global): the default logger and "access", both on
// standard error, as text or JSON lines, each line carrying the id of the request it was written
// for. Human messages meant for the operator (the address, the bootstrap password) go to
// standard output instead, outside the logger.
#pragma once

#include <string>

namespace vestibule::app {

void setup_logging(const std::string& level, const std::string& format);

}  // namespace vestibule::app
