"""The foundation over real HTTP: ops endpoints, sign-in and sessions, members (HTTP and CLI),
spaces, folders, uploads, downloads with ranges and ETags, versions, rename/move, trash,
isolation between members, team-space roles, CSRF and sign-in throttling.

Follows docs/openapi.json; SECURITY-CHECKLIST items 13, 14, 16, 20, 28, 29, 31.
"""

import base64
import hashlib
import itertools
import os
import re
import sys
import unittest
import urllib.parse

from harness import (ADMIN_EMAIL, ADMIN_PASSWORD, Client, VestibuleTestCase, quote_name,
                     run_cli, sha256, stored_bytes)

_counter = itertools.count(1)

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def unique(prefix):
    return "%s-%d-%d" % (prefix, os.getpid(), next(_counter))


def parse_set_cookie(value):
    parts = [p.strip() for p in value.split(";")]
    name, _, cookie_value = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip()
    return name, cookie_value, attrs


def session_cookie(resp):
    cookies = [parse_set_cookie(v) for v in resp.headers.get_all("Set-Cookie")]
    found = [c for c in cookies if c[0] == "vestibule_session"]
    if len(found) != 1:
        raise AssertionError("expected one vestibule_session Set-Cookie\n" + resp.describe())
    return found[0]


class SharedServer(VestibuleTestCase):
    """One server for the class; an admin client signed in once."""

    server_kwargs = {}

    @classmethod
    def setUpClass(cls):
        cls.server = cls.start_class_server(**cls.server_kwargs)
        cls.admin_client = Client(cls.server.port)
        try:
            cls.admin_client.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
            cls.admin_id = cls.admin_client.me()["id"]
            cls.admin_root = cls.admin_client.personal_root()
        except BaseException as e:
            output = cls.server.output(last=150)
            cls.admin_client.close()
            VestibuleTestCase.tearDownClass.__func__(cls)
            raise AssertionError("%s\n----- server output -----\n%s" % (e, output)) from e

    @classmethod
    def tearDownClass(cls):
        cls.admin_client.close()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        if not self.server.healthy():
            # An earlier test crashed the server (that test failed); restart it on the same
            # data so that the following tests still say something on their own.
            cls = type(self)
            code = cls.server.kill()
            sys.stderr.write("\nthe server had died (exit %s); restarting it for %s\n"
                             % (code, self.id()))
            cls.admin_client.close()
            cls.server = cls.start_class_server(data_dir=cls.server.data_dir,
                                                **cls.server_kwargs)
            cls.admin_client = Client(cls.server.port)
            cls.admin_client.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        self._clients.append(self.admin_client)
        self.admin_client.missing_request_id.clear()

    # -- helpers ----------------------------------------------------------------------------

    def fresh_folder(self, prefix="folder"):
        return self.admin_client.mkdir(self.admin_root, unique(prefix))

    def add_member(self, role="user", via=None):
        email = "%s@example.org" % unique("member")
        password = "Member-passw0rd-%s" % unique("pw")
        c = via or self.admin_client
        r = c.post("/api/v1/admin/users", json={"email": email, "password": password,
                                                 "display_name": "Member " + email.split("@")[0],
                                                 "role": role})
        self.assertStatus(r, 201)
        user = r.json()
        self.assertEqual(user["email"], email, r.describe())
        self.assertIn("id", user)
        return user, email, password

    def member_client(self, role="user"):
        user, email, password = self.add_member(role)
        c = self.client(self.server, sign_in=email, password=password)
        return c, user

    def assertItemShape(self, item):
        for key in ("id", "name", "kind", "parent_id", "space_id", "size", "version",
                    "modified_at", "modified_by"):
            self.assertIn(key, item, "item JSON lacks %r: %r" % (key, item))
        self.assertIn(item["kind"], ("file", "folder"))
        self.assertIsInstance(item["id"], int, item)
        self.assertRegex(item["modified_at"], RFC3339_UTC)
        self.assertIn("id", item["modified_by"])
        self.assertIn("display_name", item["modified_by"])

    def names(self, folder_id, client=None):
        return [i["name"] for i in (client or self.admin_client).children(folder_id)]


class OpsTest(SharedServer):

    def test_healthz(self):
        r = self.client(self.server).get("/healthz")
        self.assertStatus(r, 200)
        self.assertEqual(r.json().get("status"), "ok", r.describe())

    def test_readyz(self):
        r = self.client(self.server).get("/readyz")
        self.assertStatus(r, 200)
        self.assertEqual(r.json().get("status"), "ready", r.describe())

    def test_metrics_count_requests_by_route_and_status(self):
        c = self.client(self.server)
        self.assertStatus(c.get("/api/v1/me"), 401)
        self.assertStatus(c.get("/healthz"), 200)
        self.assertStatus(c.get("/readyz"), 200)
        r = c.get("/metrics")
        self.assertStatus(r, 200)
        text = r.body.decode("utf-8")
        self.assertIn("vestibule_http_requests_total", text)
        samples = re.findall(r'^vestibule_http_requests_total\{([^}]*)\}\s+([0-9.e+]+)\s*$', text,
                             re.M)
        self.assertTrue(samples, "no vestibule_http_requests_total samples:\n" + text[:3000])
        self.assertTrue(any('status="401"' in labels and float(v) >= 1 for labels, v in samples),
                        "no sample counting the 401:\n" + text[:3000])
        self.assertTrue(all("route=" in labels for labels, _ in samples), text[:3000])
        self.assertIn("vestibule_http_request_duration_seconds", text)

    def test_openapi_document(self):
        r = self.client(self.server).get("/api/v1/openapi.json")
        self.assertStatus(r, 200)
        doc = r.json()
        self.assertIsInstance(doc, dict)
        self.assertTrue(str(doc.get("openapi", "")).startswith("3."), doc.get("openapi"))

    def test_openapi_document_describes_the_core_routes(self):
        doc = self.client(self.server).get("/api/v1/openapi.json").json()
        paths = doc.get("paths", {})
        for p in ("/api/v1/session", "/api/v1/me", "/api/v1/spaces", "/api/v1/items/{id}",
                  "/api/v1/items/{id}/content"):
            self.assertIn(p, paths, "OpenAPI document lacks %s" % p)

    def test_every_response_has_a_request_id(self):
        c = self.client(self.server)
        seen = set()
        for method, path, status in (("GET", "/healthz", 200), ("GET", "/api/v1/me", 401),
                                     ("GET", "/api/v1/no-such-route", (401, 404)),
                                     ("PUT", "/api/v1/me", (401, 405)),
                                     ("POST", "/api/v1/session", 400)):
            r = c.request(method, path, json="{" if method == "POST" else None)
            self.assertStatus(r, status)
            rid = r.headers.get("X-Request-Id")
            self.assertTrue(rid, "no X-Request-Id\n" + r.describe())
            seen.add(rid)
        self.assertEqual(len(seen), 5, "request ids are not distinct: %r" % seen)

    def test_dev_clock_is_absent_without_test_clock(self):
        r = self.admin_client.post("/api/v1/dev/clock", json={"advance": "1h"})
        self.assertStatus(r, (403, 404))


