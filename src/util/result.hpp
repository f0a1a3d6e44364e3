// Result<T>: the value-or-error type of the domain. Expected failures (not found, forbidden,
// invalid input, conflicts) travel as values; misuse (reading the value of an error) throws,
// which the HTTP boundary reports as a 500 instead of crashing the process.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <boost/outcome.hpp>

namespace vestibule {

// Stable error codes; the API maps each to one HTTP status in src/api/errors.cpp.
enum class Errc {
  kInvalidArgument,      // malformed or out-of-range input
  kUnauthenticated,      // no valid session
  kForbidden,            // authenticated but not allowed
  kNotFound,             // does not exist, or is not visible to the caller
  kConflict,             // name clash, cycle, concurrent change
  kPolicyRefused,        // organization policy does not allow it; Error::refused says for whom
  kGone,                 // existed but ended: a revoked or expired link
  kTooManyRequests,      // rate limited; Error::retry_after_seconds says when to retry
  kPayloadTooLarge,      // body above the route's limit
  kInsufficientStorage,  // a space's quota or the server's free-space floor leaves no room
  kRangeNotSatisfiable,
  kUnavailable,  // storage or a dependency is not usable right now
  kInternal,
};

// One refused subject of a request that names several (the recipients of a share).
struct Refused {
  std::string address;
  std::string rule;  // the policy key or rule that refused it
  std::string message;
};

struct Error {
  Errc code = Errc::kInternal;
  std::string message;  // for the client: what was wrong and what to do next
  std::string field;    // the input field at fault, when there is one
  long retry_after_seconds = 0;
  std::vector<Refused> refused;
};

namespace outcome = BOOST_OUTCOME_V2_NAMESPACE;

template <class T>
using Result = outcome::checked<T, Error>;

inline Error make_error(Errc code, std::string message, std::string field = {}) {
  return Error{code, std::move(message), std::move(field), 0, {}};
}

inline outcome::failure_type<Error> fail(Errc code, std::string message, std::string field = {}) {
  return outcome::failure(make_error(code, std::move(message), std::move(field)));
}

inline outcome::failure_type<Error> fail(Error error) { return outcome::failure(std::move(error)); }

}  // namespace vestibule

// Boost 1.74 spells the early-return macro with the variable name only.
#define VST_TRY(var, expr) BOOST_OUTCOME_TRY(var, expr)
#define VST_TRYV(expr) BOOST_OUTCOME_TRYV(expr)
