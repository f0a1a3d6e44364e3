"""Sessions and API tokens over real HTTP (SPEC §5 governance table, §2 "Session", §7).

Sessions: a member (session cookie) and an external recipient (recipient cookie) list their own
sessions and revoke one; an admin lists anyone's (filtered by principal or client address) and
revokes one. A revoked session is refused on its very next request, on the same keep-alive
connection, for a recipient's content too.

API tokens: created with a cookie session, shown once, stored only as SHA-256 (read back from the
SQLite file); `Authorization: Bearer` works without a cookie and without an Origin check; `read`
cannot write, `write` cannot administer, a revoked, expired (test clock), unknown or malformed
token and a disabled member's token get 401. The `vestibule token` command line too.

Each test class starts its own `vestibule serve --test-clock` (with an SMTP sink where recipients
need codes); assertions are on statuses, error codes and fields, never on wording.

SECURITY-CHECKLIST B13 (for tokens), B16, B19, D28 (bearer), H46.
"""

import hashlib
import json
import os
import re

from harness import ADMIN_EMAIL, Client, query, run_cli
from test_external import EVE, RECIPIENT_COOKIE, ExternalCase, shares

BOB = "bob@example.org"
BOB_PASSWORD = "Bob-passw0rd-long-enough"
CAROL = "carol@example.org"
CAROL_PASSWORD = "Carol-passw0rd-long-enough"
TOKEN_SHAPE = re.compile(r"^vst_[A-Za-z0-9_-]{43}$")
FOREIGN_ORIGIN = "http://evil.example"


class SessionsTokensCase(ExternalCase):

    def add_member(self, email, password, role="member"):
        r = self.admin_c.post("/api/v1/admin/users",
                              json={"email": email, "password": password, "role": role})
        self.assertStatus(r, 201)
        return r.json()

    def member(self, email, password, user_agent="it-browser/1.0", keep_alive=False):
        c = self.keep_alive_browser() if keep_alive else self.browser()
        r = c.post("/api/v1/session", json={"email": email, "password": password},
                   headers={"User-Agent": user_agent})
        self.assertStatus(r, 200)
        return c

    def bearer(self, token, keep_alive=False):
        """A client without cookies that sends the token on every request."""
        c = self.keep_alive_browser() if keep_alive else self.browser()
        c.cookies.clear()
        original = c.request

        def request(method, path, **kw):
            headers = dict(kw.pop("headers", None) or {})
            headers.setdefault("Authorization", "Bearer " + token)
            return original(method, path, headers=headers, **kw)
        c.request = request
        return c

    def create_token(self, client, scope, name="script", expires_in=None):
        body = {"name": name, "scope": scope}
        if expires_in is not None:
            body["expires_in"] = expires_in
        r = client.post("/api/v1/me/tokens", json=body)
        self.assertStatus(r, 201)
        return r.json()

    def sessions_of(self, client, path="/api/v1/me/sessions"):
        r = client.get(path)
        self.assertStatus(r, 200)
        return r.json()["sessions"]