class WalkthroughTest(VestibuleTestCase):
    """What a newcomer does first, on a fresh server."""

    def test_newcomer_walkthrough(self):
        server = self.start_server()
        anon = self.client(server)
        self.assertStatus(anon.get("/healthz"), 200)
        self.assertStatus(anon.get("/api/v1/me"), 401, "unauthenticated")

        c = self.client(server)
        r = c.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        user = r.json()["user"]
        self.assertEqual(user["email"], ADMIN_EMAIL)
        self.assertEqual(user["kind"], "member")
        self.assertEqual(user["role"], "admin")
        me = c.me()
        self.assertEqual(me["id"], user["id"])
        self.assertEqual(me["email"], ADMIN_EMAIL)

        spaces = c.get("/api/v1/spaces").json()["spaces"]
        personal = [s for s in spaces if s["kind"] == "personal"]
        self.assertEqual(len(personal), 1, spaces)
        self.assertEqual(personal[0]["name"], "My files")
        root = personal[0]["root_item_id"]
        self.assertEqual(c.children(root), [])

        folder = c.mkdir(root, "Projects")
        self.assertEqual(folder["kind"], "folder")
        self.assertEqual(folder["parent_id"], root)
        r = c.upload(folder["id"], "hello.txt", b"hello, vestibule\n")
        self.assertStatus(r, 201)
        item = r.json()
        self.assertEqual((item["name"], item["kind"], item["size"], item["version"]),
                         ("hello.txt", "file", 17, 1))
        self.assertEqual(item["modified_by"]["id"], me["id"])
        listing = c.children(folder["id"])
        self.assertEqual([(i["name"], i["size"]) for i in listing], [("hello.txt", 17)])
        r = c.content(item["id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"hello, vestibule\n")

        r = c.upload(folder["id"], "hello.txt", b"hello again\n")
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["version"], 2)
        self.assertEqual(r.json()["id"], item["id"])
        versions = c.get("/api/v1/items/%d/versions" % item["id"]).json()["versions"]
        self.assertEqual([v["version"] for v in versions], [2, 1])

        self.assertStatus(c.delete("/api/v1/session"), 204)
        self.assertStatus(c.get("/api/v1/me"), 401, "unauthenticated")


class SessionTest(SharedServer):

    def test_sign_in_cookie_flags(self):
        c = self.client(self.server)
        r = c.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        name, value, attrs = session_cookie(r)
        self.assertIn("httponly", attrs, r.describe())
        self.assertEqual(attrs.get("samesite", "").lower(), "lax", r.describe())
        self.assertEqual(attrs.get("path"), "/", r.describe())
        self.assertNotIn("domain", attrs, r.describe())
        self.assertNotIn("secure", attrs, "Secure over plain http\n" + r.describe())
        self.assertNotIn("max-age", attrs, "a plain session is a browser-session cookie\n"
                         + r.describe())
        self.assertNotIn("expires", attrs, r.describe())
        self.assertGreaterEqual(len(value), 22, "token shorter than 128 bits of base64url")
        self.assertEqual(c.me()["email"], ADMIN_EMAIL)

    def test_session_token_is_stored_only_as_its_sha256(self):
        c = self.client(self.server)
        _, token, _ = session_cookie(c.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD))
        self.assertEqual(c.me()["email"], ADMIN_EMAIL)
        blob = stored_bytes(self.server.data_dir)
        self.assertTrue(blob, "the database holds nothing")
        self.assertNotIn(token.encode(), blob, "the raw session token is in the database")
        candidates = [hashlib.sha256(token.encode()).digest()]
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            candidates.append(hashlib.sha256(raw).digest())
        except ValueError:
            pass
        forms = []
        for d in candidates:
            forms += [d.hex().encode(), d.hex().upper().encode(), d]
        self.assertTrue(any(f in blob for f in forms),
                        "the session token's SHA-256 is not in the database")

    def test_wrong_password_and_unknown_user_are_indistinguishable(self):
        c = self.client(self.server)
        wrong = c.sign_in(ADMIN_EMAIL, "not-the-password-at-all", expect=None)
        unknown = c.sign_in("nobody-%s@example.org" % unique("x"), "not-the-password-at-all",
                            expect=None)
        self.assertStatus(wrong, 401, "unauthenticated")
        self.assertStatus(unknown, 401, "unauthenticated")
        self.assertEqual(wrong.body, unknown.body)
        self.assertEqual(wrong.headers.get_all("Set-Cookie"), [])
        self.assertEqual(unknown.headers.get_all("Set-Cookie"), [])
        self.assertIsNone(c.session)

    def test_me(self):
        me = self.admin_client.me()
        self.assertEqual(me["email"], ADMIN_EMAIL)
        self.assertEqual(me["kind"], "member")
        self.assertEqual(me["role"], "admin")
        self.assertIn("display_name", me)
        self.assertEqual(me["id"], self.admin_id)
        self.assertStatus(self.client(self.server).get("/api/v1/me"), 401, "unauthenticated")
        forged = Client(self.server.port, cookies={"vestibule_session": "A" * 43})
        self._clients.append(forged)
        self.addCleanup(forged.close)
        self.assertStatus(forged.get("/api/v1/me"), 401, "unauthenticated")

    def test_logout_is_server_side(self):
        c = self.client(self.server)
        c.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        token = c.session
        self.assertTrue(token)
        r = c.delete("/api/v1/session")
        self.assertStatus(r, 204)
        self.assertTrue(any(v.startswith("vestibule_session=")
                            for v in r.headers.get_all("Set-Cookie")),
                        "sign-out does not clear the cookie\n" + r.describe())
        self.assertIsNone(c.session, "the cleared cookie is still set: %r" % c.cookies)
        replay = self.client(self.server)
        replay.cookies["vestibule_session"] = token
        self.assertStatus(replay.get("/api/v1/me"), 401, "unauthenticated")
        self.assertStatus(replay.get("/api/v1/spaces"), 401, "unauthenticated")

    def test_every_sign_in_issues_a_new_session(self):
        a = self.client(self.server, sign_in=ADMIN_EMAIL, password=ADMIN_PASSWORD)
        b = self.client(self.server, sign_in=ADMIN_EMAIL, password=ADMIN_PASSWORD)
        self.assertNotEqual(a.session, b.session)
        self.assertStatus(a.delete("/api/v1/session"), 204)
        self.assertEqual(b.me()["email"], ADMIN_EMAIL, "signing out one session ended another")

    def test_a_planted_live_session_is_replaced_at_sign_in_and_never_becomes_the_victims(self):
        _, attacker_email, attacker_password = self.add_member()
        attacker = self.client(self.server, sign_in=attacker_email, password=attacker_password)
        planted = attacker.session
        _, email, password = self.add_member()
        # The victim's browser carries the attacker's live session before signing in.
        victim = self.client(self.server)
        victim.cookies["vestibule_session"] = planted
        self.assertEqual(victim.me()["email"], attacker_email)
        r = victim.sign_in(email, password)
        self.assertIn("vestibule_session", [sc.split("=", 1)[0]
                                            for sc in r.headers.get_all("Set-Cookie")],
                      r.describe())
        self.assertNotEqual(victim.session, planted)
        self.assertEqual(victim.me()["email"], email)
        # The planted value is still the attacker's session at most, never the victim's.
        for c in (attacker, self.client(self.server)):
            c.cookies["vestibule_session"] = planted
            r = c.get("/api/v1/me")
            self.assertIn(r.status, (200, 401), r.describe())
            if r.status == 200:
                self.assertEqual(r.json()["email"], attacker_email, r.describe())

    def test_changing_my_password_checks_the_current_one_and_ends_my_other_sessions(self):
        _, email, password = self.add_member()
        a = self.client(self.server, sign_in=email, password=password)
        b = self.client(self.server, sign_in=email, password=password)
        new = "New-passw0rd-%s" % unique("pw")

        def change(client, current, replacement, headers=None, **extra):
            body = dict({"current_password": current, "new_password": replacement}, **extra)
            return client.post("/api/v1/me/password", json=body, headers=headers)

        # Refused, and nothing changes: a wrong current password, a new one that breaks the
        # rules, a request from another site, an API token instead of the session.
        r = change(a, "not-" + password, new)
        self.assertStatus(r, 403, "forbidden")
        self.assertEqual(r.json()["error"].get("field"), "current_password", r.describe())
        r = change(a, password, "short")
        self.assertStatus(r, 400, "invalid_argument")
        self.assertEqual(r.json()["error"].get("field"), "new_password", r.describe())
        r = change(a, password, new, headers={"Origin": "https://elsewhere.example"})
        self.assertStatus(r, 403, "forbidden")
        r = a.post("/api/v1/me/tokens", json={"name": "script", "scope": "write"})
        self.assertStatus(r, 201)
        script = Client(self.server.port)
        self._clients.append(script)
        self.addCleanup(script.close)
        r = script.post("/api/v1/me/password",
                        json={"current_password": password, "new_password": new},
                        headers={"Authorization": "Bearer " + r.json()["token"]})
        self.assertStatus(r, 403, "forbidden")
        for c in (a, b):
            self.assertEqual(c.me()["email"], email)
        self.assertStatus(self.client(self.server).sign_in(email, new, expect=None), 401)

        # The right current password: 204. This session stays, the other one ends (the
        # default), the old password no longer signs in and the new one does.
        self.assertStatus(change(a, password, new), 204)
        self.assertEqual(a.me()["email"], email)
        self.assertStatus(b.get("/api/v1/me"), 401, "unauthenticated")
        self.assertStatus(self.client(self.server).sign_in(email, password, expect=None), 401,
                          "unauthenticated")
        c = self.client(self.server, sign_in=email, password=new)

        # With end_other_sessions false, the other sessions stay.
        newer = "Newer-passw0rd-%s" % unique("pw")
        self.assertStatus(change(a, new, newer, end_other_sessions=False), 204)
        self.assertEqual(c.me()["email"], email)
        self.assertEqual(a.me()["email"], email)
        self.client(self.server, sign_in=email, password=newer)

    def test_guessing_the_current_password_is_throttled_as_sign_in_is(self):
        from test_external import ClientFrom  # another loopback address: its own throttle counts
        _, email, password = self.add_member()
        thief = ClientFrom(self.server.port, "127.0.0.12")
        self._clients.append(thief)
        self.addCleanup(thief.close)
        thief.sign_in(email, password)
        statuses = []
        for n in range(12):
            r = thief.post("/api/v1/me/password",
                           json={"current_password": "guess-%d" % n, "new_password": "x" * 12})
            statuses.append(r.status)
            if r.status == 429:
                break
        self.assertEqual(statuses[:5], [403] * 5, statuses)  # the free tries of sign-in
        self.assertEqual(statuses[-1], 429, statuses)
        self.assertGreater(int(r.headers["Retry-After"]), 0)
        self.assertError(r, "too_many_requests")
        # While it waits, even the right password is not checked from that client...
        r = thief.post("/api/v1/me/password",
                       json={"current_password": password, "new_password": "y" * 12})
        self.assertStatus(r, 429)
        # ...while the person, from their own client, is not held back.
        owner = self.client(self.server, sign_in=email, password=password)
        r = owner.post("/api/v1/me/password",
                       json={"current_password": password, "new_password": "Owner-new-pw-1"})
        self.assertStatus(r, 204)


