"""`vestibule migrate-data`: a single-node installation moved into PostgreSQL (and an S3 bucket),
against a real PostgreSQL (scripts/pg-single-node through postgres.py) and a real Ceph RADOS
Gateway (scripts/rgw-single-node, as test_s3_storage.py starts it):

- an installation built through the real server (a member, files with versions, a folder shared
  to the member, an external recipient verified with a code from the SMTP sink holding their
  session cookie, an anyone link with a password, an API token, audit entries) is migrated; a
  server on the target (with [server] key_file) accepts the same cookies, link and token, serves
  the same bytes, its audit chain verifies, and a new upload gets a new id;
- a second run into the same target is refused;
- a run killed after a few tables, or after one blob, run again, finishes and verifies;
- a corrupted blob in the bucket, and a row missing in the database, make verification exit 1
  naming them;
- bad input (missing options, an unreachable database, refused S3 credentials, a server still on
  the data folder, a database not yet migrated) exits 2 and writes nothing.
"""

import datetime
import hashlib
import hmac
import os
import shutil
import socket
import sqlite3
import tempfile
import unittest
import urllib.parse
import urllib.request

import postgres
from harness import (ADMIN_EMAIL, ADMIN_PASSWORD, MiB, Client, ServerProcess, VestibuleTestCase,
                     run_cli)
from smtp_sink import SmtpSink, code_of
from test_s3_storage import Rgw

BOB = "bob@example.org"
BOB_PASSWORD = "Bob-passw0rd-for-migration"
EVE = "eve@partner.example"
LINK_PASSWORD = "a link password"


def smtp_env(port):
    return {"VESTIBULE_SMTP__HOST": "127.0.0.1", "VESTIBULE_SMTP__PORT": str(port),
            "VESTIBULE_SMTP__TLS": "none", "VESTIBULE_SMTP__FROM": "Vestibule <v@test.example>"}


