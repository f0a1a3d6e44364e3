// The recipient's side of a link (/api/v1/shares/{token}/…): what the link is and what it needs,
// the anyone-link password, and the shared item's content, children and uploads. Every call is
// authorized for the caller *through the link*, so only the shared item and what is under it can
// be reached; any other item id is a 404 with the same body as an id that does not exist.
#include "api/content.hpp"
#include "api/routes.hpp"
#include "util/crypto.hpp"
#include "util/duration.hpp"
#include "util/email.hpp"
#include "util/rfc3339.hpp"

namespace vestibule::api {

namespace {

using Json = nlohmann::json;
using Reply = Result<http::Response>;

bool changes_state(http::bhttp::verb method) {
  return method != http::bhttp::verb::get && method != http::bhttp::verb::head;
}

Result<domain::Principal> through(Services& s, const http::Request& req) {
  if (changes_state(req.method)) {
    VST_TRYV(check_same_origin(s, req));
  }
  std::optional<std::string> proof;
  if (auto value = cookie_value_of(req, link_cookie_name(s.options)); !value.empty()) {
    proof = std::move(value);
  }
  return s.sharing.through_link(caller(s, req), req.params.at(0), proof);
}

// Share pages carry the token in their URL: keep it out of Referer headers.
http::Response finish(Reply reply) {
  http::Response out = reply ? std::move(reply).value() : to_response(reply.error());
  out.set("Referrer-Policy", "no-referrer");
  return out;
}

// f(Request&, const Principal&) -> Reply, for a caller reaching the item through the link.
template <class F>
http::Handler shared(Services& s, F f) {
  return [&s, f = std::move(f)](http::Request& req) -> http::Response {
    auto who = through(s, req);
    if (!who) {
      return finish(fail(who.error()));
    }
    return finish(f(req, who.value()));
  };
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
  SharedUploadSink(std::unique_ptr<domain::Upload> upload, domain::Principal who)
      : upload_(std::move(upload)), who_(std::move(who)) {}
  Result<void> write(std::string_view chunk) override { return upload_->write(chunk); }
  http::Response finish() override {
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
};

// "ada@example.org" -> "a**@example.org": enough to recognize, not to read it off a screen.
std::string mask_address(const std::string& typed) {
  auto address = util::normalize_email(typed, "email");
  const std::string a = address ? address.value() : typed;
  const auto at = a.rfind('@');
  if (at == std::string::npos || at == 0) {
    return "***";
  }
  return a.substr(0, 1) + std::string(std::min<std::size_t>(at - 1, 8), '*') + a.substr(at);
}

}  // namespace

void add_share_routes(http::Router& router, Services& s) {
  using domain::Principal;

  router.get("/api/v1/shares/{token}",
             shared(s, [&s](http::Request&, const Principal& who) -> Reply {
               VST_TRY(summary, s.sharing.summary(who));
               Json item = {{"id", summary.item.id},
                            {"name", summary.item.name},
                            {"kind", to_string(summary.item.kind)},
                            {"size", summary.item.size}};
               Json out = {{"item", item},
                           {"shared_by", {{"display_name", summary.shared_by}}},
                           {"kind", to_string(summary.link.kind)},
                           {"role", to_string(summary.link.role)},
                           {"block_download", summary.link.block_download},
                           {"message", summary.link.message},
                           {"needs", summary.needs}};
               if (summary.needs == "none") {
                 out["item"] = shared_item_json(summary.item, who);
               } else if (who.kind != domain::PrincipalKind::kAnonymous) {
                 // No dead end: say who this browser is, so the page can offer to continue with
                 // a code for the invited address or to sign out.
                 out["signed_in_as"] = {
                     {"kind", who.kind == domain::PrincipalKind::kExternal ? "external" : "member"},
                     {"email", who.email}};
               }
               return private_json(200, out);
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
        return finish(std::move(reply));
      },
      s.options.max_json_body);

  router.post(
      "/api/v1/shares/{token}/verification",
      shared(s,
             [&s](http::Request& req, const Principal& who) -> Reply {
               VST_TRY(body, parse_object(req));
               VST_TRY(email, required_string(body, "email"));
               std::string browser = cookie_value_of(req, browser_cookie_name(s.options));
               const bool new_browser = browser.size() != 43;
               if (new_browser) {
                 browser = util::random_token(32);
               }
               VST_TRYV(s.verification.request(who, email, browser, req.client_address));
               VST_TRY(policy, s.authz.org_policy());
               // The same answer whether or not the address was invited.
               auto response = private_json(
                   202, {{"status", "accepted"},
                         {"message", "if this address was invited, a code is on its way to it"},
                         {"sent_to", mask_address(email)},
                         {"code_lifetime", util::format_duration(policy.code_lifetime)}});
               if (new_browser) {
                 response.set("Set-Cookie",
                              cookie_header(s.options, browser_cookie_name(s.options), browser,
                                            "/api/v1/shares", std::chrono::seconds{365 * 86400}));
               }
               return response;
             }),
      s.options.max_json_body);

  router.post(
      "/api/v1/shares/{token}/verification/confirm",
      shared(s,
             [&s](http::Request& req, const Principal& who) -> Reply {
               VST_TRY(body, parse_object(req));
               VST_TRY(email, required_string(body, "email"));
               VST_TRY(code, required_string(body, "code"));
               VST_TRY(remember, optional_bool(body, "remember"));
               const std::string browser = cookie_value_of(req, browser_cookie_name(s.options));
               VST_TRY(verified, s.verification.confirm(who, email, code, remember.value_or(false),
                                                        browser, req.client_address,
                                                        std::string(req.header("User-Agent"))));
               // A new session id at every verification; the one the browser had is ended.
               if (const auto old = cookie_value_of(req, recipient_cookie_name(s.options));
                   !old.empty()) {
                 std::ignore = s.verification.sign_out(old);  // gone already is fine
               }
               auto response = private_json(200, {{"needs", "none"},
                                                  {"email", verified.session.address},
                                                  {"remembered", verified.session.remembered}});
               response.set("Set-Cookie", cookie_header(s.options, recipient_cookie_name(s.options),
                                                        verified.token, "/", verified.max_age));
               return response;
             }),
      s.options.max_json_body);

  router.post("/api/v1/shares/{token}/access-requests",
              shared(s,
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

  router.get("/api/v1/shares/{token}/content",
             shared(s, [&s](http::Request& req, const Principal& who) -> Reply {
               VST_TRY(content, s.files.open_content(who, who.via->item_id));
               s.sharing.record_use(who, content.access);
               return content_response(req, std::move(content));
             }));

  router.get("/api/v1/shares/{token}/items/{id}",
             shared(s, [&s](http::Request& req, const Principal& who) -> Reply {
               VST_TRY(id, id_param(req, 1, "item"));
               VST_TRY(item, s.files.get(who, id));
               return private_json(200, shared_item_json(item, who));
             }));

  router.get("/api/v1/shares/{token}/items/{id}/children",
             shared(s, [&s](http::Request& req, const Principal& who) -> Reply {
               VST_TRY(id, id_param(req, 1, "item"));
               VST_TRY(items, s.files.children(who, id));
               auto list = Json::array();
               for (const auto& item : items) {
                 list.push_back(shared_item_json(item, who));
               }
               return private_json(200, {{"items", list}});
             }));

  router.get("/api/v1/shares/{token}/items/{id}/content",
             shared(s, [&s](http::Request& req, const Principal& who) -> Reply {
               VST_TRY(id, id_param(req, 1, "item"));
               VST_TRY(content, s.files.open_content(who, id));
               s.sharing.record_use(who, content.access);
               return content_response(req, std::move(content));
             }));

  router.post("/api/v1/shares/{token}/items/{id}/children",
              shared(s,
                     [&s](http::Request& req, const Principal& who) -> Reply {
                       VST_TRY(id, id_param(req, 1, "item"));
                       VST_TRY(body, parse_object(req));
                       VST_TRY(name, required_string(body, "name"));
                       VST_TRY(kind, optional_string(body, "kind"));
                       if (kind.value_or("folder") != "folder") {
                         return fail(Errc::kInvalidArgument,
                                     R"(only folders are created here ("kind": "folder"))", "kind");
                       }
                       VST_TRY(folder, s.files.create_folder(who, id, name));
                       return private_json(201, shared_item_json(folder, who));
                     }),
              s.options.max_json_body);

  router.patch("/api/v1/shares/{token}/items/{id}",
               shared(s,
                      [&s](http::Request& req, const Principal& who) -> Reply {
                        VST_TRY(id, id_param(req, 1, "item"));
                        VST_TRY(body, parse_object(req));
                        VST_TRY(name, optional_string(body, "name"));
                        VST_TRY(parent_id, optional_id(body, "parent_id"));
                        if (!name && !parent_id) {
                          return fail(Errc::kInvalidArgument,
                                      R"(send "name" to rename or "parent_id" to move)");
                        }
                        VST_TRY(item, s.files.update(who, id, name, parent_id));
                        return private_json(200, shared_item_json(item, who));
                      }),
               s.options.max_json_body);

  router.del("/api/v1/shares/{token}/items/{id}",
             shared(s, [&s](http::Request& req, const Principal& who) -> Reply {
               VST_TRY(id, id_param(req, 1, "item"));
               VST_TRYV(s.files.trash(who, id));
               return http::Response::empty(204);
             }));

  router.put_stream(
      "/api/v1/shares/{token}/items/{id}/files/{name}",
      [&s](http::Request& req) -> std::variant<http::Response, std::unique_ptr<http::BodySink>> {
        auto who = through(s, req);
        if (!who) {
          return finish(fail(who.error()));
        }
        auto id = id_param(req, 1, "folder");
        if (!id) {
          return finish(fail(id.error()));
        }
        auto upload = s.files.begin_upload(who.value(), id.value(), req.params.at(2));
        if (!upload) {
          return finish(fail(upload.error()));
        }
        return std::make_unique<SharedUploadSink>(std::move(upload).value(),
                                                  std::move(who).value());
      },
      s.options.max_upload_bytes);
}

}  // namespace vestibule::api
