"""Memory bound (SPEC §8, SECURITY-CHECKLIST item 40): a 1 GiB upload and a 1 GiB download,
both streamed on the client side, grow the server's peak resident memory (VmHWM) by less than
16 MiB over a baseline taken after sign-in and a small warm-up transfer.
"""

import hashlib
import os
import sys
import time
import unittest

from harness import MiB, VestibuleTestCase, pattern_chunks

GiB = 1024 * MiB
LIMIT_KIB = 16 * 1024


class MemoryTest(VestibuleTestCase):

    def test_1_gib_up_and_down_in_bounded_memory(self):
        server = self.start_server()
        c = self.admin(server)
        root = c.personal_root()

        # Warm-up: one small transfer each way, so pools, caches and threads exist.
        warm = os.urandom(4 * MiB)
        r = c.upload(root, "warm-up.bin", warm)
        self.assertStatus(r, 201)
        resp, digest, n = c.download(r.json()["id"])
        self.assertStatus(resp, 200)
        self.assertEqual((digest, n), (hashlib.sha256(warm).hexdigest(), len(warm)))
        # Sign-in hashes a password with Argon2id, which alone lifts the peak by tens of MiB:
        # measure the transfers' peak from here on, not the process's since start-up.
        startup_hwm = server.hwm_kib()
        server.reset_hwm()
        baseline_hwm = server.hwm_kib()
        baseline_rss = server.rss_kib()
        self.assertLessEqual(baseline_hwm, baseline_rss + 1024,
                             "VmHWM was not reset (%d KiB, RSS %d KiB)"
                             % (baseline_hwm, baseline_rss))

        sent_hash = hashlib.sha256()

        def body():
            for chunk in pattern_chunks(20261123, GiB):
                sent_hash.update(chunk)
                yield chunk

        t0 = time.monotonic()
        r = c.upload(root, "one-gib.bin", body(), size=GiB)
        up_s = time.monotonic() - t0
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["size"], GiB)
        after_upload_hwm = server.hwm_kib()

        t0 = time.monotonic()
        resp, digest, n = c.download(r.json()["id"])
        down_s = time.monotonic() - t0
        self.assertStatus(resp, 200)
        after_hwm = server.hwm_kib()
        after_rss = server.rss_kib()

        report = ("memory: VmHWM since start-up %d KiB, reset to %d KiB (VmRSS %d KiB); "
                  "after upload VmHWM %d KiB; "
                  "after download VmHWM %d KiB (growth %d KiB, limit %d), VmRSS %d KiB; "
                  "upload %.1f s (%.0f MiB/s), download %.1f s (%.0f MiB/s)"
                  % (startup_hwm, baseline_hwm, baseline_rss, after_upload_hwm, after_hwm,
                     after_hwm - baseline_hwm, LIMIT_KIB, after_rss, up_s, 1024 / up_s,
                     down_s, 1024 / down_s))
        sys.stderr.write("\n" + report + "\n")
        self.assertEqual(n, GiB)
        self.assertEqual(digest, sent_hash.hexdigest(), "downloaded bytes differ from uploaded")
        self.assertEqual(resp.headers.get("ETag"), '"%s"' % digest)
        self.assertLess(after_upload_hwm - baseline_hwm, LIMIT_KIB, report)
        self.assertLess(after_hwm - baseline_hwm, LIMIT_KIB, report)


if __name__ == "__main__":
    unittest.main()
