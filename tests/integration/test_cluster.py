"""A cluster as SPEC §6 describes it, from real parts started by the test: one PostgreSQL
(scripts/pg-single-node) for metadata, one Ceph RADOS Gateway (scripts/rgw-single-node) for
blobs, three `vestibule serve` nodes with data folders of their own sharing the server and audit
keys through [server] key_file, and one SMTP relay (smtp_sink.py) that all three deliver to.

- a member uploads 64 MiB on node A and it downloads byte-identical from B and C;
- an outside recipient proves their address on A and downloads on B with the same cookie; the
  link revoked on B is refused on A and C within 1 s; the one code mail asked for is received
  once although the three nodes run the outbox;
- a node killed with SIGKILL in the middle of an upload leaves no file, torn or whole, and the
  other nodes keep serving and take the same upload whole;
- wrong sign-ins from one client spread over the three nodes are throttled after as many
  failures as on one node (test_throttle_nodes.py shows the same for link passwords).

Each test has a database and a bucket of its own; PostgreSQL and the gateway are started once
for the class. If this process is killed, the PostgreSQL cluster stops by itself; stop the
gateway with `scripts/rgw-single-node /tmp/vst-rgw-it-… --stop`.
"""

import collections
import os
import shutil
import socket
import tempfile
import time
import unittest

import postgres
from harness import (ADMIN_EMAIL, ADMIN_PASSWORD, MiB, VestibuleTestCase, pattern_chunks,
                     pattern_sha256, run_cli)
from smtp_sink import SmtpSink, code_of, token_of
from test_external import RECIPIENT_COOKIE, is_code_mail, shares, smtp_env
from test_s3_storage import Rgw

EVE = "eve@partner.example"
BIG = 64 * MiB


