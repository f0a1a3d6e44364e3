"""The authorization matrix over real HTTP: endpoint × principal → status, every cell asserted.

SECURITY-CHECKLIST C24. The domain table (`src/domain/authz_matrix_test.cpp`) decides one request
at a time in-process; this is the same question asked of the running binary, route by route,
with real cookies and a real API token. The table below (ROWS) is data: one row per concrete
request (a route of docs/openapi.json with the ids it is called on), one expected status per
principal. The expectations come from SPEC §5/§7 and the rules written down in docs/sharing.md
("How one authorization point decides"), docs/security.md and docs/external-sharing.md:

- an item nobody gave you is 404, never 403 (existence does not leak); admins cannot see anyone's
  personal space;
- through a link: anything outside the shared item is 404 for everyone; a dead link is 410 for
  everyone; nothing gives access → 401 when the link needs something first (a password, a
  verified address) and 403 for a signed-in member or verified address it is not meant for; a
  role too weak, the shared item itself renamed or deleted, or a blocked download → 403;
- links by id (/shared-with-me/{link_id}…) exist only for a session whose address is, or was
  removed as, a recipient: everyone else gets the 404 of an unknown token;
- member routes (/items, /links, /spaces, /me/tokens, …) are for members: a recipient session or
  no session → 401; a guest's code session reads and adds with a few of them (GET /spaces,
  GET /items/{id}, …/children, …/content, …/view, POST …/children, PUT …/files/{name}:
  docs/external-sharing.md §8) and gets 401 from every other; admin routes: 401 without a
  member, 403 for anyone not an admin (and for a token without the admin scope);
- a read token reads what its member reads and gets 403 on every write (the scope is checked
  before anything else, so the 403 says nothing about the ids in the path); the steps of signing
  in that never look at the caller (a code request or confirmation without a link, a one-time
  link, an anyone link's password) answer a token as they answer anybody, and sign-out with a
  token is 400 (a token is revoked with DELETE /api/v1/me/tokens/{id});
- an existing link grants nothing of its own: a signed-in member or verified recipient who cannot
  reach its item gets 403, even for the summary; an organization link is for members (401 for a
  recipient session, as for nobody).

Every cell runs in a fresh connection with a copy of the principal's cookies, on fixtures made
for that cell where the call changes something; a refused change is checked to have changed
nothing (the fresh file keeps its name and stays out of the trash, the fresh link stays active
with its role).

`test_the_table_covers_every_route_of_the_openapi_document` holds the table to docs/openapi.json:
every (method, path) is in the table or in EXCLUDED with the reason.

Principals (the columns, in this order):
  anon    no cookie, no token
  owner   member Olga, who owns everything shared here (in her personal space)
  other   member Otto: nothing is shared with him
  admin   the organization's admin (not shared with either)
  eve     an external recipient verified through the specific `view` link L_view (folder F), and
          recipient of the specific `view` link L_block (file B) that blocks downloads
  edd     an external recipient verified through the specific `edit` link L_edit (folder G)
  emo     an external recipient verified through L_view, then removed from it: its old cookie
  holder  a browser that proved the password of the anyone link L_any (`view`, file A)
  token   Olga's API token with the `read` scope (bearer, no cookie)
  ended   Eve's cookie from another browser whose session an admin revoked: answered as `anon`
  guest   Gil, an external address promoted to guest, a `member` of the team space, signed in with
          a code at / (POST /api/v1/session/code); recipient of nothing in the table (only of a
          link on file Q, which no row names)
"""

import itertools
import json
import os
import unittest

from harness import Client, quote_name
from test_external import EVE, RECIPIENT_COOKIE, ExternalCase

HERE = os.path.dirname(os.path.abspath(__file__))
OPENAPI = os.path.join(HERE, "..", "..", "docs", "openapi.json")

PRINCIPALS = ("anon", "owner", "other", "admin", "eve", "edd", "emo", "holder", "token",
              "ended", "guest")

OLGA, OLGA_PASSWORD = "olga@example.org", "Olga-passw0rd-long-enough"
OTTO, OTTO_PASSWORD = "otto@example.org", "Otto-passw0rd-long-enough"
GUS, GUS_PASSWORD = "gus@example.org", "Gus-passw0rd-long-enough"
EDD = "edd@partner.example"
EMO = "emo@partner.example"
GIA = "gia@partner.example"  # a guest, only ever a target of the team space's guest routes
GIL = "gil@partner.example"  # the guest principal
ZED = "zed@elsewhere.example"  # never invited
ANY_PASSWORD = "anyone-link-passw0rd"
UNKNOWN_TOKEN = "A" * 43

# Routes of docs/openapi.json that are not in the table, and why.
EXCLUDED = {
    ("GET", "/healthz"): "public probe: no principal, nothing private",
    ("GET", "/readyz"): "public probe: no principal, nothing private",
    ("GET", "/metrics"): "aggregate counters, nothing private (test_foundation)",
    ("GET", "/api/v1/openapi.json"): "the public API document",
    ("POST", "/api/v1/dev/clock"): "development only: exists only under --test-clock",
    ("GET", "/api/v1/dev/mail"): "development only: none with a relay (test_exposure)",
    ("GET", "/dev/mail"): "development only: none with a relay (test_exposure)",
    ("POST", "/api/v1/session"):
        "sign-in itself: answers by credentials, not by principal; wrong tries are throttled per "
        "client (test_foundation, test_throttles)",
    ("POST", "/api/v1/me/password"):
        "the caller's own password: a refusal is a wrong current password (403) whatever the "
        "principal; test_foundation `test_changing_my_password_checks_the_current_one_and_ends_"
        "my_other_sessions`, test_sessions_tokens (tokens 403)",
}

