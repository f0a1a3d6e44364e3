"""Sharing over real HTTP: links of the four kinds, their recipients, direct grants, manage
access, the organization's and a space's sharing policy, and what a link holder can reach.

Each test starts its own server with --test-clock (policy is global state, and time only moves
through POST /api/v1/dev/clock). Assertions are on statuses, error codes and bodies, never on
message wording.

SPEC §2-5 and §7; SECURITY-CHECKLIST items 21-27 and 30 (through a share).
"""

import base64
import ctypes
import ctypes.util
import datetime
import hashlib
import http.client
import itertools
import json as jsonlib
import os
import time
import unittest

from harness import (ADMIN_EMAIL, Headers, Response, VestibuleTestCase, query, quote_name,
                     stored_bytes)

_counter = itertools.count(1)

_sodium = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
_sodium.crypto_pwhash_argon2id_str_verify.argtypes = (ctypes.c_char_p, ctypes.c_char_p,
                                                      ctypes.c_ulonglong)


def argon2id_verifies(stored, password):
    """libsodium's own check of an Argon2id string (the library the server links against)."""
    if _sodium.sodium_init() < 0:
        raise AssertionError("libsodium did not initialize")
    secret = password.encode("utf-8")
    return _sodium.crypto_pwhash_argon2id_str_verify(stored.encode("ascii"), secret,
                                                     len(secret)) == 0

NOT_FOUND_ID = 987654321

SETTINGS_KEYS = (
    "external_sharing", "internal_domains", "allowed_domains", "blocked_domains",
    "email_code_enabled", "code_length", "code_lifetime", "code_max_tries",
    "code_sends_per_address_per_hour", "code_sends_per_link_per_hour", "reverify_after",
    "remember_device_for", "promote_verified_to_guest", "guest_expiry", "require_account_match",
    "default_link_kind", "default_link_role", "anyone_link_max_lifetime",
    "anyone_link_require_password", "specific_link_default_lifetime",
    "specific_link_max_lifetime")


def unique(prefix):
    return "%s-%d-%d" % (prefix, os.getpid(), next(_counter))


def shares(token, rest=""):
    return "/api/v1/shares/%s%s" % (token, rest)


class OneConnection:
    """One keep-alive HTTP/1.1 connection that must stay the same for every request: the test
    fails if the server closes it or http.client has to reconnect. Sends a fixed cookie set."""

    def __init__(self, test, port, cookies=None):
        self.test = test
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies = dict(cookies or {})
        self.local = None
        self.closed = False
        test.addCleanup(self.conn.close)

    def request(self, method, path, body=None, json=None, headers=None, may_close=False):
        """Sends one request on the connection. The first request opens it; every later one
        must go over the very same socket. may_close: the server may close the connection
        after this response (an early refusal of a request whose body it did not read); no
        request may follow on this connection then."""
        h = {}
        if json is not None:
            body = jsonlib.dumps(json).encode()
            h["Content-Type"] = "application/json"
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        h.update(headers or {})
        if self.local is not None:
            self.test.assertFalse(self.closed, "no request can follow a closed connection")
            self.test.assertIsNotNone(self.conn.sock, "%s %s: the keep-alive connection was "
                                      "closed before this request" % (method, path))
            self.test.assertEqual(self.conn.sock.getsockname(), self.local,
                                  "%s %s would go over a new connection" % (method, path))
        self.conn.request(method, path, body=body, headers=h)
        if self.local is None:
            self.local = self.conn.sock.getsockname()
        self.test.assertEqual(self.conn.sock.getsockname(), self.local,
                              "%s %s went over a new connection" % (method, path))
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.will_close:
            self.test.assertTrue(may_close, "%s %s → %s: the server closes the keep-alive "
                                 "connection" % (method, path, resp.status))
            self.closed = True
        return Response(method, path, resp.status, resp.reason, Headers(resp.getheaders()), data)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)


class SharingCase(VestibuleTestCase):
    """A fresh server with a test clock and a signed-in admin for every test."""

    def setUp(self):
        super().setUp()
        self.server = self.start_server(extra_args=["--test-clock"])
        self.admin_c = self.admin(self.server)
        self.root = self.admin_c.personal_root()

    # -- helpers ----------------------------------------------------------------------------

    def anon(self):
        return self.client(self.server)

    def settings(self, **patch):
        r = self.admin_c.patch("/api/v1/admin/settings", json=patch)
        self.assertStatus(r, 200)
        return r.json()

    def advance(self, duration):
        r = self.admin_c.post("/api/v1/dev/clock", json={"advance": duration})
        self.assertStatus(r, 200)
        return r.json()["now"]

    def new_member(self, email=None):
        email = email or "%s@example.org" % unique("member")
        password = "Member-passw0rd-%s" % unique("pw")
        r = self.admin_c.post("/api/v1/admin/users",
                              json={"email": email, "password": password,
                                    "display_name": "Member " + email.split("@")[0],
                                    "role": "user"})
        self.assertStatus(r, 201)
        c = self.client(self.server, sign_in=email, password=password)
        return r.json(), email, c

    def folder(self, parent=None, name=None, client=None):
        return (client or self.admin_c).mkdir(parent or self.root, name or unique("folder"))

    def put_file(self, folder_id, name, data, client=None):
        r = (client or self.admin_c).upload(folder_id, name, data)
        self.assertStatus(r, 201)
        return r.json()

    def link(self, item_id, client=None, **body):
        r = (client or self.admin_c).post("/api/v1/items/%d/links" % item_id, json=body)
        self.assertStatus(r, 201)
        doc = r.json()
        for key in ("id", "url", "token", "kind", "role", "expires_at", "recipients"):
            self.assertIn(key, doc, r.describe())
        return doc

    def refused_link(self, item_id, status=422, code="policy_refused", **body):
        r = self.admin_c.post("/api/v1/items/%d/links" % item_id, json=body)
        self.assertStatus(r, status, code)
        return r

    def access(self, item_id, client=None):
        r = (client or self.admin_c).get("/api/v1/items/%d/access" % item_id)
        self.assertStatus(r, 200)
        return r.json()

    def link_ids(self, item_id):
        return sorted(l["id"] for l in self.access(item_id)["links"])

    def names(self, folder_id, client=None):
        return sorted(i["name"] for i in (client or self.admin_c).children(folder_id))

    def assertRefused(self, resp, expected):
        """A 422 naming exactly the `expected` {address: rule} recipients."""
        self.assertStatus(resp, 422, "policy_refused")
        err = resp.json()["error"]
        self.assertEqual(err.get("field"), "recipients", resp.describe())
        refused = err.get("refused")
        self.assertIsInstance(refused, list, resp.describe())
        got = {}
        for r in refused:
            self.assertTrue(r.get("message"), resp.describe())
            got[r["address"]] = r["rule"]
        self.assertEqual(got, expected, resp.describe())

    def assertNoReferrer(self, resp):
        self.assertEqual(resp.headers.get("Referrer-Policy"), "no-referrer", resp.describe())


# 1 ---------------------------------------------------------------------------------------------


