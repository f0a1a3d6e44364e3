"""A GET never changes state, route by route.

Cross-site requests are refused for every method but GET (SECURITY-CHECKLIST D28), which is safe
only as long as no GET changes anything. This test builds a state with something behind every
path parameter (files with versions, a folder, trash, a specific-people link with a verified
recipient, an anyone-link with a password, an access request, a guest, sessions, a token, audit
entries), then sends every GET route of `docs/openapi.json` -- each variant of its parameters,
with the query strings and headers the route reads -- as every kind of caller: the owner, an
admin, another member, a recipient, an anyone-link holder, a bearer token, and nobody. Before and
after, it reads every row of every table of the database, the blob folder, and the shared-memory
change counter, and asserts they are the same but for the reads the audit log is meant to
record. Each route must have answered someone with success, so that a route refusing everyone
does not pass for a safe one.
"""

import json
import os
import sqlite3
import unittest

from harness import HERE, wait_until
from test_external import EVE, ExternalCase, shares

# The audit log records some reads on purpose (SPEC §5 events); nothing else may be written.
READ_EVENTS = {"link.opened", "item.downloaded", "item.viewed"}

BOB = "bob@example.com"
BOB_PASSWORD = "Bob-passw0rd-get-safe"
GUEST = "gus@partner.example"
STRANGER = "stan@elsewhere.example"
LINK_PASSWORD = "the link password"

# Variants of a request beyond the bare path: the query strings and headers a route reads.
EXTRA = {
    "/api/v1/items/{id}/content": [{"headers": {"Range": "bytes=0-3"}},
                                   {"query": "?download=1"}],
    "/api/v1/shares/{token}/items/{id}/content": [{"headers": {"Range": "bytes=2-"}}],
    "/api/v1/admin/audit": [{"query": "?format=csv"}, {"query": "?event=link.opened&limit=5"}],
    "/api/v1/admin/reports/external-sharing": [{"query": "?format=csv"}],
    "/api/v1/admin/sessions": [{"query": "?kind=external"}],
    "/api/v1/admin/external-identities": [{"query": "?state=active"}],
}


def get_routes():
    with open(os.path.join(HERE, "..", "..", "docs", "openapi.json"), encoding="utf-8") as f:
        doc = json.load(f)
    return sorted(p for p, ops in doc["paths"].items() if "get" in ops)


# What a read may write besides the audit log: when a credential or an access was last used
# (shown to its owner and in the external-sharing report). Nothing that decides access.
LAST_USE = {
    "api_tokens": {"last_used_at"},
    "links": {"first_used_at", "last_used_at"},
    "grants": {"first_used_at", "last_used_at"},
    "sessions": {"last_seen_at"},
    "external_sessions": {"last_seen_at"},
}
# Tables that move with every write (the audit chain's, the change counter) and are checked by
# their own assertions below.
BOOKKEEPING_TABLES = {"audit_log", "audit_personal", "sqlite_sequence", "change_counter"}


def snapshot(data_dir, db_path):
    """Every row of every table (less the last-use columns), the audit log, the blob folder."""
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        rows = {}
        for t in tables:
            cur = con.execute('SELECT * FROM "%s"' % t)
            names = [d[0] for d in cur.description]
            keep = [i for i, n in enumerate(names) if n not in LAST_USE.get(t, ())]
            rows[t] = sorted(repr(tuple(row[i] for i in keep)) for row in cur)
        cur = con.execute("SELECT * FROM audit_log ORDER BY rowid")
        names = [d[0] for d in cur.description]
        audit = [dict(zip(names, row)) for row in cur]
        personal = sorted(map(repr, con.execute("SELECT * FROM audit_personal")))
        sequence = dict(con.execute("SELECT name, seq FROM sqlite_sequence"))
    finally:
        con.close()
    blobs = {}
    for top, _, files in os.walk(os.path.join(data_dir, "blobs")):
        for name in files:
            path = os.path.join(top, name)
            blobs[os.path.relpath(path, data_dir)] = os.path.getsize(path)
    return {"rows": rows, "audit": audit, "personal": personal, "sequence": sequence,
            "blobs": blobs}


