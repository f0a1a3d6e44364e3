// The recipient's side of a link (/api/v1/shares/{token}/…): what the link is and what it needs,
// the anyone-link password, the verification of an address, and the shared item's content, view,
// children and uploads. Every call is authorized for the caller *through the link*, so only the
// shared item and what is under it can be reached; any other item id is a 404 with the same body
// as an id that does not exist. The same routes without the token, for whoever a specific link
// was shared with (/api/v1/shared-with-me/{link_id}/…), and the list of what was shared with the
// caller (GET /api/v1/shared-with-me).
#include "api/content.hpp"
#include "api/routes.hpp"
#include "util/duration.hpp"
#include "util/rfc3339.hpp"
#include "util/time_horizon.hpp"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <unordered_map>

namespace vestibule::api {

namespace {

using Json = nlohmann::json;
using Reply = Result<http::Response>;

bool changes_state(http::bhttp::verb method) {
  return method != http::bhttp::verb::get && method != http::bhttp::verb::head;
}

// How a family of recipient routes finds its link from the first path parameter: by token, or
// by id for a recipient. Either way the result is the caller with the link as `via`, and the
// same kNotFound (body included) when there is no such link for them.
using LinkLookup = Result<domain::Principal> (*)(Services&, const http::Request&);

struct LinkRoutes {
  std::string prefix;  // the path up to and including the link's parameter
  LinkLookup through;
};

Result<domain::Principal> through_token(Services& s, const http::Request& req) {
  if (changes_state(req.method)) {
    VST_TRYV(check_same_origin(s, req));
  }
  std::optional<std::string> proof;
  if (auto value = cookie_value_of(req, link_cookie_name(s.options)); !value.empty()) {
    proof = std::move(value);
  }
  VST_TRY(who, caller(s, req));
  return s.sharing.through_link(std::move(who), req.params.at(0), proof);
}

Result<domain::Principal> through_link_id(Services& s, const http::Request& req) {
  if (changes_state(req.method)) {
    VST_TRYV(check_same_origin(s, req));
  }
  const std::string& text = req.params.at(0);
  domain::Id id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    id = 0;  // names no link: the same answer as any other link that is not the caller's
  }
  VST_TRY(who, caller(s, req));
  return s.sharing.through_link_id(std::move(who), id);
}

// Share pages carry the token in their URL: keep it out of Referer headers.
http::Response finish(Reply reply) {
  http::Response out = reply ? std::move(reply).value() : to_response(reply.error());
  out.set("Referrer-Policy", "no-referrer");
  return out;
}

// A dead link (410) says how it ended, so the page can say "expired on …" or "… stopped sharing
// this": {"state", "expired_at" (expired only), "shared_by": {"display_name"}}; never the item.
http::Response finish(Services& s, const domain::Principal& who, Reply reply) {
  if (reply || reply.error().code != Errc::kGone || !who.via) {
    return finish(std::move(reply));
  }
  auto ended = s.sharing.ended(*who.via);
  if (!ended) {
    return finish(std::move(reply));
  }
  Json link = {{"state", ended.value().state},
               {"shared_by", {{"display_name", ended.value().shared_by}}}};
  if (ended.value().expired_at) {
    link["expired_at"] = format_time(*ended.value().expired_at);
  }
  http::Response out = to_response(reply.error(), {{"link", link}});
  out.set("Referrer-Policy", "no-referrer");
  return out;
}

// f(Request&, const Principal&) -> Reply, for a caller reaching the item through the link.
// The caller as the share summary sees it: a browser whose recipient session belongs to a
// blocked address is not signed in for anything else, but its page says why.
domain::Principal viewer_of(Services& s, const http::Request& req, domain::Principal who) {
  if (who.kind != domain::PrincipalKind::kAnonymous) {
    return who;
  }
  const auto cookie = cookie_value_of(req, recipient_cookie_name(s.options));
  if (cookie.empty()) {
    return who;
  }
  auto identified = s.verification.identify(cookie);
  if (!identified || identified.value().identity_state != domain::IdentityState::kBlocked) {
    return who;
  }
  domain::Principal blocked = std::move(identified).value();
  blocked.via = std::move(who.via);
  blocked.link_password_proved = who.link_password_proved;
  return blocked;
}

// A refusal for want of a verified session, when the browser does hold one — of an address an
// admin blocked — says the truth: no code will open this for that address. Only a browser that
// proved the address learns it; everyone else gets the answer any stranger gets.
Reply tell_blocked(Services& s, const http::Request& req, const domain::Principal& who,
                   Reply reply) {
  if (reply || reply.error().code != Errc::kUnauthenticated) {
    return reply;
  }
  const domain::Principal viewer = viewer_of(s, req, who);
  if (viewer.identity_state != domain::IdentityState::kBlocked) {
    return reply;
  }
  return fail(Errc::kForbidden,
              "Access for " + viewer.email +
                  " has been turned off by the organization, so this link no longer opens for "
                  "it and no code will be sent to it. To ask why, contact the organization or "
                  "the person who shared it with you.");
}

template <class F>
http::Handler shared(Services& s, LinkLookup through, F f) {
  return [&s, through, f = std::move(f)](http::Request& req) -> http::Response {
    auto who = through(s, req);
    if (!who) {
      return finish(fail(who.error()));
    }
    return finish(s, who.value(), tell_blocked(s, req, who.value(), f(req, who.value())));
  };
}

Json optional_time(const std::optional<util::TimePoint>& t) {
  return t ? Json(format_time(*t)) : Json(nullptr);
}

// An item as seen through a link: the shared item is the top, so its parent is not shown.
Json shared_item_json(const domain::Item& item, const domain::Principal& who) {
  Json j = to_json(item);
  j.erase("space_id");
  if (who.via && item.id == who.via->item_id) {
    j["parent_id"] = nullptr;
  }
  return j;
}

class SharedUploadSink final : public http::BodySink {
 public:
  SharedUploadSink(std::unique_ptr<domain::Upload> upload, domain::Principal who,
                   domain::AuditLog& audit, domain::Id folder, std::string name)
      : upload_(std::move(upload)),
        who_(std::move(who)),
        audit_(audit),
        folder_(folder),
        name_(std::move(name)) {}
  Result<void> write(std::string_view chunk) override { return upload_->write(chunk); }
  http::Response finish() override {
    auto uploaded = audit_entry("share.uploaded", who_, "item:" + std::to_string(folder_));
    uploaded.details = {{"folder", folder_}, {"name", name_}};
    if (who_.via) {
      uploaded.details["link"] = who_.via->id;
    }
    const auto audited = audit_.before_change(std::move(uploaded));
    auto committed = upload_->commit();
    if (!committed) {
      return api::finish(fail(committed.error()));
    }
    return api::finish(private_json(committed.value().created ? 201 : 200,
                                    shared_item_json(committed.value().item, who_)));
  }