class IdorTest(SharingCase):

    def test_items_outside_the_share_are_not_found_with_identical_bodies(self):
        self.settings(external_sharing="anyone")
        shared = self.folder(name="shared")
        inner = self.put_file(shared["id"], "inner.txt", b"inner")
        sub = self.folder(shared["id"], "sub")
        deep = self.put_file(sub["id"], "deep.txt", b"deep")
        sibling = self.folder(name="sibling")
        sibling_file = self.put_file(sibling["id"], "sibling.txt", b"sibling secret")
        other = self.folder(name="other-share")
        other_file = self.put_file(other["id"], "other.txt", b"other secret")
        link_a = self.link(shared["id"], kind="anyone", role="edit")
        link_b = self.link(other["id"], kind="anyone", role="edit")
        ta, tb = link_a["token"], link_b["token"]
        c = self.anon()

        # Through link A: what it shares is reachable...
        self.assertStatus(c.get(shares(ta, "/items/%d" % inner["id"])), 200)
        self.assertEqual(c.get(shares(ta, "/items/%d/content" % deep["id"])).body, b"deep")
        self.assertEqual(sorted(i["name"] for i in c.get(
            shares(ta, "/items/%d/children" % shared["id"])).json()["items"]),
                         ["inner.txt", "sub"])
        # ...link B's item, the sibling, the parent (the owner's root) and a missing id are not.
        trashed = self.put_file(sub["id"], "trashed.txt", b"trashed")
        self.assertStatus(self.admin_c.delete("/api/v1/items/%d" % trashed["id"]), 204)
        foreign = {"other share's folder": other["id"], "other share's file": other_file["id"],
                   "sibling folder": sibling["id"], "sibling file": sibling_file["id"],
                   "parent": self.root, "trashed file in the share": trashed["id"]}
        calls = (
            ("GET", "/items/%d", None),
            ("GET", "/items/%d/children", None),
            ("GET", "/items/%d/content", None),
            ("POST", "/items/%d/children", {"name": "planted", "kind": "folder"}),
            ("PATCH", "/items/%d", {"name": "renamed.txt"}),
            ("DELETE", "/items/%d", None),
        )
        for method, pattern, body in calls:
            missing = c.request(method, shares(ta, pattern % NOT_FOUND_ID), json=body)
            self.assertStatus(missing, 404, "not_found")
            self.assertNoReferrer(missing)
            for label, item_id in foreign.items():
                with self.subTest(call=method + " " + pattern, item=label):
                    r = c.request(method, shares(ta, pattern % item_id), json=body)
                    self.assertStatus(r, 404, "not_found")
                    self.assertEqual(r.body, missing.body,
                                     "a foreign id answers differently from a missing one")
                    self.assertNoReferrer(r)
        # Uploads into a foreign folder.
        missing = c.put(shares(ta, "/items/%d/files/planted.txt" % NOT_FOUND_ID), body=b"x")
        self.assertStatus(missing, 404, "not_found")
        for label, item_id in (("other share", other["id"]), ("sibling", sibling["id"]),
                               ("parent", self.root)):
            with self.subTest(call="PUT files", item=label):
                r = c.put(shares(ta, "/items/%d/files/planted.txt" % item_id), body=b"x")
                self.assertStatus(r, 404, "not_found")
                self.assertEqual(r.body, missing.body)
        # Moves out of the share, or of a foreign item into it.
        r = c.patch(shares(ta, "/items/%d" % inner["id"]), json={"parent_id": sibling["id"]})
        self.assertStatus(r, 404, "not_found")
        self.assertEqual(r.body, missing.body)
        r = c.patch(shares(ta, "/items/%d" % sibling_file["id"]), json={"parent_id": sub["id"]})
        self.assertStatus(r, 404, "not_found")
        self.assertEqual(r.body, missing.body)
        # Token B reaches its own item, never A's; token A never B's.
        self.assertEqual(c.get(shares(tb, "/items/%d/content" % other_file["id"])).body,
                         b"other secret")
        self.assertStatus(c.get(shares(tb, "/items/%d/content" % inner["id"])), 404,
                          "not_found")
        self.assertStatus(c.get(shares(ta, "/items/%d/content" % other_file["id"])), 404,
                          "not_found")
        # A shared item's parent is not shown through its link.
        item = c.get(shares(ta, "/items/%d" % shared["id"])).json()
        self.assertIsNone(item["parent_id"], item)
        self.assertNotIn("space_id", item)
        # An unknown token is a 404.
        r = c.get(shares("A" * 43))
        self.assertStatus(r, 404, "not_found")
        self.assertNoReferrer(r)
        # Nothing changed anywhere.
        self.assertEqual(self.names(self.root), ["other-share", "shared", "sibling"])
        self.assertEqual(self.names(sibling["id"]), ["sibling.txt"])
        self.assertEqual(self.names(other["id"]), ["other.txt"])
        self.assertEqual(self.names(shared["id"]), ["inner.txt", "sub"])
        self.assertEqual(self.admin_c.content(sibling_file["id"]).body, b"sibling secret")


    def test_the_shared_item_itself_cannot_be_renamed_or_deleted_through_its_link(self):
        # `edit` is rename and delete *inside* (SPEC §2). The shared item's own name lives in
        # its parent, outside the share: renaming it through the link would change the owner's
        # folder and, by answering 409 for a taken name, tell whoever holds the link which names
        # exist beside it.
        self.settings(external_sharing="anyone")
        shared = self.folder(name="shared")
        inner = self.put_file(shared["id"], "inner.txt", b"inner")
        self.folder(name="taken-name")
        doc = self.put_file(self.root, "doc.txt", b"doc")
        root_before = self.names(self.root)
        c = self.anon()
        for label, item_id, token in (
                ("folder", shared["id"], self.link(shared["id"], kind="anyone",
                                                   role="edit")["token"]),
                ("file", doc["id"], self.link(doc["id"], kind="anyone", role="edit")["token"])):
            with self.subTest(shared=label):
                path = shares(token, "/items/%d" % item_id)
                taken = c.patch(path, json={"name": "taken-name"})
                free = c.patch(path, json={"name": "free-name-%s" % label})
                self.assertStatus(taken, 403, "forbidden")
                self.assertStatus(free, 403, "forbidden")
                self.assertEqual(taken.body, free.body,
                                 "the answer tells whether a name exists outside the share")
                self.assertStatus(c.delete(path), 403, "forbidden")
                r = self.admin_c.get("/api/v1/items/%d" % item_id)
                self.assertEqual((r.json()["name"], r.json()["parent_id"]),
                                 ({"folder": "shared", "file": "doc.txt"}[label], self.root))
        self.assertEqual(self.names(self.root), root_before)
        # Inside the share, edit does rename.
        r = c.patch(shares(self.link(shared["id"], kind="anyone", role="edit")["token"],
                           "/items/%d" % inner["id"]), json={"name": "renamed.txt"})
        self.assertStatus(r, 200)
        self.assertEqual(self.names(shared["id"]), ["renamed.txt"])

    def test_links_and_grants_are_managed_only_by_those_who_may_share(self):
        self.settings(external_sharing="anyone")
        f = self.folder()
        doc = self.put_file(f["id"], "doc.txt", b"doc")
        link = self.link(f["id"], kind="anyone", role="view")
        viewer_user, viewer_email, viewer = self.new_member()
        manager_user, manager_email, manager = self.new_member()
        _, _, stranger = self.new_member()
        view_grant = self.admin_c.post("/api/v1/items/%d/grants" % f["id"],
                                       json={"email": viewer_email, "role": "view"})
        self.assertStatus(view_grant, 201)
        view_grant = view_grant.json()
        r = self.admin_c.post("/api/v1/items/%d/grants" % f["id"],
                              json={"email": manager_email, "role": "manage"})
        self.assertStatus(r, 201)
        # A stranger learns nothing: 404 for the item, its access, its links and grants.
        for method, path, body in (
                ("GET", "/api/v1/items/%d/access" % f["id"], None),
                ("POST", "/api/v1/items/%d/links" % f["id"], {"kind": "organization"}),
                ("POST", "/api/v1/items/%d/grants" % f["id"],
                 {"email": ADMIN_EMAIL, "role": "view"}),
                ("GET", "/api/v1/links/%d" % link["id"], None),
                ("PATCH", "/api/v1/links/%d" % link["id"], {"role": "edit"}),
                ("DELETE", "/api/v1/links/%d/recipients/%s" % (link["id"],
                                                               quote_name(ADMIN_EMAIL)), None),
                ("DELETE", "/api/v1/links/%d" % link["id"], None),
                ("DELETE", "/api/v1/grants/%d" % view_grant["id"], None)):
            with self.subTest(who="stranger", call=method + " " + path):
                self.assertStatus(stranger.request(method, path, json=body), 404, "not_found")
            # A view grantee sees the item but may not share it.
            with self.subTest(who="viewer", call=method + " " + path):
                self.assertStatus(viewer.request(method, path, json=body), 403, "forbidden")
        # Nothing changed.
        self.assertEqual(self.admin_c.get("/api/v1/links/%d" % link["id"]).json()["state"],
                         "active")
        self.assertEqual(self.admin_c.get("/api/v1/links/%d" % link["id"]).json()["role"], "view")
        self.assertEqual(self.anon().get(shares(link["token"], "/items/%d/content"
                                                % doc["id"])).body, b"doc")
        self.assertEqual(viewer.content(doc["id"]).body, b"doc")
        # A manage grantee shares and manages.
        self.assertStatus(manager.get("/api/v1/items/%d/access" % doc["id"]), 200)
        own = self.link(doc["id"], client=manager, kind="organization", role="view")
        self.assertEqual(own["created_by"]["id"], manager_user["id"])
        r = manager.patch("/api/v1/links/%d" % link["id"], json={"role": "edit"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["role"], "edit")
        # A link's role is view or edit, never manage.
        r = self.admin_c.post("/api/v1/items/%d/links" % f["id"],
                              json={"kind": "organization", "role": "manage"})
        self.assertStatus(r, 400, "invalid_argument")
        r = self.admin_c.patch("/api/v1/links/%d" % link["id"], json={"role": "manage"})
        self.assertStatus(r, 400, "invalid_argument")
        self.assertStatus(manager.delete("/api/v1/links/%d" % link["id"]), 204)
        self.assertStatus(self.anon().get(shares(link["token"])), 410, "gone")


# 2 ---------------------------------------------------------------------------------------------


class NamesThroughShareTest(SharingCase):

    def test_bad_names_are_refused_and_nothing_lands_outside(self):
        self.settings(external_sharing="anyone")
        shared = self.folder(name="shared")
        sub = self.folder(shared["id"], "sub")
        self.put_file(sub["id"], "keep.txt", b"keep")
        token = self.link(shared["id"], kind="anyone", role="edit")["token"]
        c = self.anon()
        tmp_parent = os.path.dirname(os.path.abspath(self.server.data_dir))
        root_before = self.names(self.root)
        shared_before = self.names(shared["id"])
        sub_before = self.names(sub["id"])
        tmp_before = set(os.listdir(tmp_parent))
        data_before = sorted(p for p, _, _ in os.walk(self.server.data_dir))
        upload = "/items/%d/files/" % sub["id"]
        # (raw path segment as sent, statuses accepted)
        cases = (
            ("..", (400, 404)),
            ("%2e%2e", (400,)),
            ("%2E%2E", (400,)),
            (".", (400, 404)),
            ("%2e%2e%2fplanted-dotdot", (400,)),
            ("..%2Fplanted-dotdot", (400,)),
            ("a%2Fb", (400,)),
            ("a%5Cb", (400,)),
            ("%5C..%5Cplanted-bs", (400,)),
            ("a%00b", (400,)),
            ("a%01b", (400,)),
            ("a%0Ab", (400,)),
            ("a%0D%0Ab", (400,)),
            ("a%7Fb", (400,)),
            ("CON", (400,)),
            ("x" * 256, (400,)),
            ("", (400, 404)),
        )
        for segment, statuses in cases:
            with self.subTest(name=segment):
                r = c.put(shares(token, upload + segment), body=b"planted")
                self.assertStatus(r, statuses)
                if r.status == 400:
                    self.assertError(r, "invalid_argument")
        # Raw traversal in the path itself is not routed to anything that writes.
        r = c.put(shares(token, upload + "../../../%d/files/planted-raw" % self.root),
                  body=b"planted")
        self.assertStatus(r, (400, 404))
        # Folder names and renames through the share.
        for name in ("..", ".", "a/b", "a\\b", "a\x00b", "a\x01b", "", "../planted"):
            with self.subTest(folder=repr(name)):
                r = c.post(shares(token, "/items/%d/children" % sub["id"]),
                           json={"name": name, "kind": "folder"})
                self.assertStatus(r, 400, "invalid_argument")
                r = c.patch(shares(token, "/items/%d" % sub["id"]), json={"name": name})
                self.assertStatus(r, 400, "invalid_argument")
        self.assertEqual(self.names(self.root), root_before)
        self.assertEqual(self.names(shared["id"]), shared_before)
        self.assertEqual(self.names(sub["id"]), sub_before)
        self.assertEqual([n for n in set(os.listdir(tmp_parent)) - tmp_before
                          if "planted" in n], [],
                         "something was written next to the data folder")
        planted = [os.path.join(p, f) for p, _, fs in os.walk(self.server.data_dir) for f in fs
                   if "planted" in f or f in ("b", "a")]
        self.assertEqual(planted, [])
        self.assertEqual(sorted(p for p, _, _ in os.walk(self.server.data_dir)), data_before)
        # A good name still works through the same share.
        r = c.put(shares(token, upload + "fine.txt"), body=b"fine")
        self.assertStatus(r, 201)
        self.assertEqual(self.names(sub["id"]), ["fine.txt", "keep.txt"])
        self.assertEqual(self.names(self.root), root_before)


# 3 ---------------------------------------------------------------------------------------------


class ChangesApplyAtOnceTest(SharingCase):
    """Every change is refused on the very next request of the same keep-alive connection."""

    def shared_file(self, **link_body):
        f = self.folder()
        item = self.put_file(f["id"], "doc.txt", b"document")
        link = self.link(f["id"], **link_body)
        return f, item, link

    def test_revoke(self):
        self.settings(external_sharing="anyone")
        f, item, link = self.shared_file(kind="anyone", role="view")
        conn = OneConnection(self, self.server.port)
        path = shares(link["token"], "/items/%d/content" % item["id"])
        self.assertStatus(conn.get(path), 200)
        self.assertStatus(self.admin_c.delete("/api/v1/links/%d" % link["id"]), 204)
        r = conn.get(path)
        self.assertStatus(r, 410, "gone")
        self.assertNoReferrer(r)
        self.assertStatus(conn.get(shares(link["token"])), 410, "gone")
        self.assertEqual(self.admin_c.get("/api/v1/links/%d" % link["id"]).json()["state"],
                         "revoked")

    def test_remove_recipient(self):
        user, email, member = self.new_member()
        f, item, link = self.shared_file(kind="specific", role="view", recipients=[email])
        conn = OneConnection(self, self.server.port, cookies={"vestibule_session": member.session})
        path = shares(link["token"], "/items/%d/content" % item["id"])
        self.assertEqual(conn.get(path).body, b"document")
        self.assertStatus(conn.get("/api/v1/items/%d" % item["id"]), 200)
        r = self.admin_c.delete("/api/v1/links/%d/recipients/%s" % (link["id"],
                                                                      quote_name(email)))
        self.assertStatus(r, 204)
        self.assertStatus(conn.get(path), 403, "forbidden")
        self.assertStatus(conn.get("/api/v1/items/%d" % item["id"]), 404, "not_found")
        self.assertStatus(conn.get("/api/v1/items/%d/content" % item["id"]), 404, "not_found")
        links = self.access(item["id"])["links"]
        self.assertEqual([l["recipients"] for l in links if l["id"] == link["id"]], [[]])

    def test_role_edit_to_view(self):
        self.settings(external_sharing="anyone")
        f, item, link = self.shared_file(kind="anyone", role="edit")
        conn = OneConnection(self, self.server.port)
        upload = shares(link["token"], "/items/%d/files/new.txt" % f["id"])
        self.assertStatus(conn.request("PUT", upload, body=b"one"), 201)
        r = self.admin_c.patch("/api/v1/links/%d" % link["id"], json={"role": "view"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["role"], "view")
        # The next request: an upload. (The server may close the connection after refusing an
        # upload whose body it did not read; the refusal itself is on the same connection.)
        self.assertStatus(conn.request("PUT", upload, body=b"two", may_close=True), 403,
                          "forbidden")
        if conn.closed:
            conn = OneConnection(self, self.server.port)
        self.assertStatus(conn.request("POST", shares(link["token"], "/items/%d/children"
                                                      % f["id"]),
                                       json={"name": "x", "kind": "folder"}), 403, "forbidden")
        self.assertStatus(conn.request("DELETE", shares(link["token"], "/items/%d"
                                                        % item["id"])), 403, "forbidden")
        self.assertStatus(conn.request("PATCH", shares(link["token"], "/items/%d" % item["id"]),
                                       json={"name": "renamed.txt"}), 403, "forbidden")
        self.assertStatus(conn.get(shares(link["token"], "/items/%d/content" % item["id"])), 200)
        self.assertEqual(self.names(f["id"]), ["doc.txt", "new.txt"])
        new = [i for i in self.admin_c.children(f["id"]) if i["name"] == "new.txt"][0]
        self.assertEqual(self.admin_c.content(new["id"]).body, b"one")

    def test_block_download(self):
        self.settings(external_sharing="anyone")
        f, item, link = self.shared_file(kind="anyone", role="view")
        conn = OneConnection(self, self.server.port)
        path = shares(link["token"], "/items/%d/content" % item["id"])
        self.assertStatus(conn.get(path), 200)
        r = self.admin_c.patch("/api/v1/links/%d" % link["id"], json={"block_download": True})
        self.assertStatus(r, 200)
        self.assertIs(r.json()["block_download"], True)
        self.assertStatus(conn.get(path), 403, "forbidden")
        # Still viewable as metadata: the link is alive, only downloads are blocked.
        summary = conn.get(shares(link["token"]))
        self.assertStatus(summary, 200)
        self.assertIs(summary.json()["block_download"], True)
        # And a link on the file itself: /content is refused too.
        file_link = self.link(item["id"], kind="anyone", role="view", block_download=True)
        self.assertStatus(conn.get(shares(file_link["token"], "/content")), 403, "forbidden")

    def test_expiry_reached_on_the_test_clock(self):
        self.settings(external_sharing="anyone")
        f, item, link = self.shared_file(kind="anyone", role="view", expires_in="1h")
        conn = OneConnection(self, self.server.port)
        path = shares(link["token"], "/items/%d/content" % item["id"])
        self.assertStatus(conn.get(path), 200)
        self.advance("59m")
        self.assertStatus(conn.get(path), 200)
        self.advance("61s")
        self.assertStatus(conn.get(path), 410, "gone")
        self.assertStatus(conn.get(shares(link["token"])), 410, "gone")
        self.assertEqual(self.admin_c.get("/api/v1/links/%d" % link["id"]).json()["state"],
                         "expired")

    def test_policy_external_sharing_lowered_kills_anyone_links(self):
        self.settings(external_sharing="anyone")
        f, item, link = self.shared_file(kind="anyone", role="view")
        conn = OneConnection(self, self.server.port)
        path = shares(link["token"], "/items/%d/content" % item["id"])
        self.assertStatus(conn.get(path), 200)
        self.settings(external_sharing="new_and_existing_guests")
        self.assertStatus(conn.get(path), 410, "gone")
        self.assertStatus(conn.get(shares(link["token"])), 410, "gone")
        self.assertEqual(self.admin_c.get("/api/v1/links/%d" % link["id"]).json()["state"],
                         "off_by_policy")
        # Raising it again revives the link (the check is made at access time).
        self.settings(external_sharing="anyone")
        self.assertStatus(conn.get(path), 200)

    def test_anyone_link_max_lifetime_shortened(self):
        self.settings(external_sharing="anyone")
        f, item, link = self.shared_file(kind="anyone", role="view", expires_in="7d")
        conn = OneConnection(self, self.server.port)
        path = shares(link["token"], "/items/%d/content" % item["id"])
        self.assertStatus(conn.get(path), 200)
        self.settings(anyone_link_max_lifetime="1d")
        self.assertStatus(conn.get(path), 200)  # created less than a day ago
        self.advance("2d")
        self.assertStatus(conn.get(path), 410, "gone")
        self.assertStatus(conn.get(shares(link["token"])), 410, "gone")


    def test_specific_link_max_lifetime_shortened(self):
        user, email, member = self.new_member()
        f, item, link = self.shared_file(kind="specific", role="view", recipients=[email])
        self.assertIsNone(link["expires_at"])
        conn = OneConnection(self, self.server.port, cookies={"vestibule_session": member.session})
        path = shares(link["token"], "/items/%d/content" % item["id"])
        self.assertStatus(conn.get(path), 200)
        self.settings(specific_link_max_lifetime="1d")
        self.assertStatus(conn.get(path), 200)
        self.assertStatus(conn.get("/api/v1/items/%d/content" % item["id"]), 200)
        self.advance("2d")
        self.assertStatus(conn.get(path), 410, "gone")
        # The recipient's grant came through the link, so it is gone too.
        self.assertStatus(conn.get("/api/v1/items/%d/content" % item["id"]), 404, "not_found")

    def test_recipient_expiry(self):
        user, email, member = self.new_member()
        now = datetime.datetime.fromisoformat(self.advance("1s").replace("Z", "+00:00"))
        until = (now + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        f, item, link = self.shared_file(kind="specific", role="view",
                                         recipients=[{"address": email, "expires_at": until}])
        self.assertEqual(link["recipients"][0]["expires_at"], until)
        conn = OneConnection(self, self.server.port, cookies={"vestibule_session": member.session})
        path = shares(link["token"], "/items/%d/content" % item["id"])
        self.assertStatus(conn.get(path), 200)
        self.advance("59m")
        self.assertStatus(conn.get(path), 200)
        self.advance("61s")
        self.assertStatus(conn.get(path), 403, "forbidden")
        self.assertStatus(conn.get("/api/v1/items/%d" % item["id"]), 404, "not_found")

    def test_password_change_ends_earlier_proofs(self):
        self.settings(external_sharing="anyone")
        f, item, link = self.shared_file(kind="anyone", role="view",
                                         password="the first password")
        c = self.anon()
        self.assertStatus(c.post(shares(link["token"], "/password"),
                                 json={"password": "the first password"}), 200)
        conn = OneConnection(self, self.server.port,
                             cookies={"vestibule_link": c.cookies["vestibule_link"]})
        path = shares(link["token"], "/items/%d/content" % item["id"])
        self.assertStatus(conn.get(path), 200)
        r = self.admin_c.patch("/api/v1/links/%d" % link["id"],
                               json={"password": "the second password"})
        self.assertStatus(r, 200)
        # Whoever proved the old password must prove the new one.
        self.assertStatus(conn.get(path), 401, "unauthenticated")
        self.assertEqual(conn.get(shares(link["token"])).json()["needs"], "password")


    def test_anyone_link_lifetime_is_capped(self):
        self.settings(external_sharing="anyone", specific_link_default_lifetime="7d")
        f, item, link = self.shared_file(kind="anyone", role="view")
        created = datetime.datetime.fromisoformat(link["created_at"].replace("Z", "+00:00"))
        self.assertEqual(link["expires_at"], (created + datetime.timedelta(days=30))
                         .strftime("%Y-%m-%dT%H:%M:%SZ"), link)
        r = self.admin_c.post("/api/v1/items/%d/links" % item["id"],
                              json={"kind": "anyone", "expires_in": "31d"})
        self.assertStatus(r, 422, "policy_refused")
        self.assertEqual(r.json()["error"].get("field"), "expires_at")
        r = self.admin_c.patch("/api/v1/links/%d" % link["id"], json={"expires_in": "40d"})
        self.assertStatus(r, 422, "policy_refused")
        r = self.admin_c.post("/api/v1/items/%d/links" % item["id"],
                              json={"kind": "anyone", "expires_in": "0s"})
        self.assertStatus(r, 400, "invalid_argument")
        specific = self.link(item["id"], kind="specific", recipients=["ext@partner.test"])
        created = datetime.datetime.fromisoformat(specific["created_at"].replace("Z", "+00:00"))
        self.assertEqual(specific["expires_at"], (created + datetime.timedelta(days=7))
                         .strftime("%Y-%m-%dT%H:%M:%SZ"), specific)
        conn = OneConnection(self, self.server.port)
        path = shares(link["token"], "/items/%d/content" % item["id"])
        self.assertStatus(conn.get(path), 200)
        self.advance("29d")
        self.assertStatus(conn.get(path), 200)
        self.advance("1d")
        self.assertStatus(conn.get(path), 410, "gone")


# 4 ---------------------------------------------------------------------------------------------


class SpecificLinkTest(SharingCase):

    def test_member_recipient_and_everyone_else(self):
        f = self.folder()
        item = self.put_file(f["id"], "report.txt", b"quarterly report")
        recipient_user, recipient_email, recipient = self.new_member()
        _, _, stranger = self.new_member()
        link = self.link(f["id"], kind="specific", role="view", recipients=[recipient_email])
        self.assertEqual([(r["address"], r["kind"]) for r in link["recipients"]],
                         [(recipient_email, "member")])
        token = link["token"]
        children = shares(token, "/items/%d/children" % f["id"])
        content = shares(token, "/items/%d/content" % item["id"])

        # The recipient.
        r = recipient.get(shares(token))
        self.assertStatus(r, 200)
        self.assertNoReferrer(r)
        summary = r.json()
        self.assertEqual(summary["needs"], "none", r.describe())
        self.assertEqual((summary["kind"], summary["role"]), ("specific", "view"))
        self.assertEqual(summary["item"]["name"], f["name"])
        self.assertEqual(summary["shared_by"]["display_name"], "Administrator")
        r = recipient.get(children)
        self.assertStatus(r, 200)
        self.assertEqual([i["name"] for i in r.json()["items"]], ["report.txt"])
        r = recipient.get(content)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"quarterly report")
        self.assertStatus(recipient.put(shares(token, "/items/%d/files/x.txt" % f["id"]),
                                        body=b"x"), 403, "forbidden")
        # A specific link's member recipient holds a grant: the item API works too.
        self.assertStatus(recipient.get("/api/v1/items/%d" % f["id"]), 200)
        self.assertEqual(recipient.content(item["id"]).body, b"quarterly report")
        self.assertEqual([i["name"] for i in recipient.children(f["id"])], ["report.txt"])

        # Another signed-in member holding the forwarded link.
        r = stranger.get(shares(token))
        self.assertStatus(r, (200, 403))
        if r.status == 200:
            self.assertEqual(r.json()["needs"], "verification", r.describe())
            self.assertNotIn("parent_id", r.json()["item"])
        else:
            self.assertError(r, "forbidden")
        self.assertStatus(stranger.get(content), 403, "forbidden")
        self.assertStatus(stranger.get(children), 403, "forbidden")
        self.assertStatus(stranger.get(shares(token, "/items/%d" % item["id"])), 403,
                          "forbidden")
        self.assertStatus(stranger.get("/api/v1/items/%d" % f["id"]), 404, "not_found")

        # Anonymous holder (an external recipient who has not verified yet).
        anon = self.anon()
        r = anon.get(shares(token))
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["needs"], "verification", r.describe())
        self.assertEqual(set(r.json()["item"]), {"id", "name", "kind", "size"})
        self.assertStatus(anon.get(content), 401, "unauthenticated")
        self.assertStatus(anon.get(children), 401, "unauthenticated")
        self.assertStatus(anon.put(shares(token, "/items/%d/files/x.txt" % f["id"]), body=b"x"),
                          401, "unauthenticated")
        self.assertEqual(self.names(f["id"]), ["report.txt"])

    def test_external_recipient_link_gives_an_anonymous_holder_nothing(self):
        f = self.folder()
        item = self.put_file(f["id"], "plan.txt", b"plan")
        link = self.link(item["id"], kind="specific", role="edit",
                         recipients=["outsider@partner.test"])
        self.assertEqual([(r["address"], r["kind"], r["state"]) for r in link["recipients"]],
                         [("outsider@partner.test", "external", "pending")])
        anon = self.anon()
        r = anon.get(shares(link["token"]))
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["needs"], "verification")
        self.assertStatus(anon.get(shares(link["token"], "/content")), 401, "unauthenticated")
        self.assertStatus(anon.get(shares(link["token"], "/items/%d/content" % item["id"])),
                          401, "unauthenticated")


