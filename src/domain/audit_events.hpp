// The sharing and verification events (domain/sharing.hpp) as audit entries: every event is
// logged as before and kept in the audit log; changes announced with before_change are written
// in the change's transaction.
#pragma once

#include "domain/audit.hpp"
#include "domain/sharing.hpp"

namespace vestibule::domain {

// The audit entry's actor fields for a principal.
void set_actor(AuditEntry& entry, const Principal& who);

class AuditedSharingEvents final : public SharingEvents {
 public:
  AuditedSharingEvents(AuditLog& log, SharingEvents& also) : log_(log), also_(also) {}
  void record(const SharingEvent& event) override;
  AuditChange before_change(const SharingEvent& event) override;

 private:
  AuditLog& log_;
  SharingEvents& also_;
};

}  // namespace vestibule::domain
