"""Guests, aliases, and everything one address reaches (SPEC §2 external directory, §3
promote_verified_to_guest / guest_expiry / internal domains, §4 flows 6 and 8, §5 governance
table).

A guest is an external identity promoted into the directory (when it verifies, with
promote_verified_to_guest, or by an admin). It signs in at `/` with an email code, is `guest` in
GET /api/v1/me, sees what is shared with its address (aliases included) and the team spaces an
admin put it in. guest_expiry (since its last sign-in) is checked on every request and swept in
the background: the owners of what it reaches get one warning 7 days before, then the record is
deleted, and sharing with the address again starts a clean record. Admins read one address's
reach and revoke all of it in one call.

Each test starts its own SMTP sink and `vestibule serve --test-clock` (ExternalCase of
test_external.py); time moves only through POST /api/v1/dev/clock; the background sweep is waited
for by its observable outcome (a mail in the sink, a record gone), never by sleeping.
Assertions are on statuses, error codes, fields and mail counts, never on wording.
"""

from harness import ADMIN_EMAIL, ADMIN_PASSWORD, quote_name, wait_until
from test_external import (DELIVERY_TIMEOUT, ExternalCase, is_code_mail, is_invitation, shares,
                           unique)

GIA = "gia@partner.example"    # the guest
GIA2 = "gia.private@home.example"  # an alias of GIA
HAL = "hal@partner.example"    # another external person
IDA = "ida@partner.example"    # a third
JON = "jon@partner.example"    # a fourth

SIGN_IN = "/api/v1/session/code"
CONFIRM = "/api/v1/session/code/confirm"
DIRECTORY = "/api/v1/admin/external-identities"


def identity(address, rest=""):
    return "%s/%s%s" % (DIRECTORY, quote_name(address), rest)


def is_expiry_warning(received):
    return "guest" in received.subject.lower() and "ends" in received.subject.lower()


class GuestCase(ExternalCase):

    def code_mails_to(self, address):
        return [m for m in self.sink.messages_to(address) if is_code_mail(m)]

    def signed_in_with_code(self, address, client=None, remember=False):
        """A browser that asked for a sign-in code at `/`, read it from the sink, confirmed it."""
        c = client or self.browser()
        before = len(self.code_mails_to(address))
        self.assertStatus(c.post(SIGN_IN, json={"email": address}), 202)
        code = self.nth_code(address, before + 1)
        r = c.post(CONFIRM, json={"email": address, "code": code, "remember": remember})
        self.assertStatus(r, 200)
        return c, r

    def promote(self, address):
        r = self.admin_c.patch(identity(address), json={"state": "guest"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["state"], "guest")
        return r.json()

    def team_space(self, name=None):
        r = self.admin_c.post("/api/v1/admin/spaces", json={"name": name or unique("Team")})
        self.assertStatus(r, 201)
        return r.json()

    def admin_again(self):
        """The admin signs in again (a member session does not outlive weeks of test clock)."""
        self.admin_c.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)

    def record(self, address):
        r = self.admin_c.get(identity(address))
        self.assertStatus(r, 200)
        return r.json()