class MemberSessionsTest(SessionsTokensCase):

    def test_a_member_lists_and_revokes_their_own_session_which_ends_at_once(self):
        self.add_member(BOB, BOB_PASSWORD)
        laptop = self.member(BOB, BOB_PASSWORD, user_agent="laptop-browser/2.0")
        phone = self.member(BOB, BOB_PASSWORD, user_agent="phone-browser/3.0", keep_alive=True)
        self.assertStatus(phone.get("/api/v1/me"), 200)

        listed = self.sessions_of(laptop)
        self.assertEqual(len(listed), 2, listed)
        for s in listed:
            for field in ("id", "kind", "method", "created_at", "last_seen_at", "proved_at",
                          "expires_at", "remembered", "client", "user_agent", "current"):
                self.assertIn(field, s)
            self.assertEqual(s["kind"], "member")
            self.assertEqual(s["method"], "password")
            self.assertEqual(s["client"], "127.0.0.1")
            self.assertNotIn(laptop.session, json.dumps(s))
            self.assertNotIn(phone.session, json.dumps(s))
        current = [s for s in listed if s["current"]]
        self.assertEqual(len(current), 1, listed)
        self.assertEqual(current[0]["user_agent"], "laptop-browser/2.0")
        other = [s for s in listed if not s["current"]][0]
        self.assertEqual(other["user_agent"], "phone-browser/3.0")

        # Another member cannot revoke it: the same answer as for no such session.
        self.add_member(CAROL, CAROL_PASSWORD)
        carol = self.member(CAROL, CAROL_PASSWORD)
        self.assertStatus(carol.delete("/api/v1/me/sessions/" + other["id"]), 404, "not_found")
        self.assertStatus(carol.delete("/api/v1/me/sessions/nonsense"), 404, "not_found")
        self.assertStatus(phone.get("/api/v1/me"), 200)

        # A cookie-authenticated revoke from another site is refused.
        self.assertStatus(laptop.delete("/api/v1/me/sessions/" + other["id"],
                                        headers={"Origin": FOREIGN_ORIGIN}), 403, "forbidden")
        self.assertStatus(phone.get("/api/v1/me"), 200)

        self.assertStatus(laptop.delete("/api/v1/me/sessions/" + other["id"]), 204)
        # The very next request on the same keep-alive connection is refused.
        self.assertStatus(phone.get("/api/v1/me"), 401, "unauthenticated")
        self.assertStatus(phone.get("/api/v1/spaces"), 401, "unauthenticated")
        self.assertStatus(laptop.get("/api/v1/me"), 200)
        self.assertEqual([s["current"] for s in self.sessions_of(laptop)], [True])

    def test_an_admin_finds_and_revokes_anyones_session(self):
        self.add_member(BOB, BOB_PASSWORD)
        bob = self.member(BOB, BOB_PASSWORD, keep_alive=True)
        self.assertStatus(bob.get("/api/v1/me"), 200)

        # Members cannot list or revoke others' sessions.
        self.assertStatus(bob.get("/api/v1/admin/sessions"), 403, "forbidden")

        everyone = self.sessions_of(self.admin_c, "/api/v1/admin/sessions")
        self.assertEqual({s["principal"]["email"] for s in everyone}, {ADMIN_EMAIL, BOB})
        found = self.sessions_of(self.admin_c, "/api/v1/admin/sessions?principal=BOB@example")
        self.assertEqual([s["principal"]["email"] for s in found], [BOB], found)
        self.assertFalse(found[0]["current"])
        self.assertEqual(len(self.sessions_of(
            self.admin_c, "/api/v1/admin/sessions?client=127.0.0.1")), 2)
        self.assertEqual(self.sessions_of(
            self.admin_c, "/api/v1/admin/sessions?client=10.9.9.9"), [])
        self.assertStatus(self.admin_c.get("/api/v1/admin/sessions?kind=robot"), 400,
                          "invalid_argument")

        self.assertStatus(bob.delete("/api/v1/admin/sessions/" + found[0]["id"]), 403,
                          "forbidden")
        self.assertStatus(self.admin_c.delete("/api/v1/admin/sessions/" + found[0]["id"]), 204)
        self.assertStatus(bob.get("/api/v1/me"), 401, "unauthenticated")
        self.assertStatus(self.admin_c.delete("/api/v1/admin/sessions/" + found[0]["id"]), 404,
                          "not_found")


class RecipientSessionsTest(SessionsTokensCase):

    def test_a_recipient_lists_and_revokes_their_own_session_and_its_content_stops(self):
        item, link = self.share([EVE])
        token = link["token"]
        first, _ = self.verified_browser(token)
        second, _ = self.verified_browser(token, client=self.keep_alive_browser())
        self.assertStatus(second.get(shares(token, "/content")), 200)

        listed = self.sessions_of(first)
        self.assertEqual(len(listed), 2, listed)
        self.assertEqual({s["kind"] for s in listed}, {"recipient"})
        self.assertEqual({s["method"] for s in listed}, {"email_code"})
        self.assertEqual({s["principal"]["email"] for s in listed}, {EVE})
        for s in listed:
            self.assertNotIn(first.cookies[RECIPIENT_COOKIE], json.dumps(s))
        mine = [s for s in listed if s["current"]]
        self.assertEqual(len(mine), 1)
        theirs = [s for s in listed if not s["current"]][0]

        # A member cannot revoke a recipient's session as their own.
        self.add_member(BOB, BOB_PASSWORD)
        bob = self.member(BOB, BOB_PASSWORD)
        self.assertStatus(bob.delete("/api/v1/me/sessions/" + theirs["id"]), 404, "not_found")
        self.assertStatus(second.get(shares(token, "/content")), 200)

        self.assertStatus(first.delete("/api/v1/me/sessions/" + theirs["id"]), 204)
        # The next request on the same connection gets no content.
        self.assertStatus(second.get(shares(token, "/content")), (401, 403))
        self.assertStatus(second.get("/api/v1/me/sessions"), 401, "unauthenticated")
        self.assertStatus(first.get(shares(token, "/content")), 200)

    def test_an_admin_revokes_a_recipients_session(self):
        item, link = self.share([EVE])
        token = link["token"]
        eve, _ = self.verified_browser(token, client=self.keep_alive_browser())
        self.assertStatus(eve.get(shares(token, "/content")), 200)

        found = self.sessions_of(self.admin_c, "/api/v1/admin/sessions?principal=" + EVE)
        self.assertEqual(len(found), 1, found)
        self.assertEqual(found[0]["kind"], "recipient")
        self.assertStatus(self.admin_c.delete("/api/v1/admin/sessions/" + found[0]["id"]), 204)
        self.assertStatus(eve.get(shares(token, "/content")), (401, 403))
        self.assertStatus(eve.get("/api/v1/shared-with-me"), 401, "unauthenticated")