# Each row: (method, OpenAPI path, {path parameter: fixture}, JSON body or None, the expected
# status of each principal in PRINCIPALS order). A fixture named new_* is made afresh for every
# cell, so a cell that succeeds in changing something never changes what another cell sees. "{n}"
# in a body or a `name` fixture is a number unique to the cell. A PUT …/files/{name} sends bytes.
#
# The status columns:
#      anon own oth adm eve edd emo hol tok end gst
ROWS = [
    # -- items in Olga's personal space (F is shared by L_view, G by L_edit) -----------------
    ("GET", "/api/v1/items/{id}", {"id": "file_f"}, None,
     "401 200 404 404 401 401 401 401 200 401 404"),
    ("PATCH", "/api/v1/items/{id}", {"id": "new_file"}, {"name": "renamed-{n}.txt"},
     "401 200 404 404 401 401 401 401 403 401 401"),
    ("DELETE", "/api/v1/items/{id}", {"id": "new_file"}, None,
     "401 204 404 404 401 401 401 401 403 401 401"),
    ("GET", "/api/v1/items/{id}/access", {"id": "folder_f"}, None,
     "401 200 404 404 401 401 401 401 200 401 401"),
    ("GET", "/api/v1/items/{id}/access-requests", {"id": "folder_f"}, None,
     "401 200 404 404 401 401 401 401 200 401 401"),
    ("GET", "/api/v1/items/{id}/children", {"id": "folder_f"}, None,
     "401 200 404 404 401 401 401 401 200 401 404"),
    ("POST", "/api/v1/items/{id}/children", {"id": "folder_f"},
     {"name": "made-{n}", "kind": "folder"},
     "401 201 404 404 401 401 401 401 403 401 404"),
    ("GET", "/api/v1/items/{id}/content", {"id": "file_f"}, None,
     "401 200 404 404 401 401 401 401 200 401 404"),
    ("GET", "/api/v1/items/{id}/view", {"id": "file_f"}, None,
     "401 200 404 404 401 401 401 401 200 401 404"),
    ("PUT", "/api/v1/items/{id}/files/{name}", {"id": "folder_f", "name": "name"}, None,
     "401 201 404 404 401 401 401 401 403 401 404"),
    ("POST", "/api/v1/items/{id}/grants", {"id": "new_file"}, {"email": GUS, "role": "view"},
     "401 201 404 404 401 401 401 401 403 401 401"),
    ("POST", "/api/v1/items/{id}/links", {"id": "new_file"}, {"kind": "organization"},
     "401 201 404 404 401 401 401 401 403 401 401"),
    ("POST", "/api/v1/items/{id}/recipients/check", {"id": "file_p"}, {"addresses": [ZED]},
     "401 200 404 404 401 401 401 401 403 401 401"),
    ("POST", "/api/v1/items/{id}/restore", {"id": "new_trashed"}, None,
     "401 200 404 404 401 401 401 401 403 401 401"),
    ("GET", "/api/v1/items/{id}/sharing-options", {"id": "file_p"}, None,
     "401 200 404 404 401 401 401 401 200 401 401"),
    ("GET", "/api/v1/items/{id}/versions", {"id": "file_f"}, None,
     "401 200 404 404 401 401 401 401 200 401 401"),
    ("GET", "/api/v1/items/{id}/versions/{version}/content", {"id": "file_f", "version": "one"},
     None,
     "401 200 404 404 401 401 401 401 200 401 401"),
    ("POST", "/api/v1/items/{id}/versions/{version}/restore",
     {"id": "new_two_versions", "version": "one"}, None,
     "401 200 404 404 401 401 401 401 403 401 401"),
    ("DELETE", "/api/v1/trash/{id}", {"id": "new_trashed"}, None,
     "401 204 404 404 401 401 401 401 403 401 401"),
    ("DELETE", "/api/v1/grants/{id}", {"id": "new_grant"}, None,
     "401 204 404 404 401 401 401 401 403 401 401"),
    ("GET", "/api/v1/spaces/{id}/trash", {"id": "olga_space"}, None,
     "401 200 404 404 401 401 401 401 200 401 401"),
    # -- links ---------------------------------------------------------------------------------
    ("GET", "/api/v1/links/{id}", {"id": "l_view"}, None,
     "401 200 404 404 401 401 401 401 200 401 401"),
    ("PATCH", "/api/v1/links/{id}", {"id": "new_link"}, {"role": "edit"},
     "401 200 404 404 401 401 401 401 403 401 401"),
    ("DELETE", "/api/v1/links/{id}", {"id": "new_link"}, None,
     "401 204 404 404 401 401 401 401 403 401 401"),
    ("DELETE", "/api/v1/links/{id}/recipients/{address}",
     {"id": "new_recipient", "address": "new_recipient"}, None,
     "401 204 404 404 401 401 401 401 403 401 401"),
    ("POST", "/api/v1/links/{id}/recipients/{address}/resend", {"id": "l_view", "address": "eve"},
     None,
     "401 202 404 404 401 401 401 401 403 401 401"),
    ("GET", "/api/v1/me/shares", {}, None,
     "401 200 200 200 401 401 401 401 200 401 401"),
    ("GET", "/api/v1/access-requests", {}, None,
     "401 200 200 200 401 401 401 401 200 401 401"),
    ("POST", "/api/v1/access-requests/{id}/approve", {"id": "new_request"}, None,
     "401 200 404 404 401 401 401 401 403 401 401"),
    ("POST", "/api/v1/access-requests/{id}/decline", {"id": "new_request"}, None,
     "401 200 404 404 401 401 401 401 403 401 401"),
    # -- through a link's token: L_view (specific, view, folder F: eve; emo removed) -----------
    ("GET", "/api/v1/shares/{token}", {"token": "t_view"}, None,
     "200 200 200 200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/shares/{token}/items/{id}", {"token": "t_view", "id": "file_f"}, None,
     "401 200 403 403 200 403 403 401 200 401 403"),
    ("GET", "/api/v1/shares/{token}/items/{id}/children", {"token": "t_view", "id": "folder_f"},
     None,
     "401 200 403 403 200 403 403 401 200 401 403"),
    ("GET", "/api/v1/shares/{token}/items/{id}/content", {"token": "t_view", "id": "file_f"}, None,
     "401 200 403 403 200 403 403 401 200 401 403"),
    ("GET", "/api/v1/shares/{token}/items/{id}/view", {"token": "t_view", "id": "file_f"}, None,
     "401 200 403 403 200 403 403 401 200 401 403"),
    ("POST", "/api/v1/shares/{token}/items/{id}/children", {"token": "t_view", "id": "folder_f"},
     {"name": "made-{n}"},
     "401 201 403 403 403 403 403 401 403 401 403"),
    ("PUT", "/api/v1/shares/{token}/items/{id}/files/{name}",
     {"token": "t_view", "id": "folder_f", "name": "name"}, None,
     "401 201 403 403 403 403 403 401 403 401 403"),
    ("PATCH", "/api/v1/shares/{token}/items/{id}", {"token": "t_view", "id": "new_file_f"},
     {"name": "renamed-{n}.txt"},
     "401 200 403 403 403 403 403 401 403 401 403"),
    ("DELETE", "/api/v1/shares/{token}/items/{id}", {"token": "t_view", "id": "new_file_f"}, None,
     "401 204 403 403 403 403 403 401 403 401 403"),
    # An item outside the shared one, through the token: 404 for everyone, its owner too.
    ("GET", "/api/v1/shares/{token}/items/{id}", {"token": "t_view", "id": "file_p"}, None,
     "404 404 404 404 404 404 404 404 404 404 404"),
    ("POST", "/api/v1/shares/{token}/access-requests", {"token": "t_view"}, {"email": ZED},
     "202 202 202 202 202 202 202 202 403 202 202"),
    ("POST", "/api/v1/shares/{token}/verification", {"token": "t_view"}, {"email": ZED},
     "202 202 202 202 202 202 202 202 403 202 202"),
    ("POST", "/api/v1/shares/{token}/verification/confirm", {"token": "t_view"},
     {"email": ZED, "code": "00000000"},
     "400 400 400 400 400 400 400 400 403 400 400"),
    # -- L_edit (specific, edit, folder G: edd) --------------------------------------------------
    ("GET", "/api/v1/shares/{token}/items/{id}/children", {"token": "t_edit", "id": "folder_g"},
     None,
     "401 200 403 403 403 200 403 401 200 401 403"),
    ("POST", "/api/v1/shares/{token}/items/{id}/children", {"token": "t_edit", "id": "folder_g"},
     {"name": "made-{n}"},
     "401 201 403 403 403 201 403 401 403 401 403"),
    ("PUT", "/api/v1/shares/{token}/items/{id}/files/{name}",
     {"token": "t_edit", "id": "folder_g", "name": "name"}, None,
     "401 201 403 403 403 201 403 401 403 401 403"),
    ("PATCH", "/api/v1/shares/{token}/items/{id}", {"token": "t_edit", "id": "new_file_g"},
     {"name": "renamed-{n}.txt"},
     "401 200 403 403 403 200 403 401 403 401 403"),
    ("DELETE", "/api/v1/shares/{token}/items/{id}", {"token": "t_edit", "id": "new_file_g"}, None,
     "401 204 403 403 403 204 403 401 403 401 403"),
    # The shared item itself is not renamed or deleted through its link, whatever the role.
    ("PATCH", "/api/v1/shares/{token}/items/{id}", {"token": "t_edit", "id": "folder_g"},
     {"name": "G-{n}"},
     "401 403 403 403 403 403 403 401 403 401 403"),
    ("DELETE", "/api/v1/shares/{token}/items/{id}", {"token": "t_edit", "id": "folder_g"}, None,
     "401 403 403 403 403 403 403 401 403 401 403"),
    # -- L_any (anyone, view, password, file A) -------------------------------------------------
    ("GET", "/api/v1/shares/{token}", {"token": "t_any"}, None,
     "200 200 200 200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/shares/{token}/content", {"token": "t_any"}, None,
     "401 200 401 401 401 401 401 200 200 401 401"),
    ("GET", "/api/v1/shares/{token}/view", {"token": "t_any"}, None,
     "401 200 401 401 401 401 401 200 200 401 401"),
    ("GET", "/api/v1/shares/{token}/items/{id}/content", {"token": "t_any", "id": "file_a"}, None,
     "401 200 401 401 401 401 401 200 200 401 401"),
    ("POST", "/api/v1/shares/{token}/password", {"token": "t_any"}, {"password": ANY_PASSWORD},
     "200 200 200 200 200 200 200 200 200 200 200"),
    # -- L_block (specific, view, blocks downloads, file B: eve) ---------------------------------
    ("GET", "/api/v1/shares/{token}/content", {"token": "t_block"}, None,
     "401 200 403 403 403 403 403 401 200 401 403"),
    ("GET", "/api/v1/shares/{token}/view", {"token": "t_block"}, None,
     "401 200 403 403 200 403 403 401 200 401 403"),
    # -- L_org (organization, view, file P): members only ------------------------------------------
    ("GET", "/api/v1/shares/{token}", {"token": "t_org"}, None,
     "200 200 200 200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/shares/{token}/content", {"token": "t_org"}, None,
     "401 200 200 200 401 401 401 401 200 401 401"),
    # -- L_existing (existing, file P): grants nothing of its own --------------------------------
    ("GET", "/api/v1/shares/{token}", {"token": "t_existing"}, None,
     "200 200 403 403 403 403 403 200 200 200 403"),
    ("GET", "/api/v1/shares/{token}/content", {"token": "t_existing"}, None,
     "401 200 403 403 403 403 403 401 200 401 403"),
    # -- L_dead (revoked), L_exp (expired; specific, file P, eve), a token that never existed ----
    ("GET", "/api/v1/shares/{token}", {"token": "t_dead"}, None,
     "410 410 410 410 410 410 410 410 410 410 410"),
    ("GET", "/api/v1/shares/{token}/content", {"token": "t_dead"}, None,
     "410 410 410 410 410 410 410 410 410 410 410"),
    ("GET", "/api/v1/shares/{token}/items/{id}", {"token": "t_dead", "id": "file_p"}, None,
     "410 410 410 410 410 410 410 410 410 410 410"),
    ("GET", "/api/v1/shares/{token}", {"token": "t_exp"}, None,
     "410 410 410 410 410 410 410 410 410 410 410"),
    ("GET", "/api/v1/shares/{token}/content", {"token": "t_exp"}, None,
     "410 410 410 410 410 410 410 410 410 410 410"),
    ("GET", "/api/v1/shares/{token}", {"token": "t_unknown"}, None,
     "404 404 404 404 404 404 404 404 404 404 404"),
    ("GET", "/api/v1/shares/{token}/content", {"token": "t_unknown"}, None,
     "404 404 404 404 404 404 404 404 404 404 404"),
    # -- sign-in by code: the same answer for everyone -----------------------------------------
    ("POST", "/api/v1/session/code", {}, {"email": ZED},
     "202 202 202 202 202 202 202 202 202 202 202"),
    ("POST", "/api/v1/session/code/confirm", {}, {"email": ZED, "code": "00000000"},
     "400 400 400 400 400 400 400 400 400 400 400"),
    ("POST", "/api/v1/verification/one-time", {"link_id": "l_view"}, None,
     "400 400 400 400 400 400 400 400 400 400 400"),
    # -- shared with me, and links by id ----------------------------------------------------------
    ("GET", "/api/v1/shared-with-me", {}, None,
     "401 200 200 200 200 200 200 401 200 401 200"),
    ("GET", "/api/v1/shared-with-me/{link_id}", {"link_id": "l_view"}, None,
     "404 404 404 404 200 404 200 404 404 404 404"),
    ("GET", "/api/v1/shared-with-me/{link_id}/items/{id}", {"link_id": "l_view", "id": "file_f"},
     None,
     "404 404 404 404 200 404 403 404 404 404 404"),
    ("GET", "/api/v1/shared-with-me/{link_id}/items/{id}/children",
     {"link_id": "l_view", "id": "folder_f"}, None,
     "404 404 404 404 200 404 403 404 404 404 404"),
    ("GET", "/api/v1/shared-with-me/{link_id}/items/{id}/content",
     {"link_id": "l_view", "id": "file_f"}, None,
     "404 404 404 404 200 404 403 404 404 404 404"),
    ("GET", "/api/v1/shared-with-me/{link_id}/items/{id}/view",
     {"link_id": "l_view", "id": "file_f"}, None,
     "404 404 404 404 200 404 403 404 404 404 404"),
    # An item outside the link, by the link's id: 404 (the removed recipient's too).
    ("GET", "/api/v1/shared-with-me/{link_id}/items/{id}", {"link_id": "l_view", "id": "file_p"},
     None,
     "404 404 404 404 404 404 404 404 404 404 404"),
    ("POST", "/api/v1/shared-with-me/{link_id}/items/{id}/children",
     {"link_id": "l_view", "id": "folder_f"}, {"name": "made-{n}"},
     "404 404 404 404 403 404 403 404 403 404 404"),
    ("PUT", "/api/v1/shared-with-me/{link_id}/items/{id}/files/{name}",
     {"link_id": "l_view", "id": "folder_f", "name": "name"}, None,
     "404 404 404 404 403 404 403 404 403 404 404"),
    ("PATCH", "/api/v1/shared-with-me/{link_id}/items/{id}",
     {"link_id": "l_view", "id": "new_file_f"}, {"name": "renamed-{n}.txt"},
     "404 404 404 404 403 404 403 404 403 404 404"),
    ("DELETE", "/api/v1/shared-with-me/{link_id}/items/{id}",
     {"link_id": "l_view", "id": "new_file_f"}, None,
     "404 404 404 404 403 404 403 404 403 404 404"),
    ("GET", "/api/v1/shared-with-me/{link_id}/items/{id}/children",
     {"link_id": "l_edit", "id": "folder_g"}, None,
     "404 404 404 404 404 200 404 404 404 404 404"),
    ("POST", "/api/v1/shared-with-me/{link_id}/items/{id}/children",
     {"link_id": "l_edit", "id": "folder_g"}, {"name": "made-{n}"},
     "404 404 404 404 404 201 404 404 403 404 404"),
    ("PUT", "/api/v1/shared-with-me/{link_id}/items/{id}/files/{name}",
     {"link_id": "l_edit", "id": "folder_g", "name": "name"}, None,
     "404 404 404 404 404 201 404 404 403 404 404"),
    ("PATCH", "/api/v1/shared-with-me/{link_id}/items/{id}",
     {"link_id": "l_edit", "id": "new_file_g"}, {"name": "renamed-{n}.txt"},
     "404 404 404 404 404 200 404 404 403 404 404"),
    ("DELETE", "/api/v1/shared-with-me/{link_id}/items/{id}",
     {"link_id": "l_edit", "id": "new_file_g"}, None,
     "404 404 404 404 404 204 404 404 403 404 404"),
    ("GET", "/api/v1/shared-with-me/{link_id}/content", {"link_id": "l_block"}, None,
     "404 404 404 404 403 404 404 404 404 404 404"),
    ("GET", "/api/v1/shared-with-me/{link_id}/view", {"link_id": "l_block"}, None,
     "404 404 404 404 200 404 404 404 404 404 404"),
    ("GET", "/api/v1/shared-with-me/{link_id}/content", {"link_id": "l_dead"}, None,
     "404 404 404 404 410 404 404 404 404 404 404"),
    ("GET", "/api/v1/shared-with-me/{link_id}/content", {"link_id": "l_exp"}, None,
     "404 404 404 404 410 404 404 404 404 404 404"),
    ("POST", "/api/v1/shared-with-me/{link_id}/access-requests", {"link_id": "l_view"},
     {"email": ZED, "message": "please"},
     "404 404 404 404 202 404 202 404 403 404 404"),
    # -- the team space "Team": the admin made it, Olga is an owner, Gil a guest `member` --------
    ("GET", "/api/v1/spaces", {}, None,
     "401 200 200 200 401 401 401 401 200 401 200"),
    ("GET", "/api/v1/items/{id}", {"id": "team_file"}, None,
     "401 200 404 200 401 401 401 401 200 401 200"),
    ("GET", "/api/v1/items/{id}/content", {"id": "team_file"}, None,
     "401 200 404 200 401 401 401 401 200 401 200"),
    ("PUT", "/api/v1/items/{id}/files/{name}", {"id": "team_root", "name": "name"}, None,
     "401 201 404 201 401 401 401 401 403 401 201"),
    ("PATCH", "/api/v1/items/{id}", {"id": "new_team_file"}, {"name": "renamed-{n}.txt"},
     "401 200 404 200 401 401 401 401 403 401 401"),
    ("GET", "/api/v1/spaces/{id}/members", {"id": "team"}, None,
     "401 200 404 200 401 401 401 401 200 401 401"),
    ("PUT", "/api/v1/spaces/{id}/members/{user_id}", {"id": "team", "user_id": "gus"},
     {"role": "visitor"},
     "401 200 404 200 401 401 401 401 403 401 401"),
    ("DELETE", "/api/v1/spaces/{id}/members/{user_id}",
     {"id": "team", "user_id": "new_team_member"}, None,
     "401 204 404 204 401 401 401 401 403 401 401"),
    ("PUT", "/api/v1/spaces/{id}/guests/{address}", {"id": "team", "address": "gia"},
     {"role": "visitor"},
     "401 200 404 200 401 401 401 401 403 401 401"),
    ("DELETE", "/api/v1/spaces/{id}/guests/{address}", {"id": "team", "address": "new_team_guest"},
     None,
     "401 204 404 204 401 401 401 401 403 401 401"),
    ("GET", "/api/v1/spaces/{id}/settings", {"id": "team"}, None,
     "401 200 404 200 401 401 401 401 200 401 401"),
    ("PATCH", "/api/v1/spaces/{id}/settings", {"id": "team"},
     {"external_sharing": "new_and_existing_guests"},
     "401 200 404 200 401 401 401 401 403 401 401"),
    ("GET", "/api/v1/spaces/{id}/storage", {"id": "team"}, None,
     "401 200 404 200 401 401 401 401 200 401 401"),
    ("PATCH", "/api/v1/spaces/{id}/storage", {"id": "team"}, {"quota_bytes": 1073741824},
     "401 403 403 200 401 401 401 401 403 401 401"),
    # -- admin and audit ---------------------------------------------------------------------------
    ("GET", "/api/v1/admin/audit", {}, None,
     "401 403 403 200 401 401 401 401 403 401 401"),
    ("GET", "/api/v1/admin/audit/head", {}, None,
     "401 403 403 200 401 401 401 401 403 401 401"),
    ("GET", "/api/v1/admin/audit/verify", {}, None,
     "401 403 403 200 401 401 401 401 403 401 401"),
    ("GET", "/api/v1/admin/external-identities", {}, None,
     "401 403 403 200 401 401 401 401 403 401 401"),
    ("GET", "/api/v1/admin/external-identities/{address}", {"address": "eve"}, None,
     "401 403 403 200 401 401 401 401 403 401 401"),
    ("PATCH", "/api/v1/admin/external-identities/{address}", {"address": "eve"},
     {"lift_block": True},
     "401 403 403 200 401 401 401 401 403 401 401"),
    ("DELETE", "/api/v1/admin/external-identities/{address}", {"address": "new_identity"}, None,
     "401 403 403 204 401 401 401 401 403 401 401"),
    ("POST", "/api/v1/admin/external-identities/{address}/erase", {"address": "new_identity"}, None,
     "401 403 403 200 401 401 401 401 403 401 401"),
    ("POST", "/api/v1/admin/external-identities/{address}/revoke-all", {"address": "new_identity"},
     None,
     "401 403 403 200 401 401 401 401 403 401 401"),
    ("GET", "/api/v1/admin/outbox", {}, None,
     "401 403 403 200 401 401 401 401 403 401 401"),
    ("GET", "/api/v1/admin/reports/external-sharing", {}, None,
     "401 403 403 200 401 401 401 401 403 401 401"),
    ("GET", "/api/v1/admin/sessions", {}, None,
     "401 403 403 200 401 401 401 401 403 401 401"),
    ("DELETE", "/api/v1/admin/sessions/{id}", {"id": "new_gus_session"}, None,
     "401 403 403 204 401 401 401 401 403 401 401"),
    ("GET", "/api/v1/admin/settings", {}, None,
     "401 403 403 200 401 401 401 401 403 401 401"),
    ("PATCH", "/api/v1/admin/settings", {}, {"organization_name": "Org {n}"},
     "401 403 403 200 401 401 401 401 403 401 401"),
    ("POST", "/api/v1/admin/spaces", {}, {"name": "Team {n}"},
     "401 403 403 201 401 401 401 401 403 401 401"),
    ("GET", "/api/v1/admin/users", {}, None,
     "401 403 403 200 401 401 401 401 403 401 401"),
    ("POST", "/api/v1/admin/users", {},
     {"email": "new-{n}@example.org", "password": "New-passw0rd-long", "display_name": "New {n}",
      "role": "user"},
     "401 403 403 201 401 401 401 401 403 401 401"),
    ("PATCH", "/api/v1/admin/users/{id}", {"id": "gus"}, {"display_name": "Gus {n}"},
     "401 403 403 200 401 401 401 401 403 401 401"),
    ("POST", "/api/v1/admin/users/{id}/reset-password", {"id": "new_user"}, {},
     "401 403 403 200 401 401 401 401 403 401 401"),
    # -- me, sessions, tokens ----------------------------------------------------------------
    ("GET", "/api/v1/me", {}, None,
     "401 200 200 200 200 200 200 401 200 401 200"),
    ("GET", "/api/v1/me/sessions", {}, None,
     "401 200 200 200 200 200 200 401 200 401 200"),
    ("DELETE", "/api/v1/me/sessions/{id}", {"id": "new_olga_session"}, None,
     "401 204 404 404 404 404 404 401 403 401 404"),
    ("GET", "/api/v1/me/tokens", {}, None,
     "401 200 200 200 401 401 401 401 200 401 401"),
    ("POST", "/api/v1/me/tokens", {}, {"name": "t-{n}", "scope": "read"},
     "401 201 201 201 401 401 401 401 403 401 401"),
    ("DELETE", "/api/v1/me/tokens/{id}", {"id": "new_olga_token"}, None,
     "401 204 404 404 401 401 401 401 403 401 401"),
    # Last: signing out ends the principals' sessions.
    ("DELETE", "/api/v1/session", {}, None,
     "401 204 204 204 204 204 204 401 400 401 204"),
]


