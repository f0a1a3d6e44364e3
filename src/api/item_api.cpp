// /api/v1/items: metadata, children, folders, uploads, content, viewing, versions (and restoring
// one), rename and move, trash, restore and purge. Reading, listing, new folders and uploads also
// serve guests signed in with a code (their team spaces); the rest is for members.
#include "api/content.hpp"
#include "api/routes.hpp"

#include <charconv>

namespace vestibule::api {

namespace {

// Items as a member's listing shows them: each with `shared`, whether the item itself has an
// active link or a direct grant (one query for the whole list).
Result<nlohmann::json> listed_items(Services& s, const std::vector<domain::Item>& items) {
  VST_TRY(shared, s.sharing.shared_among(items));
  auto list = nlohmann::json::array();
  for (const auto& item : items) {
    auto j = to_json(item);
    j["shared"] = shared.contains(item.id);
    list.push_back(std::move(j));
  }
  return list;
}

// Receives an upload's body and commits it when the last byte has arrived.
class UploadSink final : public http::BodySink {
 public:
  explicit UploadSink(std::unique_ptr<domain::Upload> upload) : upload_(std::move(upload)) {}
  Result<void> write(std::string_view chunk) override { return upload_->write(chunk); }
  http::Response finish() override {
    auto committed = upload_->commit();
    if (!committed) {
      return to_response(committed.error());
    }
    return private_json(committed.value().created ? 201 : 200, to_json(committed.value().item));
  }