class MembersTest(SharedServer):

    def test_admin_adds_a_member_over_http(self):
        user, email, password = self.add_member()
        self.assertEqual(user.get("role"), "user")
        c = self.client(self.server)
        r = c.sign_in(email, password)
        self.assertEqual(r.json()["user"]["email"], email)
        self.assertEqual(r.json()["user"]["role"], "user")
        self.assertEqual(c.me()["id"], user["id"])
        spaces = c.get("/api/v1/spaces").json()["spaces"]
        self.assertEqual([s["name"] for s in spaces if s["kind"] == "personal"], ["My files"])
        # The same email again is a conflict.
        r = self.admin_client.post("/api/v1/admin/users",
                                   json={"email": email, "password": password,
                                         "display_name": "Again", "role": "user"})
        self.assertStatus(r, 409, "conflict")
        users = self.admin_client.get("/api/v1/admin/users").json()["users"]
        mine = [u for u in users if u["email"] == email]
        self.assertEqual(len(mine), 1, users)
        self.assertIs(mine[0]["disabled"], False)

    def test_non_admin_cannot_manage_users(self):
        c, _ = self.member_client()
        r = c.post("/api/v1/admin/users", json={"email": "%s@example.org" % unique("x"),
                                                 "password": "Some-passw0rd-long-enough",
                                                 "display_name": "X", "role": "admin"})
        self.assertStatus(r, 403, "forbidden")
        self.assertStatus(c.get("/api/v1/admin/users"), 403, "forbidden")
        self.assertStatus(c.post("/api/v1/admin/spaces", json={"name": unique("team")}), 403,
                          "forbidden")