class TokenScopesTest(SessionsTokensCase):

    def test_a_read_token_reads_but_cannot_write(self):
        self.add_member(BOB, BOB_PASSWORD)
        bob = self.member(BOB, BOB_PASSWORD)
        created = self.create_token(bob, "read", name="backup reader")
        self.assertEqual(set(created), {"id", "token", "name", "scope", "created_at",
                                        "expires_at", "last_used_at", "expired"})
        self.assertRegex(created["token"], TOKEN_SHAPE)
        self.assertEqual(created["scope"], "read")

        script = self.bearer(created["token"])
        me = script.get("/api/v1/me")
        self.assertStatus(me, 200)
        self.assertEqual(me.json()["email"], BOB)
        spaces = script.get("/api/v1/spaces")
        self.assertStatus(spaces, 200)
        root = spaces.json()["spaces"][0]["root_item_id"]
        self.assertStatus(script.get("/api/v1/items/%d/children" % root), 200)

        r = script.post("/api/v1/items/%d/children" % root,
                        json={"name": "not allowed", "kind": "folder"})
        self.assertStatus(r, 403, "forbidden")
        self.assertStatus(script.upload(root, "x.txt", b"x"), 403, "forbidden")
        self.assertStatus(script.post("/api/v1/me/tokens", json={"name": "n", "scope": "read"}),
                          403, "forbidden")
        self.assertEqual(bob.children(root), [])

        # Listed without the secret.
        listed = bob.get("/api/v1/me/tokens")
        self.assertStatus(listed, 200)
        self.assertNotIn(created["token"], listed.body.decode())
        [row] = listed.json()["tokens"]
        self.assertNotIn("token", row)
        self.assertEqual((row["id"], row["name"], row["scope"]),
                         (created["id"], "backup reader", "read"))
        self.assertIsNotNone(row["last_used_at"])

    def test_a_write_token_needs_no_cookie_or_origin_but_cannot_administer(self):
        self.add_member(BOB, BOB_PASSWORD)
        bob = self.member(BOB, BOB_PASSWORD)
        created = self.create_token(bob, "write")
        script = self.bearer(created["token"])
        root = bob.personal_root()
        # No Origin at all, and a foreign Origin: the CSRF check does not apply to bearer calls.
        self.assertStatus(script.post("/api/v1/items/%d/children" % root,
                                      json={"name": "by script", "kind": "folder"}), 201)
        self.assertStatus(script.post("/api/v1/items/%d/children" % root,
                                      json={"name": "from anywhere", "kind": "folder"},
                                      headers={"Origin": FOREIGN_ORIGIN,
                                               "Sec-Fetch-Site": "cross-site"}), 201)
        self.assertStatus(script.upload(root, "notes.txt", b"written by a token\n"), 201)
        self.assertEqual(sorted(i["name"] for i in bob.children(root)),
                         ["by script", "from anywhere", "notes.txt"])
        # The same call with the cookie from another site is refused (the check is still on).
        self.assertStatus(bob.post("/api/v1/items/%d/children" % root,
                                   json={"name": "csrf", "kind": "folder"},
                                   headers={"Origin": FOREIGN_ORIGIN}), 403, "forbidden")

        self.assertStatus(script.get("/api/v1/admin/settings"), 403, "forbidden")
        # An admin's write token does not carry the admin's rights either.
        admin_write = self.bearer(self.create_token(self.admin_c, "write")["token"])
        self.assertStatus(admin_write.get("/api/v1/admin/users"), 403, "forbidden")
        self.assertStatus(admin_write.patch("/api/v1/admin/settings",
                                            json={"reverify_after": "7d"}), 403, "forbidden")
        self.assertStatus(admin_write.get("/api/v1/admin/sessions"), 403, "forbidden")

        # Only admins get the admin scope; an admin token does everything the admin can.
        r = bob.post("/api/v1/me/tokens", json={"name": "n", "scope": "admin"})
        self.assertStatus(r, 403, "forbidden")
        admin_token = self.bearer(self.create_token(self.admin_c, "admin")["token"])
        self.assertStatus(admin_token.get("/api/v1/admin/users"), 200)
        r = admin_token.patch("/api/v1/admin/settings", json={"code_max_tries": 4},
                              headers={"Origin": FOREIGN_ORIGIN})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["code_max_tries"], 4)

    def test_token_management_needs_a_session_or_an_admin_token(self):
        self.add_member(BOB, BOB_PASSWORD)
        bob = self.member(BOB, BOB_PASSWORD)
        write = self.bearer(self.create_token(bob, "write")["token"])
        self.assertStatus(write.post("/api/v1/me/tokens", json={"name": "n", "scope": "read"}),
                          403, "forbidden")
        self.assertStatus(write.get("/api/v1/me/tokens"), 200)
        self.assertStatus(write.post("/api/v1/me/password",
                                     json={"current_password": BOB_PASSWORD,
                                           "new_password": "another-long-one"}),
                          403, "forbidden")
        self.assertStatus(write.delete("/api/v1/session"), 400, "invalid_argument")

        parent = self.create_token(self.admin_c, "admin", expires_in="2d")
        child = self.bearer(parent["token"]).post(
            "/api/v1/me/tokens", json={"name": "child", "scope": "read", "expires_in": "30d"})
        self.assertStatus(child, 201)
        # What a token makes never outlives it.
        self.assertEqual(child.json()["expires_at"], parent["expires_at"])

    def test_bad_input_is_named(self):
        self.add_member(BOB, BOB_PASSWORD)
        bob = self.member(BOB, BOB_PASSWORD)
        for body, field in (({"scope": "read"}, "name"),
                            ({"name": "", "scope": "read"}, "name"),
                            ({"name": "n", "scope": "everything"}, "scope"),
                            ({"name": "n", "scope": "read", "expires_in": "400d"}, "expires_in"),
                            ({"name": "n", "scope": "read", "expires_in": "0"}, "expires_in"),
                            ({"name": "n", "scope": "read", "expires_in": "soon"}, "expires_in")):
            r = bob.post("/api/v1/me/tokens", json=body)
            self.assertStatus(r, 400, "invalid_argument")
            self.assertEqual(r.json()["error"].get("field"), field, r.describe())
        self.assertStatus(bob.delete("/api/v1/me/tokens/abc"), 404, "not_found")