 private:
  std::unique_ptr<domain::Upload> upload_;
  domain::Principal who_;
  domain::AuditLog& audit_;
  domain::Id folder_;
  std::string name_;
};

// The memory behind entries recorded "once per ...": a key is new the first time it is seen in
// its epoch. Bounded: past `capacity` keys it forgets everything, so an entry may repeat then.
template <class Key, class Hash = std::hash<Key>>
class SeenLedger {
 public:
  explicit SeenLedger(std::size_t capacity) : capacity_(capacity) {}

  bool first(Key key, std::int64_t epoch) {
    const std::lock_guard lock(mutex_);
    if (seen_.size() > capacity_) {
      seen_.clear();
    }
    auto [it, inserted] = seen_.try_emplace(std::move(key), epoch);
    if (!inserted && it->second == epoch) {
      return false;
    }
    it->second = epoch;
    return true;
  }

 private:
  std::size_t capacity_;
  std::mutex mutex_;
  std::unordered_map<Key, std::int64_t, Hash> seen_;
};

// Who read which item through which link: every download checks it, so it is made of the ids
// themselves, with nothing to allocate.
struct ReadKey {
  int kind = 0;
  domain::Id user = 0;
  domain::Id external = 0;
  domain::Id link = 0;
  domain::Id item = 0;
  bool operator==(const ReadKey&) const = default;
};

struct ReadKeyHash {
  std::size_t operator()(const ReadKey& key) const noexcept {
    std::size_t h = std::hash<int>{}(key.kind);
    for (const domain::Id id : {key.user, key.external, key.link, key.item}) {
      h = h * 1'000'003U ^ std::hash<domain::Id>{}(id);
    }
    return h;
  }
};

// Downloads and views are recorded once per person, item and minute: a player fetching ranges
// of one video, or a client re-reading a file in a loop, is one entry, not thousands.
void audit_read(Services& s, const domain::Principal& who, domain::Id item, const char* event) {
  static SeenLedger<ReadKey, ReadKeyHash> ledger(50'000);
  const ReadKey key{static_cast<int>(who.kind), who.user_id, who.external_id,
                    who.via ? who.via->id : 0, item};
  if (!ledger.first(key, util::to_unix(s.clock.now()) / 60)) {
    return;
  }
  auto entry = audit_entry(event, who, "item:" + std::to_string(item));
  entry.details = {{"item", item}};
  if (who.via) {
    entry.details["link"] = who.via->id;
    entry.target = "link:" + std::to_string(who.via->id);
  }
  s.audit.record(std::move(entry));
}

// A browser fetching the shared file again — a player, a sync client, a reload — with the same
// credentials gets the decision made the first time, while it is still the decision: nothing
// stored has changed since (the state stamp, read before deciding), and no time the decision
// compared the clock with has come (util::TimeHorizon: the session's end, the link's expiry,
// a recipient's expiry, the end of the reverification period, a guest's expiry). Only small
// files held in memory are kept. The use and the audit ledger are recorded on every request,
// as without it. Requests with a member's session, an API token or an anyone link's password
// proof are decided every time: their checks (sliding sessions, the proof's expiry in a query)
// note no horizon.
struct FetchKeyView {
  const Services* services = nullptr;
  LinkLookup through = nullptr;
  bool view = false;
  std::string_view link;       // the token or the link id, as in the path
  std::string_view recipient;  // the recipient cookie's value, or ""
};

struct FetchKey {
  const Services* services = nullptr;
  LinkLookup through = nullptr;
  bool view = false;
  std::string link;
  std::string recipient;
  explicit FetchKey(const FetchKeyView& v)
      : services(v.services),
        through(v.through),
        view(v.view),
        link(v.link),
        recipient(v.recipient) {}
  [[nodiscard]] FetchKeyView as_view() const { return {services, through, view, link, recipient}; }
};

struct FetchKeyHash {
  using is_transparent = void;
  std::size_t operator()(const FetchKeyView& k) const noexcept {
    std::size_t h = std::hash<std::string_view>{}(k.link);
    h = h * 1'000'003U ^ std::hash<std::string_view>{}(k.recipient);
    h = h * 1'000'003U ^ std::hash<const void*>{}(k.services);
    h = h * 1'000'003U ^ std::hash<const void*>{}(reinterpret_cast<const void*>(k.through));
    return h * 2U + (k.view ? 1U : 0U);
  }
  std::size_t operator()(const FetchKey& k) const noexcept { return (*this)(k.as_view()); }
};

struct FetchKeyEqual {
  using is_transparent = void;
  static bool same(const FetchKeyView& a, const FetchKeyView& b) {
    return a.services == b.services && a.through == b.through && a.view == b.view &&
           a.link == b.link && a.recipient == b.recipient;
  }
  bool operator()(const FetchKey& a, const FetchKey& b) const {
    return same(a.as_view(), b.as_view());
  }
  bool operator()(const FetchKeyView& a, const FetchKey& b) const { return same(a, b.as_view()); }
  bool operator()(const FetchKey& a, const FetchKeyView& b) const { return same(a.as_view(), b); }
};

struct Fetch {
  util::TimePoint decided_at;
  std::optional<util::TimePoint> until;  // the horizon: not answered from here from then on
  domain::Principal who;
  domain::FileContent content;
};

class FetchMemo {
 public:
  // The credentials of `req` as the memo keys them, or nullopt when the request is decided every
  // time (see above).
  static std::optional<FetchKeyView> key(const Services& s, const http::Request& req,
                                         LinkLookup through, bool view) {
    if (!s.state_stamp || !req.header("Authorization").empty()) {
      return std::nullopt;
    }
    const auto cookies = req.header("Cookie");
    if (!cookie_view(cookies, session_cookie_name(s.options)).empty() ||
        !cookie_view(cookies, link_cookie_name(s.options)).empty()) {
      return std::nullopt;
    }
    return FetchKeyView{&s, through, view, req.params.at(0),
                        cookie_view(cookies, recipient_cookie_name(s.options))};
  }

  // Reads the state stamp for this request (before anything is decided from stored state); a
  // stamp unlike the last one forgets every decision kept.
  std::optional<util::StateStamp> stamp(const Services& s) {
    auto now = s.state_stamp();
    if (now && (!stamp_ || *stamp_ != *now)) {
      forget();
      stamp_ = now;
    }
    return now;
  }

  // The decision kept for `key` when it still holds at `now`, under the stamp just read.
  const Fetch* find(const FetchKeyView& key, util::TimePoint now) {
    const auto it = entries_.find(key);
    if (it == entries_.end()) {
      return nullptr;
    }
    const Fetch& kept = it->second;
    if (now < kept.decided_at || (kept.until && now >= *kept.until)) {
      bytes_ -= kept.content.size;
      entries_.erase(it);
      return nullptr;
    }
    return &kept;
  }

  const Fetch& keep(const FetchKeyView& key, Fetch fetch) {
    if (entries_.size() >= kEntries || bytes_ + fetch.content.size > kBytes) {
      forget();
    }
    // Called after find() missed, so nothing is kept for `key` now.
    bytes_ += fetch.content.size;
    return entries_.insert_or_assign(FetchKey(key), std::move(fetch)).first->second;
  }

 private:
  void forget() {
    entries_.clear();
    bytes_ = 0;
  }

  // Bound the memory of a thread serving many different browsers between two writes (the
  // files' bytes are counted as if no two entries shared them).
  static constexpr std::size_t kEntries = 1024;
  static constexpr std::int64_t kBytes = std::int64_t{4} << 20;
  std::int64_t bytes_ = 0;
  std::optional<util::StateStamp> stamp_;
  std::unordered_map<FetchKey, Fetch, FetchKeyHash, FetchKeyEqual> entries_;
};

// GET …/content (or …/view) of the shared item itself, through `through`.
http::Handler fetch_shared_item(Services& s, LinkLookup through, bool view) {
  return [&s, through, view](http::Request& req) -> http::Response {
    const auto respond = [&](const domain::Principal& who, const domain::FileContent& content) {
      s.sharing.record_use(who, content.access);
      audit_read(s, who, who.via->item_id, view ? "item.viewed" : "item.downloaded");
      return finish(view ? view_response(req, content) : content_response(req, content));
    };
    thread_local FetchMemo memo;
    const auto key = FetchMemo::key(s, req, through, view);
    const auto stamp = key ? memo.stamp(s) : std::nullopt;
    if (stamp) {
      if (const Fetch* kept = memo.find(*key, s.clock.now())) {
        return respond(kept->who, kept->content);
      }
    }
    const util::TimeHorizon horizon;
    const auto decided_at = s.clock.now();
    auto who = through(s, req);
    if (!who) {
      return finish(fail(who.error()));
    }
    auto content = view ? s.files.open_for_view(who.value(), who.value().via->item_id)
                        : s.files.open_content(who.value(), who.value().via->item_id);
    if (!content) {
      return finish(s, who.value(), tell_blocked(s, req, who.value(), fail(content.error())));
    }
    if (stamp && content.value().bytes && content.value().fd < 0) {
      const Fetch& kept =
          memo.keep(*key, Fetch{decided_at, horizon.earliest(), std::move(who).value(),
                                std::move(content).value()});
      return respond(kept.who, kept.content);
    }
    return respond(who.value(), content.value());
  };
}

// A share's first open in each session (or, without a session, from each client address) is
// recorded once. The memory is the server's own: after a restart an open may be recorded again.
void audit_open(Services& s, const domain::Principal& who, const std::string& client_address) {
  static SeenLedger<std::string> ledger(100'000);
  const domain::Id link = who.via ? who.via->id : 0;
  std::string key =
      std::to_string(link) +
      (who.session_id != 0 ? ":s" + std::to_string(who.session_id) : ":c" + client_address);
  if (!ledger.first(std::move(key), 0)) {
    return;
  }
  auto entry = audit_entry("link.opened", who, "link:" + std::to_string(link));
  entry.details = {{"link", link}};
  if (who.via) {
    entry.details["item"] = who.via->item_id;
  }
  s.audit.record(std::move(entry));
}

// An entry for a change made inside a share, announced before the change's write.
domain::AuditChange audit_share_change(Services& s, const domain::Principal& who, const char* event,
                                       domain::Id item,
                                       nlohmann::json details = nlohmann::json::object()) {
  auto entry = audit_entry(event, who, "item:" + std::to_string(item));
  entry.details = std::move(details);
  entry.details["item"] = item;
  if (who.via) {
    entry.details["link"] = who.via->id;
  }
  return s.audit.before_change(std::move(entry));
}

Json summary_json(const domain::ShareSummary& summary, const domain::Principal& who) {
  Json item = {{"id", summary.item.id},
               {"name", summary.item.name},
               {"kind", to_string(summary.item.kind)},
               {"size", summary.item.size}};
  const domain::Policy& policy = summary.policy;
  Json out = {{"item", item},
              {"shared_by", {{"display_name", summary.shared_by}}},
              {"kind", to_string(summary.link.kind)},
              {"role", to_string(summary.link.role)},
              {"block_download", summary.link.block_download},
              {"message", summary.link.message},
              {"needs", summary.needs},
              {"expires_at", optional_time(summary.expires_at)},
              {"recipient_expires_at", optional_time(summary.recipient_expires_at)},
              {"organization",
               {{"name", policy.organization_name}, {"contact", policy.organization_contact}}}};
  if (summary.needs == "none") {
    out["item"] = shared_item_json(summary.item, who);
    return out;
  }
  if (summary.needs == "verification") {
    // What the code form says: the code's length and lifetime, and for how long "remember this
    // device" keeps the session (the cookie's real Max-Age; 0 when no device is remembered).
    const auto remember = policy.reverify_after.count() == 0
                              ? domain::Policy::Seconds{0}
                              : std::min(policy.remember_device_for, policy.reverify_after);
    out["verification"] = {
        {"code_length", policy.code_length},
        {"code_lifetime", util::format_duration(policy.code_lifetime)},
        {"code_lifetime_seconds", policy.code_lifetime.count()},
        {"remember_device_for", util::format_duration(policy.remember_device_for)},
        {"remember_device_seconds", remember.count()}};
  }
  if (who.kind != domain::PrincipalKind::kAnonymous) {
    // No dead end: say who this browser is and why that is not enough, so the page can offer to
    // confirm the address again, to continue with a code for another address, or to sign out.
    out["signed_in_as"] = {
        {"kind", who.kind == domain::PrincipalKind::kExternal ? "external" : "member"},
        {"email", who.email}};
    out["reason"] = summary.reason;
    if (summary.proved_at) {
      out["proved_at"] = format_time(*summary.proved_at);
    }
  }
  return out;
}

// The routes a recipient uses on a link, registered once per family (by token, by link id).
void add_link_routes(http::Router& router, Services& s, const LinkRoutes& family) {
  using domain::Principal;
  const std::string& prefix = family.prefix;
  const LinkLookup through = family.through;

  router.get(prefix, shared(s, through, [&s](http::Request& req, const Principal& who) -> Reply {
               const Principal viewer = viewer_of(s, req, who);
               VST_TRY(summary, s.sharing.summary(viewer));
               if (summary.needs == "none") {
                 audit_open(s, viewer, req.client_address);
               }
               return private_json(200, summary_json(summary, viewer));
             }));

  router.post(prefix + "/access-requests",
              shared(s, through,
                     [&s](http::Request& req, const Principal& who) -> Reply {
                       VST_TRY(body, parse_object(req));
                       VST_TRY(email, required_string(body, "email"));
                       VST_TRY(message, optional_string(body, "message"));
                       VST_TRYV(s.sharing.request_access(who, email, message.value_or("")));
                       return private_json(202, {{"status", "accepted"},
                                                 {"message",
                                                  "the owner was asked; you will get an email if "
                                                  "they share it with you"}});
                     }),
              s.options.max_json_body);

  router.get(prefix + "/content", fetch_shared_item(s, through, false));
  router.get(prefix + "/view", fetch_shared_item(s, through, true));

  router.get(prefix + "/items/{id}",
             shared(s, through, [&s](http::Request& req, const Principal& who) -> Reply {
               VST_TRY(id, id_param(req, 1, "item"));
               VST_TRY(item, s.files.get(who, id));
               return private_json(200, shared_item_json(item, who));
             }));

  router.get(prefix + "/items/{id}/children",
             shared(s, through, [&s](http::Request& req, const Principal& who) -> Reply {
               VST_TRY(id, id_param(req, 1, "item"));
               VST_TRY(items, s.files.children(who, id));
               auto list = Json::array();
               for (const auto& item : items) {
                 list.push_back(shared_item_json(item, who));
               }
               return private_json(200, {{"items", list}});
             }));

  router.get(prefix + "/items/{id}/content",
             shared(s, through, [&s](http::Request& req, const Principal& who) -> Reply {
               VST_TRY(id, id_param(req, 1, "item"));
               VST_TRY(content, s.files.open_content(who, id));
               s.sharing.record_use(who, content.access);
               audit_read(s, who, id, "item.downloaded");
               return content_response(req, content);
             }));

  router.get(prefix + "/items/{id}/view",
             shared(s, through, [&s](http::Request& req, const Principal& who) -> Reply {
               VST_TRY(id, id_param(req, 1, "item"));
               VST_TRY(content, s.files.open_for_view(who, id));
               s.sharing.record_use(who, content.access);
               audit_read(s, who, id, "item.viewed");
               return view_response(req, content);
             }));

  router.post(prefix + "/items/{id}/children",
              shared(s, through,
                     [&s](http::Request& req, const Principal& who) -> Reply {
                       VST_TRY(id, id_param(req, 1, "item"));
                       VST_TRY(body, parse_object(req));
                       VST_TRY(name, required_string(body, "name"));
                       VST_TRY(kind, optional_string(body, "kind"));
                       if (kind.value_or("folder") != "folder") {
                         return fail(Errc::kInvalidArgument,
                                     R"(only folders are created here ("kind": "folder"))", "kind");
                       }
                       const auto audited =
                           audit_share_change(s, who, "share.folder_created", id, {{"name", name}});
                       VST_TRY(folder, s.files.create_folder(who, id, name));
                       return private_json(201, shared_item_json(folder, who));
                     }),
              s.options.max_json_body);

  router.patch(prefix + "/items/{id}",
               shared(s, through,
                      [&s](http::Request& req, const Principal& who) -> Reply {
                        VST_TRY(id, id_param(req, 1, "item"));
                        VST_TRY(body, parse_object(req));
                        VST_TRY(name, optional_string(body, "name"));
                        VST_TRY(parent_id, optional_id(body, "parent_id"));
                        if (!name && !parent_id) {
                          return fail(Errc::kInvalidArgument,
                                      R"(send "name" to rename or "parent_id" to move)");
                        }
                        nlohmann::json details = nlohmann::json::object();
                        if (name) {
                          details["name"] = *name;
                        }
                        if (parent_id) {
                          details["parent"] = *parent_id;
                        }
                        const auto audited = audit_share_change(
                            s, who, parent_id ? "share.item_moved" : "share.item_renamed", id,
                            std::move(details));
                        VST_TRY(item, s.files.update(who, id, name, parent_id));
                        return private_json(200, shared_item_json(item, who));
                      }),
               s.options.max_json_body);

  router.del(prefix + "/items/{id}",
             shared(s, through, [&s](http::Request& req, const Principal& who) -> Reply {
               VST_TRY(id, id_param(req, 1, "item"));
               const auto audited = audit_share_change(s, who, "share.item_deleted", id);
               VST_TRYV(s.files.trash(who, id));
               return http::Response::empty(204);
             }));

  router.put_stream(
      prefix + "/items/{id}/files/{name}",
      [&s, through](
          http::Request& req) -> std::variant<http::Response, std::unique_ptr<http::BodySink>> {
        auto who = through(s, req);
        if (!who) {
          return finish(fail(who.error()));
        }
        auto id = id_param(req, 1, "folder");
        if (!id) {
          return finish(fail(id.error()));
        }
        auto upload = s.files.begin_upload(who.value(), id.value(), req.params.at(2),
                                           declared_body_size(req));
        if (!upload) {
          return finish(s, who.value(), tell_blocked(s, req, who.value(), fail(upload.error())));
        }
        return std::make_unique<SharedUploadSink>(std::move(upload).value(), std::move(who).value(),
                                                  s.audit, id.value(), req.params.at(2));
      },
      s.options.max_upload_bytes);
}

Json shared_with_me_json(const Services& s, const domain::SharedWithMe& entry) {
  const std::string url = entry.link_id
                              ? s.options.public_url + "/shared/" + std::to_string(*entry.link_id)
                              : s.options.public_url + "/files/" + std::to_string(entry.item.id);
  return {{"item",
           {{"id", entry.item.id},
            {"name", entry.item.name},
            {"kind", to_string(entry.item.kind)},
            {"size", entry.item.size},
            {"modified_at", format_time(entry.item.modified_at)}}},
          {"shared_by", {{"display_name", entry.shared_by}}},
          {"link_id", entry.link_id ? Json(*entry.link_id) : Json(nullptr)},
          {"url", url},
          {"role", to_string(entry.role)},
          {"expires_at", optional_time(entry.expires_at)},
          {"block_download", entry.block_download}};
}

}  // namespace

void add_share_routes(http::Router& router, Services& s) {
  using domain::Principal;

  add_link_routes(router, s, {"/api/v1/shares/{token}", &through_token});
  add_link_routes(router, s, {"/api/v1/shared-with-me/{link_id}", &through_link_id});

  router.get("/api/v1/shared-with-me", open_to_all([&s](http::Request& req) -> Reply {
               VST_TRY(who, caller(s, req));
               VST_TRY(entries, s.sharing.shared_with_me(who));
               auto list = Json::array();
               for (const auto& entry : entries) {
                 list.push_back(shared_with_me_json(s, entry));
               }
               return private_json(200, {{"items", list}});
             }));

  router.post(
      "/api/v1/shares/{token}/password",
      [&s](http::Request& req) -> http::Response {
        auto reply = [&]() -> Reply {
          VST_TRYV(check_same_origin(s, req));
          VST_TRY(body, parse_object(req));
          VST_TRY(password, required_string(body, "password"));
          const std::string& token = req.params.at(0);
          VST_TRY(proof, s.sharing.prove_password(token, password, req.client_address));
          auto response = private_json(200, {{"needs", "none"}});
          response.set("Set-Cookie", cookie_header(s.options, link_cookie_name(s.options), proof,
                                                   "/api/v1/shares/" + token));
          return response;
        }();
        if (!reply && reply.error().code == Errc::kGone) {
          if (auto link = s.sharing.find_by_token(req.params.at(0))) {
            Principal holder;
            holder.via = std::move(link).value();
            return finish(s, holder, std::move(reply));
          }
        }
        return finish(std::move(reply));
      },
      s.options.max_json_body);

  router.post("/api/v1/shares/{token}/verification",
              shared(s, &through_token,
                     [&s](http::Request& req, const Principal& who) -> Reply {
                       VST_TRY(body, parse_object(req));
                       VST_TRY(email, required_string(body, "email"));
                       const BrowserBinding browser = browser_binding(s, req);
                       VST_TRY(requested, s.verification.request(who, email, browser.token,
                                                                 req.client_address));
                       // The same answer whether or not the address was invited: nothing in it
                       // depends on the address but its mask.
                       return code_requested(
                           s.options, email, requested,
                           "if this address was invited, a code is on its way to it", browser);
                     }),
              s.options.max_json_body);

  router.post(
      "/api/v1/shares/{token}/verification/confirm",
      shared(s, &through_token,
             [&s](http::Request& req, const Principal& who) -> Reply {
               VST_TRY(body, parse_object(req));
               VST_TRY(email, required_string(body, "email"));
               VST_TRY(code, required_string(body, "code"));
               VST_TRY(remember, optional_bool(body, "remember"));
               const std::string browser = cookie_value_of(req, browser_cookie_name(s.options));
               VST_TRY(verified, s.verification.confirm(who, email, code, remember.value_or(false),
                                                        browser, req.client_address,
                                                        std::string(req.header("User-Agent"))));
               return recipient_signed_in(s, req, verified,
                                          {{"needs", "none"},
                                           {"email", verified.session.address},
                                           {"remembered", verified.session.remembered}});
             }),
      s.options.max_json_body);
}

}  // namespace vestibule::api
