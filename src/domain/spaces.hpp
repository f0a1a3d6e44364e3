// Spaces: listing a member's (or a guest's) spaces, team spaces created by admins, and their
// members. Personal spaces have exactly one owner and no other members. Guests (external
// identities in state guest) can be put in team spaces as visitor or member, never owner.
// Thread-safe.
#pragma once

#include "domain/authz.hpp"
#include "domain/repositories.hpp"
#include "util/clock.hpp"

#include <string>
#include <vector>

namespace vestibule::domain {

class Spaces {
 public:
  Spaces(SpaceRepository& spaces, UserRepository& users, SharingRepository& sharing,
         Authorizer& authz, const util::Clock& clock)
      : spaces_(spaces), users_(users), sharing_(sharing), authz_(authz), clock_(clock) {}

  Result<std::vector<SpaceWithRole>> list(const Principal& who);
  // Admins only.
  Result<Space> create_team(const Principal& who, const std::string& name);
  Result<std::vector<SpaceMember>> members(const Principal& who, Id space_id);
  Result<SpaceMember> set_member(const Principal& who, Id space_id, Id user_id, SpaceRole role);
  Result<void> remove_member(const Principal& who, Id space_id, Id user_id);
  // The guests of a team space (who may list its members may list them).
  Result<std::vector<SpaceGuest>> guests(const Principal& who, Id space_id);
  // Adds the guest at `address` (or an alias of it) to a team space, or changes its role: kConflict
  // unless the identity is a guest now, kInvalidArgument for the owner role.
  Result<SpaceGuest> set_guest(const Principal& who, Id space_id, const std::string& address,
                               SpaceRole role);
  Result<void> remove_guest(const Principal& who, Id space_id, const std::string& address);

 private:
  Result<Space> team_space_to_manage(const Principal& who, Id space_id);
  Result<void> keep_an_owner(Id space_id, Id user_id, std::optional<SpaceRole> new_role);

  SpaceRepository& spaces_;
  UserRepository& users_;
  SharingRepository& sharing_;
  Authorizer& authz_;
  const util::Clock& clock_;
};

}  // namespace vestibule::domain