# 5 ---------------------------------------------------------------------------------------------


class OrganizationLinkTest(SharingCase):

    def test_signed_in_members_only(self):
        f = self.folder()
        item = self.put_file(f["id"], "memo.txt", b"internal memo")
        link = self.link(item["id"], kind="organization", role="view")
        self.assertEqual(link["recipients"], [])
        token = link["token"]
        anon = self.anon()
        r = anon.get(shares(token))
        self.assertStatus(r, 200)
        self.assertNoReferrer(r)
        self.assertEqual(r.json()["needs"], "sign_in", r.describe())
        self.assertEqual(r.json()["kind"], "organization")
        self.assertStatus(anon.get(shares(token, "/content")), 401, "unauthenticated")
        self.assertStatus(anon.get(shares(token, "/items/%d/content" % item["id"])), 401,
                          "unauthenticated")
        _, _, member = self.new_member()
        r = member.get(shares(token))
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["needs"], "none", r.describe())
        r = member.get(shares(token, "/content"))
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"internal memo")
        r = member.get(shares(token, "/items/%d/content" % item["id"]))
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"internal memo")
        # The link is the capability: without it the member reaches nothing.
        self.assertStatus(member.get("/api/v1/items/%d" % item["id"]), 404, "not_found")
        # Signing out makes the same browser anonymous again.
        self.assertStatus(member.delete("/api/v1/session"), 204)
        self.assertStatus(member.get(shares(token, "/content")), 401, "unauthenticated")


    def test_existing_access_link_grants_nothing(self):
        r = self.admin_c.post("/api/v1/admin/spaces", json={"name": unique("Team")})
        self.assertStatus(r, 201)
        space = r.json()
        doc = self.put_file(space["root_item_id"], "handbook.txt", b"handbook")
        visitor_user, _, visitor = self.new_member()
        self.assertStatus(self.admin_c.put("/api/v1/spaces/%d/members/%d"
                                           % (space["id"], visitor_user["id"]),
                                           json={"role": "visitor"}), 200)
        _, _, stranger = self.new_member()
        r = self.admin_c.post("/api/v1/items/%d/links" % doc["id"],
                              json={"kind": "existing", "recipients": ["a@partner.test"]})
        self.assertStatus(r, 400, "invalid_argument")
        link = self.link(doc["id"], kind="existing", role="edit")
        self.assertEqual(link["role"], "view")
        token = link["token"]
        # Someone who already has access opens it.
        r = visitor.get(shares(token))
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["needs"], "none")
        self.assertEqual(visitor.get(shares(token, "/content")).body, b"handbook")
        self.assertStatus(visitor.put(shares(token, "/items/%d/files/x.txt"
                                             % space["root_item_id"]), body=b"x"), 404)
        # Nobody else gets anything from it.
        anon = self.anon()
        r = anon.get(shares(token))
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["needs"], "sign_in")
        self.assertStatus(anon.get(shares(token, "/content")), 401, "unauthenticated")
        r = stranger.get(shares(token))
        self.assertStatus(r, (200, 403))
        if r.status == 200:
            self.assertNotEqual(r.json()["needs"], "none", r.describe())
        self.assertStatus(stranger.get(shares(token, "/content")), 403, "forbidden")
        self.assertStatus(stranger.get("/api/v1/items/%d" % doc["id"]), 404, "not_found")


