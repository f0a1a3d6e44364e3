"""The audit log over real HTTP and from the command line, against a real SMTP sink.

Every security-relevant action of a member, an admin and an outside recipient appears once with
its actor and the client address it came from; editing, deleting, inserting or reordering any row
of the database file makes verify (API and `vestibule audit verify`, exit 1) name the first bad
entry; an untouched log verifies after concurrent writers from two processes and after a SIGKILL
in the middle of writes; pruning and erasing one address keep it verifiable, and the erased
address is nowhere in the database file afterwards. Assertions are on statuses, fields, exit codes
and the bytes of the database file, never on message wording.

SPEC §2 "Audit log", §5 governance contract; issue "Governance"; SECURITY-CHECKLIST G37.
"""

import csv
import io
import json
import os
import random
import shutil
import sqlite3
import tempfile
import threading
import unittest

from harness import ADMIN_EMAIL, VestibuleTestCase, run_cli, stored_bytes, wait_until
from smtp_sink import SmtpSink
from test_external import EVE, ClientFrom, ExternalCase, shares, smtp_env

AUDIT = "/api/v1/admin/audit"
RECIPIENT_IP = "127.0.0.7"


def events_of(entries, name):
    return [e for e in entries if e["event"] == name]


class AuditCase(ExternalCase):

    def entries(self, **query):
        out = []
        cursor = None
        while True:
            params = dict(query, limit=1000)
            if cursor:
                params["cursor"] = cursor
            path = AUDIT + "?" + "&".join("%s=%s" % kv for kv in params.items())
            r = self.admin_c.get(path)
            self.assertStatus(r, 200)
            out += r.json()["entries"]
            cursor = r.json()["next_cursor"]
            if not cursor:
                return out

    def verify(self):
        r = self.admin_c.get(AUDIT + "/verify")
        self.assertStatus(r, 200)
        return r.json()

    def one(self, entries, name):
        found = events_of(entries, name)
        self.assertEqual(len(found), 1, "%s: %r" % (name, [e["event"] for e in entries]))
        return found[0]