class CliTest(VestibuleTestCase):
    """The command line against the data folder of a running server (one server per test)."""

    def test_cli_user_add_against_a_running_server(self):
        server = self.start_server()
        admin = self.admin(server)
        email = "%s@example.org" % unique("cli")
        password = "Cli-passw0rd-%s" % unique("pw")
        code, out, err = run_cli("user", "add", "--data-dir", server.data_dir, "--email",
                                 email, "--password", password)
        self.assertEqual(code, 0, "user add failed\nstdout: %s\nstderr: %s" % (out, err))
        c = self.client(server)
        r = c.sign_in(email, password)
        self.assertEqual(r.json()["user"]["email"], email)
        self.assertEqual(c.me()["role"], "user")
        code, out, err = run_cli("user", "list", "--data-dir", server.data_dir)
        self.assertEqual(code, 0, "user list failed\nstdout: %s\nstderr: %s" % (out, err))
        self.assertIn(email, out)
        self.assertIn(ADMIN_EMAIL, out)
        users = admin.get("/api/v1/admin/users").json()["users"]
        self.assertIn(email, [u["email"] for u in users])

    def test_cli_user_disable_ends_sessions_and_sign_in(self):
        server = self.start_server()
        admin = self.admin(server)
        email = "%s@example.org" % unique("member")
        password = "Member-passw0rd-%s" % unique("pw")
        r = admin.post("/api/v1/admin/users", json={"email": email, "password": password,
                                                     "display_name": "To be disabled",
                                                     "role": "user"})
        self.assertStatus(r, 201)
        c = self.client(server, sign_in=email, password=password)
        self.assertEqual(c.me()["email"], email)
        code, out, err = run_cli("user", "disable", "--data-dir", server.data_dir,
                                 "--email", email)
        self.assertEqual(code, 0, "user disable failed\nstdout: %s\nstderr: %s" % (out, err))
        self.assertStatus(c.get("/api/v1/me"), 401, "unauthenticated")
        other = self.client(server)
        disabled = other.sign_in(email, password, expect=None)
        self.assertStatus(disabled, 401, "unauthenticated")
        wrong = other.sign_in(email, "wrong-passw0rd-entirely", expect=None)
        self.assertEqual(disabled.body, wrong.body,
                         "a disabled account answers differently from a wrong password")
        users = admin.get("/api/v1/admin/users").json()["users"]
        self.assertIs([u for u in users if u["email"] == email][0]["disabled"], True)