class GuestSignInTest(GuestCase):

    def test_a_guest_signs_in_with_a_code_and_sees_exactly_what_is_shared_with_it(self):
        self.settings(promote_verified_to_guest=True)
        mine, _ = self.share([GIA], name=unique("for-gia"))
        other, _ = self.share([HAL], name=unique("for-hal"))
        team = self.team_space()
        other_team = self.team_space()
        self.assertStatus(self.admin_c.upload(team["root_item_id"], "team-plan.txt", b"plan\n"),
                          201)
        secret = self.admin_c.upload(other_team["root_item_id"], "secret.txt", b"secret\n")
        self.assertStatus(secret, 201)

        c, r = self.signed_in_with_code(GIA)
        self.assertEqual(r.json()["user"]["kind"], "guest")
        me = c.get("/api/v1/me")
        self.assertStatus(me, 200)
        self.assertEqual((me.json()["kind"], me.json()["email"]), ("guest", GIA))
        self.assertEqual(self.record(GIA)["state"], "guest")

        listed = c.get("/api/v1/shared-with-me")
        self.assertStatus(listed, 200)
        self.assertEqual([e["item"]["id"] for e in listed.json()["items"]], [mine["id"]])
        self.assertNotIn(other["id"], [e["item"]["id"] for e in listed.json()["items"]])

        # No team space yet; then an admin adds the guest to one as a visitor.
        self.assertEqual(c.get("/api/v1/spaces").json()["spaces"], [])
        self.assertStatus(c.get("/api/v1/items/%d/children" % team["root_item_id"]), 404,
                          "not_found")
        r = self.admin_c.put("/api/v1/spaces/%d/guests/%s" % (team["id"], quote_name(GIA)),
                             json={"role": "visitor"})
        self.assertStatus(r, 200)
        self.assertEqual((r.json()["address"], r.json()["role"]), (GIA, "visitor"))
        members = self.admin_c.get("/api/v1/spaces/%d/members" % team["id"])
        self.assertEqual([g["address"] for g in members.json()["guests"]], [GIA])

        spaces = c.get("/api/v1/spaces")
        self.assertStatus(spaces, 200)
        self.assertEqual([s["id"] for s in spaces.json()["spaces"]], [team["id"]])
        children = c.get("/api/v1/items/%d/children" % team["root_item_id"])
        self.assertStatus(children, 200)
        self.assertEqual([i["name"] for i in children.json()["items"]], ["team-plan.txt"])
        # A visitor reads but does not add; nothing of another space, nor another's share.
        self.assertStatus(c.upload(team["root_item_id"], "mine.txt", b"x"), 403, "forbidden")
        self.assertStatus(c.get("/api/v1/items/%d" % secret.json()["id"]), 404, "not_found")
        self.assertStatus(c.get("/api/v1/items/%d" % other["id"]), 404, "not_found")
        # As a member of the space the guest adds files too.
        r = self.admin_c.put("/api/v1/spaces/%d/guests/%s" % (team["id"], quote_name(GIA)),
                             json={"role": "member"})
        self.assertStatus(r, 200)
        self.assertStatus(c.upload(team["root_item_id"], "from-gia.txt", b"hello\n"), 201)
        # Owner is refused; a non-guest cannot be added.
        self.assertStatus(self.admin_c.put("/api/v1/spaces/%d/guests/%s"
                                           % (team["id"], quote_name(GIA)),
                                           json={"role": "owner"}), 400, "invalid_argument")
        self.assertStatus(self.admin_c.put("/api/v1/spaces/%d/guests/%s"
                                           % (team["id"], quote_name(HAL)),
                                           json={"role": "visitor"}), 409, "conflict")
        # Members' routes stay closed to the guest.
        self.assertStatus(c.get("/api/v1/me/shares"), 401)

    def test_an_admin_promotes_a_pending_address_that_then_signs_in(self):
        item, _ = self.share([IDA])
        self.promote(IDA)
        c, r = self.signed_in_with_code(IDA)
        self.assertEqual(r.json()["user"]["kind"], "guest")
        listed = c.get("/api/v1/shared-with-me").json()["items"]
        self.assertEqual([e["item"]["id"] for e in listed], [item["id"]])