class EventsTest(AuditCase):

    def test_every_action_appears_once_with_its_actor_and_client_address(self):
        bad = self.client(self.server)
        bad.post("/api/v1/session", json={"email": ADMIN_EMAIL, "password": "not it"})
        self.settings(code_max_tries=4)
        item, link = self.share([EVE])
        eve = ClientFrom(self.server.port, RECIPIENT_IP)
        self._track(eve)
        self.request_code(eve, link["token"], EVE)
        code = self.nth_code(EVE, 1)
        wrong = "0" * len(code) if code != "0" * len(code) else "1" * len(code)
        self.assertStatus(self.confirm(eve, link["token"], EVE, wrong), 400)
        self.assertStatus(self.confirm(eve, link["token"], EVE, code), 200)
        self.assertStatus(eve.get(shares(link["token"], "/content")), 200)
        self.assertStatus(eve.get(shares(link["token"], "/content")), 200)  # same minute: one entry
        self.assertStatus(self.admin_c.delete("/api/v1/links/%d" % link["id"]), 204)
        r = self.admin_c.patch("/api/v1/admin/external-identities/" + EVE,
                               json={"state": "blocked"})
        self.assertStatus(r, 200)

        entries = self.entries()
        signed_in = events_of(entries, "member.signed_in")
        self.assertGreaterEqual(len(signed_in), 1)
        self.assertEqual(signed_in[-1]["actor"]["address"], ADMIN_EMAIL)
        self.assertEqual(signed_in[-1]["client_ip"], "127.0.0.1")
        failed = self.one(entries, "member.sign_in_failed")
        self.assertEqual(failed["actor"]["address"], ADMIN_EMAIL)
        self.assertEqual(failed["client_ip"], "127.0.0.1")

        changed = self.one(entries, "settings.changed")
        self.assertEqual(changed["actor"]["address"], ADMIN_EMAIL)
        self.assertEqual(changed["details"]["changes"]["code_max_tries"], {"old": 5, "new": 4})

        created = self.one(entries, "link.created")
        self.assertEqual(created["target"], "link:%d" % link["id"])
        self.assertEqual(created["actor"]["address"], ADMIN_EMAIL)

        for name in ("verification.failed", "verification.verified", "item.downloaded"):
            entry = self.one(entries, name)
            self.assertEqual(entry["client_ip"], RECIPIENT_IP, name)
        self.assertEqual(self.one(entries, "verification.verified")["target"]["address"], EVE)
        downloaded = self.one(entries, "item.downloaded")
        self.assertEqual(downloaded["actor"]["kind"], "external")
        self.assertEqual(downloaded["details"]["item"], item["id"])

        revoked = self.one(entries, "link.revoked")
        self.assertEqual(revoked["target"], "link:%d" % link["id"])
        blocked = self.one(entries, "identity.changed")
        self.assertEqual(blocked["details"]["to"], "blocked")
        self.assertEqual(blocked["target"]["address"], EVE)

        self.assertStatus(self.admin_c.delete("/api/v1/session"), 204)
        self.admin_c = self.admin(self.server)
        self.assertEqual(len(events_of(self.entries(), "member.signed_out")), 1)
        self.assertTrue(self.verify()["ok"])

    def test_changes_inside_shares_passwords_requests_and_revoke_all_are_recorded(self):
        self.settings(external_sharing="anyone")
        folder = self.admin_c.post("/api/v1/items/%d/children" % self.root,
                                   json={"name": "drop", "kind": "folder"})
        self.assertStatus(folder, 201)
        r = self.admin_c.post("/api/v1/items/%d/links" % folder.json()["id"],
                              json={"kind": "anyone", "role": "edit",
                                    "password": "correct horse battery"})
        self.assertStatus(r, 201)
        token, folder_id = r.json()["token"], folder.json()["id"]
        stranger = ClientFrom(self.server.port, RECIPIENT_IP)
        self._track(stranger)
        self.assertStatus(stranger.post(shares(token, "/password"),
                                        json={"password": "not the password"}), 401)
        self.assertStatus(stranger.post(shares(token, "/password"),
                                        json={"password": "correct horse battery"}), 200)
        up = stranger.put(shares(token, "/items/%d/files/notes.txt" % folder_id), body=b"n\n")
        self.assertStatus(up, 201)
        note = up.json()["id"]
        self.assertStatus(stranger.patch(shares(token, "/items/%d" % note),
                                         json={"name": "notes-2.txt"}), 200)
        sub = stranger.post(shares(token, "/items/%d/children" % folder_id),
                            json={"name": "sub", "kind": "folder"})
        self.assertStatus(sub, 201)
        self.assertStatus(stranger.patch(shares(token, "/items/%d" % note),
                                         json={"parent_id": sub.json()["id"]}), 200)
        self.assertStatus(stranger.delete(shares(token, "/items/%d" % note)), 204)

        _, link = self.share([EVE])
        self.assertStatus(stranger.post(shares(link["token"], "/access-requests"),
                                        json={"email": "ivy@partner.example", "message": "hi"}),
                          202)
        r = self.admin_c.post("/api/v1/admin/external-identities/%s/revoke-all" % EVE)
        self.assertStatus(r, 200)

        entries = self.entries()
        for name in ("link.password_failed", "share.uploaded", "share.item_renamed",
                     "share.folder_created", "share.item_moved", "share.item_deleted",
                     "access.requested"):
            entry = self.one(entries, name)
            self.assertEqual(entry["client_ip"], RECIPIENT_IP, name)
        self.assertEqual(self.one(entries, "share.uploaded")["details"]["name"], "notes.txt")
        self.assertEqual(self.one(entries, "access.requested")["target"]["address"],
                         "ivy@partner.example")
        revoked_all = self.one(entries, "identity.revoked_all")
        self.assertEqual(revoked_all["actor"]["address"], ADMIN_EMAIL)
        self.assertEqual(revoked_all["target"]["address"], EVE)
        removed = self.one(entries, "link.recipient_removed")
        self.assertEqual(removed["target"]["address"], EVE)
        self.assertTrue(self.verify()["ok"])

    def test_code_requests_opens_recipients_decisions_grants_members_and_trash(self):
        # Recipients are recorded with the link that names them, in the link's own write.
        item, link = self.share([EVE])
        eve = ClientFrom(self.server.port, RECIPIENT_IP)
        self._track(eve)
        self.verified_browser(link["token"], client=eve)
        for _ in range(2):  # the first open in a session is recorded, not every open
            self.assertStatus(eve.get(shares(link["token"])), 200)
        other = self._track(ClientFrom(self.server.port, "127.0.0.8"))
        self.verified_browser(link["token"], client=other)
        self.assertStatus(other.get(shares(link["token"])), 200)

        # An access request approved, another declined.
        stranger = ClientFrom(self.server.port, RECIPIENT_IP)
        self._track(stranger)
        for address in ("ivy@partner.example", "jo@partner.example"):
            self.assertStatus(stranger.post(shares(link["token"], "/access-requests"),
                                            json={"email": address}), 202)
        r = self.admin_c.get("/api/v1/items/%d/access-requests" % item["id"])
        self.assertStatus(r, 200)
        by_address = {x["address"]: x["id"] for x in r.json()["requests"]}
        self.assertStatus(self.admin_c.post(
            "/api/v1/access-requests/%d/approve" % by_address["ivy@partner.example"]), 200)
        self.assertStatus(self.admin_c.post(
            "/api/v1/access-requests/%d/decline" % by_address["jo@partner.example"]), 200)

        # A member: added, given a grant that is then removed, disabled, enabled, reset, aliased.
        r = self.admin_c.post("/api/v1/admin/users", json={
            "email": "gary@example.org", "password": "gary's long password"})
        self.assertStatus(r, 201)
        gary = r.json()["id"]
        r = self.admin_c.post("/api/v1/items/%d/grants" % item["id"],
                              json={"email": "gary@example.org", "role": "edit"})
        self.assertStatus(r, 201)
        self.assertStatus(self.admin_c.delete("/api/v1/grants/%d" % r.json()["id"]), 204)
        user = "/api/v1/admin/users/%d" % gary
        self.assertStatus(self.admin_c.patch(user, json={"disabled": True}), 200)
        self.assertStatus(self.admin_c.patch(user, json={"disabled": False}), 200)
        self.assertStatus(self.admin_c.post(user + "/reset-password"), 200)
        self.assertStatus(self.admin_c.patch(user, json={"aliases": ["g@example.org"]}), 200)
        r = self.admin_c.patch("/api/v1/admin/external-identities/" + EVE,
                               json={"aliases": ["eve@home.example"]})
        self.assertStatus(r, 200)

        # The owner's trash: a file deleted, restored, deleted again and purged.
        doomed = self.admin_c.upload(self.root, "doomed.txt", b"d\n")
        self.assertStatus(doomed, 201)
        doomed_id = doomed.json()["id"]
        self.assertStatus(self.admin_c.delete("/api/v1/items/%d" % doomed_id), 204)
        self.assertStatus(self.admin_c.post("/api/v1/items/%d/restore" % doomed_id), 200)
        self.assertStatus(self.admin_c.delete("/api/v1/items/%d" % doomed_id), 204)
        self.assertStatus(self.admin_c.delete("/api/v1/trash/%d" % doomed_id), 204)

        entries = self.entries()
        target = "link:%d" % link["id"]
        created = [e for e in events_of(entries, "link.created") if e["target"] == target]
        self.assertEqual(len(created), 1)
        added = [e for e in events_of(entries, "link.recipient_added")
                 if e["target"]["ref"] == target]
        self.assertEqual([e["target"]["address"] for e in added], [EVE])
        self.assertEqual(added[0]["actor"]["address"], ADMIN_EMAIL)
        self.assertEqual(added[0]["client_ip"], "127.0.0.1")

        requested = [e for e in events_of(entries, "verification.code_requested")
                     if e["target"]["ref"] == target]
        self.assertEqual(sorted(e["client_ip"] for e in requested), [RECIPIENT_IP, "127.0.0.8"])
        self.assertEqual({e["target"]["address"] for e in requested}, {EVE})

        opened = events_of(entries, "link.opened")
        self.assertEqual(sorted(e["client_ip"] for e in opened), [RECIPIENT_IP, "127.0.0.8"])
        for e in opened:
            self.assertEqual((e["actor"]["kind"], e["actor"]["address"], e["target"]),
                             ("external", EVE, target))

        approved = self.one(entries, "access.approved")
        self.assertEqual(approved["actor"]["address"], ADMIN_EMAIL)
        self.assertEqual(approved["target"]["address"], "ivy@partner.example")
        # Approving shares with the address: a new link names it as its recipient.
        ivy = [e for e in events_of(entries, "link.recipient_added")
               if e["target"]["address"] == "ivy@partner.example"]
        self.assertEqual(len(ivy), 1)
        self.assertNotEqual(ivy[0]["target"]["ref"], target)
        declined = self.one(entries, "access.declined")
        self.assertEqual(declined["target"]["address"], "jo@partner.example")

        self.assertEqual(self.one(entries, "grant.put")["target"]["address"], "gary@example.org")
        self.assertEqual(self.one(entries, "grant.removed")["actor"]["address"], ADMIN_EMAIL)
        for name in ("member.added", "member.disabled", "member.enabled",
                     "member.password_reset"):
            entry = self.one(entries, name)
            self.assertEqual((entry["actor"]["address"], entry["client_ip"]),
                             (ADMIN_EMAIL, "127.0.0.1"), name)
        self.assertNotIn("password", str(self.one(entries, "member.password_reset")["details"]))
        aliased = self.one(entries, "member.changed")
        self.assertEqual((aliased["target"], aliased["details"]["aliases"]),
                         ("user:%d" % gary, 1))
        self.assertNotIn("g@example.org", str(aliased))
        eve_aliases = [e for e in events_of(entries, "identity.changed")
                       if "aliases" in e["details"]]
        self.assertEqual(len(eve_aliases), 1)
        self.assertEqual(eve_aliases[0]["target"]["address"], EVE)
        self.assertNotIn("eve@home.example", str(eve_aliases[0]))

        self.assertEqual(len(events_of(entries, "item.trashed")), 2)
        for name in ("item.restored", "item.purged"):
            entry = self.one(entries, name)
            self.assertEqual(entry["target"], "item:%d" % doomed_id, name)
            self.assertEqual(entry["actor"]["address"], ADMIN_EMAIL, name)
        self.assertTrue(self.verify()["ok"])

    def test_member_commands_on_the_command_line_are_recorded(self):
        data = ["--data-dir", self.server.data_dir]
        code, _, err = run_cli("user", "add", "--email", "hal@example.org", "--password",
                               "hal's long password", *data)
        self.assertEqual(code, 0, err)
        for command in ("disable", "enable", "reset"):
            code, _, err = run_cli("user", command, "--email", "hal@example.org", *data)
            self.assertEqual(code, 0, err)
        code, out, err = run_cli("user", "list", "--format", "csv", *data)
        self.assertEqual(code, 0, err)
        rows = list(csv.DictReader(io.StringIO(out)))
        self.assertEqual([(r["email"], r["state"]) for r in rows if r["email"] == "hal@example.org"],
                         [("hal@example.org", "active")])
        code, out, err = run_cli("user", "list", "--format", "json", *data)
        self.assertEqual(code, 0, err)
        self.assertIn("hal@example.org", [u["email"] for u in json.loads(out)])
        code, out, err = run_cli("settings", "get", "--format", "table", *data)
        self.assertEqual(code, 0, err)
        self.assertIn("code_max_tries\t5", out.splitlines())
        code, _, err = run_cli("user", "list", "--format", "yaml", *data)
        self.assertEqual(code, 2)
        self.assertIn("--format", err)

        entries = self.entries()
        for name in ("member.added", "member.disabled", "member.enabled",
                     "member.password_reset"):
            entry = self.one(entries, name)
            self.assertEqual(entry["actor"]["kind"], "cli", name)
            self.assertEqual(entry["client_ip"], "", name)
        self.assertTrue(self.verify()["ok"])

    def test_sessions_and_tokens_are_recorded(self):
        r = self.admin_c.post("/api/v1/me/tokens", json={"name": "backup", "scope": "read"})
        self.assertStatus(r, 201)
        token_id = r.json()["id"]
        self.assertStatus(self.admin_c.delete("/api/v1/me/tokens/%s" % token_id), 204)
        other = self.admin(self.server)
        sessions = self.admin_c.get("/api/v1/me/sessions").json()["sessions"]
        mine = [x for x in sessions if not x["current"]]
        self.assertTrue(mine)
        self.assertStatus(self.admin_c.delete("/api/v1/me/sessions/%s" % mine[0]["id"]), 204)
        self.assertError(other.get("/api/v1/me"), "unauthenticated")
        entries = self.entries()
        created = self.one(entries, "token.created")
        self.assertEqual(created["details"]["scope"], "read")
        self.assertNotIn("vst_", str(created))
        self.assertEqual(self.one(entries, "token.revoked")["target"], "token:%s" % token_id)
        revoked = self.one(entries, "session.revoked")
        self.assertEqual(revoked["actor"]["address"], ADMIN_EMAIL)
        self.assertEqual(revoked["target"], "session:%s" % mine[0]["id"])
        self.assertTrue(self.verify()["ok"])

    def test_filters_cursor_csv_and_admins_only(self):
        for n in range(3):
            self.settings(code_max_tries=3 + n)
        r = self.admin_c.get(AUDIT + "?event=settings.changed&limit=2")
        self.assertStatus(r, 200)
        page = r.json()
        self.assertEqual(len(page["entries"]), 2)
        self.assertIsNotNone(page["next_cursor"])
        r = self.admin_c.get(AUDIT + "?event=settings.changed&limit=2&cursor=" + page["next_cursor"])
        self.assertEqual(len(r.json()["entries"]), 1)
        self.assertIsNone(r.json()["next_cursor"])
        r = self.admin_c.get(AUDIT + "?event=settings.&format=csv")
        self.assertStatus(r, 200)
        self.assertTrue(r.headers["Content-Type"].startswith("text/csv"))
        self.assertEqual(len(r.body.decode().strip().split("\r\n")), 4)  # header and three
        self.assertError(self.admin_c.get(AUDIT + "?limit=0"), "invalid_argument")
        self.assertError(self.admin_c.get(AUDIT + "?since=yesterday"), "invalid_argument")
        r = self.admin_c.post("/api/v1/admin/users",
                              json={"email": "mo@example.org", "password": "long enough pw"})
        self.assertStatus(r, 201)
        mo = self.client(self.server, sign_in="mo@example.org", password="long enough pw")
        self.assertError(mo.get(AUDIT), "forbidden")
        self.assertError(mo.get(AUDIT + "/verify"), "forbidden")
        self.assertError(self.client(self.server).get(AUDIT), "unauthenticated")
        added = self.one(self.entries(), "member.added")
        self.assertEqual(added["target"]["address"], "mo@example.org")