class FilesTest(SharedServer):

    def test_personal_space_and_root(self):
        space = self.admin_client.personal_space()
        self.assertEqual(space["name"], "My files")
        self.assertEqual(space.get("role"), "owner")
        r = self.admin_client.get("/api/v1/items/%d" % space["root_item_id"])
        self.assertStatus(r, 200)
        root = r.json()
        self.assertItemShape(root)
        self.assertEqual(root["kind"], "folder")
        self.assertIsNone(root["parent_id"])
        self.assertEqual(root["space_id"], space["id"])

    def test_create_folder_and_name_clash(self):
        name = unique("Reports")
        r = self.admin_client.post("/api/v1/items/%d/children" % self.admin_root,
                                   json={"name": name, "kind": "folder"})
        self.assertStatus(r, 201)
        folder = r.json()
        self.assertItemShape(folder)
        self.assertEqual((folder["name"], folder["kind"], folder["parent_id"]),
                         (name, "folder", self.admin_root))
        r = self.admin_client.post("/api/v1/items/%d/children" % self.admin_root,
                                   json={"name": name, "kind": "folder"})
        self.assertStatus(r, 409, "conflict")
        self.assertEqual(self.names(self.admin_root).count(name), 1)
        got = self.admin_client.get("/api/v1/items/%d" % folder["id"])
        self.assertStatus(got, 200)
        self.assertEqual(got.json()["name"], name)

    def test_children_list_folders_first_then_by_name(self):
        f = self.fresh_folder()
        for n in ("b.txt", "a.txt"):
            self.assertStatus(self.admin_client.upload(f["id"], n, b"x"), 201)
        for n in ("zeta", "alpha"):
            self.admin_client.mkdir(f["id"], n)
        self.assertEqual(self.names(f["id"]), ["alpha", "zeta", "a.txt", "b.txt"])

    def test_upload_new_file_then_new_version(self):
        f = self.fresh_folder()
        v1 = os.urandom(1000)
        v2 = os.urandom(2345)
        r = self.admin_client.upload(f["id"], "data.bin", v1)
        self.assertStatus(r, 201)
        item = r.json()
        self.assertItemShape(item)
        self.assertEqual((item["name"], item["kind"], item["size"], item["version"],
                          item["parent_id"]), ("data.bin", "file", 1000, 1, f["id"]))
        self.assertEqual(item["modified_by"]["id"], self.admin_id)
        r = self.admin_client.upload(f["id"], "data.bin", v2)
        self.assertStatus(r, 200)
        again = r.json()
        self.assertEqual((again["id"], again["size"], again["version"]),
                         (item["id"], 2345, 2))
        r = self.admin_client.content(item["id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.body, v2)
        self.assertEqual(r.headers.get("Content-Length"), "2345")
        self.assertEqual(r.headers.get("X-Content-Type-Options"), "nosniff")
        self.assertIn("no-store", r.headers.get("Cache-Control", ""))
        got = self.admin_client.get("/api/v1/items/%d" % item["id"]).json()
        self.assertEqual((got["size"], got["version"]), (2345, 2))
        # An empty file is a file too.
        r = self.admin_client.upload(f["id"], "empty", b"")
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["size"], 0)
        r = self.admin_client.content(r.json()["id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"")

    def test_streamed_upload_matches_download(self):
        f = self.fresh_folder()
        data = os.urandom(3 * 1024 * 1024 + 17)
        chunks = (data[i:i + 65536] for i in range(0, len(data), 65536))
        r = self.admin_client.upload(f["id"], "streamed.bin", chunks, size=len(data))
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["size"], len(data))
        resp, digest, n = self.admin_client.download(r.json()["id"])
        self.assertStatus(resp, 200)
        self.assertEqual((digest, n), (sha256(data), len(data)))

    def test_range_requests(self):
        f = self.fresh_folder()
        data = os.urandom(100)
        item = self.admin_client.upload(f["id"], "range.bin", data).json()
        cases = (("bytes=0-9", 0, 9), ("bytes=10-", 10, 99), ("bytes=-5", 95, 99),
                 ("bytes=50-1000", 50, 99))
        for rng, first, last in cases:
            with self.subTest(range=rng):
                r = self.admin_client.content(item["id"], headers={"Range": rng})
                self.assertStatus(r, 206)
                self.assertEqual(r.headers.get("Content-Range"),
                                 "bytes %d-%d/100" % (first, last))
                self.assertEqual(r.body, data[first:last + 1])
                self.assertEqual(r.headers.get("Content-Length"), str(last - first + 1))
        for rng in ("bytes=100-", "bytes=200-300"):
            with self.subTest(range=rng):
                r = self.admin_client.content(item["id"], headers={"Range": rng})
                self.assertStatus(r, 416, "range_not_satisfiable")
                self.assertEqual(r.headers.get("Content-Range"), "bytes */100")
        r = self.admin_client.content(item["id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.body, data)

    def test_etag_and_if_none_match(self):
        f = self.fresh_folder()
        data = os.urandom(4096)
        item = self.admin_client.upload(f["id"], "etag.bin", data).json()
        r = self.admin_client.content(item["id"])
        self.assertStatus(r, 200)
        etag = r.headers.get("ETag")
        self.assertEqual(etag, '"%s"' % sha256(data))
        r = self.admin_client.content(item["id"], headers={"If-None-Match": etag})
        self.assertStatus(r, 304)
        self.assertEqual(r.body, b"")
        r = self.admin_client.content(item["id"], headers={"If-None-Match": '"%s"' % ("0" * 64)})
        self.assertStatus(r, 200)
        self.assertEqual(r.body, data)
        # A new version has a new ETag, so the old one no longer matches.
        self.assertStatus(self.admin_client.upload(f["id"], "etag.bin", b"new"), 200)
        r = self.admin_client.content(item["id"], headers={"If-None-Match": etag})
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"new")
        self.assertEqual(r.headers.get("ETag"), '"%s"' % sha256(b"new"))

    def _check_disposition(self, resp, name):
        cd = resp.headers.get("Content-Disposition", "")
        self.assertTrue(cd.lower().startswith("attachment"), resp.describe())
        m = re.search(r"filename\*=UTF-8''([^;\s]+)", cd, re.I)
        self.assertTrue(m, "no filename*=UTF-8'' in %r" % cd)
        self.assertEqual(urllib.parse.unquote(m.group(1), errors="strict"), name)
        self.assertRegex(m.group(1), r"^[A-Za-z0-9!#$&+.^_`|~%-]+$",
                         "filename* is not percent-encoded: %r" % cd)
        m = re.search(r'filename="([^"]*)"', cd)
        self.assertTrue(m, "no ASCII filename= fallback in %r" % cd)
        self.assertTrue(all(ord(ch) < 128 for ch in m.group(1)),
                        "non-ASCII bytes in filename=: %r" % cd)
        self.assertNotIn("\r", cd)
        self.assertNotIn("\n", cd)

    def test_content_disposition_for_a_non_ascii_name(self):
        f = self.fresh_folder()
        name = "Résumé 2026.pdf"
        r = self.admin_client.upload(f["id"], name, b"%PDF-1.4\n")
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["name"], name)
        self.assertIn(name, self.names(f["id"]))
        r = self.admin_client.content(r.json()["id"])
        self.assertStatus(r, 200)
        self._check_disposition(r, name)

    def test_html_and_svg_are_served_as_inert_attachments(self):
        f = self.fresh_folder()
        for name, body in (("page.html", b"<html><script>alert(1)</script></html>"),
                           ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg">'
                                         b'<script>alert(1)</script></svg>')):
            with self.subTest(name=name):
                item = self.admin_client.upload(f["id"], name, body).json()
                r = self.admin_client.content(item["id"])
                self.assertStatus(r, 200)
                self.assertEqual(r.body, body)
                self._check_disposition(r, name)
                self.assertEqual(r.headers.get("X-Content-Type-Options"), "nosniff")
                self.assertIn("sandbox", r.headers.get("Content-Security-Policy", ""),
                              r.describe())

    def test_content_of_a_folder_is_refused(self):
        f = self.fresh_folder()
        self.assertStatus(self.admin_client.content(f["id"]), 400)

    def test_versions_newest_first_and_old_content_readable(self):
        f = self.fresh_folder()
        contents = [os.urandom(n) for n in (10, 20, 30)]
        item = None
        for body in contents:
            r = self.admin_client.upload(f["id"], "history.txt", body)
            self.assertStatus(r, (200, 201))
            item = r.json()
        r = self.admin_client.get("/api/v1/items/%d/versions" % item["id"])
        self.assertStatus(r, 200)
        versions = r.json()["versions"]
        self.assertEqual([v["version"] for v in versions], [3, 2, 1])
        self.assertEqual([v["size"] for v in versions], [30, 20, 10])
        for v in versions:
            self.assertEqual(v["created_by"]["id"], self.admin_id)
            self.assertIn("display_name", v["created_by"])
            self.assertRegex(v["created_at"], RFC3339_UTC)
        for n, body in enumerate(contents, start=1):
            r = self.admin_client.get("/api/v1/items/%d/versions/%d/content" % (item["id"], n))
            self.assertStatus(r, 200)
            self.assertEqual(r.body, body, "version %d" % n)
        r = self.admin_client.get("/api/v1/items/%d/versions/9/content" % item["id"])
        self.assertStatus(r, 404, "not_found")

    def test_rename_and_move(self):
        a = self.fresh_folder("a")
        b = self.fresh_folder("b")
        item = self.admin_client.upload(a["id"], "draft.txt", b"text").json()
        r = self.admin_client.patch("/api/v1/items/%d" % item["id"], json={"name": "final.txt"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["name"], "final.txt")
        self.assertEqual(self.names(a["id"]), ["final.txt"])
        r = self.admin_client.patch("/api/v1/items/%d" % item["id"], json={"parent_id": b["id"]})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["parent_id"], b["id"])
        self.assertEqual(self.names(a["id"]), [])
        self.assertEqual(self.names(b["id"]), ["final.txt"])
        self.assertEqual(self.admin_client.content(item["id"]).body, b"text")
        # Rename onto an existing sibling.
        self.assertStatus(self.admin_client.upload(b["id"], "other.txt", b"other"), 201)
        r = self.admin_client.patch("/api/v1/items/%d" % item["id"], json={"name": "other.txt"})
        self.assertStatus(r, 409, "conflict")
        self.assertEqual(self.names(b["id"]), ["final.txt", "other.txt"])
        # Move onto a name that exists in the target.
        self.assertStatus(self.admin_client.upload(a["id"], "final.txt", b"clash"), 201)
        r = self.admin_client.patch("/api/v1/items/%d" % item["id"], json={"parent_id": a["id"]})
        self.assertStatus(r, 409, "conflict")
        # A folder into itself or its own descendant.
        child = self.admin_client.mkdir(a["id"], "child")
        grandchild = self.admin_client.mkdir(child["id"], "grandchild")
        for target in (a["id"], child["id"], grandchild["id"]):
            with self.subTest(target=target):
                r = self.admin_client.patch("/api/v1/items/%d" % a["id"],
                                            json={"parent_id": target})
                self.assertStatus(r, 409, "conflict")
        self.assertEqual(self.admin_client.get("/api/v1/items/%d" % a["id"]).json()["parent_id"],
                         self.admin_root)
        # Moving a folder moves its content.
        r = self.admin_client.patch("/api/v1/items/%d" % child["id"], json={"parent_id": b["id"]})
        self.assertStatus(r, 200)
        self.assertEqual(self.names(child["id"]), ["grandchild"])
        self.assertIn("child", self.names(b["id"]))

    def test_trash_restore_and_purge(self):
        f = self.fresh_folder()
        space_id = f["space_id"]
        item = self.admin_client.upload(f["id"], "old.txt", b"old").json()
        r = self.admin_client.delete("/api/v1/items/%d" % item["id"])
        self.assertStatus(r, 204)
        self.assertStatus(self.admin_client.get("/api/v1/items/%d" % item["id"]), 404,
                          "not_found")
        self.assertStatus(self.admin_client.content(item["id"]), 404, "not_found")
        self.assertNotIn("old.txt", self.names(f["id"]))
        r = self.admin_client.get("/api/v1/spaces/%d/trash" % space_id)
        self.assertStatus(r, 200)
        trashed = [i for i in r.json()["items"] if i["id"] == item["id"]]
        self.assertEqual(len(trashed), 1, r.describe())
        self.assertTrue(trashed[0].get("trashed_at"), trashed)
        # Restore.
        r = self.admin_client.post("/api/v1/items/%d/restore" % item["id"], json={})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["name"], "old.txt")
        self.assertIn("old.txt", self.names(f["id"]))
        self.assertEqual(self.admin_client.content(item["id"]).body, b"old")
        trash = self.admin_client.get("/api/v1/spaces/%d/trash" % space_id).json()["items"]
        self.assertNotIn(item["id"], [i["id"] for i in trash])
        # Purge: only from the trash.
        r = self.admin_client.delete("/api/v1/trash/%d" % item["id"])
        self.assertStatus(r, 409, "conflict")
        self.assertStatus(self.admin_client.delete("/api/v1/items/%d" % item["id"]), 204)
        self.assertStatus(self.admin_client.delete("/api/v1/trash/%d" % item["id"]), 204)
        trash = self.admin_client.get("/api/v1/spaces/%d/trash" % space_id).json()["items"]
        self.assertNotIn(item["id"], [i["id"] for i in trash])
        self.assertStatus(self.admin_client.get("/api/v1/items/%d" % item["id"]), 404)
        r = self.admin_client.post("/api/v1/items/%d/restore" % item["id"], json={})
        self.assertStatus(r, 404, "not_found")

    def test_trashing_a_folder_hides_everything_under_it(self):
        f = self.fresh_folder()
        sub = self.admin_client.mkdir(f["id"], "sub")
        item = self.admin_client.upload(sub["id"], "deep.txt", b"deep").json()
        self.assertStatus(self.admin_client.delete("/api/v1/items/%d" % sub["id"]), 204)
        self.assertStatus(self.admin_client.get("/api/v1/items/%d" % item["id"]), 404)
        self.assertStatus(self.admin_client.content(item["id"]), 404)
        self.assertStatus(self.admin_client.get("/api/v1/items/%d/children" % sub["id"]), 404)
        self.assertEqual(self.names(f["id"]), [])
        r = self.admin_client.post("/api/v1/items/%d/restore" % sub["id"], json={})
        self.assertStatus(r, 200)
        self.assertEqual(self.admin_client.content(item["id"]).body, b"deep")

    def test_restore_onto_a_taken_name_needs_a_new_name(self):
        f = self.fresh_folder()
        first = self.admin_client.upload(f["id"], "same.txt", b"first").json()
        self.assertStatus(self.admin_client.delete("/api/v1/items/%d" % first["id"]), 204)
        self.assertStatus(self.admin_client.upload(f["id"], "same.txt", b"second"), 201)
        r = self.admin_client.post("/api/v1/items/%d/restore" % first["id"], json={})
        self.assertStatus(r, 409, "conflict")
        r = self.admin_client.post("/api/v1/items/%d/restore" % first["id"],
                                   json={"name": "same (restored).txt"})
        self.assertStatus(r, 200)
        self.assertEqual(self.names(f["id"]), ["same (restored).txt", "same.txt"])
        self.assertEqual(self.admin_client.content(first["id"]).body, b"first")


