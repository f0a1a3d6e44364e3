#include "domain/verification.hpp"

#include "util/crypto.hpp"
#include "util/email.hpp"
#include "util/html.hpp"
#include "util/names.hpp"
#include "util/rfc3339.hpp"
#include "util/time_horizon.hpp"
#include "util/url.hpp"

#include <array>
#include <tuple>

#include <sodium.h>
#include <spdlog/spdlog.h>

namespace vestibule::domain {

namespace {

constexpr std::chrono::hours kBudgetWindow{1};

std::string browser_hash_of(const std::string& browser_token) {
  return util::sha256_hex("browser:" + browser_token);
}

// The directory fields of an external principal that guest_expired() reads.
ExternalIdentity who_identity(const Principal& who) {
  ExternalIdentity identity;
  identity.id = who.external_id;
  identity.address = who.email;
  identity.state = who.identity_state.value_or(IdentityState::kPending);
  identity.last_verified_at = who.last_verified_at;
  identity.guest_since = who.guest_since;
  return identity;
}

Error wrong_code() {
  return make_error(Errc::kInvalidArgument,
                    "that code is wrong, used or expired; check the newest email, or request a "
                    "new code",
                    "code");
}

}  // namespace

Verification::Verification(VerificationRepository& repository, SharingRepository& sharing,
                           ItemRepository& items, Authorizer& authz, Outbox& outbox,
                           SharingEvents& events, const util::Clock& clock,
                           VerificationOptions options)
    : repository_(repository),
      sharing_(sharing),
      items_(items),
      authz_(authz),
      outbox_(outbox),
      events_(events),
      clock_(clock),
      options_(std::move(options)) {}

std::string Verification::generate_code(int length) {
  std::string code;
  code.reserve(static_cast<std::size_t>(length));
  for (int i = 0; i < length; ++i) {
    code += static_cast<char>('0' + util::random_uniform(10));
  }
  return code;
}

std::string Verification::code_hmac(std::optional<Id> link_id, const std::string& address,
                                    const std::string& browser_hash,
                                    const std::string& code) const {
  // A sign-in code is bound to no link: "-" is never a link id.
  const std::string message = (link_id ? std::to_string(*link_id) : std::string("-")) + "\n" +
                              address + "\n" + browser_hash + "\n" + code;
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state,
                              reinterpret_cast<const unsigned char*>(options_.server_key.data()),
                              options_.server_key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  return util::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

Result<CodeRequested> Verification::request(const Principal& through, const std::string& email,
                                            const std::string& browser_token,
                                            const std::string& client_address) {
  const Link& link = *through.via;
  VST_TRY(address, util::normalize_email(email, "email"));
  VST_TRYV(check_link(through));
  VST_TRY(policy, authz_.org_policy());
  return record_request(link.id, address, browser_token, client_address, policy,
                        "too many code requests for this link from your network; try again in an "
                        "hour");
}

Result<CodeRequested> Verification::request_sign_in(const std::string& email,
                                                    const std::string& browser_token,
                                                    const std::string& client_address) {
  VST_TRY(address, util::normalize_email(email, "email"));
  VST_TRY(policy, authz_.org_policy());
  return record_request(std::nullopt, address, browser_token, client_address, policy,
                        "too many sign-in code requests from your network; try again in an hour");
}

Result<CodeRequested> Verification::record_request(
    std::optional<Id> link_id, const std::string& address, const std::string& browser_token,
    const std::string& client_address, const Policy& org, std::string_view budget_refusal) {
  const TimePoint now = clock_.now();
  VST_TRY(asked, repository_.count_requests(link_id, client_address, now - kBudgetWindow));
  if (asked >= org.code_sends_per_link_per_hour) {
    Error error = make_error(Errc::kTooManyRequests, std::string(budget_refusal));
    error.retry_after_seconds =
        static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(kBudgetWindow).count());
    return fail(std::move(error));
  }
  // The same single write for every address: whether it may have a code is decided later, by the
  // worker, so neither the answer nor its timing tells.
  // Recorded for every address alike, in the request's own write.
  const auto audited = events_.before_change(
      {"verification.code_requested", Principal{}, 0, link_id.value_or(0), address});
  VST_TRYV(repository_.add_request(
      {0, link_id, address, browser_hash_of(browser_token), client_address, now}));
  note_request(link_id, address, browser_hash_of(browser_token), now);
  if (wake_) {
    wake_();
  }
  const auto remember =
      org.reverify_after.count() == 0
          ? std::chrono::seconds{0}
          : std::chrono::seconds{std::min(org.remember_device_for, org.reverify_after)};
  return CodeRequested{now + org.code_lifetime, org.code_lifetime, org.code_length, kResendAfter,
                       remember};
}

Result<void> Verification::check_link(const Principal& through) {
  const Link& link = *through.via;
  if (link.kind != LinkKind::kSpecific) {
    return fail(Errc::kInvalidArgument,
                "this link does not use email codes; open it with GET /api/v1/shares/{token} to "
                "see what it needs");
  }
  VST_TRY(state, authz_.link_state(through, link));
  switch (state) {
    case LinkState::kRevoked:
      return fail(Errc::kGone, "this link was revoked by its owner; you can ask them for access");
    case LinkState::kExpired:
      return fail(Errc::kGone, "this link has expired; you can ask its owner for access");
    case LinkState::kOffByPolicy:
      return fail(Errc::kGone, "the organization's sharing policy no longer allows this link");
    default:
      break;
  }
  return outcome::success();
}

std::size_t Verification::process_pending() {
  auto pending = repository_.pending_requests(50);
  if (!pending) {
    spdlog::error("verification: cannot read requests: {}", pending.error().message);
    return 0;
  }
  for (const auto& request : pending.value()) {
    auto mine = repository_.mark_processed(request.id);
    if (!mine) {
      spdlog::error("verification: cannot mark request {}: {}", request.id, mine.error().message);
      continue;
    }
    if (!mine.value()) {
      continue;  // another worker took it
    }
    if (request.link_id) {
      process_link_request(request);
    } else {
      process_sign_in_request(request);
    }
  }
  return pending.value().size();
}

void Verification::process_link_request(const VerificationRequest& request) {
  auto link = sharing_.find_link(*request.link_id);
  if (!link || link.value().kind != LinkKind::kSpecific) {
    return;
  }
  auto item = items_.find(link.value().item_id);
  if (!item) {
    return;
  }
  Principal nobody;
  nobody.via = link.value();
  auto state = authz_.link_state(nobody, link.value());
  if (!state || state.value() != LinkState::kUsable) {
    return;  // revoked or expired: the share page says so already
  }
  auto recipients = sharing_.recipients(link.value().id);
  if (!recipients) {
    return;
  }
  // An alias reaches its identity: the code goes to the address typed, for the same identity.
  std::optional<Id> identity_id;
  if (auto identity = sharing_.find_identity_by_address(request.address)) {
    identity_id = identity.value().id;
  }
  const Grant* recipient = nullptr;
  for (const auto& r : recipients.value()) {
    const bool same = r.address == request.address ||
                      (r.grantee == Grantee::kExternal && identity_id == r.principal_id);
    if (same && (!r.expires_at || *r.expires_at > clock_.now())) {
      recipient = &r;
    }
  }
  if (recipient == nullptr) {
    return;  // not a recipient: nothing is sent, and the requester cannot tell
  }
  auto policy = authz_.policy_in(item.value().space_id);
  if (!policy) {
    return;
  }
  if (recipient->grantee == Grantee::kUser) {
    send_member_hint(request, item.value(), policy.value());
    return;
  }
  send_code(request, &item.value(), recipient->principal_id, policy.value());
}

void Verification::process_sign_in_request(const VerificationRequest& request) {
  // Only an address of the external directory (never blocked; a deleted one has no record)...
  auto identity = sharing_.find_identity_by_address(request.address);
  if (!identity) {
    return;  // nothing is sent, and the requester cannot tell
  }
  if (identity.value().state == IdentityState::kGuest) {
    // A guest signs in whatever is shared with it (its team spaces, or nothing yet), until its
    // guest_expiry; send_code() refuses an expired one.
    auto org = authz_.org_policy();
    if (org) {
      send_code(request, nullptr, identity.value().id, org.value());
    }
    return;
  }
  if (identity.value().state == IdentityState::kBlocked) {
    if (auto policy = authz_.org_policy(); policy) {
      send_blocked_notice(request, nullptr, policy.value());
    }
    return;
  }
  auto grants = sharing_.grants_of(Grantee::kExternal, identity.value().id);
  if (!grants) {
    return;
  }
  // ...that still has a recipient grant opening something now, decided exactly as a request of
  // the address through that link would be once proved: the link usable, the grant not expired,
  // the item live, the policy of its space letting the address in.
  Principal proved;
  proved.kind = PrincipalKind::kExternal;
  proved.external_id = identity.value().id;
  proved.name = identity.value().address;
  proved.email = identity.value().address;
  proved.proved_at = clock_.now();
  proved.identity_state = identity.value().state;
  for (const auto& [grant, link] : grants.value()) {
    if (!link || link->kind != LinkKind::kSpecific) {
      continue;
    }
    if (grant.expires_at && *grant.expires_at <= clock_.now()) {
      continue;
    }
    auto item = items_.find(grant.item_id);
    if (!item || item.value().trashed_at) {
      continue;
    }
    Principal through = proved;
    through.via = *link;
    if (!authz_.authorize(through, Action::kRead, item.value())) {
      continue;
    }
    auto policy = authz_.policy_in(item.value().space_id);
    if (!policy) {
      return;
    }
    send_code(request, nullptr, identity.value().id, policy.value());
    return;
  }
}

void Verification::send_member_hint(const VerificationRequest& request, const Item& item,
                                    const Policy& policy) {
  // The same hourly budget as codes to an address: requests for a member's address, from any
  // browser or network, past it send nothing more (no mail bombing through the code form).
  auto asked = repository_.count_requests_for(request.address, clock_.now() - kBudgetWindow);
  if (!asked || asked.value() > policy.code_sends_per_address_per_hour) {
    return;
  }
  NewMail mail;
  mail.kind = MailKind::kNotification;
  mail.to = request.address;
  mail.subject = "Sign in to open \"" + item.name + "\"";
  mail.text = "Someone asked for a code to open \"" + item.name + "\" as " + request.address +
              ".\n\nThis address has an account, so no code is needed: sign in at " + public_url_ +
              " and open the link again.\n\nIf you did not ask, ignore this email.\n";
  mail.html = "<p>Someone asked for a code to open <strong>" + util::html_escape(item.name) +
              "</strong> as " + util::html_escape(request.address) +
              ".</p><p>This address has an account, so no code is needed: <a href=\"" +
              util::html_escape(public_url_) +
              "\">sign in</a> and open the link again.</p><p>If you did not ask, ignore this "
              "email.</p>";
  mail.link_id = request.link_id;
  if (auto queued = outbox_.enqueue(mail); !queued) {
    spdlog::error("verification: cannot queue a sign-in hint: {}", queued.error().message);
  }
}

void Verification::send_blocked_notice(const VerificationRequest& request, const Item* item,
                                       const Policy& policy) {
  // The hourly budget of codes to an address bounds these too (no mail bombing through the form).
  auto asked = repository_.count_requests_for(request.address, clock_.now() - kBudgetWindow);
  if (!asked || asked.value() > policy.code_sends_per_address_per_hour) {
    return;
  }
  const std::string contact = policy.organization_contact.empty()
                                  ? std::string("the person who shared it with you")
                                  : policy.organization_contact;
  const std::string what = item != nullptr ? "open \"" + item->name + "\"" : "sign in";
  NewMail mail;
  mail.kind = MailKind::kNotification;
  mail.to = request.address;
  mail.subject = "No code was sent: access for this address is turned off";
  mail.text = "Someone asked for a code to " + what + " as " + request.address +
              ".\n\nAccess for this address has been turned off by the organization, so no code "
              "was sent and none will be. To ask why, or to have it turned back on, contact " +
              contact + ".\n\nIf you did not ask, ignore this email.\n";
  mail.html = "<p>Someone asked for a code to " + util::html_escape(what) + " as " +
              util::html_escape(request.address) +
              ".</p><p>Access for this address has been turned off by the organization, so no "
              "code was sent and none will be. To ask why, or to have it turned back on, "
              "contact " +
              util::html_escape(contact) + ".</p><p>If you did not ask, ignore this email.</p>";
  mail.link_id = request.link_id;
  if (auto queued = outbox_.enqueue(mail); !queued) {
    spdlog::error("verification: cannot queue a blocked-address notice: {}",
                  queued.error().message);
  }
}

void Verification::send_code(const VerificationRequest& request, const Item* item, Id external_id,
                             const Policy& policy) {
  const TimePoint now = clock_.now();
  auto identity = sharing_.find_identity(external_id);
  if (!identity) {
    return;
  }
  if (identity.value().state == IdentityState::kBlocked) {
    send_blocked_notice(request, item, policy);
    return;
  }
  if (auto org = authz_.org_policy(); !org || guest_expired(identity.value(), org.value(), now)) {
    return;  // an expired guest is on its way out: no code brings it back
  }
  if (external_address_refusal(policy, request.address,
                               identity.value().state == IdentityState::kGuest)) {
    return;  // the policy no longer lets this address in; a code would open nothing
  }
  // Each browser has its own hourly budget, so the requests of someone holding a forwarded link
  // never use up the recipient's; a larger cap per address bounds the mail an address gets.
  auto sent_here = repository_.count_codes_for_browser(request.address, request.browser_hash,
                                                       now - kBudgetWindow);
  auto sent = repository_.count_codes(request.address, now - kBudgetWindow);
  if (!sent_here || !sent || sent_here.value() >= policy.code_sends_per_address_per_hour ||
      sent.value() >= policy.code_sends_per_address_per_hour * kAddressCapFactor) {
    spdlog::info("verification: send budget of an address reached; no code sent");
    return;
  }
  auto failures = repository_.consecutive_failures(external_id);
  if (!failures) {
    return;
  }
  // Past the failure budget no guessable code is sent: a one-time link of 256 bits instead, which
  // works only in the browser that asked, so the real recipient is never locked out.
  const bool one_time_link = failures.value() >= options_.max_consecutive_failures;
  const std::string code =
      one_time_link ? util::random_token(32) : generate_code(policy.code_length);
  VerificationCode row;
  row.link_id = request.link_id;
  row.address = request.address;
  row.external_id = external_id;
  row.browser_hash = request.browser_hash;
  row.code_hmac = code_hmac(request.link_id, request.address, request.browser_hash, code);
  row.created_at = now;
  row.expires_at = now + policy.code_lifetime;
  if (auto created = repository_.create_code(row); !created) {
    spdlog::error("verification: cannot store a code: {}", created.error().message);
    return;
  }
  const std::string until = util::format_rfc3339(row.expires_at);
  NewMail mail;
  mail.kind = MailKind::kCode;
  mail.to = request.address;
  // The code stays out of the subject, which is kept after the body is scrubbed.
  if (one_time_link) {
    const std::string url = one_time_url(request.link_id, request.address, code);
    const std::string what =
        item != nullptr ? "open \"" + item->name + "\"" : "sign in to Vestibule";
    mail.subject = item != nullptr ? "Your link to open \"" + item->name + "\""
                                   : "Your sign-in link for Vestibule";
    mail.text = "Many wrong codes were typed for " + request.address +
                ", so instead of a code here is a link to " + what + ":\n\n    " + url +
                "\n\nIt works once, until " + until +
                ", and only in the browser where you asked for it.\nIf you did not ask for it, "
                "you can ignore this email: nobody can use it without your mailbox.\n";
    mail.html = "<p>Many wrong codes were typed for " + util::html_escape(request.address) +
                ", so instead of a code here is a link to " + util::html_escape(what) +
                ":</p><p><a href=\"" + util::html_escape(url) + "\">" + util::html_escape(url) +
                "</a></p><p>It works once, until " + until +
                ", and only in the browser where you asked for it. If you did not ask for it, you "
                "can ignore this email.</p>";
  } else if (item != nullptr) {
    mail.subject = "Your code for \"" + item->name + "\"";
    mail.text = "Your code to open \"" + item->name + "\" is\n\n    " + code +
                "\n\nIt works once, until " + until +
                ", and only in the browser where you asked for it.\nIf you did not ask for it, "
                "you can ignore this email: nobody can use it without your mailbox.\n";
    mail.html = "<p>Your code to open <strong>" + util::html_escape(item->name) +
                "</strong> is</p><p style=\"font-size:1.6em;letter-spacing:.2em\"><strong>" + code +
                "</strong></p><p>It works once, until " + until +
                ", and only in the browser where you asked for it. If you did not ask for it, "
                "you can ignore this email.</p>";
  } else {
    mail.subject = "Your sign-in code for Vestibule";
    mail.text = "Your code to sign in to Vestibule as " + request.address + " is\n\n    " + code +
                "\n\nIt works once, until " + until +
                ", and only in the browser where you asked for it. Once signed in you see what "
                "was shared with this address.\nIf you didn't ask for this, ignore it: nobody "
                "can use the code without your mailbox.\n";
    mail.html = "<p>Your code to sign in to Vestibule as " + util::html_escape(request.address) +
                " is</p><p style=\"font-size:1.6em;letter-spacing:.2em\"><strong>" + code +
                "</strong></p><p>It works once, until " + until +
                ", and only in the browser where you asked for it. Once signed in you see what "
                "was shared with this address.</p><p>If you didn't ask for this, ignore it: "
                "nobody can use the code without your mailbox.</p>";
  }
  mail.secret = true;
  mail.link_id = request.link_id;
  mail.expires_at = row.expires_at;
  if (auto queued = outbox_.enqueue(mail); !queued) {
    spdlog::error("verification: cannot queue a code: {}", queued.error().message);
    return;
  }
  Principal nobody;
  events_.record({"verification.code_sent", nobody, item != nullptr ? item->id : 0,
                  request.link_id.value_or(0), request.address});
}

std::string Verification::one_time_url(std::optional<Id> link_id, const std::string& address,
                                       const std::string& token) const {
  // In the fragment: the browser keeps it out of requests, logs and Referer; the page sends it.
  return public_url_ + "/verify#" + (link_id ? "link=" + std::to_string(*link_id) + "&" : "") +
         "email=" + util::percent_encode(address) + "&token=" + token;
}

std::string Verification::request_key(std::optional<Id> link_id, const std::string& address,
                                      const std::string& browser_hash) {
  return (link_id ? std::to_string(*link_id) : std::string("-")) + '\n' + address + '\n' +
         browser_hash;
}

void Verification::note_request(std::optional<Id> link_id, const std::string& address,
                                const std::string& browser_hash, TimePoint now) {
  std::lock_guard lock(requests_mutex_);
  if (requests_.size() > kMaxRememberedRequests) {
    // Bounded under a spray of addresses: requests older than any code can live are forgotten.
    std::erase_if(requests_, [&](const auto& kv) { return kv.second.at + kMaxCodeLifetime < now; });
  }
  requests_[request_key(link_id, address, browser_hash)] = RequestTries{now, 0};
}

void Verification::forget_request(std::optional<Id> link_id, const std::string& address,
                                  const std::string& browser_hash) {
  std::lock_guard lock(requests_mutex_);
  requests_.erase(request_key(link_id, address, browser_hash));
}

Result<VerifiedSession> Verification::phantom_try(std::optional<Id> link_id,
                                                  const std::string& address,
                                                  const std::string& browser_hash,
                                                  const std::string& code, const Policy& policy,
                                                  TimePoint now) {
  // No code was sent for this request (not a recipient, or a budget said no), or it expired or
  // was used. A code that was asked for in the last code_lifetime is answered as if it existed —
  // the same wrong-code answers, the same 429 after code_max_tries, and the same work (a keyed
  // hash, and one write transaction holding the `verification.failed` entry its caller
  // announced) — so neither the answers nor their timing tell a recipient from anyone else.
  std::optional<int> tries;
  {
    std::lock_guard lock(requests_mutex_);
    const auto it = requests_.find(request_key(link_id, address, browser_hash));
    if (it != requests_.end() && it->second.at + policy.code_lifetime > now) {
      tries = it->second.tries;
      if (*tries < policy.code_max_tries) {
        ++it->second.tries;
      }
    }
  }
  if (tries && *tries >= policy.code_max_tries) {
    return fail(Errc::kTooManyRequests, "too many wrong tries for this code; request a new code");
  }
  std::ignore = util::secure_equal(std::string(crypto_auth_hmacsha256_BYTES * 2, '0'),
                                   code_hmac(link_id, address, browser_hash, code));
  VST_TRYV(repository_.record_wrong_try(0, 0));  // no such rows: the same statements, no change
  return fail(wrong_code());
}

Result<VerifiedSession> Verification::confirm(const Principal& through, const std::string& email,
                                              const std::string& code, bool remember,
                                              const std::string& browser_token,
                                              const std::string& client_address,
                                              const std::string& user_agent) {
  const Link& link = *through.via;
  VST_TRY(address, util::normalize_email(email, "email"));
  VST_TRYV(check_link(through));
  VST_TRY(item, items_.find(link.item_id));
  VST_TRY(policy, authz_.policy_in(item.space_id));
  return confirm_code(link.id, link.item_id, through, address, code, remember, browser_token,
                      policy, client_address, user_agent);
}

Result<VerifiedSession> Verification::confirm_one_time(std::optional<Id> link_id,
                                                       const std::string& email,
                                                       const std::string& token, bool remember,
                                                       const std::string& browser_token,
                                                       const std::string& client_address,
                                                       const std::string& user_agent) {
  if (!link_id) {
    return confirm_sign_in(email, token, remember, browser_token, client_address, user_agent);
  }
  auto link = sharing_.find_link(*link_id);
  if (!link) {
    return fail(Errc::kNotFound, "this link no longer exists", "link_id");
  }
  Principal through;
  through.via = link.value();
  return confirm(through, email, token, remember, browser_token, client_address, user_agent);
}

Result<VerifiedSession> Verification::confirm_sign_in(const std::string& email,
                                                      const std::string& code, bool remember,
                                                      const std::string& browser_token,
                                                      const std::string& client_address,
                                                      const std::string& user_agent) {
  VST_TRY(address, util::normalize_email(email, "email"));
  VST_TRY(policy, authz_.org_policy());
  return confirm_code(std::nullopt, 0, Principal{}, address, code, remember, browser_token, policy,
                      client_address, user_agent);
}

Result<VerifiedSession> Verification::confirm_code(
    std::optional<Id> link_id, Id item_id, const Principal& through, const std::string& address,
    const std::string& code, bool remember, const std::string& browser_token, const Policy& policy,
    const std::string& client_address, const std::string& user_agent) {
  const TimePoint now = clock_.now();
  const std::string browser_hash = browser_hash_of(browser_token);
  const Id event_link = link_id.value_or(0);
  VST_TRY(live, repository_.live_code(link_id, address, browser_hash, now));
  if (!live) {
    // Announced here, so that the pretend try's write holds the entry as a recipient's wrong
    // try's does below (a burned pretend code writes nothing, and the entry is dropped).
    const auto audited =
        events_.before_change({"verification.failed", through, item_id, event_link, address});
    return phantom_try(link_id, address, browser_hash, code, policy, now);
  }
  if (live->tries >= policy.code_max_tries) {
    return fail(Errc::kTooManyRequests, "too many wrong tries for this code; request a new code");
  }
  const std::string expected = live->code_hmac;
  const std::string given = code_hmac(link_id, address, browser_hash, code);
  if (!util::secure_equal(expected, given)) {
    // The entry is written in the try's own transaction, as for an address that got no code
    // (phantom_try()): one commit either way.
    const auto audited =
        events_.before_change({"verification.failed", through, item_id, event_link, address});
    VST_TRYV(repository_.record_wrong_try(live->id, live->external_id));
    return fail(wrong_code());
  }
  VST_TRY(consumed, repository_.consume(live->id, policy.code_max_tries, now));
  if (!consumed) {
    return fail(wrong_code());
  }
  forget_request(link_id, address, browser_hash);
  VST_TRY(identity, sharing_.find_identity(live->external_id));
  IdentityState state = identity.state;
  if (state == IdentityState::kPending || state == IdentityState::kVerified) {
    state = policy.promote_verified_to_guest ? IdentityState::kGuest : IdentityState::kVerified;
  }
  VST_TRYV(repository_.mark_verified(live->external_id, state, now));

  VerifiedSession out;
  out.token = util::random_token(32);
  ExternalSession& session = out.session;
  session.token_hash = util::sha256_hex(out.token);
  session.external_id = live->external_id;
  session.address = identity.address;  // an alias's code signs in its identity
  session.state = state;
  session.created_at = now;
  session.proved_at = now;
  const auto remember_for = std::min(policy.remember_device_for, policy.reverify_after);
  session.remembered = remember && remember_for.count() > 0;
  if (session.remembered) {
    session.expires_at = now + remember_for;
    out.max_age = remember_for;
  } else {
    session.expires_at = now + options_.unremembered_session_lifetime;
  }
  session.client_address = client_address;
  session.user_agent = util::displayable_text(user_agent, 512);
  VST_TRYV(repository_.create_session(session));
  events_.record({"verification.verified", through, item_id, event_link, address});
  return out;
}

Result<Principal> Verification::authenticate(const std::string& session_token) {
  VST_TRY(who, identify(session_token));
  if (who.identity_state == IdentityState::kBlocked) {
    return fail(Errc::kUnauthenticated, "the verified session has ended");
  }
  if (who.identity_state == IdentityState::kGuest) {
    // guest_expiry is checked on every request, so a guest past it is out at once, before the
    // sweep deletes the record.
    VST_TRY(policy, authz_.org_policy());
    if (guest_expired(who_identity(who), policy, clock_.now())) {
      return fail(Errc::kUnauthenticated,
                  "your guest access has expired; ask the person who shared with you to share "
                  "again");
    }
  }
  return std::move(who);
}

Result<Principal> Verification::identify(const std::string& session_token) {
  if (session_token.empty() || session_token.size() > 128) {
    return fail(Errc::kUnauthenticated, "no verified session");
  }
  auto found = repository_.find_session(util::sha256_hex(session_token));
  if (!found) {
    return fail(Errc::kUnauthenticated, "no verified session");
  }
  ExternalSession& s = found.value();
  if (util::has_come(s.expires_at, clock_.now())) {
    return fail(Errc::kUnauthenticated, "the verified session has ended");
  }
  Principal p;
  p.kind = PrincipalKind::kExternal;
  p.external_id = s.external_id;
  p.email = s.address;
  p.name = std::move(s.address);
  p.proved_at = s.proved_at;
  p.remembered = s.remembered;
  p.identity_state = s.state;
  p.last_verified_at = s.last_verified_at;
  p.guest_since = s.guest_since;
  p.session_id = s.id;
  // "Last used" for the session listings, to the minute: writing on every request would
  // serialize readers on the database.
  const auto now = clock_.now();
  if (!s.last_seen_at || now - *s.last_seen_at > std::chrono::minutes(1)) {
    std::ignore = repository_.touch_session(s.id, now);  // a missed touch only ages "last used"
  } else {
    util::TimeHorizon::note(*s.last_seen_at + std::chrono::minutes(1));  // touched again then
  }
  return p;
}

Result<void> Verification::sign_out(const std::string& session_token) {
  return repository_.remove_session(util::sha256_hex(session_token));
}

}  // namespace vestibule::domain
