"""The throw-away PostgreSQL the tests use (scripts/pg-single-node through postgres.py), and the
harness's VESTIBULE_TEST_BACKEND=postgres switch, without starting a Vestibule server:

- fresh databases are distinct, empty, owned by the role vestibule and usable through their URL;
  a table made in one is absent from another;
- stopping a cluster stops it alone and removes its folder; --status tells;
- a cluster whose owner process (PG_OWNER_PID) is gone stops by itself and its folder goes;
- the script refuses a folder holding other content (and leaves it as it was), a port in use
  and an owner that does not run;
- with VESTIBULE_TEST_BACKEND=postgres every server gets a database of its own through
  VESTIBULE_DATABASE__URL, a server restarted on the same data folder the same one; unset, the
  environment is today's; any other value is a clear error.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import unittest

import harness
import postgres

USER_RELATIONS = ("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
                  "AND n.nspname NOT LIKE 'pg_toast%'")


def accepts_connections(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            return True
    except OSError:
        return False


class PostgresClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = postgres.start_cluster()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()

    def test_fresh_databases_are_distinct_empty_and_usable(self):
        a = self.cluster.fresh_database()
        b = self.cluster.fresh_database()
        self.assertNotEqual(a, b)
        self.assertTrue(a.startswith("postgres://vestibule@127.0.0.1:%d/" % self.cluster.port), a)
        psql = self.cluster.psql
        self.assertEqual(psql(a, "SELECT 1"), "1")
        self.assertNotEqual(psql(a, "SELECT current_database()"),
                            psql(b, "SELECT current_database()"))
        self.assertEqual(psql(a, "SELECT current_user"), "vestibule")
        self.assertEqual(psql(a, "SELECT pg_get_userbyid(datdba) FROM pg_database "
                                 "WHERE datname = current_database()"), "vestibule")
        self.assertEqual(psql(a, USER_RELATIONS), "0")
        self.assertEqual(psql(b, USER_RELATIONS), "0")

    def test_a_table_in_one_database_is_absent_from_another(self):
        a = self.cluster.fresh_database()
        b = self.cluster.fresh_database()
        psql = self.cluster.psql
        psql(a, "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL)")
        psql(a, "INSERT INTO items VALUES (1, 'report.pdf')")
        self.assertEqual(psql(a, "SELECT name FROM items"), "report.pdf")
        self.assertEqual(psql(b, "SELECT to_regclass('public.items') IS NULL"), "t")
        with self.assertRaisesRegex(AssertionError, 'relation "items" does not exist'):
            psql(b, "SELECT count(*) FROM items")

    def test_the_cluster_is_a_loopback_test_cluster_with_statement_counts(self):
        psql = self.cluster.psql
        url = self.cluster.url
        self.assertTrue(url.endswith("/vestibule"), url)
        for setting, value in (("listen_addresses", "127.0.0.1"), ("fsync", "off"),
                               ("synchronous_commit", "off"), ("full_page_writes", "off"),
                               ("max_connections", "200")):
            self.assertEqual(psql(url, "SHOW " + setting), value, setting)
        # A statement shape of its own (pg_stat_statements counts by shape, constants aside).
        for n in range(3):
            psql(url, "SELECT 3 * 5 * 7 * %d" % n)
        self.assertEqual(psql(url, "SELECT calls FROM pg_stat_statements "
                                   "WHERE query = 'SELECT $1 * $2 * $3 * $4'"), "3")



class ScriptTest(unittest.TestCase):
    """scripts/pg-single-node's own guarantees."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vst-pg-it-", dir="/tmp")
        if os.geteuid() == 0:
            os.chmod(self.tmp, 0o711)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def script(self, *args, env=None):
        return subprocess.run([postgres.PG_SCRIPT, *args], capture_output=True, text=True,
                              timeout=300, stdin=subprocess.DEVNULL,
                              env={**os.environ, **(env or {})})

    def test_stop_stops_that_cluster_alone_and_status_tells(self):
        one = postgres.start_cluster(self.tmp)
        two = postgres.start_cluster()
        try:
            self.assertNotEqual(one.port, two.port)
            status = self.script(one.dir, "--status")
            self.assertEqual(status.returncode, 0, status.stderr)
            self.assertIn("running: pid", status.stdout)
            self.assertIn("port %d" % one.port, status.stdout)

            two.stop()
            self.assertFalse(accepts_connections(two.port))
            self.assertFalse(os.path.exists(two.dir))
            self.assertEqual(one.psql(one.fresh_database(), "SELECT 1"), "1")

            stop = self.script(one.dir, "--stop")
            self.assertEqual(stop.returncode, 0, stop.stderr)
            self.assertFalse(accepts_connections(one.port))
            status = self.script(one.dir, "--status")
            self.assertEqual(status.returncode, 3)
            self.assertIn("not running", status.stdout)
            # Stopping a stopped cluster is not an error.
            self.assertEqual(self.script(one.dir, "--stop").returncode, 0)
        finally:
            one.stop()
            two.stop()

    def test_a_cluster_whose_owner_is_gone_stops_by_itself(self):
        owner = subprocess.Popen(["sleep", "600"], stdin=subprocess.DEVNULL)
        dir = os.path.join(self.tmp, "owned")
        try:
            result = self.script(dir, env={"PG_OWNER_PID": str(owner.pid)})
            self.assertEqual(result.returncode, 0, result.stderr)
            port = int(result.stdout.strip().rsplit(":", 1)[1].split("/")[0])
            self.assertTrue(accepts_connections(port))
        finally:
            owner.kill()
            owner.wait()
        harness.wait_until(lambda: not accepts_connections(port), 30, "the cluster to stop")
        harness.wait_until(lambda: not os.path.exists(dir), 30, "the cluster's folder to go")

    def test_an_owner_that_is_not_running_is_refused(self):
        result = self.script(os.path.join(self.tmp, "pg"), env={"PG_OWNER_PID": "999999999"})
        self.assertEqual(result.returncode, 1)
        self.assertIn("PG_OWNER_PID 999999999 is not a running process", result.stderr)

    def test_a_folder_with_other_content_is_refused_and_left_as_it_was(self):
        dir = os.path.join(self.tmp, "taken")
        os.mkdir(dir)
        with open(os.path.join(dir, "notes.txt"), "w") as f:
            f.write("keep me")
        result = self.script(dir)
        self.assertEqual(result.returncode, 1)
        self.assertIn("is not empty; give a new or empty folder", result.stderr)
        self.assertEqual(os.listdir(dir), ["notes.txt"])
        with open(os.path.join(dir, "notes.txt")) as f:
            self.assertEqual(f.read(), "keep me")

    def test_a_port_in_use_is_refused(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            result = self.script(os.path.join(self.tmp, "pg"), env={"PG_PORT": str(port)})
        self.assertEqual(result.returncode, 1)
        self.assertIn("PG_PORT %d is already in use on 127.0.0.1" % port, result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "pg", "data")))


