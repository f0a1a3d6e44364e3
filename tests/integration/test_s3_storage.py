"""Files kept in an S3 store ([storage] backend = "s3", SPEC §6), against a real Ceph RADOS
Gateway started by scripts/rgw-single-node (one monitor, one memstore OSD, radosgw on 127.0.0.1)
and `vestibule serve` configured for it:

- a member uploads files (one above the 8 MiB part size, so a multipart upload) and downloads
  them byte for byte, whole and as ranges, and views one; an outside recipient downloads one
  through an anyone link; nothing of the bytes is in the data folder;
- the gateway stopped: an upload answers 503 naming the store's endpoint, /readyz answers 503
  naming the store, and the file keeps its version; the gateway back: uploads work again;
- configurations that name no usable store stop `vestibule serve` with a clear message;
- a blob no version refers to any more is collected from the bucket at the next start, and by
  the daily housekeeping while the server runs (which warns, and goes on, while the store is
  down);
- (S3MemoryTest) a 256 MiB download through the store grows the server's peak memory by less
  than 16 MiB.

The cluster is started once per test class (about 3 s) and stopped at the end; each class (and
the collection test) uses its own bucket. If this process is killed, stop it with `scripts/rgw-single-node DIR --stop`
(DIR is /tmp/vst-rgw-it-*).
"""

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

from harness import (MiB, VestibuleTestCase, pattern_chunks, pattern_sha256,
                     run_cli, wait_until)

HERE = os.path.dirname(os.path.abspath(__file__))
RGW_SCRIPT = os.path.join(HERE, "..", "..", "scripts", "rgw-single-node")
GATEWAY = "client.rgw.test"  # the gateway's name in the script's ceph.conf
LIMIT_KIB = 16 * 1024


