"""The blob store's daily housekeeping while the server runs (docs/operations.md "Daily
housekeeping", docs/scale-out.md).

Start-up removes what interrupted uploads left in tmp/ and collects the blobs no version refers
to. A server that then runs for months does both again once a day on the background worker's
passes, scheduled by the server's clock: here `--test-clock`, moved with POST /api/v1/dev/clock.
What each step removes is decided on the store's own time (file mtimes on the system clock), so
a running upload never looks old however far the test clock moves; the test ages files on disk
with os.utime where the store's time must have passed (the blob grace period, a day for a lost
upload). Waits are on the observable outcome (a file gone, a log line), never a sleep.
"""

import os
import threading
import time
import unittest

from harness import VestibuleTestCase, sha256, wait_until

KiB = 1024
MiB = 1024 * KiB
PASS_TIMEOUT = 20  # the worker passes every 200 ms under --test-clock
COLLECTED = "blob store: daily collection released 1 unreferenced blob(s)"
SWEPT = "blob store: daily sweep removed 1 unfinished upload(s)"


def age(path, seconds):
    """Sets a file's mtime `seconds` into the past, as if written that long ago."""
    then = time.time() - seconds
    os.utime(path, (then, then))


class DailyHousekeepingTest(VestibuleTestCase):

    def setUp(self):
        super().setUp()
        # The default grace period (10 minutes) keeps a purged blob on disk until a sweep.
        self.server = self.start_server(extra_args=["--test-clock"])
        self.admin_c = self.admin(self.server)
        self.root = self.admin_c.personal_root()

    def blob_path(self, data):
        digest = sha256(data)
        return os.path.join(self.server.data_dir, "blobs", digest[:2], digest[2:4], digest)

    def tmp_files(self):
        return sorted(os.listdir(self.server.tmp_dir))

    def advance(self, duration):
        r = self.admin_c.post("/api/v1/dev/clock", json={"advance": duration})
        self.assertEqual(r.status, 200, r.describe())

    def start_held_upload(self, name, first, rest):
        """An upload with a Content-Length whose body stops after `first` until released:
        answers (release, finished), finished() giving the response."""
        release = threading.Event()
        outcome = {}

        def body():
            yield first
            release.wait(60)
            yield rest

        uploader = self.client(self.server)
        uploader.cookies = dict(self.admin_c.cookies)

        def run():
            try:
                outcome["response"] = uploader.upload(self.root, name, body(),
                                                      size=len(first) + len(rest))
            except Exception as e:  # reported by finished()
                outcome["error"] = e

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.addCleanup(release.set)

        def finished():
            release.set()
            thread.join(60)
            self.assertNotIn("error", outcome, outcome.get("error"))
            return outcome["response"]

        return release, finished

    def test_a_purged_blob_and_a_lost_upload_go_after_a_day_while_a_running_upload_stays(self):
        # A file purged from the trash: its blob was written moments ago, within the grace
        # period, so the purge leaves it on disk for a later sweep.
        purged = os.urandom(100 * KiB)
        item = self.admin_c.upload(self.root, "purged.bin", purged)
        self.assertEqual(item.status, 201, item.describe())
        kept = os.urandom(100 * KiB)
        self.assertEqual(self.admin_c.upload(self.root, "kept.bin", kept).status, 201)
        item_id = item.json()["id"]
        self.assertEqual(self.admin_c.delete("/api/v1/items/%d" % item_id).status, 204)
        self.assertEqual(self.admin_c.delete("/api/v1/trash/%d" % item_id).status, 204)
        self.assertTrue(os.path.exists(self.blob_path(purged)), "the grace period did not hold")
        # On the store's time both blobs are now older than the grace period.
        age(self.blob_path(purged), 11 * 60)
        age(self.blob_path(kept), 11 * 60)

        # What a lost upload left in tmp/ a day and an hour ago.
        lost = os.path.join(self.server.tmp_dir, "upload-lostlostlost")
        with open(lost, "wb") as f:
            f.write(b"x" * KiB)
        age(lost, 25 * 3600)

        # An upload in progress: its temporary file exists, its body only half there.
        first, rest = os.urandom(MiB), os.urandom(MiB)
        _, finished = self.start_held_upload("running.bin", first, rest)
        wait_until(lambda: len(self.tmp_files()) == 2, PASS_TIMEOUT,
                   "the running upload's temporary file")
        running = [n for n in self.tmp_files() if os.path.join(self.server.tmp_dir, n) != lost]
        self.assertEqual(len(running), 1, self.tmp_files())

        # Past a day (and the grace) on the server's clock; the server keeps running.
        self.advance("25h")
        wait_until(lambda: not os.path.exists(self.blob_path(purged)), PASS_TIMEOUT,
                   "the purged file's blob to be collected while the server runs")
        # The sweep of tmp/ ran before the collection.
        self.assertFalse(os.path.exists(lost), "what the lost upload left stayed in tmp/")
        self.assertEqual(self.tmp_files(), running, "the running upload's file was removed")
        self.assertTrue(os.path.exists(self.blob_path(kept)), "a blob still in use was deleted")
        self.assertEqual(self.admin_c.content(self.file_id("kept.bin")).body, kept)
        wait_until(lambda: SWEPT in self.server.output() and COLLECTED in self.server.output(),
                   PASS_TIMEOUT, "the daily housekeeping's log lines")

        # The running upload finishes whole.
        r = finished()
        self.assertEqual(r.status, 201, r.describe())
        self.assertEqual(self.admin_c.content(r.json()["id"]).body, first + rest)
        self.assertTrue(self.server.running)

    def file_id(self, name):
        return [i["id"] for i in self.admin_c.children(self.root) if i["name"] == name][0]


if __name__ == "__main__":
    unittest.main()
