#include "domain/audit_events.hpp"

namespace vestibule::domain {

void set_actor(AuditEntry& entry, const Principal& who) {
  switch (who.kind) {
    case PrincipalKind::kMember:
      // The command line acts as an admin without an account.
      entry.actor_kind = who.user_id != 0 ? "member" : "cli";
      entry.actor_id = who.user_id;
      break;
    case PrincipalKind::kGuest:
      entry.actor_kind = "guest";
      entry.actor_id = who.external_id != 0 ? who.external_id : who.user_id;
      break;
    case PrincipalKind::kExternal:
      entry.actor_kind = "external";
      entry.actor_id = who.external_id;
      break;
    case PrincipalKind::kAnonymous:
      entry.actor_kind = "anonymous";
      break;
  }
  entry.personal.actor_address = who.email;
}

namespace {

AuditEntry entry_of(const SharingEvent& event) {
  AuditEntry entry;
  entry.event = event.type;
  set_actor(entry, event.actor);
  entry.details = event.details.is_object() ? event.details : nlohmann::json::object();
  entry.new_link_token_hash = event.new_link_token_hash;
  if (event.type == "identity.expired") {
    entry.actor_kind = "system";  // the guests' sweep, acting for the policy
  }
  if (event.item_id != 0) {
    entry.details["item"] = event.item_id;
  }
  if (event.link_id != 0) {
    entry.details["link"] = event.link_id;
  }
  if (const auto user = entry.details.find("user");
      user != entry.details.end() && event.link_id == 0 && event.item_id == 0) {
    entry.target = "user:" + std::to_string(user->get<Id>());
  } else if (event.link_id != 0) {
    entry.target = "link:" + std::to_string(event.link_id);
  } else if (event.item_id != 0) {
    entry.target = "item:" + std::to_string(event.item_id);
  }
  // What `subject` holds depends on the event (see SharingEvent).
  if (event.type == "settings.changed" || event.type == "space_settings.changed") {
    entry.target = event.type == "settings.changed" ? "settings" : "space_settings";
    entry.details["keys"] = event.subject;
  } else if (event.type == "link.created") {
    entry.details["kind"] = event.subject;
  } else if (event.type == "link.password_failed") {
    entry.personal.client_ip = event.subject;
  } else if (!event.subject.empty()) {
    entry.personal.target_address = event.subject;
    if (entry.target.empty()) {
      entry.target = "address";
    }
  }
  return entry;
}

}  // namespace

void AuditedSharingEvents::record(const SharingEvent& event) {
  also_.record(event);
  log_.record(entry_of(event));
}

AuditChange AuditedSharingEvents::before_change(const SharingEvent& event) {
  also_.record(event);
  return log_.before_change(entry_of(event));
}

}  // namespace vestibule::domain