class AuthorizationOverHttpTest(ExternalCase):

    def setUp(self):
        super().setUp()
        self.n = itertools.count(1)
        self.settings(external_sharing="anyone")
        admin = self.admin_c
        ids = {}
        for email, password, name in ((OLGA, OLGA_PASSWORD, "Olga"), (OTTO, OTTO_PASSWORD, "Otto"),
                                      (GUS, GUS_PASSWORD, "Gus")):
            r = admin.post("/api/v1/admin/users", json={"email": email, "password": password,
                                                        "display_name": name, "role": "user"})
            self.assertStatus(r, 201)
            ids[email] = r.json()["id"]
        self.olga = self.client(self.server, sign_in=OLGA, password=OLGA_PASSWORD)
        olga = self.olga
        space = olga.personal_space()
        root = space["root_item_id"]
        folder_f = olga.mkdir(root, "F")
        folder_g = olga.mkdir(root, "G")
        file_f = self.assertStatus(olga.upload(folder_f["id"], "f.txt", b"f\n"), 201).json()
        self.assertStatus(olga.upload(folder_g["id"], "g.txt", b"g\n"), 201)
        file_a = self.assertStatus(olga.upload(root, "a.txt", b"a\n"), 201).json()
        file_b = self.assertStatus(olga.upload(root, "b.txt", b"b\n"), 201).json()
        file_p = self.assertStatus(olga.upload(root, "p.txt", b"p\n"), 201).json()
        file_q = self.assertStatus(olga.upload(root, "q.txt", b"q\n"), 201).json()

        def link(item, **body):
            r = olga.post("/api/v1/items/%d/links" % item["id"], json=body)
            self.assertStatus(r, 201)
            return r.json()

        l_view = link(folder_f, kind="specific", role="view", recipients=[EVE, EMO])
        l_edit = link(folder_g, kind="specific", role="edit", recipients=[EDD])
        l_any = link(file_a, kind="anyone", role="view", password=ANY_PASSWORD)
        l_block = link(file_b, kind="specific", role="view", recipients=[EVE],
                       block_download=True)
        l_dead = link(file_p, kind="specific", role="view", recipients=[EVE])
        self.assertStatus(olga.delete("/api/v1/links/%d" % l_dead["id"]), 204)
        l_exp = link(file_p, kind="specific", role="view", recipients=[EVE], expires_in="1h")
        l_org = link(file_p, kind="organization", role="view")
        l_existing = link(file_p, kind="existing")

        # The principals.
        eve, _ = self.verified_browser(l_view["token"], EVE)
        edd, _ = self.verified_browser(l_edit["token"], EDD)
        emo, _ = self.verified_browser(l_view["token"], EMO)
        self.assertStatus(olga.delete("/api/v1/links/%d/recipients/%s"
                                      % (l_view["id"], quote_name(EMO))), 204)
        ended, _ = self.verified_browser(l_view["token"], EVE)
        [current] = [x for x in ended.get("/api/v1/me/sessions").json()["sessions"]
                     if x["current"]]
        self.assertStatus(admin.delete("/api/v1/admin/sessions/" + current["id"]), 204)
        holder = self.browser()
        self.assertStatus(holder.post("/api/v1/shares/%s/password" % l_any["token"],
                                      json={"password": ANY_PASSWORD}), 200)
        self.assertTrue(holder.cookies, "no password proof cookie")
        r = olga.post("/api/v1/me/tokens", json={"name": "reader", "scope": "read"})
        self.assertStatus(r, 201)
        other = self.client(self.server, sign_in=OTTO, password=OTTO_PASSWORD)
        self.principals = {
            "anon": ({}, {}),
            "owner": (dict(olga.cookies), {}),
            "other": (dict(other.cookies), {}),
            "admin": (dict(admin.cookies), {}),
            "eve": (dict(eve.cookies), {}),
            "edd": (dict(edd.cookies), {}),
            "emo": (dict(emo.cookies), {}),
            "holder": (dict(holder.cookies), {}),
            "token": ({}, {"Authorization": "Bearer " + r.json()["token"]}),
            "ended": (dict(ended.cookies), {}),
        }
        for name in ("eve", "edd", "emo", "ended"):
            self.assertIn(RECIPIENT_COOKIE, self.principals[name][0], name)

        # A team space made by the admin, with Olga as an owner; a guest address for its guests.
        r = admin.post("/api/v1/admin/spaces", json={"name": "Team"})
        self.assertStatus(r, 201)
        team = r.json()["id"]
        team_root = r.json()["root_item_id"]
        team_file = self.assertStatus(admin.upload(team_root, "t.txt", b"t\n"), 201).json()
        self.assertStatus(admin.put("/api/v1/spaces/%d/members/%d" % (team, ids[OLGA]),
                                    json={"role": "owner"}), 200)
        link(file_p, kind="specific", role="view", recipients=[GIA])
        self.assertStatus(admin.patch("/api/v1/admin/external-identities/" + quote_name(GIA),
                                      json={"state": "guest"}), 200)

        # The guest: invited to Q, promoted, made a member of the team space, signed in at /.
        link(file_q, kind="specific", role="view", recipients=[GIL])
        self.assertStatus(admin.patch("/api/v1/admin/external-identities/" + quote_name(GIL),
                                      json={"state": "guest"}), 200)
        self.assertStatus(admin.put("/api/v1/spaces/%d/guests/%s" % (team, quote_name(GIL)),
                                    json={"role": "member"}), 200)
        guest = self.browser()
        self.assertStatus(guest.post("/api/v1/session/code", json={"email": GIL}), 202)
        code = self.nth_code(GIL, 1)
        self.assertStatus(guest.post("/api/v1/session/code/confirm",
                                     json={"email": GIL, "code": code}), 200)
        self.assertEqual(guest.me()["kind"], "guest")
        self.principals["guest"] = (dict(guest.cookies), {})

        self.advance("2h")  # past L_exp's expiry
        self.fixed = {
            "file_f": file_f["id"], "folder_f": folder_f["id"], "folder_g": folder_g["id"],
            "file_a": file_a["id"], "file_p": file_p["id"], "olga_space": space["id"],
            "l_view": l_view["id"], "l_edit": l_edit["id"], "l_block": l_block["id"],
            "t_view": l_view["token"], "t_edit": l_edit["token"], "t_any": l_any["token"],
            "t_block": l_block["token"], "t_dead": l_dead["token"], "t_unknown": UNKNOWN_TOKEN,
            "t_exp": l_exp["token"], "t_org": l_org["token"], "t_existing": l_existing["token"],
            "l_dead": l_dead["id"], "l_exp": l_exp["id"],
            "team": team, "team_root": team_root, "team_file": team_file["id"], "gus": ids[GUS],
            "eve": EVE, "gia": GIA, "one": 1,
        }
        self.root = root

    # -- fixtures made afresh for each cell ------------------------------------------------------

    def upload_new(self, folder_id, n):
        r = self.olga.upload(folder_id, "new-%d.txt" % n, b"new\n")
        self.assertStatus(r, 201)
        return r.json()["id"]

    def sign_in_session(self, email, password):
        c = self.client(self.server, sign_in=email, password=password)
        [current] = [s for s in c.get("/api/v1/me/sessions").json()["sessions"] if s["current"]]
        return current["id"]

    def new_fixture(self, key, n):
        olga, admin = self.olga, self.admin_c
        if key == "new_file":
            return self.upload_new(self.root, n)
        if key == "new_file_f":
            return self.upload_new(self.fixed["folder_f"], n)
        if key == "new_team_file":
            r = self.olga.upload(self.fixed["team_root"], "new-%d.txt" % n, b"new\n")
            return self.assertStatus(r, 201).json()["id"]
        if key == "new_file_g":
            return self.upload_new(self.fixed["folder_g"], n)
        if key == "new_trashed":
            item = self.upload_new(self.root, n)
            self.assertStatus(olga.delete("/api/v1/items/%d" % item), 204)
            return item
        if key == "new_two_versions":
            item = self.upload_new(self.root, n)
            self.assertStatus(olga.upload(self.root, "new-%d.txt" % n, b"second\n"), 200)
            return item
        if key == "new_grant":
            item = self.upload_new(self.root, n)
            r = olga.post("/api/v1/items/%d/grants" % item, json={"email": GUS, "role": "view"})
            return self.assertStatus(r, 201).json()["id"]
        if key == "new_link":
            item = self.upload_new(self.root, n)
            r = olga.post("/api/v1/items/%d/links" % item, json={"kind": "organization"})
            return self.assertStatus(r, 201).json()["id"]
        if key == "new_recipient":
            item = self.upload_new(self.root, n)
            address = "r%d@partner.example" % n
            r = olga.post("/api/v1/items/%d/links" % item,
                          json={"kind": "specific", "recipients": [address]})
            return {"id": self.assertStatus(r, 201).json()["id"], "address": address}
        if key == "new_request":
            address = "req%d@partner.example" % n
            r = self.browser().post("/api/v1/shares/%s/access-requests" % self.fixed["t_view"],
                                    json={"email": address})
            self.assertStatus(r, 202)
            listed = olga.get("/api/v1/items/%d/access-requests" % self.fixed["folder_f"]).json()
            [found] = [q for q in listed["requests"] if q["address"] == address]
            return found["id"]
        if key == "new_identity":
            item = self.upload_new(self.root, n)
            address = "x%d@partner.example" % n
            r = olga.post("/api/v1/items/%d/links" % item,
                          json={"kind": "specific", "recipients": [address]})
            self.assertStatus(r, 201)
            return address
        if key == "new_gus_session":
            return self.sign_in_session(GUS, GUS_PASSWORD)
        if key == "new_olga_session":
            return self.sign_in_session(OLGA, OLGA_PASSWORD)
        if key == "new_olga_token":
            r = olga.post("/api/v1/me/tokens", json={"name": "spare-%d" % n, "scope": "read"})
            return self.assertStatus(r, 201).json()["id"]
        if key == "new_user":
            r = admin.post("/api/v1/admin/users",
                           json={"email": "user-%d@example.org" % n,
                                 "password": "User-passw0rd-long",
                                 "display_name": "User %d" % n, "role": "user"})
            return self.assertStatus(r, 201).json()["id"]
        if key == "new_team_member":
            r = admin.put("/api/v1/spaces/%d/members/%d" % (self.fixed["team"], self.fixed["gus"]),
                          json={"role": "member"})
            self.assertStatus(r, 200)
            return self.fixed["gus"]
        if key == "new_team_guest":
            r = admin.put("/api/v1/spaces/%d/guests/%s" % (self.fixed["team"], quote_name(GIA)),
                          json={"role": "member"})
            self.assertStatus(r, 200)
            return GIA
        raise AssertionError("no fixture %r" % key)

    # -- one cell --------------------------------------------------------------------------------

    def call(self, row, principal):
        method, template, params, body, _ = row
        n = next(self.n)
        made = {}
        path = template
        for param, key in params.items():
            if key == "name":
                value = "upload-%d.txt" % n
            elif key.startswith("new_"):
                if key not in made:
                    made[key] = self.new_fixture(key, n)
                value = made[key]
                if isinstance(value, dict):
                    value = value[param]
            else:
                value = self.fixed[key]
            path = path.replace("{%s}" % param, quote_name(str(value)))
        if template == "/api/v1/verification/one-time":
            path = template
            body = {"link_id": self.fixed["l_view"], "email": ZED, "token": UNKNOWN_TOKEN}
        cookies, headers = self.principals[principal]
        c = Client(self.server.port, cookies=dict(cookies))
        self._clients.append(c)
        try:
            if method == "PUT" and template.endswith("/files/{name}"):
                r = c.request(method, path, body=b"uploaded\n",
                              headers=dict(headers, **{"Content-Type": "application/octet-stream"}))
            else:
                json_body = None
                if body is not None:
                    json_body = json.loads(json.dumps(body).replace("{n}", str(n)))
                r = c.request(method, path, json=json_body, headers=dict(headers))
        finally:
            c.close()
        return r, made, n

    def changed_nothing(self, made, n):
        """After a refusal: the cell's fresh file is still there under its name, not in the trash;
        its fresh link is still active with its role. Returns what differs, or None."""
        for key, value in made.items():
            if key in ("new_file", "new_file_f", "new_file_g", "new_team_file"):
                got = self.olga.get("/api/v1/items/%d" % value)
                if got.status != 200 or got.json()["name"] != "new-%d.txt" % n \
                        or "trashed_at" in got.json():
                    return "%s changed: %s" % (key, got.describe())
            if key == "new_link":
                got = self.olga.get("/api/v1/links/%d" % value)
                if got.status != 200 or (got.json()["state"], got.json()["role"]) != ("active",
                                                                                      "view"):
                    return "%s changed: %s" % (key, got.describe())
        return None

    # -- the tests -------------------------------------------------------------------------------

    def test_every_cell_of_the_table(self):
        wrong = []
        cells = 0
        for row in ROWS:
            method, template, params, _, expected = row
            statuses = [int(s) for s in expected.split()]
            self.assertEqual(len(statuses), len(PRINCIPALS), "row %s %s" % (method, template))
            for principal, want in zip(PRINCIPALS, statuses):
                r, made, n = self.call(row, principal)
                cells += 1
                if r.status != want:
                    wrong.append("%s %s %s as %s: expected %d, got %d %s"
                                 % (method, template, params, principal, want, r.status,
                                    r.body[:200]))
                elif r.status >= 400:
                    changed = self.changed_nothing(made, n)
                    if changed:
                        wrong.append("%s %s %s as %s: refused with %d, yet %s"
                                     % (method, template, params, principal, r.status, changed))
        self.assertEqual(wrong, [], "%d of %d cells differ from the table:\n%s"
                         % (len(wrong), cells, "\n".join(wrong)))
        self.assertEqual(cells, len(ROWS) * len(PRINCIPALS))


    def test_head_is_answered_as_get(self):
        """Every GET row asked with HEAD: the same status for every principal (HEAD never skips
        the decision that GET makes)."""
        wrong = []
        for method, template, params, body, expected in ROWS:
            if method != "GET":
                continue
            for principal, want in zip(PRINCIPALS, expected.split()):
                r, _, _ = self.call(("HEAD", template, params, body, expected), principal)
                if r.status != int(want):
                    wrong.append("HEAD %s %s as %s: expected %s (as GET), got %d"
                                 % (template, params, principal, want, r.status))
        self.assertEqual(wrong, [], "\n".join(wrong))


class TableCoverageTest(unittest.TestCase):
    """No server: the table against docs/openapi.json."""

    def test_the_table_covers_every_route_of_the_openapi_document(self):
        with open(OPENAPI, encoding="utf-8") as f:
            document = json.load(f)
        documented = {(method.upper(), path) for path, item in document["paths"].items()
                      for method in item
                      if method in ("get", "put", "post", "patch", "delete", "head")}
        tabled = {(row[0], row[1]) for row in ROWS}
        self.assertEqual(sorted(tabled - documented), [], "rows for routes the document lacks")
        self.assertEqual(sorted(tabled & set(EXCLUDED)), [], "routes both tabled and excluded")
        self.assertEqual(sorted(set(EXCLUDED) - documented), [], "excluded routes it lacks")
        self.assertEqual(sorted(documented - tabled - set(EXCLUDED)), [],
                         "routes neither in the table nor excluded with a reason")
        for row in ROWS:
            self.assertEqual(len(row[4].split()), len(PRINCIPALS), row)


if __name__ == "__main__":
    unittest.main()