# 6 ---------------------------------------------------------------------------------------------


class PasswordLinkTest(SharingCase):

    def test_password_throttle_and_cookie_scope(self):
        self.settings(external_sharing="anyone")
        f = self.folder()
        item = self.put_file(f["id"], "secret.txt", b"password protected")
        other = self.put_file(f["id"], "other.txt", b"other link")
        password = "correct horse battery"
        link_a = self.link(item["id"], kind="anyone", role="view", password=password)
        link_b = self.link(other["id"], kind="anyone", role="view", password=password)
        self.assertIs(link_a["has_password"], True)
        ta, tb = link_a["token"], link_b["token"]
        c = self.anon()
        r = c.get(shares(ta))
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["needs"], "password", r.describe())
        self.assertStatus(c.get(shares(ta, "/content")), 401, "unauthenticated")
        # Wrong passwords: 401, then throttled with Retry-After.
        r = c.post(shares(ta, "/password"), json={"password": "wrong password 0"})
        self.assertStatus(r, 401, "unauthenticated")
        self.assertNoReferrer(r)
        self.assertEqual(r.headers.get_all("Set-Cookie"), [])
        throttled = None
        for attempt in range(1, 15):
            r = c.post(shares(ta, "/password"), json={"password": "wrong password %d" % attempt})
            if r.status == 429:
                throttled = r
                break
            self.assertStatus(r, 401, "unauthenticated")
        self.assertIsNotNone(throttled, "15 wrong link passwords and no 429")
        self.assertError(throttled, "too_many_requests")
        retry_after = throttled.headers.get("Retry-After", "")
        self.assertRegex(retry_after, r"^\d+$", throttled.describe())
        self.assertGreater(int(retry_after), 0)
        # While throttled even the right password is not tried.
        r = c.post(shares(ta, "/password"), json={"password": password})
        self.assertStatus(r, 429, "too_many_requests")
        self.assertNotIn("vestibule_link", c.cookies)
        self.assertStatus(c.get(shares(ta, "/content")), 401, "unauthenticated")
        # Once the wait has passed, the right password gives a cookie scoped to the link.
        self.advance("%ds" % (int(retry_after) + 1))
        r = c.post(shares(ta, "/password"), json={"password": password})
        self.assertStatus(r, 200)
        self.assertNoReferrer(r)
        cookies = [v for v in r.headers.get_all("Set-Cookie") if v.startswith("vestibule_link=")]
        self.assertEqual(len(cookies), 1, r.describe())
        attrs = {p.strip().split("=", 1)[0].lower(): (p.strip().split("=", 1) + [""])[1]
                 for p in cookies[0].split(";")[1:]}
        self.assertEqual(attrs.get("path"), "/api/v1/shares/" + ta, r.describe())
        self.assertIn("httponly", attrs, r.describe())
        self.assertEqual(attrs.get("samesite", "").lower(), "lax", r.describe())
        proof = c.cookies["vestibule_link"]
        self.assertTrue(proof)
        r = c.get(shares(ta))
        self.assertEqual(r.json()["needs"], "none", r.describe())
        r = c.get(shares(ta, "/content"))
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"password protected")
        # The cookie of link A (sent here whatever its Path) does not open link B.
        self.assertEqual(c.cookies.get("vestibule_link"), proof)
        r = c.get(shares(tb))
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["needs"], "password", r.describe())
        self.assertStatus(c.get(shares(tb, "/content")), 401, "unauthenticated")
        self.assertStatus(c.get(shares(tb, "/items/%d/content" % other["id"])), 401,
                          "unauthenticated")
        # Nor does it reach link B's item through link A.
        self.assertStatus(c.get(shares(ta, "/items/%d/content" % other["id"])), 404,
                          "not_found")
        # A browser without the cookie still needs the password.
        fresh = self.anon()
        self.assertEqual(fresh.get(shares(ta)).json()["needs"], "password")
        self.assertStatus(fresh.get(shares(ta, "/content")), 401, "unauthenticated")
        # A forged proof is worthless.
        forged = self.client(self.server)
        forged.cookies["vestibule_link"] = "B" * 43
        self.assertStatus(forged.get(shares(ta, "/content")), 401, "unauthenticated")

    def test_the_password_is_stored_as_argon2id_and_a_wrong_one_tells_nothing_more(self):
        self.settings(external_sharing="anyone")
        f = self.folder()
        _, _, member = self.new_member()
        member_root = member.personal_root()
        # Two links that differ in everything: owner, item, name, size, password.
        item_a = self.put_file(f["id"], "quarterly-figures.txt", b"figures")
        item_b = self.put_file(member_root, "holiday-plan.txt", b"a longer plan " * 10,
                               client=member)
        pw_a, pw_b = "correct horse battery", "another link's password"
        link_a = self.link(item_a["id"], kind="anyone", role="view", password=pw_a)
        link_b = self.link(item_b["id"], client=member, kind="anyone", role="view",
                           password=pw_b)
        plain = self.link(item_a["id"], kind="anyone", role="view")

        # Stored: an Argon2id hash of that very password (checked by libsodium itself), salted.
        stored = dict(query(self.server.data_dir,
                            "SELECT id, password_hash FROM links WHERE id IN (%d, %d, %d)"
                            % (link_a["id"], link_b["id"], plain["id"])))
        for link, password in ((link_a, pw_a), (link_b, pw_b)):
            value = stored[link["id"]]
            self.assertRegex(value, r"^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$"
                                    r"[A-Za-z0-9+/]+$")
            self.assertNotIn(password, value)
            self.assertTrue(argon2id_verifies(value, password), value)
            self.assertFalse(argon2id_verifies(value, password + "x"), value)
        self.assertFalse(argon2id_verifies(stored[link_a["id"]], pw_b))
        self.assertEqual(stored[plain["id"]], "")
        again = self.link(item_a["id"], kind="anyone", role="view", password=pw_a)
        [(same_password,)] = query(self.server.data_dir,
                                   "SELECT password_hash FROM links WHERE id = %d" % again["id"])
        self.assertNotEqual(same_password, stored[link_a["id"]], "the hash is not salted")

        # The summary a holder gets before the password: it says a password is needed.
        c = self.anon()
        summary = c.get(shares(link_a["token"]))
        self.assertStatus(summary, 200)
        self.assertEqual(summary.json()["needs"], "password", summary.describe())

        # A wrong password: the same answer for either link and any guess, near or far, so it
        # depends on neither the link, its item, its owner nor the password.
        answers = []
        for link, guesses in ((link_a, ("x", pw_a[:-1], pw_a.upper(), pw_b)),
                              (link_b, ("x", pw_b + " ", pw_a, "a" * 300))):
            for guess in guesses:
                r = c.post(shares(link["token"], "/password"), json={"password": guess})
                self.assertStatus(r, 401, "unauthenticated")
                self.assertEqual(r.headers.get_all("Set-Cookie"), [], r.describe())
                answers.append(r)
        bodies = {r.body for r in answers}
        self.assertEqual(len(bodies), 1, bodies)
        headers = {tuple(sorted((k.lower(), v) for k, v in r.headers.items()
                                if k.lower() not in ("date", "x-request-id")))
                   for r in answers}
        self.assertEqual(len(headers), 1, headers)
        error = answers[0].json()
        self.assertEqual(set(error), {"error"}, answers[0].describe())
        self.assertLessEqual(set(error["error"]), {"code", "message", "field"},
                             answers[0].describe())
        # Nothing of the item or its owner that the summary keeps back, and nothing more than
        # the summary tells: no name, id, size, owner or password.
        body = answers[0].body.decode("utf-8")
        for secret in ("quarterly", "holiday", "figures", str(item_a["id"]), str(item_b["id"]),
                       ADMIN_EMAIL, "member", pw_a, pw_b, link_a["token"], link_b["token"]):
            self.assertNotIn(secret, body)
        for link in (link_a, link_b):  # the summary is unchanged by the wrong tries
            r = c.get(shares(link["token"]))
            self.assertEqual(r.json()["needs"], "password", r.describe())
            self.assertStatus(c.get(shares(link["token"], "/content")), 401, "unauthenticated")

    def test_a_password_proof_alone_changes_nothing_from_another_site(self):
        self.settings(external_sharing="anyone")
        f = self.folder()
        keep = self.put_file(f["id"], "keep.txt", b"keep")
        password = "correct horse battery"
        link = self.link(f["id"], kind="anyone", role="edit", password=password)
        token = link["token"]
        c = self.anon()
        self.assertStatus(c.post(shares(token, "/password"), json={"password": password}), 200)
        self.assertEqual(set(c.cookies), {"vestibule_link"})  # the link's proof, nothing else
        for label, headers in (("origin", {"Origin": "http://evil.example"}),
                               ("cross-site", {"Sec-Fetch-Site": "cross-site"}),
                               ("same-site", {"Sec-Fetch-Site": "same-site"})):
            with self.subTest(header=label):
                refused = [
                    c.post(shares(token, "/items/%d/children" % f["id"]),
                           json={"name": "csrf-" + label, "kind": "folder"}, headers=headers),
                    c.patch(shares(token, "/items/%d" % keep["id"]), json={"name": "csrf.txt"},
                            headers=headers),
                    c.delete(shares(token, "/items/%d" % keep["id"]), headers=headers),
                    c.put(shares(token, "/items/%d/files/csrf.txt" % f["id"]), body=b"x",
                          headers=dict(headers, **{"Content-Type": "text/plain"})),
                    # Proving the password again from another site is refused too.
                    c.post(shares(token, "/password"), json={"password": password},
                           headers=headers),
                ]
                for r in refused:
                    self.assertStatus(r, 403, "forbidden")
        self.assertEqual(self.names(f["id"]), ["keep.txt"])
        r = c.post(shares(token, "/items/%d/children" % f["id"]),
                   json={"name": "made", "kind": "folder"})
        self.assertStatus(r, 201)
        self.assertEqual(self.names(f["id"]), ["keep.txt", "made"])