 private:
  std::unique_ptr<domain::Upload> upload_;
};

}  // namespace

void add_item_routes(http::Router& router, Services& s) {
  using domain::Authenticated;
  using Reply = Result<http::Response>;

  router.get(
      "/api/v1/items/{id}",
      member_or_guest_route(s, [&s](http::Request& req, const domain::Principal& who) -> Reply {
        VST_TRY(id, id_param(req, 0, "item"));
        VST_TRY(item, s.files.get(who, id));
        VST_TRY(listed, listed_items(s, {item}));
        return private_json(200, listed.at(0));
      }));

  router.get(
      "/api/v1/items/{id}/children",
      member_or_guest_route(s, [&s](http::Request& req, const domain::Principal& who) -> Reply {
        VST_TRY(id, id_param(req, 0, "item"));
        VST_TRY(items, s.files.children(who, id));
        VST_TRY(listed, listed_items(s, items));
        return private_json(200, {{"items", listed}});
      }));

  router.post("/api/v1/items/{id}/children",
              member_or_guest_route(
                  s,
                  [&s](http::Request& req, const domain::Principal& who) -> Reply {
                    VST_TRY(id, id_param(req, 0, "item"));
                    VST_TRY(body, parse_object(req));
                    VST_TRY(name, required_string(body, "name"));
                    VST_TRY(kind, optional_string(body, "kind"));
                    if (kind.value_or("folder") != "folder") {
                      return fail(Errc::kInvalidArgument,
                                  "only folders are created here (\"kind\": \"folder\"); upload "
                                  "files with PUT /api/v1/items/{id}/files/{name}",
                                  "kind");
                    }
                    VST_TRY(folder, s.files.create_folder(who, id, name));
                    return private_json(201, to_json(folder));
                  }),
              s.options.max_json_body);

  router.put_stream(
      "/api/v1/items/{id}/files/{name}",
      [&s](http::Request& req) -> std::variant<http::Response, std::unique_ptr<http::BodySink>> {
        auto who = member_or_guest(s, req);
        if (!who) {
          return to_response(who.error());
        }
        auto id = id_param(req, 0, "folder");
        if (!id) {
          return to_response(id.error());
        }
        auto upload =
            s.files.begin_upload(who.value(), id.value(), req.params[1], declared_body_size(req));
        if (!upload) {
          return to_response(upload.error());
        }
        return std::make_unique<UploadSink>(std::move(upload).value());
      },
      s.options.max_upload_bytes);

  router.get(
      "/api/v1/items/{id}/content",
      member_or_guest_route(s, [&s](http::Request& req, const domain::Principal& who) -> Reply {
        VST_TRY(id, id_param(req, 0, "item"));
        VST_TRY(content, s.files.open_content(who, id));
        return content_response(req, content);
      }));

  // Viewing in the browser: an allow-listed type inline, authorized as reading (not
  // downloading) the item.
  router.get(
      "/api/v1/items/{id}/view",
      member_or_guest_route(s, [&s](http::Request& req, const domain::Principal& who) -> Reply {
        VST_TRY(id, id_param(req, 0, "item"));
        VST_TRY(content, s.files.open_for_view(who, id));
        return view_response(req, content);
      }));

  router.get("/api/v1/items/{id}/versions",
             signed_in(s, [&s](http::Request& req, const Authenticated& who) -> Reply {
               VST_TRY(id, id_param(req, 0, "item"));
               VST_TRY(versions, s.files.versions(principal_of(who), id));
               auto list = nlohmann::json::array();
               for (const auto& v : versions) {
                 list.push_back(to_json(v));
               }
               return private_json(200, {{"versions", list}});
             }));

  router.get("/api/v1/items/{id}/versions/{version}/content",
             signed_in(s, [&s](http::Request& req, const Authenticated& who) -> Reply {
               VST_TRY(id, id_param(req, 0, "item"));
               VST_TRY(version, id_param(req, 1, "version"));
               VST_TRY(content, s.files.open_content(principal_of(who), id, version));
               return content_response(req, content);
             }));

  router.post("/api/v1/items/{id}/versions/{version}/restore",
              signed_in(s,
                        [&s](http::Request& req, const Authenticated& who) -> Reply {
                          VST_TRY(id, id_param(req, 0, "item"));
                          VST_TRY(version, id_param(req, 1, "version"));
                          VST_TRY(item, s.files.restore_version(principal_of(who), id, version));
                          return private_json(200, to_json(item));
                        }),
              s.options.max_json_body);

  router.patch("/api/v1/items/{id}",
               signed_in(s,
                         [&s](http::Request& req, const Authenticated& who) -> Reply {
                           VST_TRY(id, id_param(req, 0, "item"));
                           VST_TRY(body, parse_object(req));
                           VST_TRY(name, optional_string(body, "name"));
                           VST_TRY(parent_id, optional_id(body, "parent_id"));
                           if (!name && !parent_id) {
                             return fail(
                                 Errc::kInvalidArgument,
                                 "send \"name\" to rename or \"parent_id\" to move, or both");
                           }
                           VST_TRY(item, s.files.update(principal_of(who), id, name, parent_id));
                           return private_json(200, to_json(item));
                         }),
               s.options.max_json_body);

  router.del("/api/v1/items/{id}",
             signed_in(s, [&s](http::Request& req, const Authenticated& who) -> Reply {
               VST_TRY(id, id_param(req, 0, "item"));
               const auto audited = s.audit.before_change(
                   audit_entry("item.trashed", principal_of(who), "item:" + std::to_string(id)));
               VST_TRYV(s.files.trash(principal_of(who), id));
               return http::Response::empty(204);
             }));

  router.post("/api/v1/items/{id}/restore",
              signed_in(s,
                        [&s](http::Request& req, const Authenticated& who) -> Reply {
                          VST_TRY(id, id_param(req, 0, "item"));
                          std::optional<std::string> name;
                          if (!req.body.empty()) {
                            VST_TRY(body, parse_object(req));
                            VST_TRY(given, optional_string(body, "name"));
                            name = std::move(given);
                          }
                          const auto audited = s.audit.before_change(audit_entry(
                              "item.restored", principal_of(who), "item:" + std::to_string(id)));
                          VST_TRY(item, s.files.restore(principal_of(who), id, name));
                          return private_json(200, to_json(item));
                        }),
              s.options.max_json_body);

  router.del("/api/v1/trash/{id}",
             signed_in(s, [&s](http::Request& req, const Authenticated& who) -> Reply {
               VST_TRY(id, id_param(req, 0, "item"));
               const auto audited = s.audit.before_change(
                   audit_entry("item.purged", principal_of(who), "item:" + std::to_string(id)));
               VST_TRYV(s.files.purge(principal_of(who), id));
               return http::Response::empty(204);
             }));
}

}  // namespace vestibule::api