def shares(token, rest=""):
    return "/api/v1/shares/%s%s" % (token, rest)


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sqlite_counts(data_dir):
    """Rows per table of the data folder's database, read independently of the binary."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(data_dir, "vestibule.db"), uri=True)
    try:
        names = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {n: db.execute('SELECT count(*) FROM "%s"' % n).fetchone()[0] for n in names}
    finally:
        db.close()


def s3_put(rgw, bucket, key, data):
    """PUT an object straight into the bucket (SigV4 by hand), bypassing Vestibule."""
    endpoint = urllib.parse.urlparse(rgw.endpoint)
    region = rgw.env["S3_REGION"]
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload = hashlib.sha256(data).hexdigest()
    path = "/%s/%s" % (bucket, urllib.parse.quote(key, safe="/"))
    headers = {"host": endpoint.netloc, "x-amz-content-sha256": payload, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["PUT", path, "", "".join("%s:%s\n" % (k, headers[k])
                                                   for k in sorted(headers)), signed, payload])
    scope = "%s/%s/s3/aws4_request" % (day, region)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + rgw.env["AWS_SECRET_ACCESS_KEY"]).encode()
    for part in (day, region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    request = urllib.request.Request(rgw.endpoint + path, data=data, method="PUT")
    for name, value in headers.items():
        if name != "host":
            request.add_header(name, value)
    request.add_header("Authorization", "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
                       "Signature=%s" % (rgw.env["AWS_ACCESS_KEY_ID"], scope, signed, signature))
    with urllib.request.urlopen(request, timeout=30) as r:
        assert r.status == 200, r.status


class MigrateDataTest(VestibuleTestCase):

    @classmethod
    def setUpClass(cls):
        cls.cluster = postgres.start_cluster()
        # A port of its own rather than the script's default 7480, which the other suites that
        # start a gateway at the same time (ctest -j) would race for.
        saved = os.environ.get("RGW_PORT")
        os.environ["RGW_PORT"] = str(closed_port())
        try:
            cls.rgw = Rgw()
        except BaseException:
            cls.cluster.stop()
            raise
        finally:
            if saved is None:
                del os.environ["RGW_PORT"]
            else:
                os.environ["RGW_PORT"] = saved

    @classmethod
    def tearDownClass(cls):
        cls.rgw.stop()
        cls.cluster.stop()
        super().tearDownClass()

    def tempdir(self, prefix):
        path = tempfile.mkdtemp(prefix=prefix)
        self.addCleanup(shutil.rmtree, path, True)
        return path

    def s3_args(self, bucket, secret=None):
        env = self.rgw.env
        return ["--to-storage", "s3", "--s3-endpoint", self.rgw.endpoint, "--s3-bucket", bucket,
                "--s3-region", env["S3_REGION"], "--s3-access-key", env["AWS_ACCESS_KEY_ID"],
                "--s3-secret-key", secret or env["AWS_SECRET_ACCESS_KEY"]]

    def target_counts(self, url, tables):
        return {t: int(self.cluster.psql(url, 'SELECT count(*) FROM "%s"' % t)) for t in tables}

    # -- the installation -------------------------------------------------------------------

    def build_installation(self, full=True):
        """A single-node installation made through the real server, then stopped. Returns the
        data folder and what the checks after the move need."""
        data = self.tempdir("vst-md-src-")
        sink = SmtpSink()
        self.addCleanup(sink.close)
        server = self.start_server(data_dir=data, env=smtp_env(sink.port))
        admin = self.admin(server)
        s = {"data": data}
        self.assertStatus(admin.patch("/api/v1/admin/settings",
                                      json={"external_sharing": "anyone"}), 200)
        self.assertStatus(admin.post("/api/v1/admin/users",
                                     json={"email": BOB, "password": BOB_PASSWORD}), 201)
        root = admin.personal_root()
        folder = admin.mkdir(root, "Projects")
        s["folder"] = folder["id"]
        files = {}
        for name, versions in (("plan.txt", [b"plan v1\n", b"plan v2, longer\n"]),
                               ("notes.md", [b"# notes\n" * 100]),
                               ("big.bin", [os.urandom(9 * MiB)] if full else [])):
            for data_bytes in versions:
                r = admin.upload(folder["id"], name, data_bytes)
                self.assertStatus(r, (200, 201))
                files[name] = (r.json()["id"], data_bytes)
        s["files"] = files
        s["plan_v1"] = b"plan v1\n"
        # The folder shared to a member, who holds a session.
        self.assertStatus(admin.post("/api/v1/items/%d/grants" % folder["id"],
                                     json={"email": BOB, "role": "view"}), 201)
        bob = self.client(server, sign_in=BOB, password=BOB_PASSWORD)
        self.assertStatus(bob.get("/api/v1/shared-with-me"), 200)
        s["bob_cookies"] = dict(bob.cookies)
        # An external recipient, verified with the code the SMTP sink received.
        plan_id = files["plan.txt"][0]
        r = admin.post("/api/v1/items/%d/links" % plan_id,
                       json={"kind": "specific", "recipients": [EVE]})
        self.assertStatus(r, 201)
        s["eve_token"] = r.json()["token"]
        eve = self.client(server)
        self.assertStatus(eve.post(shares(s["eve_token"], "/verification"),
                                   json={"email": EVE}), 202)
        mails = sink.wait_for(2, to=EVE, timeout=10)  # the invitation and the code
        code = [code_of(m) for m in mails if "/s/" not in m.text()][0]
        self.assertStatus(eve.post(shares(s["eve_token"], "/verification/confirm"),
                                   json={"email": EVE, "code": code, "remember": True}), 200)
        self.assertEqual(eve.get(shares(s["eve_token"], "/content")).body, files["plan.txt"][1])
        s["eve_cookies"] = dict(eve.cookies)
        # An anyone link with a password, on the folder.
        r = admin.post("/api/v1/items/%d/links" % folder["id"],
                       json={"kind": "anyone", "role": "view", "password": LINK_PASSWORD})
        self.assertStatus(r, 201)
        s["anyone_token"] = r.json()["token"]
        # An API token.
        r = admin.post("/api/v1/me/tokens", json={"name": "backup script", "scope": "read"})
        self.assertStatus(r, 201)
        s["api_token"] = r.json()["token"]
        self.assertEqual(server.stop(), 0)
        code, out, err = run_cli("audit", "verify", "--data-dir", data)
        self.assertEqual(code, 0, out + err)
        return s

    def migrate(self, data, url, *more, env=None, expect=0):
        code, out, err = run_cli("migrate-data", "--from-data-dir", data, "--to-database", url,
                                 *more, env=env, timeout=300)
        self.assertEqual(code, expect, "migrate-data exited %s\n%s%s" % (code, out, err))
        return out, err

    def serve_target(self, url, key_file, bucket=None, env=None):
        config = '[database]\nurl = "%s"\n[server]\nkey_file = "%s"\n' % (url, key_file)
        if bucket:
            config += self.rgw.config(bucket)
        return self.start_server(data_dir=self.tempdir("vst-md-node-"), config=config, env=env)

    # -- tests ------------------------------------------------------------------------------

    def test_1_a_migrated_installation_keeps_its_cookies_links_tokens_bytes_and_audit_chain(self):
        s = self.build_installation()
        url = self.cluster.fresh_database()
        keys = os.path.join(self.tempdir("vst-md-keys-"), "cluster.keys")
        source_counts = sqlite_counts(s["data"])
        before = sorted(os.listdir(s["data"]))
        with open(os.path.join(s["data"], "vestibule.db"), "rb") as f:
            db_before = hashlib.sha256(f.read()).hexdigest()
        out, err = self.migrate(s["data"], url, *self.s3_args("vestibule-md-main"),
                                "--key-file", keys)
        # The summary: every table with its rows, and the blobs.
        for table, rows in source_counts.items():
            self.assertRegex(out, r"(?m)^%s\s+%d$" % (table, rows))
        self.assertRegex(out, r"(?m)^blobs\s+\d+\s+\(\d+ bytes\)$")
        self.assertIn("verified", out)
        self.assertEqual(os.stat(keys).st_mode & 0o777, 0o600)
        # Checked here independently of the binary: the same rows, and the source unchanged.
        self.assertEqual(self.target_counts(url, source_counts), source_counts)
        self.assertGreater(source_counts["audit_log"], 5)
        self.assertEqual(self.cluster.psql(
            url, "SELECT count(*) FROM information_schema.tables WHERE table_name = "
                 "'vestibule_migrate_data'"), "0")
        with open(os.path.join(s["data"], "vestibule.db"), "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), db_before)
        self.assertEqual(sorted(os.listdir(s["data"])), before)
        # Derived columns are copied as they stand, not counted again by triggers.
        self.assertEqual(self.cluster.psql(url, "SELECT sum(used_bytes) FROM spaces"),
                         str(sum(len(v) for v in [b"plan v1\n", b"plan v2, longer\n",
                                                  b"# notes\n" * 100])
                             + len(s["files"]["big.bin"][1])))

        sink = SmtpSink()
        self.addCleanup(sink.close)
        node = self.serve_target(url, keys, bucket="vestibule-md-main", env=smtp_env(sink.port))
        # The external recipient's same cookie still opens the file.
        eve = self.client(node)
        eve.cookies.update(s["eve_cookies"])
        r = eve.get(shares(s["eve_token"], "/content"))
        self.assertStatus(r, 200)
        self.assertEqual(r.body, s["files"]["plan.txt"][1])
        # The member's session, and the share to them.
        bob = self.client(node)
        bob.cookies.update(s["bob_cookies"])
        r = bob.get("/api/v1/shared-with-me")
        self.assertStatus(r, 200)
        self.assertIn("Projects", r.body.decode())
        # The anyone link with its password, from a new browser.
        anon = self.client(node)
        self.assertEqual(anon.get(shares(s["anyone_token"])).json()["needs"], "password")
        self.assertStatus(anon.post(shares(s["anyone_token"], "/password"),
                                    json={"password": "wrong password"}), (401, 403))
        self.assertStatus(anon.post(shares(s["anyone_token"], "/password"),
                                    json={"password": LINK_PASSWORD}), 200)
        notes_id, notes = s["files"]["notes.md"]
        r = anon.get(shares(s["anyone_token"], "/items/%d/content" % notes_id))
        self.assertStatus(r, 200)
        self.assertEqual(r.body, notes)
        # The API token.
        script = Client(node.port)
        self.addCleanup(script.close)
        r = script.get("/api/v1/me", headers={"Authorization": "Bearer " + s["api_token"]})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["email"], ADMIN_EMAIL)
        # Every file's bytes, old versions included, from the bucket.
        admin = self.admin(node)
        for name, (item_id, data) in s["files"].items():
            r = admin.content(item_id)
            self.assertStatus(r, 200)
            self.assertEqual(hashlib.sha256(r.body).hexdigest(), hashlib.sha256(data).hexdigest(),
                             name)
        r = admin.get("/api/v1/items/%d/versions/1/content" % s["files"]["plan.txt"][0])
        self.assertEqual(r.body, s["plan_v1"])
        # New rows get new ids: an upload, a link, audit entries; and the chain verifies.
        biggest = int(self.cluster.psql(url, "SELECT max(id) FROM items"))
        r = admin.upload(s["folder"], "after-the-move.txt", b"new on the cluster\n")
        self.assertStatus(r, 201)
        self.assertGreater(r.json()["id"], biggest)
        self.assertStatus(admin.post("/api/v1/items/%d/links" % r.json()["id"],
                                     json={"kind": "anyone", "role": "view"}), 201)
        env = {"VESTIBULE_DATABASE__URL": url, "VESTIBULE_SERVER__KEY_FILE": keys}
        code, out2, err2 = run_cli("audit", "verify", "--data-dir", node.data_dir, env=env)
        self.assertEqual(code, 0, out2 + err2)

        # A second run into the same target is refused, and changes nothing.
        counts = self.target_counts(url, source_counts)
        _, err = self.migrate(s["data"], url, *self.s3_args("vestibule-md-main"), expect=2)
        self.assertIn("not empty", err)
        self.assertEqual(self.target_counts(url, source_counts), counts)
        # Into an empty database but the same (non-empty) bucket: refused too.
        _, err = self.migrate(s["data"], self.cluster.fresh_database(),
                              *self.s3_args("vestibule-md-main"), expect=2)
        self.assertIn("already holds blobs", err)

    def test_2_a_run_killed_part_way_resumes_and_completes(self):
        s = self.build_installation(full=False)
        url = self.cluster.fresh_database()
        source_counts = sqlite_counts(s["data"])
        code, out, err = run_cli("migrate-data", "--from-data-dir", s["data"], "--to-database",
                                 url, env={"VESTIBULE_TEST_MIGRATE_DATA_KILL_AFTER_TABLES": "4"},
                                 timeout=300)
        self.assertEqual(code, -9, out + err)
        done = self.cluster.psql(url, "SELECT count(*) FROM vestibule_migrate_data "
                                      "WHERE name LIKE 'table:%'")
        self.assertEqual(done, "4")
        # Part-way: some tables full, the others still empty.
        partial = self.target_counts(url, source_counts)
        self.assertNotEqual(partial, source_counts)
        out, err = self.migrate(s["data"], url)
        self.assertIn("resuming", err)
        self.assertEqual(err.count("copied before"), 4, err)
        self.assertEqual(self.target_counts(url, source_counts), source_counts)
        # Local blobs: they stay in the data folder, which the node must use.
        self.assertIn("--data-dir " + s["data"], out)
        keys = os.path.join(self.tempdir("vst-md-keys-"), "cluster.keys")
        code, o, e = run_cli("keys", "export", keys, "--data-dir", s["data"])
        self.assertEqual(code, 0, o + e)
        node = self.start_server(
            data_dir=s["data"],
            env={"VESTIBULE_DATABASE__URL": url, "VESTIBULE_SERVER__KEY_FILE": keys})
        admin = self.admin(node)
        for name, (item_id, data) in s["files"].items():
            self.assertEqual(admin.content(item_id).body, data, name)
        r = admin.upload(s["folder"], "new.txt", b"new")
        self.assertStatus(r, 201)
        self.assertEqual(node.stop(), 0)
        code, o, e = run_cli("audit", "verify", "--data-dir", s["data"],
                             env={"VESTIBULE_DATABASE__URL": url,
                                  "VESTIBULE_SERVER__KEY_FILE": keys})
        self.assertEqual(code, 0, o + e)

        # A migration cut short, then the source changed: running it again is refused, not
        # mixed with the rows copied before the change.
        other = self.cluster.fresh_database()
        code, out, err = run_cli("migrate-data", "--from-data-dir", s["data"], "--to-database",
                                 other, env={"VESTIBULE_TEST_MIGRATE_DATA_KILL_AFTER_TABLES": "2"},
                                 timeout=300)
        self.assertEqual(code, -9, out + err)
        server = self.start_server(data_dir=s["data"])
        self.admin(server).mkdir(self.admin(server).personal_root(), "made after the copy began")
        self.assertEqual(server.stop(), 0)
        _, err = self.migrate(s["data"], other, expect=2)
        self.assertIn("or of this one before it changed", err)

    def test_3_a_run_killed_amid_blobs_resumes_and_verification_names_a_bad_blob_or_row(self):
        s = self.build_installation(full=False)
        url = self.cluster.fresh_database()
        bucket = "vestibule-md-verify"
        # Killed after the first blob went up: the run again sends only the others.
        blobs = len(set(hashlib.sha256(d).hexdigest() for d in
                        [s["plan_v1"]] + [d for _, d in s["files"].values()]))
        self.assertEqual(blobs, 3)
        code, out, err = run_cli("migrate-data", "--from-data-dir", s["data"], "--to-database",
                                 url, *self.s3_args(bucket), timeout=300,
                                 env={"VESTIBULE_TEST_MIGRATE_DATA_KILL_AFTER_BLOBS": "1"})
        self.assertEqual(code, -9, out + err)
        _, err = self.migrate(s["data"], url, *self.s3_args(bucket))
        self.assertIn("blobs: 2 sent, 1 already in the bucket", err)
        out, err = self.migrate(s["data"], url, "--verify-only", *self.s3_args(bucket))
        self.assertIn("verified", out)
        # Other bytes of the same size under a blob's key.
        notes = s["files"]["notes.md"][1]
        sha = hashlib.sha256(notes).hexdigest()
        s3_put(self.rgw, bucket, "blobs/" + sha, notes.replace(b"#", b"!"))
        _, err = self.migrate(s["data"], url, "--verify-only", *self.s3_args(bucket), expect=1)
        self.assertIn("blob " + sha, err)
        self.assertIn(hashlib.sha256(notes.replace(b"#", b"!")).hexdigest(), err)
        # The right bytes back; then a row missing in the database.
        s3_put(self.rgw, bucket, "blobs/" + sha, notes)
        self.migrate(s["data"], url, "--verify-only", *self.s3_args(bucket))
        self.cluster.psql(url, "DELETE FROM api_tokens")
        _, err = self.migrate(s["data"], url, "--verify-only", *self.s3_args(bucket), expect=1)
        self.assertIn("table api_tokens has 1 rows", err)

    def test_4_bad_input_exits_2_and_writes_nothing(self):
        s = self.build_installation(full=False)
        url = self.cluster.fresh_database()

        def tables_in_target():
            return self.cluster.psql(url, "SELECT count(*) FROM information_schema.tables "
                                          "WHERE table_schema = 'public'")

        code, out, err = run_cli("migrate-data", "--from-data-dir", s["data"])
        self.assertEqual(code, 2, out + err)
        self.assertIn("--to-database: required", err)
        code, out, err = run_cli("migrate-data", "--to-database", url)
        self.assertEqual(code, 2, out + err)
        self.assertIn("--from-data-dir", err)
        # An unreachable database: named by its host, never its password.
        port = closed_port()
        _, err = self.migrate(s["data"], "postgres://vestibule:hunter2-secret@127.0.0.1:%d/v"
                              % port, expect=2)
        self.assertIn("127.0.0.1:%d" % port, err)
        self.assertNotIn("hunter2-secret", err)
        # S3 credentials the store refuses; an S3 store missing its bucket.
        _, err = self.migrate(s["data"], url, *self.s3_args("vestibule-md-bad", secret="x" * 40),
                              expect=2)
        self.assertIn("403", err)
        self.assertNotIn("x" * 40, err)
        code, out, err = run_cli("migrate-data", "--from-data-dir", s["data"], "--to-database",
                                 url, "--to-storage", "s3", "--s3-endpoint", self.rgw.endpoint)
        self.assertEqual(code, 2, out + err)
        self.assertIn("s3_bucket", err)
        # A server still on the data folder.
        server = self.start_server(data_dir=s["data"])
        _, err = self.migrate(s["data"], url, expect=2)
        self.assertIn("open in another process (pid %d)" % server.proc.pid, err)
        self.assertEqual(server.stop(), 0)
        # A database at an older schema version (on a copy of it).
        old = self.tempdir("vst-md-old-")
        shutil.copy(os.path.join(s["data"], "vestibule.db"), old)
        db = sqlite3.connect(os.path.join(old, "vestibule.db"))
        version = db.execute("PRAGMA user_version").fetchone()[0]
        db.execute("PRAGMA user_version = %d" % (version - 1))
        db.commit()
        db.close()
        _, err = self.migrate(old, url, expect=2)
        self.assertIn("run `vestibule migrate --data-dir %s` first" % old, err)
        # A key file that exists with other keys is never overwritten.
        other = os.path.join(self.tempdir("vst-md-keys-"), "other.keys")
        with open(other, "wb") as f:
            f.write(os.urandom(64))
        _, err = self.migrate(s["data"], url, "--key-file", other, expect=2)
        self.assertIn("never overwritten", err)
        # Nothing was written: no table in the target.
        self.assertEqual(tables_in_target(), "0")


if __name__ == "__main__":
    unittest.main()