class GuestExpiryTest(GuestCase):

    def test_expiry_warns_the_owner_once_ends_access_and_the_sweep_deletes_the_guest(self):
        self.settings(guest_expiry="30d", reverify_after="60d", remember_device_for="60d")
        item, link = self.share([GIA], name=unique("expiring"))
        self.promote(GIA)
        c = self.keep_alive_browser()
        self.signed_in_with_code(GIA, client=c, remember=True)  # the session outlives the test
        self.assertStatus(c.get("/api/v1/shared-with-me"), 200)
        expires_at = self.record(GIA)["guest_expires_at"]
        self.assertIsNotNone(expires_at)

        # 22 days in: nothing yet. 23 days in (7 days before): the owner is warned, once.
        self.advance("22d")
        self.assertStatus(c.get("/api/v1/shared-with-me"), 200)
        self.assertEqual([m for m in self.sink.messages_to(ADMIN_EMAIL) if is_expiry_warning(m)],
                         [])
        self.advance("1d")
        warning = self.sink.wait_for(1, to=ADMIN_EMAIL, where=is_expiry_warning)[0]
        self.assertIn(GIA, warning.subject)
        self.assertIn(item["name"], warning.text())
        self.assertStatus(c.get("/api/v1/shared-with-me"), 200)

        # One second before the expiry the guest is still in; one second after, the very next
        # request on the same connection is refused.
        self.advance("6d")
        self.advance("86399s")
        self.assertStatus(c.get("/api/v1/shared-with-me"), 200)
        self.assertStatus(c.get(shares(link["token"], "/content")), 200)
        self.advance("2s")
        self.assertStatus(c.get("/api/v1/shared-with-me"), 401)
        self.assertStatus(c.get("/api/v1/me"), 401)
        self.admin_again()

        # The sweep deletes the record (grants and sessions with it).
        wait_until(lambda: self.admin_c.get(identity(GIA)).status == 404, DELIVERY_TIMEOUT,
                   "the sweep to delete the expired guest")
        r = self.admin_c.get("/api/v1/admin/audit?event=identity.expired")
        self.assertStatus(r, 200)
        expired = r.json()["entries"]
        self.assertEqual(len(expired), 1, expired)
        self.assertEqual(expired[0]["actor"]["kind"], "system")
        self.assertEqual(expired[0]["target"]["address"], GIA)
        self.assertEqual(len([m for m in self.sink.messages_to(ADMIN_EMAIL)
                              if is_expiry_warning(m)]), 1)
        # No code brings it back: a sign-in request gets nothing (a later mail is the fence).
        a = self.browser()
        self.assertStatus(a.post(SIGN_IN, json={"email": GIA}), 202)

        # Sharing with the address again starts a clean record.
        again, _ = self.share([GIA], name=unique("again"))
        # The fence: the worker decided the sign-in request before it delivered this invitation.
        self.sink.wait_for(2, to=GIA, where=is_invitation)
        fresh = self.record(GIA)
        self.assertEqual(fresh["state"], "pending")
        self.assertIsNone(fresh["verified_at"])
        self.assertIsNone(fresh["last_sign_in_at"])
        self.assertEqual([r["item"]["id"] for r in fresh["reach"]], [again["id"]])
        self.assertEqual(len(self.code_mails_to(GIA)), 1)  # only the first sign-in's code

    def test_expiry_zero_never_ends_a_guest(self):
        self.settings(guest_expiry="0", reverify_after="400d", remember_device_for="400d")
        self.share([HAL])
        self.promote(HAL)
        c, _ = self.signed_in_with_code(HAL, remember=True)
        self.advance("365d")
        self.assertStatus(c.get("/api/v1/shared-with-me"), 200)
        self.admin_again()
        self.assertIsNone(self.record(HAL)["guest_expires_at"])