class StatefulCase(ExternalCase):
    """A state with something behind every path parameter of the API, and a caller of each
    kind; `concrete(route)` gives the real paths a route of the OpenAPI document stands for."""

    def build_state(self):
        admin = self.admin_c
        self.settings(external_sharing="anyone")
        r = admin.post("/api/v1/admin/users", json={"email": BOB, "password": BOB_PASSWORD,
                                                     "display_name": "Bob", "role": "user"})
        self.assertStatus(r, 201)
        bob = self.client(self.server, sign_in=BOB, password=BOB_PASSWORD)

        folder = admin.mkdir(self.root, "Projects")
        inner = admin.upload(folder["id"], "plan.txt", b"the plan, first draft\n").json()
        self.assertStatus(admin.upload(folder["id"], "plan.txt", b"the plan, second\n"), 200)
        single = admin.upload(self.root, "single.txt", b"one file alone\n").json()
        gone = admin.upload(self.root, "gone.txt", b"to the trash\n").json()
        self.assertStatus(admin.delete("/api/v1/items/%d" % gone["id"]), 204)

        # A specific-people link on the folder, verified by EVE; an anyone-link with a password.
        r = admin.post("/api/v1/items/%d/links" % folder["id"],
                       json={"kind": "specific", "recipients": [EVE, GUEST], "role": "edit"})
        self.assertStatus(r, 201)
        specific = r.json()
        eve, _ = self.verified_browser(specific["token"])
        r = admin.post("/api/v1/items/%d/links" % single["id"],
                       json={"kind": "specific", "recipients": [EVE], "role": "view"})
        self.assertStatus(r, 201)
        eve_file = r.json()
        r = admin.post("/api/v1/items/%d/links" % single["id"],
                       json={"kind": "anyone", "role": "view", "password": LINK_PASSWORD})
        self.assertStatus(r, 201)
        anyone = r.json()
        holder = self.browser()
        self.assertStatus(holder.post(shares(anyone["token"], "/password"),
                                      json={"password": LINK_PASSWORD}), 200)
        stranger = self.browser()
        r = stranger.post(shares(specific["token"], "/access-requests"),
                          json={"email": STRANGER, "message": "May I?"})
        self.assertStatus(r, 202)
        # GUEST becomes a guest of the admin's space.
        self.assertStatus(admin.patch("/api/v1/admin/external-identities/" + GUEST,
                                      json={"state": "guest"}), 200)

        r = bob.post("/api/v1/me/tokens", json={"name": "reader", "scope": "read"})
        self.assertStatus(r, 201)
        token = self.client(self.server)
        secret = r.json()["token"]
        original = token.request

        def with_bearer(method, path, **kw):
            headers = dict(kw.pop("headers", None) or {})
            headers.setdefault("Authorization", "Bearer " + secret)
            return original(method, path, **kw, headers=headers)
        token.request = with_bearer

        space = admin.personal_space()
        self.bob_id = bob.me()["id"]
        self.values = {
            "id": {"space": [space["id"]], "item": [folder["id"], inner["id"], single["id"]],
                   "link": [specific["id"], anyone["id"]]},
            "token": [specific["token"], anyone["token"]],
            "version": [1, 2],
            "address": [EVE, GUEST],
            "link_id": [specific["id"], eve_file["id"]],
            "inner": [inner["id"]],
        }
        self.callers = {"owner": admin, "member": bob, "recipient": eve, "holder": holder,
                        "token": token, "nobody": self.browser()}
        # The outbox worker delivers in the background: every mail sent before anything is
        # compared, so a delivery is never taken for a change a request made.
        def all_sent():
            messages = admin.get("/api/v1/admin/outbox").json()["messages"]
            return all(m["state"] == "sent" for m in messages)
        wait_until(all_sent, 30, "every queued mail delivered")

    def concrete(self, route):
        """Every path the route stands for, with the state's real values."""
        if route.startswith("/api/v1/admin/users/{id}"):
            ids = [self.bob_id]
        elif route.startswith("/api/v1/spaces/{id}"):
            ids = self.values["id"]["space"]
        elif route.startswith("/api/v1/links/{id}"):
            ids = self.values["id"]["link"]
        elif "{link_id}" in route or "{token}" in route:
            ids = self.values["inner"] + self.values["id"]["item"][:1]
        else:
            ids = self.values["id"]["item"]
        paths = [route]
        for name, options in (("{token}", self.values["token"]), ("{link_id}",
                              self.values["link_id"]), ("{id}", ids),
                              ("{user_id}", [self.bob_id]),
                              ("{version}", self.values["version"]),
                              ("{address}", self.values["address"])):
            if name in route:
                paths = [p.replace(name, str(v), 1) for p in paths for v in options]
        for p in paths:
            self.assertNotRegex(p, r"\{", "a parameter of %s has no value" % route)
        return paths