class HarnessBackendTest(unittest.TestCase):
    def setUp(self):
        self.saved = os.environ.get("VESTIBULE_TEST_BACKEND")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.close()
        if self.saved is None:
            os.environ.pop("VESTIBULE_TEST_BACKEND", None)
        else:
            os.environ["VESTIBULE_TEST_BACKEND"] = self.saved

    def unstarted(self, **kw):
        s = harness.ServerProcess(start=False, **kw)
        self.servers.append(s)
        return s

    def test_unset_backend_leaves_the_environment_as_it_was(self):
        os.environ.pop("VESTIBULE_TEST_BACKEND", None)
        s = self.unstarted()
        self.assertNotIn("VESTIBULE_DATABASE__URL", s.env)
        self.assertEqual(harness.database_env(s.data_dir), {})

    def test_postgres_backend_gives_each_data_folder_a_database_of_its_own(self):
        os.environ["VESTIBULE_TEST_BACKEND"] = "postgres"
        first = self.unstarted()
        restarted = self.unstarted(data_dir=first.data_dir)
        other = self.unstarted()
        url = first.env["VESTIBULE_DATABASE__URL"]
        self.assertEqual(restarted.env["VESTIBULE_DATABASE__URL"], url)
        self.assertNotEqual(other.env["VESTIBULE_DATABASE__URL"], url)
        # The switch itself is not passed on to the binary.
        self.assertNotIn("VESTIBULE_TEST_BACKEND", first.env)
        cluster = harness._pg_cluster
        self.assertEqual(cluster.psql(url, "SELECT current_user"), "vestibule")
        self.assertEqual(cluster.psql(url, USER_RELATIONS), "0")
        # A test's own value wins.
        mine = self.unstarted(env={"VESTIBULE_DATABASE__URL": "postgres://elsewhere/db"})
        self.assertEqual(mine.env["VESTIBULE_DATABASE__URL"], "postgres://elsewhere/db")

    def test_an_unknown_backend_is_a_clear_error(self):
        os.environ["VESTIBULE_TEST_BACKEND"] = "postgresql"
        with self.assertRaisesRegex(AssertionError, 'VESTIBULE_TEST_BACKEND must be "postgres"'):
            harness.database_env(tempfile.gettempdir())


if __name__ == "__main__":
    unittest.main()