class ChainTest(AuditCase):

    def fill(self):
        for n in range(4):
            self.settings(code_max_tries=3 + n)
        _, link = self.share([EVE])
        self.assertStatus(self.admin_c.delete("/api/v1/links/%d" % link["id"]), 204)

    def copy_data(self):
        target = tempfile.mkdtemp(prefix="vestibule-audit-copy-")
        self.addCleanup(shutil.rmtree, target, True)
        shutil.rmtree(target)
        shutil.copytree(self.server.data_dir, target)
        return target

    def test_any_change_to_the_stored_rows_is_found_at_the_first_bad_entry(self):
        self.fill()
        self.assertTrue(self.verify()["ok"])
        self.server.stop()
        pristine = self.copy_data()
        code, out, err = run_cli("audit", "verify", "--data-dir", pristine)
        self.assertEqual(code, 0, out + err)
        ids = [row[0] for row in sqlite3.connect(os.path.join(pristine, "vestibule.db")).execute(
            "SELECT id FROM audit_log ORDER BY id")]
        self.assertGreaterEqual(len(ids), 6)
        third = ids[2]
        tamperings = {
            "edit": ["UPDATE audit_log SET details = '{\"edited\":1}' WHERE id = %d" % third],
            "edit_time": ["UPDATE audit_log SET at = at + 60 WHERE id = %d" % third],
            "delete": ["DELETE FROM audit_log WHERE id = %d" % third],
            "insert": ["PRAGMA foreign_keys = OFF",
                       "UPDATE audit_log SET id = id + 1000 WHERE id >= %d" % third,
                       "INSERT INTO audit_log (id, at, event, actor_kind, hash) "
                       "VALUES (%d, 0, 'settings.changed', 'member', 'x')" % third],
            "reorder": ["PRAGMA foreign_keys = OFF",
                        "UPDATE audit_log SET id = -1 WHERE id = %d" % third,
                        "UPDATE audit_log SET id = %d WHERE id = %d" % (third, ids[3]),
                        "UPDATE audit_log SET id = %d WHERE id = -1" % ids[3]],
        }
        expected_bad = {"edit": third, "edit_time": third, "delete": ids[3], "insert": third,
                        "reorder": third}
        for name, statements in tamperings.items():
            with self.subTest(name):
                data = self.copy_data()
                db = sqlite3.connect(os.path.join(data, "vestibule.db"), isolation_level=None)
                for s in statements:
                    db.execute(s)
                db.close()
                code, out, err = run_cli("audit", "verify", "--data-dir", data)
                self.assertEqual(code, 1, out + err)
                self.assertIn("entry %d" % expected_bad[name], out)
                if name == "edit":
                    server = self.start_server(data_dir=data, extra_args=["--test-clock"])
                    admin = self.admin(server)
                    r = admin.get(AUDIT + "/verify")
                    self.assertStatus(r, 200)
                    self.assertFalse(r.json()["ok"])
                    self.assertEqual(r.json()["first_bad"], third)
                    server.stop()

    def test_an_untouched_log_verifies_after_concurrent_writers_and_a_kill(self):
        stop = threading.Event()
        errors = []

        def sign_ins():
            c = self.client(self.server)
            while not stop.is_set():
                try:
                    r = c.post("/api/v1/session",
                               json={"email": ADMIN_EMAIL, "password": "wrong pw!"})
                except OSError:
                    return  # the server was killed
                if r.status not in (401, 429, 503):
                    errors.append(r.describe())

        def cli_writer():
            for n in range(6):
                code, out, err = run_cli("settings", "set", "code_max_tries", str(3 + n % 3),
                                         "--data-dir", self.server.data_dir)
                if code != 0:
                    errors.append(out + err)

        threads = [threading.Thread(target=sign_ins) for _ in range(3)]
        for t in threads:
            t.start()
        cli_writer()
        self.assertEqual(errors, [])
        verdict = self.verify()
        self.assertTrue(verdict["ok"], verdict)
        cli_entries = [e for e in self.entries(event="settings.changed")
                       if e["actor"]["kind"] == "cli"]
        self.assertGreaterEqual(len(cli_entries), 4)
        # Killed mid-write: what was committed still verifies after the restart.
        self.server.kill()
        stop.set()
        for t in threads:
            t.join()
        code, out, err = run_cli("audit", "verify", "--data-dir", self.server.data_dir)
        self.assertEqual(code, 0, out + err)
        self.server.start()
        # The admin's session outlives the kill (it is a row). Signing in again would meet the
        # wait the wrong passwords above earned, which the database keeps across the restart.
        admin = self.client(self.server)
        admin.cookies.update(self.admin_c.cookies)
        self.admin_c = admin
        self.assertTrue(self.verify()["ok"])
        code, out, _ = run_cli("audit", "head", "--data-dir", self.server.data_dir)
        self.assertEqual(code, 0)
        head_id, head_hash = out.split()
        r = self.admin_c.get(AUDIT + "/head")
        self.assertGreaterEqual(r.json()["id"], int(head_id))
        self.assertEqual(len(head_hash), 64)


    def test_repeated_kills_while_changes_are_written_never_part_a_change_from_its_entry(self):
        seed = random.randrange(1 << 30)
        rnd = random.Random(seed)
        data = ["--data-dir", self.server.data_dir]
        for round_ in range(6):
            stop = threading.Event()
            admin = self.admin(self.server)

            def sign_ins():
                # From an address of its own, so its failures never throttle the admin's sign-in.
                c = self._track(ClientFrom(self.server.port, "127.0.0.9"))
                while not stop.is_set():
                    try:
                        c.post("/api/v1/session", json={"email": ADMIN_EMAIL, "password": "no!"})
                    except OSError:
                        return  # killed

            def settings_changes():
                n = 0
                while not stop.is_set():
                    n += 1
                    try:
                        admin.patch("/api/v1/admin/settings", json={"code_max_tries": 3 + n % 5})
                    except OSError:
                        return

            threads = [threading.Thread(target=f) for f in (sign_ins, sign_ins, settings_changes)]
            start = self.admin_c.get(AUDIT + "/head").json()["id"]
            for t in threads:
                t.start()
            # Killed after a random number of appended entries, not after a guessed delay.
            wanted = start + rnd.randint(3, 40)
            watcher = self.admin(self.server)
            wait_until(lambda: watcher.get(AUDIT + "/head").json()["id"] >= wanted, 60,
                       "%d audit entries (seed %d, round %d)" % (wanted, seed, round_))
            self.server.kill()
            stop.set()
            for t in threads:
                t.join()

            code, out, err = run_cli("audit", "verify", *data)
            self.assertEqual(code, 0, "seed %d, round %d: %s" % (seed, round_, out + err))
            # The stored setting is the "new" value of the newest settings.changed entry: no
            # change committed without its entry, and no entry without its change.
            code, value, err = run_cli("settings", "get", "code_max_tries", *data)
            self.assertEqual(code, 0, err)
            code, out, err = run_cli("audit", "list", "--event", "settings.changed", "--limit",
                                     "1", "--format", "json", *data)
            self.assertEqual(code, 0, err)
            newest = json.loads(out)
            if newest:
                self.assertEqual(newest[0]["details"]["changes"]["code_max_tries"]["new"],
                                 int(value), "seed %d, round %d" % (seed, round_))
            self.server.start()
            self.admin_c = self.admin(self.server)
        self.assertTrue(self.verify()["ok"])


