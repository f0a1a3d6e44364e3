// Spaces: listing a member's spaces, team spaces created by admins, and their members. Personal
// spaces have exactly one owner and no other members. Thread-safe.
#pragma once

#include "domain/authz.hpp"
#include "domain/repositories.hpp"
#include "util/clock.hpp"

#include <string>
#include <vector>

namespace vestibule::domain {

class Spaces {
 public:
  Spaces(SpaceRepository& spaces, UserRepository& users, Authorizer& authz,
         const util::Clock& clock)
      : spaces_(spaces), users_(users), authz_(authz), clock_(clock) {}

  Result<std::vector<SpaceWithRole>> list(const Principal& who);
  // Admins only.
  Result<Space> create_team(const Principal& who, const std::string& name);
  Result<std::vector<SpaceMember>> members(const Principal& who, Id space_id);
  Result<SpaceMember> set_member(const Principal& who, Id space_id, Id user_id, SpaceRole role);
  Result<void> remove_member(const Principal& who, Id space_id, Id user_id);

 private:
  Result<Space> team_space_to_manage(const Principal& who, Id space_id);
  Result<void> keep_an_owner(Id space_id, Id user_id, std::optional<SpaceRole> new_role);

  SpaceRepository& spaces_;
  UserRepository& users_;
  Authorizer& authz_;
  const util::Clock& clock_;
};

}  // namespace vestibule::domain
