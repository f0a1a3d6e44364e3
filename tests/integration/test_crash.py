"""kill -9 during uploads (SECURITY-CHECKLIST item 36, SPEC §7): a crash at any moment leaves
every file either at its old or at its new version, never torn; committed uploads survive;
temporary files are swept at start; the database passes its integrity check.

The kill point is chosen by a byte counter in the upload generator (no sleeps): the server is
SIGKILLed once N bytes of a 64 MiB upload were handed to the socket, N random (or after the last
byte, while the server hashes, syncs and commits). Meanwhile a second connection re-uploads one
committed file with new content. Set VESTIBULE_CRASH_SEED to replay a run.
"""

import hashlib
import http.client
import os
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
import unittest

from harness import (Client, MiB, VestibuleTestCase, pattern_chunks, pattern_sha256, sha256)

ITERATIONS = 10
BIG = 64 * MiB
SIZES = [0, 1, 1000, 65536, MiB - 1, MiB, 2 * MiB + 3, 3 * MiB, 5 * MiB + 7, 8 * MiB]
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def integrity_check(db_path):
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(MiB)
            if not block:
                return h.hexdigest()
            h.update(block)


class CrashTest(VestibuleTestCase):

    def test_kill_9_during_uploads_never_tears_a_file(self):
        seed = int(os.environ.get("VESTIBULE_CRASH_SEED") or random.SystemRandom().randrange(1 << 30))
        sys.stderr.write("\ncrash test seed: VESTIBULE_CRASH_SEED=%d\n" % seed)
        rng = random.Random(seed)
        self.seed = seed
        data_dir = tempfile.mkdtemp(prefix="vestibule-it-crash-")
        self.addCleanup(shutil.rmtree, data_dir, True)

        server = self.start_server(data_dir=data_dir)
        c = self.admin(server)
        folder = c.mkdir(c.personal_root(), "crash")["id"]
        expected = {}  # name -> (sha256, size) of the committed content
        for i, size in enumerate(SIZES):
            data = os.urandom(size)
            name = "file-%02d.bin" % i
            self.assertStatus(c.upload(folder, name, data), 201)
            expected[name] = (sha256(data), size)
        self.verify(c, folder, expected, "before any crash")

        for it in range(ITERATIONS):
            where = "iteration %d (seed %d)" % (it, seed)
            big_name = "big-%d.bin" % it
            big_seed = seed * 100 + it
            big_sha = pattern_sha256(big_seed, BIG)
            # Every third kill comes after the whole body was sent: during hash, sync, commit.
            kill_at = BIG if it % 3 == 2 else rng.randrange(1, BIG)
            reupload_at = rng.randrange(0, kill_at + 1)
            victim = rng.choice(sorted(n for n in expected if n.startswith("file-")))
            new_data = os.urandom(rng.randrange(1, 4 * MiB))
            new_version = (sha256(new_data), len(new_data))
            old_version = expected[victim]
            sys.stderr.write("%s: kill after %d of %d bytes; re-upload %s (%d bytes) from byte "
                             "%d\n" % (where, kill_at, BIG, victim, len(new_data), reupload_at))

            state = {}
            reupload_go = threading.Event()
            cookies = dict(c.cookies)
            port = server.port

            def big_body(srv=server):
                sent = 0
                for chunk in pattern_chunks(big_seed, BIG):
                    if sent >= reupload_at:
                        reupload_go.set()
                    if sent >= kill_at:
                        break
                    if sent + len(chunk) > kill_at:
                        chunk = chunk[:kill_at - sent]
                    yield chunk
                    sent += len(chunk)
                reupload_go.set()
                state["killed_after"] = sent
                srv.kill()

            def big_upload():
                client = Client(port, cookies=cookies)
                try:
                    r = client.upload(folder, big_name, big_body(), size=BIG)
                    state["big_status"] = r.status
                except (OSError, http.client.HTTPException) as e:
                    state["big_error"] = repr(e)
                finally:
                    client.close()

            def reupload():
                if not reupload_go.wait(300):
                    state["re_error"] = "never started"
                    return
                client = Client(port, cookies=cookies)
                try:
                    r = client.upload(folder, victim, new_data)
                    state["re_status"] = r.status
                    state["re_body"] = r.body[:300]
                except (OSError, http.client.HTTPException) as e:
                    state["re_error"] = repr(e)
                finally:
                    client.close()

            threads = [threading.Thread(target=big_upload), threading.Thread(target=reupload)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(600)
                self.assertFalse(t.is_alive(), "%s: an upload thread hangs" % where)
            state["tmp_files_left_by_the_crash"] = len(self.tmp_files(data_dir))
            sys.stderr.write("%s: %r\n" % (where, {k: v for k, v in state.items()
                                                    if k != "re_body"}))
            self.assertIn("killed_after", state, "%s: the kill never happened: %r"
                          % (where, state))
            self.assertIn("big_error", state, "%s: the killed upload got an answer: %r"
                          % (where, state))
            self.assertFalse(server.running())
            if "re_status" in state:
                self.assertEqual(state["re_status"], 200,
                                 "%s: re-upload answered %r" % (where, state))

            server = self.start_server(data_dir=data_dir)
            self.assertEqual(self.tmp_files(data_dir), [],
                             "%s: temporary files not swept at start" % where)
            self.assertEqual(integrity_check(os.path.join(data_dir, "vestibule.db")), ["ok"],
                             where)
            c = self.admin(server)
            if state.get("re_status") == 200:
                allowed = {victim: [new_version]}  # acknowledged, so durable
            else:
                allowed = {victim: [old_version, new_version]}
            self.verify(c, folder, expected, where, allowed=allowed,
                        maybe={big_name: (big_sha, BIG)})
            self.verify_blobs(data_dir, where)

        code = server.stop()
        self.assertEqual(code, 0, "exit code after SIGTERM")
        self.assertEqual(integrity_check(os.path.join(data_dir, "vestibule.db")), ["ok"])

    # -- checks -----------------------------------------------------------------------------

    @staticmethod
    def tmp_files(data_dir):
        tmp = os.path.join(data_dir, "tmp")
        return sorted(os.listdir(tmp)) if os.path.isdir(tmp) else []

    def verify(self, c, folder, expected, where, allowed=None, maybe=None):
        """Every expected file is there with one of its allowed contents (default: exactly the
        expected one); a `maybe` file is absent or complete; nothing else exists. Updates
        `expected` with what was found."""
        allowed = allowed or {}
        maybe = maybe or {}
        items = {i["name"]: i for i in c.children(folder)}
        for name in sorted(expected):
            self.assertIn(name, items, "%s: committed file %s is gone" % (where, name))
            item = items.pop(name)
            resp, digest, n = c.download(item["id"])
            self.assertStatus(resp, 200)
            options = allowed.get(name, [expected[name]])
            self.assertIn((digest, n), options,
                          "%s: %s is torn or wrong: got %d bytes sha256 %s, allowed %r"
                          % (where, name, n, digest, options))
            self.assertEqual(item["size"], n, "%s: %s listed with size %s but has %d bytes"
                             % (where, name, item["size"], n))
            self.assertEqual(resp.headers.get("ETag"), '"%s"' % digest, where)
            versions = c.get("/api/v1/items/%d/versions" % item["id"]).json()["versions"]
            self.assertEqual(versions[0]["size"], n,
                             "%s: %s: newest version's size differs from the content" %
                             (where, name))
            expected[name] = (digest, n)
        for name, want in maybe.items():
            if name in items:
                item = items.pop(name)
                resp, digest, n = c.download(item["id"])
                self.assertStatus(resp, 200)
                self.assertEqual((digest, n), want,
                                 "%s: %s exists but is not the complete upload (%d bytes)"
                                 % (where, name, n))
                self.assertEqual(item["size"], want[1], where)
                expected[name] = want
                sys.stderr.write("%s: %s was committed before the kill\n" % (where, name))
        self.assertEqual(sorted(items), [], "%s: unexpected items: %r" % (where, items))

    def verify_blobs(self, data_dir, where):
        """Blobs are content-addressed: each one's bytes hash to its name."""
        blobs = os.path.join(data_dir, "blobs")
        self.assertTrue(os.path.isdir(blobs), "%s: no blobs/ in the data dir" % where)
        for base, _, files in os.walk(blobs):
            for f in files:
                if HEX64.match(f):
                    self.assertEqual(file_sha256(os.path.join(base, f)), f,
                                     "%s: blob %s is torn" % (where, os.path.join(base, f)))


if __name__ == "__main__":
    unittest.main()