class Rgw:
    """A single-node Ceph cluster with its gateway, in a folder of its own."""

    def __init__(self):
        # Short: the daemons' unix sockets live under it (< 108 bytes).
        self.dir = tempfile.mkdtemp(prefix="vst-rgw-it-", dir="/tmp")
        self.conf = os.path.join(self.dir, "ceph.conf")
        log = os.path.join(self.dir, "start.log")
        # A port of its own: suites started at the same moment would race for the default 7480.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            env = dict(os.environ, RGW_PORT=str(s.getsockname()[1]))
        with open(log, "w") as out:
            code = subprocess.call([RGW_SCRIPT, self.dir], stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, timeout=300, env=env)
        if code != 0:
            with open(log) as f:
                raise AssertionError("scripts/rgw-single-node failed (%d):\n%s" % (code, f.read()))
        self.env = {}
        with open(os.path.join(self.dir, "s3.env")) as f:
            for line in f:
                name, _, value = line.strip().partition("=")
                self.env[name] = value
        self.endpoint = self.env["S3_ENDPOINT"]

    def config(self, bucket):
        return ('[storage]\nbackend = "s3"\ns3_endpoint = "%s"\ns3_bucket = "%s"\n'
                's3_region = "%s"\ns3_access_key = "%s"\ns3_secret_key = "%s"\n'
                's3_path_style = true\n'
                % (self.endpoint, bucket, self.env["S3_REGION"], self.env["AWS_ACCESS_KEY_ID"],
                   self.env["AWS_SECRET_ACCESS_KEY"]))

    def answers(self):
        try:
            with urllib.request.urlopen(self.endpoint + "/", timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # an answer all the same
        except OSError:
            return False

    def _gateway_pid(self):
        """The pid of this cluster's gateway: from its pid file, and only if that process's
        command line names this cluster's configuration (never a process found by name)."""
        try:
            with open(os.path.join(self.dir, "run", GATEWAY + ".pid")) as f:
                pid = int(f.read().strip())
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            return None
        return pid if self.conf in cmdline else None

    def stop_gateway(self):
        """Stops radosgw only: the monitor and the OSD (and with them the stored objects) stay."""
        pid = self._gateway_pid()
        if pid is None:
            raise AssertionError("the gateway of %s is not running" % self.dir)
        os.kill(pid, signal.SIGTERM)

        def gone():
            try:
                with open("/proc/%d/stat" % pid) as f:
                    return f.read().split()[2] == "Z"
            except OSError:
                return True

        wait_until(gone, 30, "radosgw to exit")
        wait_until(lambda: not self.answers(), 10, "the gateway's port to close")

    def start_gateway(self):
        subprocess.check_call(["radosgw", "-c", self.conf, "-n", GATEWAY],
                              stdin=subprocess.DEVNULL, timeout=60)
        wait_until(self.answers, 60, "radosgw to answer again", interval=0.2)

    def stop(self):
        code = subprocess.call([RGW_SCRIPT, self.dir, "--stop"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=120)
        if code == 0:
            shutil.rmtree(self.dir, ignore_errors=True)  # else kept: its logs say why


def bytes_in(folder, needle):
    """The files under `folder` that contain `needle`."""
    found = []
    for parent, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(parent, name)
            try:
                with open(path, "rb") as f:
                    if needle in f.read():
                        found.append(path)
            except OSError:
                pass
    return found


class S3Case(VestibuleTestCase):
    BUCKET = None

    @classmethod
    def setUpClass(cls):
        cls.rgw = Rgw()
        try:
            cls.server = cls.start_class_server(config=cls.rgw.config(cls.BUCKET))
        except BaseException:
            cls.rgw.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.rgw.stop()


class S3StorageTest(S3Case):
    BUCKET = "vestibule-it"

    def test_1_files_go_to_the_store_and_come_back_whole_and_in_ranges(self):
        c = self.admin(self.server)
        root = c.personal_root()
        small = os.urandom(200 * 1024)  # above the small-file cache's 64 KiB, one PUT
        big_size = 9 * MiB + 12345  # above the 8 MiB part size: a multipart upload
        big_sha = pattern_sha256(7, big_size)
        big_bytes = b"".join(pattern_chunks(7, big_size))

        r = c.upload(root, "small.bin", small)
        self.assertStatus(r, 201)
        small_id = r.json()["id"]
        r = c.upload(root, "big.bin", pattern_chunks(7, big_size), size=big_size)
        self.assertStatus(r, 201)
        big_id = r.json()["id"]
        self.assertEqual(r.json()["size"], big_size)

        for item_id, sha, size in ((small_id, hashlib.sha256(small).hexdigest(), len(small)),
                                   (big_id, big_sha, big_size)):
            resp, digest, n = c.download(item_id)
            self.assertStatus(resp, 200)
            self.assertEqual(resp.headers.get("Content-Length"), str(size))
            self.assertIsNone(resp.headers.get("Transfer-Encoding"))
            self.assertEqual((digest, n), (sha, size))
            self.assertEqual(resp.headers.get("ETag"), '"%s"' % sha)

        # Ranges: inside one read window, across the 4 MiB window and the 8 MiB part
        # boundaries, and the last bytes.
        for first, last in ((0, 0), (100, 65635), (4 * MiB - 10, 8 * MiB + 10),
                            (big_size - 5000, big_size - 1)):
            r = c.content(big_id, headers={"Range": "bytes=%d-%d" % (first, last)})
            self.assertStatus(r, 206)
            self.assertEqual(r.headers.get("Content-Range"),
                             "bytes %d-%d/%d" % (first, last, big_size))
            self.assertEqual(r.headers.get("Content-Length"), str(last - first + 1))
            self.assertEqual(r.body, big_bytes[first:last + 1], "range %d-%d" % (first, last))
        r = c.content(big_id, headers={"Range": "bytes=-1000"})
        self.assertStatus(r, 206)
        self.assertEqual(r.body, big_bytes[-1000:])
        r = c.content(big_id, headers={"Range": "bytes=%d-" % big_size})
        self.assertStatus(r, 416)
        # HEAD: the length, no body, and the connection still usable.
        r = c.request("HEAD", "/api/v1/items/%d/content" % big_id)
        self.assertStatus(r, 200)
        self.assertEqual(r.headers.get("Content-Length"), str(big_size))
        self.assertEqual(r.body, b"")
        self.assertStatus(c.get("/api/v1/me"), 200)

        # Viewing in the browser reads the same way.
        r = c.upload(root, "notes.txt", small)
        self.assertStatus(r, 201)
        r = c.get("/api/v1/items/%d/view" % r.json()["id"],
                  headers={"Range": "bytes=70000-70099"})
        self.assertStatus(r, 206)
        self.assertEqual(r.body, small[70000:70100])

        # An outside recipient, through an anyone link.
        self.assertStatus(c.patch("/api/v1/admin/settings", json={"external_sharing": "anyone"}),
                          200)
        r = c.post("/api/v1/items/%d/links" % big_id, json={"kind": "anyone", "role": "view"})
        self.assertStatus(r, 201)
        stranger = self.client(self.server)
        resp, digest, n = stranger.download(
            None, path="/api/v1/shares/%s/content" % r.json()["token"])
        self.assertStatus(resp, 200)
        self.assertEqual((digest, n), (big_sha, big_size))
        r = stranger.get("/api/v1/shares/%s/content" % r.json()["token"],
                         headers={"Range": "bytes=8388600-8388700"})
        self.assertStatus(r, 206)
        self.assertEqual(r.body, big_bytes[8388600:8388701])

        # Nothing of the bytes is in the data folder: no blobs, no temporary files.
        self.assertFalse(os.path.exists(os.path.join(self.server.data_dir, "blobs")))
        self.assertFalse(os.path.exists(os.path.join(self.server.data_dir, "tmp")))
        for needle in (small[5000:5064], big_bytes[9 * MiB:9 * MiB + 64]):
            self.assertEqual(bytes_in(self.server.data_dir, needle), [])

    def test_2_a_stopped_store_is_named_and_nothing_is_half_committed(self):
        c = self.admin(self.server)
        root = c.personal_root()
        old = os.urandom(300 * 1024)
        r = c.upload(root, "kept.bin", old)
        self.assertStatus(r, 201)
        item = r.json()
        self.assertStatus(self.client(self.server).get("/readyz"), 200)

        self.rgw.stop_gateway()
        try:
            r = c.upload(root, "kept.bin", os.urandom(200 * 1024))
            self.assertStatus(r, 503, "unavailable")
            message = r.json()["error"]["message"]
            self.assertIn(self.rgw.endpoint, message)
            self.assertIn("[storage] s3_endpoint", message)  # what to check

            # /readyz re-asks the store at most once a second.
            probe = self.client(self.server)

            def not_ready():
                r = probe.get("/readyz")
                return r if r.status == 503 else None

            r = wait_until(not_ready, 10, "/readyz to answer 503")
            self.assertError(r, "unavailable")
            self.assertIn("blob store", r.json()["error"]["message"])
            self.assertIn(self.rgw.endpoint, r.json()["error"]["message"])

            # A download fails cleanly too, before any byte is sent.
            r = c.content(item["id"])
            self.assertStatus(r, 503, "unavailable")
            self.assertIn(self.rgw.endpoint, r.json()["error"]["message"])
        finally:
            self.rgw.start_gateway()

        # The file kept its version and its bytes.
        r = c.get("/api/v1/items/%d" % item["id"])
        self.assertStatus(r, 200)
        self.assertEqual((r.json()["version"], r.json()["size"]), (item["version"], len(old)))
        self.assertEqual(c.content(item["id"]).body, old)

        # The store back: readiness and uploads again.
        probe = self.client(self.server)
        wait_until(lambda: probe.get("/readyz").status == 200, 10, "/readyz to answer 200")
        new = os.urandom(100 * 1024)
        r = c.upload(root, "kept.bin", new)
        self.assertStatus(r, 200)  # a new version of the same file
        self.assertEqual((r.json()["id"], r.json()["version"]), (item["id"], item["version"] + 1))
        self.assertEqual(c.content(item["id"]).body, new)

    def test_3_configurations_without_a_usable_store_stop_the_start(self):
        base = self.rgw.config("vestibule-it")
        cases = {
            "unknown backend": (base.replace('backend = "s3"', 'backend = "s4"'),
                                "[storage] backend = 's4' is not allowed; expected one of "
                                "local, s3"),
            "missing bucket": ("\n".join(l for l in base.splitlines()
                                         if not l.startswith("s3_bucket")),
                               '[storage] backend = "s3" needs s3_bucket'),
            "missing endpoint": ("\n".join(l for l in base.splitlines()
                                           if not l.startswith("s3_endpoint")),
                                 '[storage] backend = "s3" needs s3_endpoint'),
            # A store that is not there: named, with what to check.
            "store down": (base.replace(self.rgw.endpoint, "http://127.0.0.1:9"),
                           "cannot start: the S3 store at http://127.0.0.1:9"),
            "wrong secret": (base.replace(self.rgw.env["AWS_SECRET_ACCESS_KEY"], "wrong"),
                             "s3_secret_key"),
        }
        for label, (config, expected) in cases.items():
            with self.subTest(label):
                with tempfile.TemporaryDirectory(prefix="vestibule-it-s3conf-") as d:
                    path = os.path.join(d, "vestibule.toml")
                    with open(path, "w") as f:
                        f.write(config)
                    code, out, err = run_cli("serve", "--config", path, "--data-dir",
                                             os.path.join(d, "data"), "--listen", "127.0.0.1:0",
                                             timeout=60)
                    self.assertNotEqual(code, 0, out + err)
                    self.assertIn(expected, err)
                    self.assertNotIn("Vestibule listening", out)

    def test_4_blobs_no_version_refers_to_are_collected_at_start(self):
        config = self.rgw.config("vestibule-it-gc")
        data_dir = tempfile.mkdtemp(prefix="vestibule-it-data-")
        self.addCleanup(shutil.rmtree, data_dir, True)
        first = self.start_server(data_dir=data_dir, config=config)
        c = self.admin(first)
        r = c.upload(c.personal_root(), "gone.bin", os.urandom(100 * 1024))
        self.assertStatus(r, 201)
        self.assertStatus(c.delete("/api/v1/items/%d" % r.json()["id"]), 204)
        self.assertStatus(c.delete("/api/v1/trash/%d" % r.json()["id"]), 204)
        # Purged within storage.blob_gc_grace (10 min): the blob stays in the bucket for now.
        self.assertEqual(first.stop(), 0)
        self.assertNotIn("unreferenced", first.output())

        # The next start, with no grace, finds it in the bucket's listing and deletes it.
        second = self.start_server(data_dir=data_dir, config=config,
                                   env={"VESTIBULE_STORAGE__BLOB_GC_GRACE": "0"})
        wait_until(lambda: "collected 1 unreferenced blob(s)" in second.output(), 10,
                   "the start-up collection\n" + second.output())
        self.assertEqual(second.stop(), 0)
        third = self.start_server(data_dir=data_dir, config=config,
                                  env={"VESTIBULE_STORAGE__BLOB_GC_GRACE": "0"})
        self.assertNotIn("unreferenced", third.output())


    def bucket_keys(self, bucket):
        """The bucket's object keys, read with radosgw-admin (not through the server)."""
        out = subprocess.check_output(["radosgw-admin", "-c", self.rgw.conf, "bucket", "list",
                                       "--bucket=" + bucket], stderr=subprocess.DEVNULL,
                                      timeout=60)
        return [o["name"] for o in json.loads(out)]

    def test_5_the_daily_housekeeping_collects_while_running_and_survives_a_store_down(self):
        bucket = "vestibule-it-daily"
        # The grace is on the store's own clock, which the test clock does not move: long enough
        # that the purge below always falls within it, even on a loaded machine.
        server = self.start_server(config=self.rgw.config(bucket), extra_args=["--test-clock"],
                                   env={"VESTIBULE_STORAGE__BLOB_GC_GRACE": "20s"})
        c = self.admin(server)
        data = os.urandom(100 * 1024)
        key = "blobs/" + hashlib.sha256(data).hexdigest()
        r = c.upload(c.personal_root(), "gone.bin", data)
        self.assertStatus(r, 201)
        self.assertStatus(c.delete("/api/v1/items/%d" % r.json()["id"]), 204)
        self.assertStatus(c.delete("/api/v1/trash/%d" % r.json()["id"]), 204)
        self.assertIn(key, self.bucket_keys(bucket), "purged within the grace: kept for now")

        def advance_a_day_and_wait_for(line, runs_before):
            self.assertStatus(c.post("/api/v1/dev/clock", json={"advance": "25h"}), 200)
            wait_until(lambda: server.output().count(line) > runs_before, 20,
                       "a daily run logging %r" % line)

        # The store down: the day's run warns, and the server goes on.
        failed = "daily collection of unreferenced blobs failed (retried in 24 h): the S3 store"
        self.rgw.stop_gateway()
        try:
            advance_a_day_and_wait_for(failed, 0)
            self.assertIn("daily removal of what interrupted uploads left failed",
                          server.output())
            self.assertTrue(server.running)
            self.assertStatus(c.get("/api/v1/me"), 200)
        finally:
            self.rgw.start_gateway()

        # The store back: a later day's run (once the grace has passed on the store's clock)
        # deletes the blob from the bucket, the server still running.
        released = "daily collection released 1 unreferenced blob(s)"

        def collected():
            advance_a_day_and_wait_for(released, server.output().count(released))
            return key not in self.bucket_keys(bucket)

        wait_until(collected, 60, "the blob to leave the bucket")
        self.assertTrue(server.running)


class S3MemoryTest(S3Case):
    """As test_memory, through the S3 store: the download streams window by window."""
    BUCKET = "vestibule-it-memory"

    def test_256_mib_download_in_bounded_memory(self):
        size = 256 * MiB
        c = self.admin(self.server)
        root = c.personal_root()
        warm = os.urandom(6 * MiB)
        r = c.upload(root, "warm-up.bin", warm)
        self.assertStatus(r, 201)
        resp, digest, n = c.download(r.json()["id"])
        self.assertEqual((digest, n), (hashlib.sha256(warm).hexdigest(), len(warm)))

        r = c.upload(root, "quarter-gib.bin", pattern_chunks(256, size), size=size)
        self.assertStatus(r, 201)
        item_id = r.json()["id"]

        self.server.reset_hwm()
        baseline_hwm = self.server.hwm_kib()
        t0 = time.monotonic()
        resp, digest, n = c.download(item_id)
        down_s = time.monotonic() - t0
        self.assertStatus(resp, 200)
        growth = self.server.hwm_kib() - baseline_hwm
        report = ("S3 download of 256 MiB: peak memory growth %d KiB (limit %d), %.1f s "
                  "(%.0f MiB/s)" % (growth, LIMIT_KIB, down_s, 256 / down_s))
        sys.stderr.write("\n" + report + "\n")
        self.assertEqual((digest, n), (pattern_sha256(256, size), size))
        self.assertLess(growth, LIMIT_KIB, report)


if __name__ == "__main__":
    unittest.main()