class IsolationTest(SharedServer):

    def test_another_member_cannot_reach_my_personal_items(self):
        f = self.fresh_folder("private")
        item = self.admin_client.upload(f["id"], "secret.txt", b"secret").json()
        other, _ = self.member_client()
        missing = 987654321
        for what in (self.admin_root, f["id"], item["id"], missing):
            with self.subTest(item=what):
                self.assertStatus(other.get("/api/v1/items/%d" % what), 404, "not_found")
                self.assertStatus(other.get("/api/v1/items/%d/children" % what), 404,
                                  "not_found")
                self.assertStatus(other.get("/api/v1/items/%d/versions" % what), 404,
                                  "not_found")
        self.assertStatus(other.content(item["id"]), 404, "not_found")
        self.assertStatus(other.upload(f["id"], "planted.txt", b"x"), 404, "not_found")
        self.assertStatus(other.post("/api/v1/items/%d/children" % f["id"],
                                     json={"name": "planted", "kind": "folder"}), 404,
                          "not_found")
        self.assertStatus(other.patch("/api/v1/items/%d" % item["id"], json={"name": "x.txt"}),
                          404, "not_found")
        self.assertStatus(other.delete("/api/v1/items/%d" % item["id"]), 404, "not_found")
        # Nor move their own things into mine.
        mine = other.mkdir(other.personal_root(), "mine")
        self.assertStatus(other.patch("/api/v1/items/%d" % mine["id"],
                                      json={"parent_id": f["id"]}), 404, "not_found")
        space_ids = [s["id"] for s in other.get("/api/v1/spaces").json()["spaces"]]
        self.assertNotIn(f["space_id"], space_ids)
        self.assertStatus(other.get("/api/v1/spaces/%d/trash" % f["space_id"]), (403, 404))
        # Nothing changed.
        self.assertEqual(self.names(f["id"]), ["secret.txt"])
        self.assertEqual(self.admin_client.content(item["id"]).body, b"secret")

    def test_team_space_roles(self):
        r = self.admin_client.post("/api/v1/admin/spaces", json={"name": unique("Team")})
        self.assertStatus(r, 201)
        space = r.json()
        self.assertEqual(space["kind"], "team")
        root = space["root_item_id"]
        doc = self.admin_client.upload(root, "handbook.txt", b"handbook").json()
        visitor, vuser = self.member_client()
        outsider, _ = self.member_client()
        # Not yet a member: nothing to see.
        self.assertStatus(visitor.get("/api/v1/items/%d/children" % root), 404, "not_found")
        r = self.admin_client.put("/api/v1/spaces/%d/members/%d" % (space["id"], vuser["id"]),
                                  json={"role": "visitor"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["role"], "visitor")
        self.assertEqual(r.json()["user_id"], vuser["id"])
        members = self.admin_client.get("/api/v1/spaces/%d/members" % space["id"]).json()
        self.assertIn((vuser["id"], "visitor"),
                      [(m["user_id"], m["role"]) for m in members["members"]])
        spaces = {s["id"]: s for s in visitor.get("/api/v1/spaces").json()["spaces"]}
        self.assertIn(space["id"], spaces)
        self.assertEqual(spaces[space["id"]]["role"], "visitor")
        # A visitor reads...
        self.assertEqual(self.names(root, visitor), ["handbook.txt"])
        r = visitor.content(doc["id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"handbook")
        # ...and writes nothing.
        self.assertStatus(visitor.upload(root, "mine.txt", b"x"), 403, "forbidden")
        self.assertStatus(visitor.upload(root, "handbook.txt", b"overwrite"), 403, "forbidden")
        self.assertStatus(visitor.post("/api/v1/items/%d/children" % root,
                                       json={"name": "new", "kind": "folder"}), 403,
                          "forbidden")
        self.assertStatus(visitor.patch("/api/v1/items/%d" % doc["id"],
                                        json={"name": "renamed.txt"}), 403, "forbidden")
        self.assertStatus(visitor.delete("/api/v1/items/%d" % doc["id"]), 403, "forbidden")
        self.assertStatus(visitor.put("/api/v1/spaces/%d/members/%d"
                                      % (space["id"], vuser["id"]), json={"role": "owner"}),
                          403, "forbidden")
        self.assertEqual(self.names(root), ["handbook.txt"])
        self.assertEqual(self.admin_client.content(doc["id"]).body, b"handbook")
        # Someone who is not a member sees nothing.
        self.assertStatus(outsider.get("/api/v1/items/%d/children" % root), 404, "not_found")
        self.assertStatus(outsider.content(doc["id"]), 404, "not_found")
        # Promoted to member: may write.
        r = self.admin_client.put("/api/v1/spaces/%d/members/%d" % (space["id"], vuser["id"]),
                                  json={"role": "member"})
        self.assertStatus(r, 200)
        r = visitor.upload(root, "mine.txt", b"mine")
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["modified_by"]["id"], vuser["id"])
        # Removed: nothing again.
        r = self.admin_client.delete("/api/v1/spaces/%d/members/%d" % (space["id"], vuser["id"]))
        self.assertStatus(r, 204)
        self.assertStatus(visitor.content(doc["id"]), 404, "not_found")


class CsrfTest(SharedServer):

    def test_cross_site_state_changes_are_refused(self):
        f = self.fresh_folder()
        item = self.admin_client.upload(f["id"], "keep.txt", b"keep").json()
        evil = {"Origin": "http://evil.example"}
        cross = {"Sec-Fetch-Site": "cross-site"}
        # Another site under the same registrable domain (a sibling subdomain) is another site.
        same_site = {"Sec-Fetch-Site": "same-site"}
        for label, headers in (("origin", evil), ("sec-fetch-site", cross),
                               ("same-site", same_site)):
            with self.subTest(header=label):
                r = self.admin_client.post("/api/v1/items/%d/children" % f["id"],
                                           json={"name": "csrf-" + label, "kind": "folder"},
                                           headers=headers)
                self.assertStatus(r, 403, "forbidden")
                r = self.admin_client.upload(f["id"], "csrf-%s.txt" % label, b"x",
                                             headers=headers)
                self.assertStatus(r, 403, "forbidden")
                r = self.admin_client.patch("/api/v1/items/%d" % item["id"],
                                            json={"name": "csrf.txt"}, headers=headers)
                self.assertStatus(r, 403, "forbidden")
                r = self.admin_client.delete("/api/v1/items/%d" % item["id"], headers=headers)
                self.assertStatus(r, 403, "forbidden")
                r = self.admin_client.delete("/api/v1/session", headers=headers)
                self.assertStatus(r, 403, "forbidden")
                self.assertEqual(self.admin_client.me()["email"], ADMIN_EMAIL)
        self.assertEqual(self.names(f["id"]), ["keep.txt"])
        # Reading cross-site changes nothing and is allowed.
        self.assertStatus(self.admin_client.get("/api/v1/items/%d" % item["id"], headers=evil),
                          200)
        # No Origin (curl, scripts) and the server's own origin are accepted.
        r = self.admin_client.post("/api/v1/items/%d/children" % f["id"],
                                   json={"name": "no-origin", "kind": "folder"})
        self.assertStatus(r, 201)
        r = self.admin_client.post("/api/v1/items/%d/children" % f["id"],
                                   json={"name": "same-origin", "kind": "folder"},
                                   headers={"Origin": self.admin_client.origin,
                                            "Sec-Fetch-Site": "same-origin"})
        self.assertStatus(r, 201)
        self.assertEqual(self.names(f["id"]), ["no-origin", "same-origin", "keep.txt"])


class KeepVersionsTest(SharedServer):
    server_kwargs = {"config": "[storage]\nkeep_versions = 3\n"}

    def test_only_the_last_n_versions_are_kept(self):
        f = self.fresh_folder()
        contents = [os.urandom(100 + n) for n in range(5)]
        item = None
        for body in contents:
            r = self.admin_client.upload(f["id"], "kept.bin", body)
            self.assertStatus(r, (200, 201))
            item = r.json()
        self.assertEqual(item["version"], 5)
        versions = self.admin_client.get("/api/v1/items/%d/versions" % item["id"]).json()
        self.assertEqual([v["version"] for v in versions["versions"]], [5, 4, 3])
        for n in (3, 4, 5):
            r = self.admin_client.get("/api/v1/items/%d/versions/%d/content" % (item["id"], n))
            self.assertStatus(r, 200)
            self.assertEqual(r.body, contents[n - 1])
        for n in (1, 2):
            r = self.admin_client.get("/api/v1/items/%d/versions/%d/content" % (item["id"], n))
            self.assertStatus(r, 404, "not_found")
        self.assertEqual(self.admin_client.content(item["id"]).body, contents[4])


class SignInThrottleTest(VestibuleTestCase):

    def test_failures_are_throttled_until_time_passes(self):
        server = self.start_server(extra_args=["--test-clock"])
        admin = self.admin(server)
        email = "%s@example.org" % unique("throttled")
        password = "Throttled-passw0rd-%s" % unique("pw")
        r = admin.post("/api/v1/admin/users", json={"email": email, "password": password,
                                                     "display_name": "Throttled",
                                                     "role": "user"})
        self.assertStatus(r, 201)
        c = self.client(server)
        throttled = None
        for attempt in range(40):
            r = c.sign_in(email, "wrong-passw0rd-%d" % attempt, expect=None)
            if r.status == 429:
                throttled = r
                break
            self.assertStatus(r, 401, "unauthenticated")
        self.assertIsNotNone(throttled, "40 wrong passwords and no 429")
        self.assertError(throttled, "too_many_requests")
        retry_after = throttled.headers.get("Retry-After", "")
        self.assertRegex(retry_after, r"^\d+$", throttled.describe())
        self.assertGreater(int(retry_after), 0)
        # While throttled even the right password is not tried.
        r = c.sign_in(email, password, expect=None)
        self.assertStatus(r, 429, "too_many_requests")
        self.assertIsNone(c.session)
        # No permanent lockout: once the time has passed, the right password works.
        r = admin.post("/api/v1/dev/clock", json={"advance": "1h"})
        self.assertStatus(r, 200)
        self.assertRegex(r.json().get("now", ""), r"^\d{4}-\d\d-\d\dT")
        r = c.sign_in(email, password)
        self.assertEqual(r.json()["user"]["email"], email)
        self.assertEqual(c.me()["email"], email)


if __name__ == "__main__":
    unittest.main()