class EndingAccessTest(GuestCase):

    def test_block_delete_and_revoke_all_each_end_access_on_the_very_next_request(self):
        _, l_gia = self.share([GIA])
        _, l_hal = self.share([HAL])
        item_ida, l_ida = self.share([IDA])
        item_ida2, l_ida2 = self.share([IDA])
        for address in (GIA, HAL, IDA):
            self.promote(address)
        browsers = {}
        for address, link in ((GIA, l_gia), (HAL, l_hal), (IDA, l_ida)):
            c = self.keep_alive_browser()
            self.signed_in_with_code(address, client=c)
            self.assertStatus(c.get(shares(link["token"], "/content")), 200)
            browsers[address] = c

        self.assertEqual(self.admin_c.patch(identity(GIA), json={"state": "blocked"}).status, 200)
        # The blocked address's own browser is told access was turned off (no code will come).
        self.assertError(browsers[GIA].get(shares(l_gia["token"], "/content")), "forbidden")
        self.assertStatus(browsers[GIA].get("/api/v1/shared-with-me"), 401)

        self.assertStatus(self.admin_c.delete(identity(HAL)), 204)
        self.assertStatus(browsers[HAL].get(shares(l_hal["token"], "/content")), 401)
        self.assertStatus(browsers[HAL].get("/api/v1/me"), 401)

        reach = self.record(IDA)["reach"]
        self.assertEqual(sorted((r["item"]["id"], r["link"]["id"], r["link"]["kind"], r["role"],
                                 r["state"]) for r in reach),
                         sorted([(item_ida["id"], l_ida["id"], "specific", "view", "active"),
                                 (item_ida2["id"], l_ida2["id"], "specific", "view", "active")]))
        r = self.admin_c.post(identity(IDA, "/revoke-all"))
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["links_changed"], 2)
        self.assertEqual(sorted(l["link_id"] for l in r.json()["links"]),
                         sorted([l_ida["id"], l_ida2["id"]]))
        self.assertEqual(r.json()["sessions_ended"], 1)
        self.assertStatus(browsers[IDA].get(shares(l_ida["token"], "/content")), 401)
        self.assertStatus(browsers[IDA].get("/api/v1/me"), 401)
        self.assertEqual(self.record(IDA)["reach"], [])
        # Manage access no longer lists the address on either link.
        for item in (item_ida, item_ida2):
            access = self.admin_c.get("/api/v1/items/%d/access" % item["id"]).json()
            self.assertNotIn(IDA, [rec["address"] for link in access["links"]
                                   for rec in link["recipients"]])
        # A new code opens nothing that was revoked.
        c, _ = self.signed_in_with_code(IDA)
        self.assertEqual(c.get("/api/v1/shared-with-me").json()["items"], [])
        self.assertStatus(c.get(shares(l_ida["token"], "/content")), 403)

    def test_demoting_a_guest_ends_its_guest_session_on_the_very_next_request(self):
        space = self.team_space()
        self.share([GIA])
        self.promote(GIA)
        r = self.admin_c.put("/api/v1/spaces/%d/guests/%s" % (space["id"], quote_name(GIA)),
                             json={"role": "visitor"})
        self.assertStatus(r, 200)
        c = self.keep_alive_browser()
        self.signed_in_with_code(GIA, client=c)
        self.assertStatus(c.get("/api/v1/me"), 200)
        children = "/api/v1/items/%d/children" % space["root_item_id"]
        self.assertStatus(c.get(children), 200)
        # Back to a plain external recipient: the guest session is over at once.
        r = self.admin_c.patch(identity(GIA), json={"state": "verified"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["state"], "verified")
        self.assertStatus(c.get("/api/v1/me"), 401)
        self.assertStatus(c.get(children), 401)
        # A new code signs the address in as the recipient it now is, with no team space.
        again, _ = self.signed_in_with_code(GIA)
        self.assertEqual(again.get("/api/v1/me").json()["kind"], "external")
        self.assertStatus(again.get(children), 401)

    def test_revoke_all_of_an_unknown_address_is_404(self):
        self.assertStatus(self.admin_c.post(identity("nobody@else.example", "/revoke-all")), 404,
                          "not_found")
        c = self.browser()
        self.assertStatus(c.post(identity(GIA, "/revoke-all")), 401)


class AliasTest(GuestCase):

    def test_sharing_with_an_alias_reaches_the_same_identity_and_a_code_to_it_opens_it(self):
        first, l_first = self.share([GIA], name=unique("first"))
        r = self.admin_c.patch(identity(GIA), json={"aliases": [GIA2.upper()]})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["aliases"], [GIA2])
        # The alias finds the same record.
        self.assertEqual(self.record(GIA2)["address"], GIA)
        second, l_second = self.share([GIA2], name=unique("second"))
        self.assertEqual([rec["address"] for rec in l_second["recipients"]], [GIA])
        listed = self.admin_c.get(DIRECTORY).json()["identities"]
        self.assertEqual([i["address"] for i in listed if "gia" in i["address"]], [GIA])
        self.assertEqual(len(self.record(GIA)["reach"]), 2)

        # A code asked for on the link page with the alias goes to the alias and opens the item.
        c = self.browser()
        self.request_code(c, l_first["token"], GIA2)
        code = self.nth_code(GIA2, 1)
        self.assertStatus(self.confirm(c, l_first["token"], GIA2, code), 200)
        self.assertStatus(c.get(shares(l_first["token"], "/content")), 200)
        self.assertEqual(c.get("/api/v1/me").json()["email"], GIA)

        # A sign-in code to the alias proves the same identity: both items are there.
        b, r = self.signed_in_with_code(GIA2)
        self.assertEqual(r.json()["user"]["email"], GIA)
        items = sorted(e["item"]["id"] for e in b.get("/api/v1/shared-with-me").json()["items"])
        self.assertEqual(items, sorted([first["id"], second["id"]]))
        self.assertEqual(self.code_mails_to(GIA), [])

        # Removing the alias: it is a separate address again.
        r = self.admin_c.patch(identity(GIA), json={"aliases": []})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["aliases"], [])
        self.assertStatus(self.admin_c.get(identity(GIA2)), 404, "not_found")

    def test_an_alias_cannot_belong_to_two_people(self):
        self.share([GIA])
        self.share([HAL])
        self.assertStatus(self.admin_c.patch(identity(GIA), json={"aliases": [GIA2]}), 200)
        # Another identity's alias, another identity's address, a member's address: 409.
        for taken in (GIA2, GIA, ADMIN_EMAIL):
            r = self.admin_c.patch(identity(HAL), json={"aliases": [taken]})
            self.assertStatus(r, 409, "conflict")
        self.assertEqual(self.record(HAL)["aliases"], [])
        # Nor a member's alias.
        admin_id = self.admin_c.me()["id"]
        r = self.admin_c.patch("/api/v1/admin/users/%d" % admin_id, json={"aliases": [GIA2]})
        self.assertStatus(r, 409, "conflict")
        r = self.admin_c.patch("/api/v1/admin/users/%d" % admin_id,
                               json={"aliases": ["boss@example.org"]})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["aliases"], ["boss@example.org"])
        r = self.admin_c.patch(identity(HAL), json={"aliases": ["boss@example.org"]})
        self.assertStatus(r, 409, "conflict")
        # Bad input says what was wrong.
        self.assertStatus(self.admin_c.patch(identity(HAL), json={"aliases": "x@y.example"}),
                          400, "invalid_argument")
        self.assertStatus(self.admin_c.patch(identity(HAL), json={"aliases": ["not an address"]}),
                          400, "invalid_argument")

    def test_an_alias_of_a_member_makes_the_address_internal(self):
        self.settings(internal_domains=["example.org"])
        r = self.admin_c.post("/api/v1/admin/users",
                              json={"email": "bob@example.org", "password": "Bob-passw0rd-long",
                                    "display_name": "Bob"})
        self.assertStatus(r, 201)
        bob = r.json()
        item = self.admin_c.upload(self.root, unique("memo") + ".txt", b"memo\n").json()
        check = self.admin_c.post("/api/v1/items/%d/recipients/check" % item["id"],
                                  json={"addresses": ["robert@example.org"]})
        self.assertEqual(check.json()["recipients"][0]["status"], "refused")
        r = self.admin_c.patch("/api/v1/admin/users/%d" % bob["id"],
                               json={"aliases": ["robert@example.org"]})
        self.assertStatus(r, 200)
        check = self.admin_c.post("/api/v1/items/%d/recipients/check" % item["id"],
                                  json={"addresses": ["robert@example.org"]})
        got = check.json()["recipients"][0]
        self.assertEqual((got["status"], got["normalized"]), ("member", "bob@example.org"))
        r = self.admin_c.post("/api/v1/items/%d/links" % item["id"],
                              json={"kind": "specific", "recipients": ["robert@example.org"]})
        self.assertStatus(r, 201)
        self.assertEqual([(rec["address"], rec["kind"]) for rec in r.json()["recipients"]],
                         [("bob@example.org", "member")])
        # An external identity cannot take an address of an internal domain as an alias.
        self.share([HAL])
        self.assertStatus(self.admin_c.patch(identity(HAL), json={"aliases": ["hal@example.org"]}),
                          400, "invalid_argument")


class DirectoryFilterTest(GuestCase):

    def test_the_list_filters_by_state_and_text(self):
        _, link = self.share([GIA, HAL, JON])
        self.verified_browser(link["token"], address=HAL)
        self.promote(JON)
        r = self.admin_c.get(DIRECTORY + "?state=pending")
        self.assertStatus(r, 200)
        self.assertEqual([i["address"] for i in r.json()["identities"]], [GIA])
        self.assertEqual([i["address"] for i in
                          self.admin_c.get(DIRECTORY + "?state=verified").json()["identities"]],
                         [HAL])
        self.assertEqual([i["address"] for i in
                          self.admin_c.get(DIRECTORY + "?state=guest").json()["identities"]],
                         [JON])
        self.assertEqual([i["address"] for i in
                          self.admin_c.get(DIRECTORY + "?q=HAL").json()["identities"]], [HAL])
        self.assertEqual(len(self.admin_c.get(DIRECTORY).json()["identities"]), 3)
        self.assertStatus(self.admin_c.get(DIRECTORY + "?state=sleeping"), 400,
                          "invalid_argument")


if __name__ == "__main__":
    import unittest
    unittest.main()