class ClusterTest(VestibuleTestCase):

    @classmethod
    def setUpClass(cls):
        cls.pg = postgres.start_cluster()
        try:
            cls.rgw = Rgw()
        except BaseException:
            cls.pg.stop()
            raise
        cls.buckets = iter(range(1, 1000))

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.rgw.stop()
        cls.pg.stop()

    def setUp(self):
        super().setUp()
        self.sink = SmtpSink()
        self.addCleanup(self.sink.close)
        folders = [tempfile.mkdtemp(prefix="vestibule-it-node-") for _ in range(4)]
        for folder in folders:
            self.addCleanup(shutil.rmtree, folder, True)
        key_file = os.path.join(folders[3], "cluster.keys")
        code, out, err = run_cli("keys", "export", key_file, "--data-dir", folders[0])
        self.assertEqual(code, 0, out + err)
        env = dict(smtp_env(self.sink.port), VESTIBULE_DATABASE__URL=self.pg.fresh_database(),
                   VESTIBULE_SERVER__KEY_FILE=key_file)
        config = self.rgw.config("vestibule-cluster-%d-%d" % (os.getpid(), next(self.buckets)))
        self.nodes = [self.start_server(data_dir=folder, config=config, env=env)
                      for folder in folders[:3]]
        self.admins = [self.admin(node) for node in self.nodes]
        self.root = self.admins[0].personal_root()

    def test_a_file_uploaded_on_one_node_downloads_whole_from_the_others(self):
        a = self.admins[0]
        r = a.upload(self.root, "big.bin", pattern_chunks(1, BIG), size=BIG)
        self.assertStatus(r, 201)
        item = r.json()["id"]
        expected = pattern_sha256(1, BIG)
        for c in self.admins[1:]:
            r, digest, size = c.download(item)
            self.assertStatus(r, 200)
            self.assertEqual((size, digest), (BIG, expected))
        # Nothing of the bytes is on any node's disk: they are in the bucket.
        for node in self.nodes:
            self.assertFalse(os.path.exists(os.path.join(node.data_dir, "blobs")), node.data_dir)

    def test_a_recipient_verified_on_one_node_is_served_by_another_until_revoked_there(self):
        a, b, c = self.admins
        data = b"for the partner, from node A\n"
        item = a.upload(self.root, "partner.txt", data)
        self.assertStatus(item, 201)
        r = a.post("/api/v1/items/%d/links" % item.json()["id"],
                   json={"kind": "specific", "recipients": [EVE]})
        self.assertStatus(r, 201)
        link = r.json()
        token = token_of(self.sink.wait_for(1, to=EVE, timeout=60)[0])
        self.assertEqual(token, link["token"])

        # Proves the address on node A...
        on_a = self.client(self.nodes[0])
        self.assertStatus(on_a.post(shares(token, "/verification"), json={"email": EVE}), 202)
        code = code_of(self.sink.wait_for(1, to=EVE, where=is_code_mail, timeout=60)[0])
        r = on_a.post(shares(token, "/verification/confirm"), json={"email": EVE, "code": code})
        self.assertStatus(r, 200)
        self.assertIn(RECIPIENT_COOKIE, on_a.cookies)
        # ...and the same cookie opens the file on B and on C.
        on_b = self.client(self.nodes[1])
        on_c = self.client(self.nodes[2])
        for browser in (on_b, on_c):
            browser.cookies.update(on_a.cookies)
            r = browser.get(shares(token, "/content"))
            self.assertStatus(r, 200)
            self.assertEqual(r.body, data)

        # Revoked on B: refused on A and C within 1 s, and never served again after a refusal.
        self.assertStatus(b.delete("/api/v1/links/%d" % link["id"]), 204)
        revoked = time.monotonic()
        for browser in (on_a, on_c):
            refused = False
            while True:
                r = browser.get(shares(token, "/content"))
                if r.status == 410:
                    break
                if r.status != 200:
                    self.assertIn(r.status, (401, 403, 404), r.describe())
                    refused = True
                else:
                    self.assertFalse(refused, "served again after a refusal\n" + r.describe())
                self.assertLess(time.monotonic() - revoked, 1.0,
                                "still not refused as revoked 1 s after\n" + r.describe())

        # One invitation and one code mail, each received once, although every node's worker
        # took queued mail: stopped nodes have finished what they were sending.
        for node in self.nodes:
            node.stop()
        to_eve = self.sink.messages_to(EVE)
        self.assertEqual(len([m for m in to_eve if is_code_mail(m)]), 1)
        self.assertEqual(len(to_eve), 2)
        ids = collections.Counter(m.message_id for m in self.sink.messages)
        self.assertEqual([i for i, n in ids.items() if n > 1], [])

    def test_a_node_killed_mid_upload_leaves_no_file_and_the_others_serve(self):
        a, b, c = self.admins
        kept = a.upload(self.root, "kept.bin", pattern_chunks(2, 16 * MiB), size=16 * MiB)
        self.assertStatus(kept, 201)

        # Half of a 48 MiB upload reaches node C (past several 8 MiB parts of a multipart
        # upload), then C is killed.
        victim = self.nodes[2]
        sock = socket.create_connection(("127.0.0.1", victim.port), timeout=60)
        self.addCleanup(sock.close)
        head = ("PUT /api/v1/items/%d/files/torn.bin HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                "Cookie: %s\r\nContent-Type: application/octet-stream\r\n"
                "Content-Length: %d\r\n\r\n"
                % (self.root, victim.port, "; ".join("%s=%s" % kv for kv in c.cookies.items()),
                   48 * MiB))
        sock.sendall(head.encode())
        sent = 0
        for chunk in pattern_chunks(3, 48 * MiB):
            sock.sendall(chunk)
            sent += len(chunk)
            if sent >= 24 * MiB:
                break
        victim.kill()

        # Nothing of it is visible from the nodes left, and they keep serving.
        for client in (a, b):
            names = [child["name"] for child in client.children(self.root)]
            self.assertIn("kept.bin", names)
            self.assertNotIn("torn.bin", names)
            r, digest, size = client.download(kept.json()["id"])
            self.assertStatus(r, 200)
            self.assertEqual((size, digest), (16 * MiB, pattern_sha256(2, 16 * MiB)))
        r = b.upload(self.root, "torn.bin", pattern_chunks(3, 48 * MiB), size=48 * MiB)
        self.assertStatus(r, 201)
        r, digest, size = a.download(r.json()["id"])
        self.assertEqual((size, digest), (48 * MiB, pattern_sha256(3, 48 * MiB)))

    def test_wrong_sign_ins_spread_over_the_nodes_share_one_budget(self):
        guessers = [self.client(node) for node in self.nodes]
        for i in range(40):
            r = guessers[i % 3].post("/api/v1/session",
                                     json={"email": ADMIN_EMAIL, "password": "wrong %d" % i})
            if r.status == 429:
                break
            self.assertEqual(r.status, 401, r.describe())
        # Five free failures and one that starts the wait, as on one node (with counts per node
        # it would take three times as many).
        self.assertEqual((i, r.status), (6, 429), r.describe())
        for guesser in guessers:
            r = guesser.post("/api/v1/session",
                             json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
            self.assertEqual(r.status, 429, r.describe())


if __name__ == "__main__":
    unittest.main()