# 7 ---------------------------------------------------------------------------------------------


class PolicyRefusalTest(SharingCase):

    def test_refusals_on_create_name_each_recipient_and_create_nothing(self):
        f = self.folder()
        item = self.put_file(f["id"], "doc.txt", b"doc")
        member_user, member_email, member = self.new_member()
        self.assertEqual(self.link_ids(item["id"]), [])

        # internal_only: every external address is refused, each named.
        self.settings(external_sharing="internal_only")
        r = self.refused_link(item["id"], kind="specific", role="view",
                              recipients=["x@outside.test", "Y@Other.Test"])
        self.assertRefused(r, {"x@outside.test": "external_sharing",
                               "y@other.test": "external_sharing"})
        self.assertEqual(self.link_ids(item["id"]), [])
        # ...while a member still can be shared with.
        ok = self.link(item["id"], kind="specific", role="view", recipients=[member_email])
        self.assertEqual(self.link_ids(item["id"]), [ok["id"]])
        self.assertStatus(self.admin_c.delete("/api/v1/links/%d" % ok["id"]), 204)
        baseline = self.link_ids(item["id"])

        # existing_guests: a new external address is refused.
        self.settings(external_sharing="existing_guests")
        r = self.refused_link(item["id"], kind="specific", recipients=["new@outside.test"])
        self.assertRefused(r, {"new@outside.test": "external_sharing"})

        # The email-code method off: no new external identities.
        self.settings(external_sharing="new_and_existing_guests", email_code_enabled=False)
        r = self.refused_link(item["id"], kind="specific", recipients=["new@outside.test"])
        self.assertRefused(r, {"new@outside.test": "email_code_enabled"})
        self.settings(email_code_enabled=True)

        # blocked_domains, subdomains included.
        self.settings(external_sharing="new_and_existing_guests",
                      blocked_domains=["blocked.test"])
        r = self.refused_link(item["id"], kind="specific",
                              recipients=["a@blocked.test", "b@sub.blocked.test"])
        self.assertRefused(r, {"a@blocked.test": "blocked_domains",
                               "b@sub.blocked.test": "blocked_domains"})
        self.assertEqual(self.link_ids(item["id"]), baseline)

        # allowed_domains.
        self.settings(blocked_domains=[], allowed_domains=["partner.test"])
        r = self.refused_link(item["id"], kind="specific", recipients=["c@elsewhere.test"])
        self.assertRefused(r, {"c@elsewhere.test": "allowed_domains"})
        self.assertEqual(self.link_ids(item["id"]), baseline)
        allowed = self.link(item["id"], kind="specific", recipients=["c@partner.test"])
        self.assertEqual([x["address"] for x in allowed["recipients"]], ["c@partner.test"])
        baseline = self.link_ids(item["id"])

        # internal_domains: an address of the organization's domain that no member has.
        self.settings(allowed_domains=[], internal_domains=["example.org"])
        r = self.refused_link(item["id"], kind="specific",
                              recipients=["ghost@example.org", "ghost@dept.example.org"])
        self.assertRefused(r, {"ghost@example.org": "internal_domains",
                               "ghost@dept.example.org": "internal_domains"})
        self.assertEqual(self.link_ids(item["id"]), baseline)
        # A member's address in that domain is fine.
        self.link(item["id"], kind="specific", recipients=[member_email.upper()])
        baseline = self.link_ids(item["id"])

        # A mix of allowed and refused recipients: 422 naming only the refused, nothing created.
        self.settings(internal_domains=[], blocked_domains=["blocked.test"])
        _, mixed_email, mixed_member = self.new_member()
        r = self.refused_link(item["id"], kind="specific", role="view",
                              recipients=[mixed_email, "fine@partner.test", "bad@blocked.test"])
        self.assertRefused(r, {"bad@blocked.test": "blocked_domains"})
        self.assertEqual(self.link_ids(item["id"]), baseline)
        self.assertStatus(mixed_member.get("/api/v1/items/%d" % item["id"]), 404, "not_found")
        self.assertStatus(mixed_member.content(item["id"]), 404, "not_found")
        for l in self.access(item["id"])["links"]:
            addresses = [x["address"] for x in l["recipients"]]
            self.assertNotIn("fine@partner.test", addresses)
            self.assertNotIn(mixed_email, addresses)

        # Anyone links when external_sharing is not anyone.
        for level in ("new_and_existing_guests", "existing_guests", "internal_only"):
            with self.subTest(external_sharing=level):
                self.settings(external_sharing=level)
                self.refused_link(item["id"], kind="anyone", role="view")
                self.refused_link(item["id"], kind="anyone", role="view",
                                  password="long enough password")
        self.assertEqual(self.link_ids(item["id"]), baseline)

        # anyone_link_require_password.
        self.settings(external_sharing="anyone", anyone_link_require_password=True)
        self.refused_link(item["id"], kind="anyone", role="view")
        self.assertEqual(self.link_ids(item["id"]), baseline)
        with_password = self.link(item["id"], kind="anyone", role="view",
                                  password="long enough password")
        self.assertEqual(self.link_ids(item["id"]), sorted(baseline + [with_password["id"]]))
        # The password cannot then be removed.
        r = self.admin_c.patch("/api/v1/links/%d" % with_password["id"], json={"password": None})
        self.assertStatus(r, 422, "policy_refused")

    def test_anyone_link_created_before_require_password_is_switched_off(self):
        self.settings(external_sharing="anyone")
        f = self.folder()
        item = self.put_file(f["id"], "doc.txt", b"doc")
        link = self.link(item["id"], kind="anyone", role="view")
        c = self.anon()
        self.assertStatus(c.get(shares(link["token"], "/content")), 200)
        self.settings(anyone_link_require_password=True)
        self.assertStatus(c.get(shares(link["token"], "/content")), 410, "gone")