class ErasureTest(AuditCase):

    def test_erasing_an_address_keeps_the_log_verifiable_and_leaves_it_nowhere(self):
        item, link = self.share([EVE])
        eve = ClientFrom(self.server.port, RECIPIENT_IP)
        self._track(eve)
        self.verified_browser(link["token"], client=eve)
        self.assertStatus(eve.get(shares(link["token"], "/content")), 200)
        before = self.entries()
        self.assertTrue(any(e["client_ip"] == RECIPIENT_IP for e in before))

        r = self.admin_c.post("/api/v1/admin/external-identities/%s/erase" % EVE)
        self.assertStatus(r, 200)
        self.assertTrue(r.json()["erased"])
        self.assertGreaterEqual(r.json()["audit_entries"], 3)
        verdict = self.verify()
        self.assertTrue(verdict["ok"], verdict)
        self.assertEqual(verdict["entries"], len(before) + 1)
        after = self.entries()
        self.assertEqual(len(after), len(before) + 1)
        erased = [e for e in after if "erased" in e]
        self.assertGreaterEqual(len(erased), 3)
        for e in erased:
            self.assertEqual(e["erased"]["by"], ADMIN_EMAIL)
            self.assertNotEqual(e["client_ip"], RECIPIENT_IP)
        self.assertNotEqual(eve.get(shares(link["token"], "/content")).status, 200)

        self.server.stop()
        code, out, err = run_cli("audit", "verify", "--data-dir", self.server.data_dir)
        self.assertEqual(code, 0, out + err)
        stored = stored_bytes(self.server.data_dir)
        self.assertNotIn(EVE.encode(), stored, "in the database")
        self.assertNotIn(RECIPIENT_IP.encode(), stored, "in the database")

        code, out, err = run_cli("audit", "prune", "--before", "2100-01-01T00:00:00Z",
                                 "--data-dir", self.server.data_dir)
        self.assertEqual(code, 0, out + err)
        code, out, err = run_cli("audit", "verify", "--data-dir", self.server.data_dir)
        self.assertEqual(code, 0, out + err)
        code, out, err = run_cli("audit", "list", "--format", "json", "--data-dir",
                                 self.server.data_dir)
        self.assertEqual(code, 0, err)
        self.assertIn("audit.pruned", out)


