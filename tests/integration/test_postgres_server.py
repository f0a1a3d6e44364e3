"""A server whose metadata lives in PostgreSQL ([database] url), against a real cluster
(scripts/pg-single-node through postgres.py):

- a database that cannot be reached stops the start, naming it without its password;
- a bad URL is refused before anything is opened, without repeating it;
- connections lost while serving (PostgreSQL restarted, sessions ended) cost no request: each
  is connected again when its next transaction begins;
- what a server wrote is there after it restarts on the same database, and `vestibule migrate`
  on a database that is already current changes nothing;
- the audit log's chain verifies, and a row changed in the database is found at its entry;
- nodes with data folders of their own share the server and audit keys through [server]
  key_file (`vestibule keys export`): the chain both wrote verifies from either.

The behaviour suites run on PostgreSQL as well (ctest postgres.test_*); this file holds what only
a PostgreSQL database has.
"""

import os
import shutil
import socket
import stat
import tempfile
import unittest

import postgres
from harness import ADMIN_EMAIL, VestibuleTestCase, run_cli


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerOnPostgresTest(VestibuleTestCase):

    @classmethod
    def setUpClass(cls):
        cls.cluster = postgres.start_cluster()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()
        super().tearDownClass()

    def server_on(self, url):
        return self.start_server(env={"VESTIBULE_DATABASE__URL": url})

    def test_an_unreachable_database_stops_the_start_naming_it_without_its_password(self):
        port = closed_port()
        url = "postgres://vestibule:hunter2-secret@127.0.0.1:%d/vestibule" % port
        with tempfile.TemporaryDirectory() as data:
            code, out, err = run_cli("serve", "--data-dir", data, "--listen", "127.0.0.1:0",
                                     env={"VESTIBULE_DATABASE__URL": url}, timeout=60)
        self.assertEqual(code, 2, out + err)
        self.assertIn("127.0.0.1:%d" % port, err)
        self.assertIn("check [database] url and that PostgreSQL is running", err)
        self.assertNotIn("hunter2-secret", out + err)

    def test_a_url_that_is_not_postgres_is_refused_without_being_repeated(self):
        with tempfile.TemporaryDirectory() as data:
            code, out, err = run_cli("serve", "--data-dir", data, "--listen", "127.0.0.1:0",
                                     env={"VESTIBULE_DATABASE__URL": "mysql://v:hunter2@db/v"})
        self.assertEqual(code, 2, out + err)
        self.assertIn("[database] url is not a PostgreSQL URI", err)
        self.assertNotIn("hunter2", out + err)

    def test_lost_connections_cost_no_request(self):
        url = self.cluster.fresh_database()
        server = self.server_on(url)
        admin = self.admin(server)
        self.assertEqual(admin.me()["email"], ADMIN_EMAIL)
        name = url.rsplit("/", 1)[1]
        for _ in range(2):
            ended = self.cluster.psql(
                self.cluster.url,
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = '%s'" % name)
            self.assertGreaterEqual(int(ended), 1)
            for _ in range(5):
                r = admin.get("/api/v1/me")
                self.assertStatus(r, 200)
            admin.mkdir(admin.personal_root(), "after-%s" % ended)

    def test_rows_survive_a_restart_and_migrate_on_a_current_database_changes_nothing(self):
        url = self.cluster.fresh_database()
        server = self.server_on(url)
        admin = self.admin(server)
        admin.mkdir(admin.personal_root(), "kept")
        server.stop()
        version = self.cluster.psql(url, "SELECT version FROM schema_version")
        with tempfile.TemporaryDirectory() as data:
            code, out, err = run_cli("migrate", "--data-dir", data,
                                     env={"VESTIBULE_DATABASE__URL": url})
        self.assertEqual(code, 0, out + err)
        self.assertEqual(self.cluster.psql(url, "SELECT version FROM schema_version"), version)
        again = self.admin(self.server_on(url))
        names = [i["name"] for i in again.children(again.personal_root())]
        self.assertIn("kept", names)

    def test_the_audit_log_verifies_and_a_changed_row_is_found_at_its_entry(self):
        url = self.cluster.fresh_database()
        server = self.server_on(url)
        admin = self.admin(server)
        for sharing in ("anyone", "internal_only", "anyone"):
            self.assertStatus(admin.patch("/api/v1/admin/settings",
                                          json={"external_sharing": sharing}), 200)
        server.stop()
        env = {"VESTIBULE_DATABASE__URL": url}
        code, out, err = run_cli("audit", "verify", "--data-dir", server.data_dir, env=env)
        self.assertEqual(code, 0, out + err)
        ids = [int(i) for i in self.cluster.psql(url, "SELECT id FROM audit_log ORDER BY id")
               .split()]
        self.assertGreaterEqual(len(ids), 2)
        self.cluster.psql(url, "UPDATE audit_log SET details = '{\"edited\":1}' WHERE id = %d"
                          % ids[1])
        code, out, err = run_cli("audit", "verify", "--data-dir", server.data_dir, env=env)
        self.assertEqual(code, 1, out + err)
        self.assertIn("entry %d" % ids[1], out)

    def test_nodes_with_data_folders_of_their_own_share_their_keys_through_key_file(self):
        url = self.cluster.fresh_database()
        folders = [tempfile.mkdtemp(prefix="vestibule-it-node-") for _ in range(4)]
        for folder in folders:
            self.addCleanup(shutil.rmtree, folder, True)
        first, second, other, keys = folders
        key_file = os.path.join(keys, "cluster.keys")
        code, out, err = run_cli("keys", "export", key_file, "--data-dir", first)
        self.assertEqual(code, 0, out + err)
        self.assertEqual(os.path.getsize(key_file), 64)
        self.assertEqual(stat.S_IMODE(os.stat(key_file).st_mode), 0o600)
        with open(key_file, "rb") as f:
            exported = f.read()
        code, out, err = run_cli("keys", "export", key_file, "--data-dir", other)
        self.assertEqual(code, 2, out + err)
        self.assertIn("never overwritten", err)
        with open(key_file, "rb") as f:
            self.assertEqual(f.read(), exported)

        env = {"VESTIBULE_DATABASE__URL": url, "VESTIBULE_SERVER__KEY_FILE": key_file}
        for data, sharing in ((first, "anyone"), (second, "internal_only")):
            node = self.start_server(data_dir=data, env=env)
            self.assertStatus(self.admin(node).patch("/api/v1/admin/settings",
                                                     json={"external_sharing": sharing}), 200)
            node.stop()
        # Both nodes chained their entries under the one audit key: the log verifies from
        # either; under a key of another data folder it does not.
        for data in (first, second):
            code, out, err = run_cli("audit", "verify", "--data-dir", data, env=env)
            self.assertEqual(code, 0, out + err)
        code, out, err = run_cli("audit", "verify", "--data-dir", other,
                                 env={"VESTIBULE_DATABASE__URL": url})
        self.assertEqual(code, 1, out + err)

        missing = dict(env, VESTIBULE_SERVER__KEY_FILE=key_file + ".missing")
        code, out, err = run_cli("serve", "--data-dir", second, "--listen", "127.0.0.1:0",
                                 env=missing)
        self.assertEqual(code, 2, out + err)
        self.assertIn("does not exist; make it once with `vestibule keys export", err)


if __name__ == "__main__":
    unittest.main()