# 8 ---------------------------------------------------------------------------------------------


class SettingsTest(SharingCase):

    def test_org_settings_validation(self):
        r = self.admin_c.get("/api/v1/admin/settings")
        self.assertStatus(r, 200)
        before = r.json()
        for key in SETTINGS_KEYS:
            self.assertIn(key, before, r.describe())
        self.assertEqual(before["external_sharing"], "new_and_existing_guests")
        self.assertEqual(before["anyone_link_max_lifetime"], "30d")

        def refused(patch, field):
            r = self.admin_c.patch("/api/v1/admin/settings", json=patch)
            self.assertStatus(r, 400, "invalid_argument")
            self.assertEqual(r.json()["error"].get("field"), field, r.describe())

        with self.subTest("unknown key"):
            refused({"no_such_setting": True}, "no_such_setting")
            refused({"external_sharing": "anyone", "externalSharing": "anyone"},
                    "externalSharing")
        for key in ("code_lifetime", "reverify_after", "anyone_link_max_lifetime",
                    "specific_link_max_lifetime", "guest_expiry"):
            for bad in ("ten minutes", "5x", "-5m", "", 600, None):
                with self.subTest(key=key, value=bad):
                    refused({key: bad}, key)
        refused({"external_sharing": "everyone"}, "external_sharing")
        refused({"code_length": 4}, "code_length")
        refused({"remember_device_for": "60d"}, "remember_device_for")
        refused({"specific_link_max_lifetime": "7d", "specific_link_default_lifetime": "30d"},
                "specific_link_default_lifetime")
        with self.subTest("allowed and blocked"):
            r = self.admin_c.patch("/api/v1/admin/settings",
                                   json={"allowed_domains": ["a.test"],
                                         "blocked_domains": ["b.test"]})
            self.assertStatus(r, 400, "invalid_argument")
            self.assertIn(r.json()["error"].get("field"), ("allowed_domains", "blocked_domains"))
            self.settings(blocked_domains=["b.test"])
            r = self.admin_c.patch("/api/v1/admin/settings", json={"allowed_domains": ["a.test"]})
            self.assertStatus(r, 400, "invalid_argument")
            self.settings(blocked_domains=[])
        # A refused patch changes nothing, not even its valid keys.
        refused({"external_sharing": "anyone", "no_such_setting": 1}, "no_such_setting")
        self.assertEqual(self.admin_c.get("/api/v1/admin/settings").json(), before)
        # A valid one is applied and echoed.
        after = self.settings(reverify_after="7d", remember_device_for="7d",
                              anyone_link_max_lifetime="12h")
        self.assertEqual((after["reverify_after"], after["anyone_link_max_lifetime"]),
                         ("7d", "12h"))
        # Members who are not admins can neither read nor change the policy.
        _, _, member = self.new_member()
        self.assertStatus(member.get("/api/v1/admin/settings"), 403, "forbidden")
        self.assertStatus(member.patch("/api/v1/admin/settings",
                                       json={"external_sharing": "anyone"}), 403, "forbidden")
        self.assertStatus(self.anon().get("/api/v1/admin/settings"), 401, "unauthenticated")
        self.assertEqual(self.admin_c.get("/api/v1/admin/settings").json()["external_sharing"],
                         "new_and_existing_guests")

    def test_a_space_can_only_tighten(self):
        self.settings(external_sharing="anyone")
        r = self.admin_c.post("/api/v1/admin/spaces", json={"name": unique("Team")})
        self.assertStatus(r, 201)
        space = r.json()
        team_root = space["root_item_id"]
        team_doc = self.put_file(team_root, "team.txt", b"team doc")
        mine = self.folder()
        my_doc = self.put_file(mine["id"], "mine.txt", b"my doc")
        team_anyone = self.link(team_doc["id"], kind="anyone", role="view")
        team_specific = self.link(team_doc["id"], kind="specific",
                                  recipients=["ext@partner.test"])
        c = self.anon()
        self.assertStatus(c.get(shares(team_anyone["token"], "/content")), 200)

        r = self.admin_c.get("/api/v1/spaces/%d/settings" % space["id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["space"], {})
        self.assertEqual(r.json()["effective"]["external_sharing"], "anyone")
        r = self.admin_c.patch("/api/v1/spaces/%d/settings" % space["id"],
                               json={"external_sharing": "internal_only"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["space"]["external_sharing"], "internal_only")
        self.assertEqual(r.json()["effective"]["external_sharing"], "internal_only")

        # In the team space: the existing anyone link is dead at once; new ones are refused.
        self.assertStatus(c.get(shares(team_anyone["token"], "/content")), 410, "gone")
        self.refused_link(team_doc["id"], kind="anyone", role="view")
        r = self.refused_link(team_doc["id"], kind="specific", recipients=["ext2@partner.test"])
        self.assertRefused(r, {"ext2@partner.test": "external_sharing"})
        states = {l["id"]: l["state"] for l in self.access(team_doc["id"])["links"]}
        self.assertEqual(states[team_anyone["id"]], "off_by_policy")
        # Elsewhere the organization's policy still applies.
        my_anyone = self.link(my_doc["id"], kind="anyone", role="view")
        self.assertEqual(c.get(shares(my_anyone["token"], "/content")).body, b"my doc")
        self.link(my_doc["id"], kind="specific", recipients=["ext2@partner.test"])
        self.assertEqual(self.admin_c.get("/api/v1/admin/settings").json()["external_sharing"],
                         "anyone")
        self.assertTrue(team_specific["id"])

        # Loosening is refused: the org is lowered, the space may not go above it.
        self.settings(external_sharing="new_and_existing_guests")
        r = self.admin_c.patch("/api/v1/spaces/%d/settings" % space["id"],
                               json={"external_sharing": "anyone"})
        self.assertStatus(r, 400, "invalid_argument")
        self.assertEqual(r.json()["error"].get("field"), "external_sharing")
        r = self.admin_c.patch("/api/v1/spaces/%d/settings" % space["id"],
                               json={"anyone_link_max_lifetime": "60d"})
        self.assertStatus(r, 400, "invalid_argument")
        self.assertEqual(r.json()["error"].get("field"), "anyone_link_max_lifetime")
        r = self.admin_c.patch("/api/v1/spaces/%d/settings" % space["id"],
                               json={"anyone_link_max_lifetime": "0"})
        self.assertStatus(r, 400, "invalid_argument")
        self.assertEqual(r.json()["error"].get("field"), "anyone_link_max_lifetime")
        r = self.admin_c.patch("/api/v1/spaces/%d/settings" % space["id"],
                               json={"internal_domains": ["example.org"]})
        self.assertStatus(r, 400, "invalid_argument")
        self.assertEqual(r.json()["error"].get("field"), "internal_domains")
        r = self.admin_c.patch("/api/v1/spaces/%d/settings" % space["id"],
                               json={"reverify_after": "bogus"})
        self.assertStatus(r, 400, "invalid_argument")
        self.assertEqual(r.json()["error"].get("field"), "reverify_after")
        r = self.admin_c.get("/api/v1/spaces/%d/settings" % space["id"])
        self.assertEqual(r.json()["space"], {"external_sharing": "internal_only"})
        # Tightening further is fine.
        r = self.admin_c.patch("/api/v1/spaces/%d/settings" % space["id"],
                               json={"anyone_link_max_lifetime": "7d"})
        self.assertStatus(r, 200)
        # A plain member of the space cannot change its policy; a non-member cannot see it.
        member_user, _, member = self.new_member()
        r = self.admin_c.put("/api/v1/spaces/%d/members/%d" % (space["id"], member_user["id"]),
                             json={"role": "member"})
        self.assertStatus(r, 200)
        self.assertStatus(member.patch("/api/v1/spaces/%d/settings" % space["id"],
                                       json={"external_sharing": "internal_only"}), 403,
                          "forbidden")
        _, _, outsider = self.new_member()
        self.assertStatus(outsider.get("/api/v1/spaces/%d/settings" % space["id"]), (403, 404))
        self.assertStatus(outsider.patch("/api/v1/spaces/%d/settings" % space["id"],
                                         json={"external_sharing": "internal_only"}), (403, 404))


# 9 ---------------------------------------------------------------------------------------------


class TokenStorageTest(SharingCase):

    def data_bytes(self):
        blob = stored_bytes(self.server.data_dir)
        self.assertTrue(blob, "the database holds nothing")
        return blob

    def test_link_tokens_are_stored_hashed_and_kept_out_of_logs(self):
        self.settings(external_sharing="anyone")
        f = self.folder()
        item = self.put_file(f["id"], "doc.txt", b"doc")
        _, member_email, member = self.new_member()
        password = "link password for the db test"
        links = [
            self.link(item["id"], kind="anyone", role="view"),
            self.link(item["id"], kind="anyone", role="view", password=password),
            self.link(item["id"], kind="organization", role="view"),
            self.link(f["id"], kind="specific", role="view",
                      recipients=[member_email, "ext@partner.test"]),
            self.link(f["id"], kind="existing"),
        ]
        tokens = [l["token"] for l in links]
        self.assertEqual(len(set(tokens)), len(tokens))
        for l in links:
            token = l["token"]
            self.assertRegex(token, r"^[A-Za-z0-9_-]+$")
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            self.assertGreaterEqual(len(raw), 16, "a link token below 128 bits")
            self.assertTrue(l["url"].endswith("/s/" + token), l["url"])
        # Use them, so that their paths reach the access log.
        c = self.anon()
        for token in tokens:
            c.get(shares(token))
            c.get(shares(token, "/content"))
            member.get(shares(token, "/items/%d/content" % item["id"]))
            c.get("/s/" + token)
        r = c.post(shares(tokens[1], "/password"), json={"password": password})
        self.assertStatus(r, 200)
        proof = c.cookies["vestibule_link"]
        self.assertStatus(c.get(shares(tokens[1], "/content")), 200)
        self.assertStatus(self.admin_c.get("/api/v1/links/%d" % links[0]["id"]), 200)

        # Invitations carry the specific link's token until they are sent and scrubbed: wait for
        # the outbox (an asynchronous worker) to report them sent before reading the files.
        deadline = time.monotonic() + 20
        while True:
            access = self.admin_c.get("/api/v1/items/%d/access" % f["id"]).json()
            states = [r["delivery"] for l in access["links"] for r in l["recipients"]]
            if states and all(state == "sent" for state in states):
                break
            self.assertLess(time.monotonic(), deadline, "invitations not sent: %s" % states)
            time.sleep(0.05)
        blob = self.data_bytes()
        for token in tokens:
            with self.subTest(token=token[:6]):
                self.assertNotIn(token.encode(), blob, "a raw link token is in the database")
                self.assertIn(hashlib.sha256(token.encode()).hexdigest().encode(), blob,
                              "a link token's SHA-256 is not in the database")
        self.assertNotIn(proof.encode(), blob, "the raw password proof is in the database")
        self.assertNotIn(password.encode(), blob, "the link password is in the database")
        # Manage views never show a token again.
        listing = self.admin_c.get("/api/v1/items/%d/access" % item["id"]).body
        listing += self.admin_c.get("/api/v1/items/%d/access" % f["id"]).body
        listing += self.admin_c.get("/api/v1/links/%d" % links[0]["id"]).body
        for token in tokens:
            self.assertNotIn(token.encode(), listing)
        metrics = self.anon().get("/metrics").body.decode("utf-8", "replace")
        for token in tokens:
            self.assertNotIn(token, metrics, "a raw link token is in /metrics")
        # Nor do the logs (access log and application log alike).
        output = self.server.output()
        self.assertIn("/api/v1/shares/~", output, "no redacted share path in the access log")
        for secret in tokens + [proof, password]:
            self.assertNotIn(secret, output, "a secret is in the server's log output")


# 10 --------------------------------------------------------------------------------------------


class ManageAccessTest(SharingCase):

    def test_manage_access_lists_every_way_in(self):
        r = self.admin_c.post("/api/v1/admin/spaces", json={"name": unique("Team")})
        self.assertStatus(r, 201)
        space = r.json()
        root = space["root_item_id"]
        space_member, space_member_email, _ = self.new_member()
        r = self.admin_c.put("/api/v1/spaces/%d/members/%d" % (space["id"], space_member["id"]),
                             json={"role": "member"})
        self.assertStatus(r, 200)
        grantee, grantee_email, grantee_c = self.new_member()
        recipient, recipient_email, recipient_c = self.new_member()
        parent = self.folder(root, "Parent")
        child = self.folder(parent["id"], "Child")
        doc = self.put_file(child["id"], "doc.txt", b"doc")

        # A direct grant on the parent.
        self.assertStatus(grantee_c.get("/api/v1/items/%d" % child["id"]), 404)
        r = self.admin_c.post("/api/v1/items/%d/grants" % parent["id"],
                              json={"email": grantee_email, "role": "view"})
        self.assertStatus(r, 201)
        grant = r.json()
        self.assertEqual((grant["email"], grant["role"], grant["item_id"]),
                         (grantee_email, "view", parent["id"]))
        self.assertStatus(grantee_c.get("/api/v1/items/%d" % child["id"]), 200)
        self.assertEqual(grantee_c.content(doc["id"]).body, b"doc")
        self.assertStatus(grantee_c.upload(child["id"], "x.txt", b"x"), 403, "forbidden")
        # Links on the parent and on the item.
        parent_link = self.link(parent["id"], kind="organization", role="view")
        child_link = self.link(child["id"], kind="specific", role="edit",
                               recipients=[" Eve@Example.ORG ",
                                           {"address": recipient_email}])
        self.assertEqual(sorted((x["address"], x["kind"], x["state"])
                                for x in child_link["recipients"]),
                         sorted([("eve@example.org", "external", "pending"),
                                 (recipient_email, "member", "member")]))
        for x in child_link["recipients"]:
            self.assertIn("delivery", x)

        doc_access = self.access(child["id"])
        self.assertEqual(doc_access["item"]["id"], child["id"])
        grants = doc_access["grants"]
        by_space = {g["principal"]["email"]: g for g in grants if g["source"] == "space"}
        self.assertEqual(set(by_space), {ADMIN_EMAIL, space_member_email}, grants)
        for email, role in ((ADMIN_EMAIL, "manage"), (space_member_email, "edit")):
            g = by_space[email]
            self.assertIs(g["inherited"], True, g)
            self.assertEqual(g["from"]["item_id"], root, g)
            self.assertEqual(g["role"], role, g)
        self.assertEqual(by_space[space_member_email]["space_role"], "member")
        direct = [g for g in grants if g["source"] == "grant"]
        self.assertEqual(len(direct), 1, grants)
        self.assertEqual(direct[0]["id"], grant["id"])
        self.assertEqual(direct[0]["principal"]["email"], grantee_email)
        self.assertEqual(direct[0]["role"], "view")
        self.assertIs(direct[0]["inherited"], True)
        self.assertEqual(direct[0]["from"]["item_id"], parent["id"])
        self.assertEqual(direct[0]["from"]["name"], "Parent")

        links = {l["id"]: l for l in doc_access["links"]}
        self.assertEqual(set(links), {parent_link["id"], child_link["id"]})
        self.assertIs(links[parent_link["id"]]["inherited"], True)
        self.assertEqual(links[parent_link["id"]]["from"]["item_id"], parent["id"])
        self.assertEqual(links[parent_link["id"]]["kind"], "organization")
        self.assertIs(links[child_link["id"]]["inherited"], False)
        self.assertEqual(links[child_link["id"]]["from"]["item_id"], child["id"])
        for l in links.values():
            self.assertEqual(l["state"], "active")
            self.assertNotIn("token", l)
        recipients = {x["address"]: x for x in links[child_link["id"]]["recipients"]}
        self.assertEqual(set(recipients), {"eve@example.org", recipient_email})
        self.assertEqual(recipients["eve@example.org"]["state"], "pending")
        for x in recipients.values():
            self.assertIsNone(x["first_used_at"], x)
            self.assertIsNone(x["last_used_at"], x)

        # The parent's access lists its own ways in, not the child's link.
        parent_access = self.access(parent["id"])
        self.assertEqual([l["id"] for l in parent_access["links"]], [parent_link["id"]])
        self.assertIs(parent_access["links"][0]["inherited"], False)
        direct = [g for g in parent_access["grants"] if g["source"] == "grant"]
        self.assertEqual([(g["id"], g["inherited"]) for g in direct], [(grant["id"], False)])
        root_access = self.access(root)
        for g in root_access["grants"]:
            if g["source"] == "space":
                self.assertIs(g["inherited"], False, g)

        # The member recipient uses the link: first and last use are recorded.
        r = recipient_c.get(shares(child_link["token"], "/items/%d/content" % doc["id"]))
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"doc")
        recipients = {x["address"]: x for l in self.access(child["id"])["links"]
                      if l["id"] == child_link["id"] for x in l["recipients"]}
        used = recipients[recipient_email]
        self.assertIsNotNone(used["first_used_at"], used)
        self.assertIsNotNone(used["last_used_at"], used)
        self.assertIsNone(recipients["eve@example.org"]["first_used_at"])
        self.assertEqual(recipients["eve@example.org"]["state"], "pending")
        first = used["first_used_at"]
        self.advance("2h")
        self.assertStatus(recipient_c.get(shares(child_link["token"])), 200)
        self.assertStatus(recipient_c.get(shares(child_link["token"], "/items/%d/content"
                                                 % doc["id"])), 200)
        used = {x["address"]: x for x in self.admin_c.get(
            "/api/v1/links/%d" % child_link["id"]).json()["recipients"]}[recipient_email]
        self.assertEqual(used["first_used_at"], first)
        self.assertGreater(used["last_used_at"], first)

        # Removing the grant ends it at once, and manage access no longer lists it.
        self.assertStatus(self.admin_c.delete("/api/v1/grants/%d" % grant["id"]), 204)
        self.assertStatus(grantee_c.get("/api/v1/items/%d" % child["id"]), 404, "not_found")
        self.assertEqual([g for g in self.access(child["id"])["grants"]
                          if g["source"] == "grant"], [])
        # Manage access is for those who may share: not for a view grantee or a stranger.
        self.assertStatus(recipient_c.get("/api/v1/items/%d/access" % child["id"]), (403, 404))
        self.assertStatus(grantee_c.get("/api/v1/items/%d/access" % child["id"]), 404)


# 11 --------------------------------------------------------------------------------------------


class AddressNormalizationTest(SharingCase):

    def test_idn_case_and_spaces_are_normalized(self):
        f = self.folder()
        r = self.admin_c.post("/api/v1/items/%d/links" % f["id"],
                              json={"kind": "specific", "role": "view",
                                    "recipients": ["x@bücher.example", " Eve@Example.ORG ",
                                                   "eve@example.org",
                                                   {"address": "Y@XN--BCHER-KVA.example"}]})
        self.assertStatus(r, 201)
        link = r.json()
        self.assertEqual(sorted(x["address"] for x in link["recipients"]),
                         ["eve@example.org", "x@xn--bcher-kva.example",
                          "y@xn--bcher-kva.example"])
        stored = {x["address"] for l in self.access(f["id"])["links"] for x in l["recipients"]}
        self.assertEqual(stored, {"eve@example.org", "x@xn--bcher-kva.example",
                                  "y@xn--bcher-kva.example"})
        # Removing a recipient by any spelling of the address.
        r = self.admin_c.delete("/api/v1/links/%d/recipients/%s"
                                % (link["id"], quote_name("X@Bücher.Example")))
        self.assertStatus(r, 204)
        stored = {x["address"] for x in self.admin_c.get(
            "/api/v1/links/%d" % link["id"]).json()["recipients"]}
        self.assertEqual(stored, {"eve@example.org", "y@xn--bcher-kva.example"})

    def test_invalid_addresses_are_refused_with_field_recipients(self):
        f = self.folder()
        for bad in ("not-an-address", "a@b", "@example.org", "a@", "a b@example.org",
                    "a@exa mple.org", "a@@example.org", "a@example..org", "", "   ",
                    "a@example.org\r\nBcc: x@y.test", "<a@example.org>", "a@-\u00ff\u0000.test",
                    "x" * 65 + "@example.org"):
            with self.subTest(address=bad):
                r = self.admin_c.post("/api/v1/items/%d/links" % f["id"],
                                      json={"kind": "specific", "role": "view",
                                            "recipients": ["ok@partner.test", bad]})
                self.assertStatus(r, 400, "invalid_argument")
                self.assertEqual(r.json()["error"].get("field"), "recipients", r.describe())
        for bad in (42, None, {"name": "x"}, ["a@b.test"]):
            with self.subTest(entry=bad):
                r = self.admin_c.post("/api/v1/items/%d/links" % f["id"],
                                      json={"kind": "specific", "recipients": [bad]})
                self.assertStatus(r, 400, "invalid_argument")
                self.assertEqual(r.json()["error"].get("field"), "recipients", r.describe())
        self.assertEqual(self.link_ids(f["id"]), [])


if __name__ == "__main__":
    unittest.main()