class GetIsSafeTest(StatefulCase):

    def test_no_get_route_changes_anything(self):
        self.build_state()
        routes = get_routes()
        self.assertGreater(len(routes), 40)
        before = snapshot(self.server.data_dir, self.server.db_path)
        answered = {}
        sent = 0
        for route in routes:
            for path in self.concrete(route):
                for extra in [{}] + EXTRA.get(route, []):
                    for who, c in self.callers.items():
                        r = c.get(path + extra.get("query", ""), headers=extra.get("headers"))
                        sent += 1
                        self.assertLess(r.status, 500, r.describe())
                        if r.status < 400:
                            answered.setdefault(route, set()).add(who)
        # The web app's own pages (served for any path the API does not own) are GETs too.
        for path in ("/", "/s/" + self.values["token"][0], "/files", "/admin"):
            for c in self.callers.values():
                self.assertEqual(c.get(path).status, 200, path)
        after = snapshot(self.server.data_dir, self.server.db_path)

        self.assertEqual(after["blobs"], before["blobs"], "a GET wrote a blob")
        audit_before, audit_after = before["audit"], after["audit"]
        self.assertEqual(audit_after[:len(audit_before)], audit_before,
                         "a GET changed an audit entry")
        added = audit_after[len(audit_before):]
        self.assertEqual({e["event"] for e in added} - READ_EVENTS, set(),
                         "a GET wrote an audit entry that is not a read")
        # The read entries' personal data (erasable) belongs to them and to nothing else.
        new_personal = set(after["personal"]) - set(before["personal"])
        ids = {e["id"] for e in added}
        self.assertEqual(set(before["personal"]) - set(after["personal"]), set())
        self.assertTrue(all(int(p[1:p.index(",")]) in ids for p in new_personal), new_personal)
        sequence_before = dict(before["sequence"], audit_log=None)
        self.assertEqual(dict(after["sequence"], audit_log=None), sequence_before)
        rows_before, rows_after = before["rows"], after["rows"]
        self.assertEqual(set(rows_after), set(rows_before), "a GET made or dropped a table")
        changed = [t for t in rows_before
                   if t not in BOOKKEEPING_TABLES and rows_after[t] != rows_before[t]]
        details = {t: (sorted(set(rows_after[t]) - set(rows_before[t]))[:3],
                       sorted(set(rows_before[t]) - set(rows_after[t]))[:3]) for t in changed}
        self.assertEqual(changed, [], "GETs changed tables (added, removed): %r" % details)

        # Every route answered someone with success: the sweep reached each handler's body. The
        # development mailbox is off here, as with every relay configured (SPEC §6).
        self.assertEqual([r for r in routes if r not in answered and r != "/api/v1/dev/mail"], [],
                         "GET routes that refused every caller (%d requests sent)" % sent)


if __name__ == "__main__":
    unittest.main()