class ReportCommandTest(AuditCase):

    def test_pending_addresses_and_one_addresss_reach_from_the_command_line(self):
        item, link = self.share([EVE])
        code, out, err = run_cli("report", "pending", "--format", "json",
                                 "--data-dir", self.server.data_dir)
        self.assertEqual(code, 0, err)
        self.assertEqual([row["address"] for row in json.loads(out)], [EVE])
        code, out, err = run_cli("report", "address", EVE, "--format", "json",
                                 "--data-dir", self.server.data_dir)
        self.assertEqual(code, 0, err)
        reach = json.loads(out)
        self.assertEqual(reach["address"], EVE)
        self.assertEqual([(r["item_id"], r["through"], r["role"]) for r in reach["reach"]],
                         [(item["id"], "link %d" % link["id"], "view")])
        code, out, _ = run_cli("report", "address", EVE, "--data-dir", self.server.data_dir)
        self.assertEqual(code, 0)
        self.assertIn(item["name"], out)
        code, _, err = run_cli("report", "address", "nobody@else.example", "--data-dir",
                               self.server.data_dir)
        self.assertEqual(code, 2)
        self.assertIn("nobody@else.example", err)
        self.verified_browser(link["token"])
        code, out, _ = run_cli("report", "pending", "--format", "csv",
                               "--data-dir", self.server.data_dir)
        self.assertEqual(list(csv.reader(io.StringIO(out))), [["address", "created_at", "shares"]])


