// Verification of external recipients (SPEC §2 "Verification code", "Session"; §4 flows 3 and 5;
// §5 "sign-in by email code"; §7). A recipient types the invited address, on a link's page or on
// the sign-in page without a link; the request is recorded the same way whether or not the
// address may have a code (one write, no answer that differs), and a worker later sends a code
// within the send budgets: for a link, to its external recipients; without a link, to an address
// of the external directory (pending, verified or guest) that still has a recipient grant that
// opens something. A code is `code_length` CSPRNG digits, stored only as HMAC-SHA-256 under the
// server key, bound to (the link or none, address, the browser that asked), valid for
// `code_lifetime`, burned after `code_max_tries` wrong tries, consumed atomically on first
// success; wrong tries also count per address across codes. Confirming creates a session for the
// external identity; the reverification period is checked on every request by the Authorizer.
// Thread-safe.
#pragma once

#include "domain/authz.hpp"
#include "domain/outbox.hpp"
#include "domain/repositories.hpp"
#include "domain/sharing.hpp"
#include "util/clock.hpp"

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vestibule::domain {

struct VerificationRequest {
  Id id = 0;
  std::optional<Id> link_id;  // none: a sign-in code (POST /api/v1/session/code)
  std::string address;
  std::string browser_hash;
  std::string client_address;
  TimePoint created_at;
};

struct VerificationCode {
  Id id = 0;
  std::optional<Id> link_id;  // none: a sign-in code
  std::string address;
  Id external_id = 0;
  std::string browser_hash;
  std::string code_hmac;
  TimePoint created_at;
  TimePoint expires_at;
  int tries = 0;
};

struct ExternalSession {
  Id id = 0;
  std::string token_hash;
  Id external_id = 0;
  std::string address;  // of the identity
  IdentityState state = IdentityState::kPending;
  TimePoint created_at;
  TimePoint proved_at;
  TimePoint expires_at;
  bool remembered = false;
  std::string client_address;
  std::string user_agent;
  // Of the identity: its last proof with a code and when it became a guest (guest_expiry).
  std::optional<TimePoint> last_verified_at;
  std::optional<TimePoint> guest_since;
  std::optional<TimePoint> last_seen_at;  // to the minute; none for sessions older than it
};

class VerificationRepository {
 public:
  virtual ~VerificationRepository() = default;
  virtual Result<void> add_request(const VerificationRequest& request) = 0;
  // Requests from a client address since `since`, for the link (or, with none, for sign-in
  // codes): the per-client budget.
  virtual Result<int> count_requests(std::optional<Id> link_id, const std::string& client_address,
                                     TimePoint since) = 0;
  // Requests for an address since `since`, from any client and for any link or none.
  virtual Result<int> count_requests_for(const std::string& address, TimePoint since) = 0;
  virtual Result<std::vector<VerificationRequest>> pending_requests(std::size_t limit) = 0;
  // Marks a pending request processed; false when it was already (another node's worker took
  // it first), so each request is turned into mail by one worker only.
  virtual Result<bool> mark_processed(Id request_id) = 0;
  // Codes created for an address since `since` (the per-address send budget).
  virtual Result<int> count_codes(const std::string& address, TimePoint since) = 0;
  // Codes created for an address and one browser since `since` (that browser's share of it).
  virtual Result<int> count_codes_for_browser(const std::string& address,
                                              const std::string& browser_hash, TimePoint since) = 0;
  virtual Result<void> create_code(const VerificationCode& code) = 0;
  // The newest code of (link or none, address, browser) that is neither consumed nor expired: a
  // link's code is never a sign-in code, nor the reverse.
  virtual Result<std::optional<VerificationCode>> live_code(std::optional<Id> link_id,
                                                            const std::string& address,
                                                            const std::string& browser_hash,
                                                            TimePoint now) = 0;
  // One wrong try: the code's count and the identity's consecutive failures both grow.
  virtual Result<void> record_wrong_try(Id code_id, Id external_id) = 0;
  // Consumes the code if it is still unconsumed and below `max_tries`; false if another request
  // consumed it first.
  virtual Result<bool> consume(Id code_id, int max_tries, TimePoint now) = 0;
  // After a success: failures back to 0, the state moved (pending -> verified or guest), and
  // `now` recorded as when the address last proved itself.
  virtual Result<void> mark_verified(Id external_id, IdentityState state, TimePoint now) = 0;
  virtual Result<int> consecutive_failures(Id external_id) = 0;
  virtual Result<void> create_session(const ExternalSession& session) = 0;
  virtual Result<ExternalSession> find_session(const std::string& token_hash) = 0;
  virtual Result<void> remove_session(const std::string& token_hash) = 0;
  virtual Result<void> touch_session(Id id, TimePoint last_seen) = 0;
};

// What the answer to a code request may say, the same for every address (no enumeration).
struct CodeRequested {
  TimePoint expires_at;  // now + code_lifetime: a code sent for this request expires by then
  std::chrono::seconds code_lifetime{0};
  int code_length = 0;
  std::chrono::seconds resend_after{0};  // the cool-down before the page offers "Resend code"
  // How long "remember this device" keeps the session: min(remember_device_for, reverify_after),
  // 0 when reverify_after is 0 (no device is remembered).
  std::chrono::seconds remember_device{0};
};

struct VerificationOptions {
  std::string server_key;  // 32 bytes; codes are stored as HMAC-SHA-256 under it
  std::chrono::seconds unremembered_session_lifetime{12 * 3600};
  int max_consecutive_failures = 100;  // per address, across codes
};

// A new session for a verified address; the cookie value is shown once.
struct VerifiedSession {
  std::string token;
  ExternalSession session;
  std::optional<std::chrono::seconds> max_age;  // set when the device is remembered
};

class Verification {
 public:
  // How long the recipient's page waits before it offers "Resend code". Advisory: the server
  // does not refuse an earlier request; the send budgets (code_sends_per_address_per_hour,
  // code_sends_per_link_per_hour) are what bound the codes sent.
  static constexpr std::chrono::seconds kResendAfter{30};

  Verification(VerificationRepository& repository, SharingRepository& sharing,
               ItemRepository& items, Authorizer& authz, Outbox& outbox, SharingEvents& events,
               const util::Clock& clock, VerificationOptions options);

  // Records a request for a code for the link `through.via`. The answer never depends on the
  // address: kTooManyRequests only when this client address asked too often for this link.
  Result<CodeRequested> request(const Principal& through, const std::string& email,
                                const std::string& browser_token,
                                const std::string& client_address);
  // The same without a link (sign-in by email code): the same single write, the same answer for
  // every address; kTooManyRequests only when this client address asked for more than
  // code_sends_per_link_per_hour sign-in codes in the last hour. The worker sends a code only to
  // an address of the external directory that is pending, verified or guest and still has a
  // recipient grant that opens something now; every other address gets nothing.
  Result<CodeRequested> request_sign_in(const std::string& email, const std::string& browser_token,
                                        const std::string& client_address);
  // Turns recorded requests into codes and emails for real recipients; returns how many it read.
  std::size_t process_pending();
  // kInvalidArgument for a wrong, used or expired code; kTooManyRequests when the code is burned.
  Result<VerifiedSession> confirm(const Principal& through, const std::string& email,
                                  const std::string& code, bool remember,
                                  const std::string& browser_token,
                                  const std::string& client_address, const std::string& user_agent);
  // The one-time link sent instead of a code past the failure budget: its token is confirmed as
  // the code of (the link or none, address, browser).
  Result<VerifiedSession> confirm_one_time(std::optional<Id> link_id, const std::string& email,
                                           const std::string& token, bool remember,
                                           const std::string& browser_token,
                                           const std::string& client_address,
                                           const std::string& user_agent);
  // The same for a sign-in code (no link): the same session as a link's code gives.
  Result<VerifiedSession> confirm_sign_in(const std::string& email, const std::string& code,
                                          bool remember, const std::string& browser_token,
                                          const std::string& client_address,
                                          const std::string& user_agent);
  // The external principal behind a session cookie (kUnauthenticated when there is none).
  Result<Principal> authenticate(const std::string& session_token);
  // Like authenticate(), but a session of a blocked identity is returned too (with
  // `identity_state` kBlocked): for telling a browser whom it is signed in as and why that
  // opens nothing — never for deciding access (the Authorizer refuses blocked identities anyway).
  Result<Principal> identify(const std::string& session_token);
  Result<void> sign_out(const std::string& session_token);

  void set_public_url(std::string url) { public_url_ = std::move(url); }
  // Called after every recorded request, so a worker can send the code at once.
  void on_request(std::function<void()> wake) { wake_ = std::move(wake); }

  // `length` digits from the CSPRNG, each uniform over 0-9.
  static std::string generate_code(int length);
  // Over (link or none, address, browser hash, code).
  [[nodiscard]] std::string code_hmac(std::optional<Id> link_id, const std::string& address,
                                      const std::string& browser_hash,
                                      const std::string& code) const;

 private:
  // The one write of a request, after the per-client budget (`budget` requests per hour).
  Result<CodeRequested> record_request(std::optional<Id> link_id, const std::string& address,
                                       const std::string& browser_token,
                                       const std::string& client_address, const Policy& org,
                                       std::string_view budget_refusal);
  void process_link_request(const VerificationRequest& request);
  void process_sign_in_request(const VerificationRequest& request);
  // A code for the request to the external identity, within the budgets; `item` names what the
  // code opens (a link's item), none for a sign-in code.
  void send_code(const VerificationRequest& request, const Item* item, Id external_id,
                 const Policy& policy);
  // At most code_sends_per_address_per_hour hints per address per hour.
  void send_member_hint(const VerificationRequest& request, const Item& item, const Policy& policy);
  // A blocked address gets no code; the mail says so instead, so its owner is not left waiting
  // for one. Only the address's own mailbox learns it: the requester's answer is the same as for
  // every other address.
  void send_blocked_notice(const VerificationRequest& request, const Item* item,
                           const Policy& policy);
  Result<void> check_link(const Principal& through);
  // Checks the code against the newest live one of (link or none, address, browser) and starts a
  // session; `policy` gives the tries, the promotion and how long a remembered device lasts.
  Result<VerifiedSession> confirm_code(std::optional<Id> link_id, Id item_id,
                                       const Principal& through, const std::string& address,
                                       const std::string& code, bool remember,
                                       const std::string& browser_token, const Policy& policy,
                                       const std::string& client_address,
                                       const std::string& user_agent);

  // The page a one-time link opens (`{public_url}/verify#link=…&email=…&token=…`).
  [[nodiscard]] std::string one_time_url(std::optional<Id> link_id, const std::string& address,
                                         const std::string& token) const;
  // Codes per address per hour: this many times a browser's budget
  // (code_sends_per_address_per_hour).
  static constexpr int kAddressCapFactor = 4;
  // Confirming without a live code (see phantom_try()).
  static std::string request_key(std::optional<Id> link_id, const std::string& address,
                                 const std::string& browser_hash);
  void note_request(std::optional<Id> link_id, const std::string& address,
                    const std::string& browser_hash, TimePoint now);
  void forget_request(std::optional<Id> link_id, const std::string& address,
                      const std::string& browser_hash);
  Result<VerifiedSession> phantom_try(std::optional<Id> link_id, const std::string& address,
                                      const std::string& browser_hash, const std::string& code,
                                      const Policy& policy, TimePoint now);

  VerificationRepository& repository_;
  SharingRepository& sharing_;
  ItemRepository& items_;
  Authorizer& authz_;
  Outbox& outbox_;
  SharingEvents& events_;
  const util::Clock& clock_;
  VerificationOptions options_;
  std::string public_url_ = "http://127.0.0.1:8080";
  std::function<void()> wake_;
  // When each (link or none, address, browser) last asked for a code, and the wrong tries since,
  // for answering confirms the same whether or not a code was sent. Held in this process.
  struct RequestTries {
    TimePoint at;
    int tries = 0;
  };
  static constexpr std::size_t kMaxRememberedRequests = 100000;
  static constexpr std::chrono::seconds kMaxCodeLifetime{86400};  // the longest code_lifetime
  std::mutex requests_mutex_;
  std::unordered_map<std::string, RequestTries> requests_;
};

}  // namespace vestibule::domain
