"""What a server exposes depending on where it listens: the development mailbox (it holds every
code and link token the server sent) is served only on a plain development instance and only to
a signed-in admin, a server that would expose it elsewhere refuses to start and says what to set,
and requests naming a Host the server does not answer for get 421 (DNS rebinding).

SECURITY-CHECKLIST: the development mailbox and Host items of docs/security.md.
"""

import os
import shutil
import stat
import tempfile
import unittest

from harness import (ADMIN_EMAIL, ADMIN_PASSWORD, VestibuleTestCase, database_env, run_cli,
                     wait_until)
from smtp_sink import SmtpSink

MEMBER = "mia@example.org"
MEMBER_PASSWORD = "Member-passw0rd-for-tests"
MAILBOX_ROUTES = ("/api/v1/dev/mail", "/dev/mail")


class DevMailboxTest(VestibuleTestCase):

    def setUp(self):
        super().setUp()
        self.server = self.start_server()  # 127.0.0.1, no relay: the development mailbox is on
        self.admin_client = self.admin(self.server)
        r = self.admin_client.post("/api/v1/admin/users", json={
            "email": MEMBER, "password": MEMBER_PASSWORD, "display_name": "Mia", "role": "member"})
        self.assertEqual(r.status, 201, r.describe())

    def test_only_an_admin_reads_the_mailbox(self):
        # A share's invitation, with its link token, is in the mailbox.
        root = self.admin_client.personal_root()
        item = self.admin_client.upload(root, "plan.txt", b"plan").json()
        link = self.admin_client.post("/api/v1/items/%d/links" % item["id"], json={
            "kind": "specific", "recipients": ["eve@partner.example"]}).json()
        wait_until(lambda: self.admin_client.get("/api/v1/dev/mail").json()["messages"], 20,
                   "the invitation in the mailbox")

        anonymous = self.client(self.server)
        for path in MAILBOX_ROUTES:
            r = anonymous.get(path)
            self.assertEqual(r.status, 401, r.describe())
            self.assertNotIn(link["token"].encode(), r.body)
        self.assertIn(b"Sign in", anonymous.get("/dev/mail").body)
        self.assertEqual(anonymous.get("/api/v1/dev/mail").error_code(), "unauthenticated")

        member = self.client(self.server, sign_in=MEMBER, password=MEMBER_PASSWORD)
        for path in MAILBOX_ROUTES:
            r = member.get(path)
            self.assertEqual(r.status, 403, r.describe())
            self.assertNotIn(link["token"].encode(), r.body)

        r = self.admin_client.get("/api/v1/dev/mail")
        self.assertEqual(r.status, 200, r.describe())
        texts = [m["text"] for m in r.json()["messages"]]
        self.assertTrue(any(link["token"] in t for t in texts), texts)
        page = self.admin_client.get("/dev/mail")
        self.assertEqual(page.status, 200)
        self.assertIn(link["token"].encode(), page.body)
        self.assertEqual(page.headers.get("Cache-Control"), "no-store")

    def test_a_host_the_server_does_not_answer_for_is_refused(self):
        c = self.client(self.server)
        for host in ("attacker.example", "attacker.example:%d" % self.server.port,
                     "127.0.0.1:1"):
            r = c.get("/api/v1/dev/mail", headers={"Host": host})
            self.assertEqual(r.status, 421, "%s: %s" % (host, r.describe()))
            self.assertEqual(r.error_code(), "misdirected_request")
            c.close()  # the refusal ends the connection
        # The names of the loopback address pass (and get the mailbox's own refusal).
        for host in ("127.0.0.1:%d" % self.server.port, "localhost:%d" % self.server.port,
                     "LOCALHOST:%d" % self.server.port):
            r = c.get("/api/v1/dev/mail", headers={"Host": host})
            self.assertEqual(r.status, 401, "%s: %s" % (host, r.describe()))
        # Probes answer whatever the Host.
        self.assertEqual(c.get("/healthz", headers={"Host": "10.0.0.7:8080"}).status, 200)


class DataFilesTest(VestibuleTestCase):
    """The data folder is 0700 and every file the server writes in it 0600 (defect: the database,
    its WAL and the mailbox were readable by every local user)."""

    def test_a_new_data_folder_and_its_files_are_private(self):
        parent = tempfile.mkdtemp(prefix="vestibule-it-perm-")
        self.addCleanup(shutil.rmtree, parent, True)
        data = os.path.join(parent, "data")  # made by the server
        server = self.start_server(data_dir=data)
        admin = self.admin(server)
        item = admin.upload(admin.personal_root(), "plan.txt", b"private plan")
        self.assertEqual(item.status, 201, item.describe())
        admin.post("/api/v1/items/%d/links" % item.json()["id"], json={
            "kind": "specific", "recipients": ["eve@partner.example"]})
        wait_until(lambda: admin.get("/api/v1/dev/mail").json()["messages"], 20,
                   "the invitation in the mailbox")
        self.assertEqual(stat.S_IMODE(os.stat(data).st_mode), 0o700)
        seen = []
        for folder, dirs, files in os.walk(data):
            for d in dirs:
                self.assertEqual(stat.S_IMODE(os.stat(os.path.join(folder, d)).st_mode), 0o700,
                                 os.path.join(folder, d))
            for f in files:
                path = os.path.join(folder, f)
                seen.append(os.path.relpath(path, data))
                self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, path)
        if not database_env(data):  # the SQLite database is a file of the folder
            self.assertIn("vestibule.db", seen)
        self.assertIn("keys/server.key", seen)
        self.assertTrue(any(p.startswith("mail") for p in seen), seen)

    def test_an_existing_open_data_folder_is_closed(self):
        parent = tempfile.mkdtemp(prefix="vestibule-it-perm-")
        self.addCleanup(shutil.rmtree, parent, True)
        data = os.path.join(parent, "data")
        os.mkdir(data)
        os.chmod(data, 0o755)
        self.start_server(data_dir=data)
        self.assertEqual(stat.S_IMODE(os.stat(data).st_mode), 0o700)