class RetentionTest(AuditCase):

    def setUp(self):
        VestibuleTestCase.setUp(self)
        self.sink = SmtpSink()
        self.addCleanup(self.sink.close)
        self.server = self.start_server(
            extra_args=["--test-clock"], env=smtp_env(self.sink.port),
            config='[audit]\nretention = "30d"\nclient_address_retention = "2d"\n')
        self.admin_c = self.admin(self.server)
        self.root = self.admin_c.personal_root()

    def test_client_addresses_then_entries_age_out_and_the_rest_verifies(self):
        self.settings(code_max_tries=4)
        self.assertTrue(any(e["client_ip"] for e in self.entries()))
        self.advance("3d")
        self.settings(code_max_tries=5)  # a fresh entry keeps its client address

        def origins_gone():
            entries = self.entries(event="settings.changed")
            old = [e for e in entries if e["details"]["changes"]["code_max_tries"]["new"] == 4]
            return old and not old[0]["client_ip"] and not old[0]["user_agent"]
        wait_until(origins_gone, 10, "the old entry's client address removed")
        fresh = [e for e in self.entries(event="settings.changed")
                 if e["details"]["changes"]["code_max_tries"]["new"] == 5]
        self.assertEqual(fresh[0]["client_ip"], "127.0.0.1")
        self.assertTrue(self.verify()["ok"])

        self.advance("28d")  # the first entries are now 31 days old, the fresh one 28
        self.admin_c = self.admin(self.server)  # the old session has been idle too long
        wait_until(lambda: self.entries(event="audit.pruned"), 10, "the checkpoint of a prune")
        remaining = self.entries(event="settings.changed")
        self.assertEqual([e["details"]["changes"]["code_max_tries"]["new"] for e in remaining], [5])
        verdict = self.verify()
        self.assertTrue(verdict["ok"], verdict)


if __name__ == "__main__":
    unittest.main()