class TokenLifecycleTest(SessionsTokensCase):

    def test_a_revoked_token_is_refused_on_the_next_request(self):
        self.add_member(BOB, BOB_PASSWORD)
        bob = self.member(BOB, BOB_PASSWORD)
        created = self.create_token(bob, "write")
        script = self.bearer(created["token"], keep_alive=True)
        self.assertStatus(script.get("/api/v1/me"), 200)

        self.add_member(CAROL, CAROL_PASSWORD)
        carol = self.member(CAROL, CAROL_PASSWORD)
        self.assertStatus(carol.delete("/api/v1/me/tokens/%d" % created["id"]), 404, "not_found")
        self.assertStatus(script.get("/api/v1/me"), 200)

        self.assertStatus(bob.delete("/api/v1/me/tokens/%d" % created["id"]), 204)
        self.assertStatus(script.get("/api/v1/me"), 401, "unauthenticated")
        self.assertStatus(script.get("/api/v1/spaces"), 401, "unauthenticated")
        self.assertEqual(bob.get("/api/v1/me/tokens").json()["tokens"], [])

    def test_an_expired_token_is_refused(self):
        self.add_member(BOB, BOB_PASSWORD)
        bob = self.member(BOB, BOB_PASSWORD)
        short = self.create_token(bob, "read", expires_in="1h")
        default = self.create_token(bob, "read", name="default expiry")
        self.assertEqual(self.minutes_between(default["created_at"], default["expires_at"]),
                         30 * 24 * 60)
        script = self.bearer(short["token"], keep_alive=True)
        self.advance("59m")
        self.assertStatus(script.get("/api/v1/me"), 200)
        self.advance("2m")
        self.assertStatus(script.get("/api/v1/me"), 401, "unauthenticated")
        [row] = [t for t in bob.get("/api/v1/me/tokens").json()["tokens"]
                 if t["id"] == short["id"]]
        self.assertTrue(row["expired"])
        self.assertStatus(self.bearer(default["token"]).get("/api/v1/me"), 200)

    @staticmethod
    def minutes_between(a, b):
        import datetime
        parse = lambda t: datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ")
        return int((parse(b) - parse(a)).total_seconds() // 60)

    def test_a_disabled_members_token_is_refused(self):
        bob_user = self.add_member(BOB, BOB_PASSWORD)
        bob = self.member(BOB, BOB_PASSWORD)
        script = self.bearer(self.create_token(bob, "write")["token"], keep_alive=True)
        self.assertStatus(script.get("/api/v1/me"), 200)
        r = self.admin_c.patch("/api/v1/admin/users/%d" % bob_user["id"], json={"disabled": True})
        self.assertStatus(r, 200)
        self.assertStatus(script.get("/api/v1/me"), 401, "unauthenticated")
        self.admin_c.patch("/api/v1/admin/users/%d" % bob_user["id"], json={"disabled": False})
        self.assertStatus(script.get("/api/v1/me"), 200)

    def test_malformed_and_unknown_tokens_get_401_and_cookies_are_not_consulted(self):
        self.add_member(BOB, BOB_PASSWORD)
        bob = self.member(BOB, BOB_PASSWORD)
        for value in ("Bearer", "Bearer ", "Bearer abc", "Bearer vst_short",
                      "Bearer vst_" + "A" * 42 + "!",
                      "Bearer vst_" + "A" * 43):
            r = bob.get("/api/v1/me", headers={"Authorization": value})
            self.assertStatus(r, 401, "unauthenticated")
            self.assertTrue(r.json()["error"]["message"])
        # Other schemes (a proxy's Basic credentials) leave the cookie in charge.
        self.assertStatus(bob.get("/api/v1/me", headers={"Authorization": "Basic Ym9iOng="}), 200)

    def test_the_token_is_stored_only_as_its_hash(self):
        self.add_member(BOB, BOB_PASSWORD)
        bob = self.member(BOB, BOB_PASSWORD)
        created = self.create_token(bob, "write")
        secret = created["token"]
        self.assertStatus(self.bearer(secret).get("/api/v1/me"), 200)
        digest = hashlib.sha256(secret.encode()).hexdigest()

        stored = query(self.server.data_dir,
                       "SELECT token_hash FROM api_tokens WHERE id = %d" % created["id"])
        self.assertEqual(stored, [(digest,)])
        for name in os.listdir(self.server.data_dir):
            path = os.path.join(self.server.data_dir, name)
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    self.assertNotIn(secret.encode(), f.read(), name)
        self.assertNotIn(secret, self.server.output())


class TokenCommandLineTest(SessionsTokensCase):

    def test_create_list_and_revoke_from_the_command_line(self):
        self.add_member(BOB, BOB_PASSWORD)
        data = self.server.data_dir
        code, out, err = run_cli("token", "create", "--data-dir", data, "--user", BOB,
                                 "--name", "nightly sync", "--scope", "write",
                                 "--expires-in", "7d")
        self.assertEqual(code, 0, err)
        secret = re.search(r"vst_[A-Za-z0-9_-]{43}", out)
        self.assertIsNotNone(secret, out)
        script = self.bearer(secret.group(0), keep_alive=True)
        self.assertEqual(script.get("/api/v1/me").json()["email"], BOB)

        code, out, err = run_cli("token", "list", "--data-dir", data, "--format", "json")
        self.assertEqual(code, 0, err)
        rows = json.loads(out)["tokens"]
        self.assertEqual([(r["user"], r["name"], r["scope"]) for r in rows],
                         [(BOB, "nightly sync", "write")])
        self.assertNotIn(secret.group(0), out)
        code, out, err = run_cli("token", "list", "--data-dir", data, "--user", ADMIN_EMAIL,
                                 "--format", "csv")
        self.assertEqual(code, 0, err)
        self.assertEqual(out.strip().splitlines()[1:], [])
        code, out, err = run_cli("token", "list", "--data-dir", data)
        self.assertEqual(code, 0, err)
        self.assertIn("nightly sync", out)

        code, _, err = run_cli("token", "create", "--data-dir", data, "--user", BOB,
                               "--name", "x", "--scope", "admin")
        self.assertNotEqual(code, 0)
        self.assertTrue(err.strip())
        code, _, err = run_cli("token", "create", "--data-dir", data, "--user",
                               "nobody@example.org", "--name", "x", "--scope", "read")
        self.assertNotEqual(code, 0)
        self.assertTrue(err.strip())

        code, _, err = run_cli("token", "revoke", "--data-dir", data, str(rows[0]["id"]))
        self.assertEqual(code, 0, err)
        self.assertStatus(script.get("/api/v1/me"), 401, "unauthenticated")
        code, _, err = run_cli("token", "revoke", "--data-dir", data, str(rows[0]["id"]))
        self.assertNotEqual(code, 0)


if __name__ == "__main__":
    import unittest
    unittest.main()
