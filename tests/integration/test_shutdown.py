"""Graceful shutdown: on SIGTERM the server stops accepting connections, lets the requests in
flight finish (an upload paused half-way completes with 201), and exits 0; what it stored is
there after a restart.
"""

import hashlib
import http.client
import os
import signal
import threading
import unittest

from harness import (MiB, Client, VestibuleTestCase, connection_refused, wait_until)


class ShutdownTest(VestibuleTestCase):

    def test_sigterm_finishes_the_upload_in_flight_and_refuses_new_connections(self):
        server = self.start_server()
        c = self.admin(server)
        root = c.personal_root()
        cookies = dict(c.cookies)
        c.close()  # only the upload's connection is open when SIGTERM comes

        data = os.urandom(4 * MiB)
        half = len(data) // 2
        step = 64 * 1024
        half_sent = threading.Event()
        resume = threading.Event()
        result = {}

        def body():
            for i in range(0, half, step):
                yield data[i:min(i + step, half)]
            half_sent.set()
            if not resume.wait(120):
                raise RuntimeError("the test never resumed the upload")
            for i in range(half, len(data), step):
                yield data[i:i + step]

        def upload():
            client = Client(server.port, cookies=cookies)
            try:
                result["response"] = client.upload(root, "in-flight.bin", body(),
                                                   size=len(data))
            except (OSError, http.client.HTTPException, RuntimeError) as e:
                result["error"] = repr(e)
            finally:
                client.close()

        t = threading.Thread(target=upload)
        t.start()
        try:
            self.assertTrue(half_sent.wait(60), "the first half was never sent")
            os.kill(server.pid, signal.SIGTERM)
            # The listener closes while the upload is still in flight.
            wait_until(lambda: connection_refused(server.port), 15,
                       "new connections to be refused after SIGTERM")
            self.assertTrue(server.running(),
                            "the server exited with an upload in flight: %r" % result)
        finally:
            resume.set()
            t.join(120)
        self.assertFalse(t.is_alive(), "the upload hangs after SIGTERM")
        self.assertNotIn("error", result, "the upload in flight was cut by SIGTERM")
        r = result["response"]
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["size"], len(data))
        self.assertEqual(server.wait_exit(30), 0, "exit code after SIGTERM")
        self.assertTrue(connection_refused(server.port))

        again = self.start_server(data_dir=server.data_dir)
        c2 = self.admin(again)
        items = {i["name"]: i for i in c2.children(c2.personal_root())}
        self.assertIn("in-flight.bin", items)
        self.assertEqual(items["in-flight.bin"]["size"], len(data))
        resp, digest, n = c2.download(items["in-flight.bin"]["id"])
        self.assertStatus(resp, 200)
        self.assertEqual((digest, n), (hashlib.sha256(data).hexdigest(), len(data)))

    def test_sigterm_with_an_idle_keep_alive_connection_exits_promptly(self):
        server = self.start_server()
        c = self.admin(server)
        root = c.personal_root()
        self.assertStatus(c.upload(root, "kept.txt", b"kept"), 201)
        # c's keep-alive connection stays open and idle: it must not hold the exit up.
        self.assertEqual(server.stop(timeout=15), 0, "exit code after SIGTERM")
        self.assertTrue(connection_refused(server.port))
        again = self.start_server(data_dir=server.data_dir)
        c2 = self.admin(again)
        items = {i["name"]: i for i in c2.children(c2.personal_root())}
        self.assertIn("kept.txt", items)
        self.assertEqual(c2.content(items["kept.txt"]["id"]).body, b"kept")


if __name__ == "__main__":
    unittest.main()