def serve_once(*args):
    """`vestibule serve` on a fresh data folder, for a start that must be refused."""
    with tempfile.TemporaryDirectory(prefix="vestibule-it-data-") as data:
        return run_cli("serve", "--data-dir", data, *args, timeout=30)


class ExposedInstanceTest(VestibuleTestCase):

    def test_a_server_reachable_from_outside_without_a_relay_refuses_to_start(self):
        for args in (["--listen", "0.0.0.0:0"],
                     ["--listen", "127.0.0.1:0", "--set",
                      "server.public_url=https://files.example.org"],
                     ["--listen", "127.0.0.1:0", "--set", "smtp.dev_mailbox=off"]):
            code, out, err = serve_once(*args)
            self.assertNotEqual(code, 0, "%s started: %s" % (args, out))
            self.assertNotIn("Vestibule listening", out)
            self.assertIn("smtp.host", err, args)
            self.assertIn("smtp.dev_mailbox", err, args)

    def test_an_explicit_flag_turns_the_mailbox_on_and_the_public_host_is_answered(self):
        server = self.start_server(extra_args=[
            "--set", "server.public_url=https://files.example.org",
            "--set", "smtp.dev_mailbox=on"])
        c = self.client(server)
        for host in ("files.example.org", "files.example.org:443", "127.0.0.1:%d" % server.port):
            self.assertEqual(c.get("/api/v1/me", headers={"Host": host}).status, 401, host)
        r = c.get("/api/v1/me", headers={"Host": "files.example.org:8443"})
        self.assertEqual(r.status, 421, r.describe())
        c.close()
        admin = self.client(server, sign_in=ADMIN_EMAIL, password=ADMIN_PASSWORD)
        self.assertEqual(admin.get("/api/v1/dev/mail").status, 200)

    def test_with_a_relay_no_dev_route_exists_even_for_an_admin(self):
        sink = SmtpSink()
        self.addCleanup(sink.close)
        relay = {"VESTIBULE_SMTP__HOST": "127.0.0.1", "VESTIBULE_SMTP__PORT": str(sink.port),
                 "VESTIBULE_SMTP__TLS": "none",
                 "VESTIBULE_SMTP__FROM": "Vestibule <no-reply@test.example>"}
        starts = (
            # A loopback, plain-http instance: without the relay the mailbox would be on.
            [],
            # A production start: an https public URL (and a relay).
            ["--set", "server.public_url=https://files.example.org"],
        )
        for args in starts:
            with self.subTest(args=args):
                server = self.start_server(extra_args=args, env=relay)
                admin = self.client(server, sign_in=ADMIN_EMAIL, password=ADMIN_PASSWORD)
                self.assertEqual(admin.me()["role"], "admin")
                root = admin.personal_root()
                item = admin.upload(root, "plan.txt", b"plan").json()
                address = "eve-%d@partner.example" % len(sink.messages)
                r = admin.post("/api/v1/items/%d/links" % item["id"],
                               json={"kind": "specific", "recipients": [address]})
                self.assertEqual(r.status, 201, r.describe())
                token = r.json()["token"]
                sink.wait_for(1, to=address)  # the relay is live: the invitation went there

                r = admin.get("/api/v1/dev/mail")
                self.assertEqual(r.status, 404, r.describe())
                self.assertEqual(r.error_code(), "not_found", r.describe())
                self.assertNotIn(token.encode(), r.body)
                page = admin.get("/dev/mail")  # at most the web app's page, never the mailbox
                self.assertNotIn(token.encode(), page.body)
                self.assertNotIn(b"development mailbox", page.body)
                r = admin.post("/api/v1/dev/clock", json={"advance": "1h"})
                self.assertEqual(r.status, 404, r.describe())

    def test_an_unknown_mailbox_setting_is_refused_with_what_is_allowed(self):
        code, _, err = serve_once("--listen", "127.0.0.1:0", "--set", "smtp.dev_mailbox=yes")
        self.assertNotEqual(code, 0)
        self.assertIn("dev_mailbox", err)
        self.assertIn("auto, on, off", err)


if __name__ == "__main__":
    unittest.main()
