"""Storage quotas and the free-space floor over real HTTP.

Every space has a quota ([storage] space_quota, or its own, set by an admin through
PATCH /api/v1/spaces/{id}/storage) counting every kept version of every file, the trash included,
and uploads through links count against the space that owns the folder. The server also keeps
[storage] min_free_bytes free on its disk. Either refusal is 507 `insufficient_storage`, decided
from Content-Length before the body is read, and enforced on chunked bodies as they arrive;
nothing of a refused upload stays behind.

SECURITY-CHECKLIST item 32 ("an exceeded quota is refused").
"""

import http.client
import os
import shutil
import socket
import tempfile
import unittest

from harness import Headers, Response, VestibuleTestCase, quote_name

KiB = 1024
MiB = 1024 * KiB


def chunks(total, size=64 * KiB, byte=b"q"):
    """A body of `total` bytes as an iterable, so the client sends it chunked."""
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        sent += n
        yield byte * n


class QuotaCase(VestibuleTestCase):

    def start(self, quota="1MiB", min_free=0, extra=""):
        config = "[storage]\nspace_quota = %s\nmin_free_bytes = %d\n%s" % (
            '"%s"' % quota if isinstance(quota, str) else quota, min_free, extra)
        self.server = self.start_server(config=config)
        self.admin_c = self.admin(self.server)
        return self.server

    def new_member(self, name):
        email = "%s@example.org" % name
        password = "Member-passw0rd-%s" % name
        r = self.admin_c.post("/api/v1/admin/users",
                              json={"email": email, "password": password, "display_name": name})
        self.assertStatus(r, 201)
        return self.client(self.server, sign_in=email, password=password)

    def storage(self, client, space_id):
        r = client.get("/api/v1/spaces/%d/storage" % space_id)
        self.assertStatus(r, 200)
        return r.json()

    def head_only_put(self, path, length, cookie=None):
        """Sends only the head of a PUT declaring `length` bytes (None: a chunked body) with
        Expect: 100-continue, and returns the answer the server gives without having received a
        byte of the body."""
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=15)
        self.addCleanup(sock.close)
        framing = ("Transfer-Encoding: chunked" if length is None
                   else "Content-Length: %d" % length)
        head = ("PUT %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n"
                "Content-Type: application/octet-stream\r\nExpect: 100-continue\r\n%s\r\n"
                % (path, self.server.port, framing,
                   "Cookie: %s\r\n" % cookie if cookie else ""))
        sock.sendall(head.encode())
        resp = http.client.HTTPResponse(sock, method="PUT")
        resp.begin()
        return Response("PUT", path, resp.status, resp.reason, Headers(resp.getheaders()),
                        resp.read())

    def assertNothingHalfWritten(self):
        tmp = self.server.tmp_dir
        self.assertEqual(os.listdir(tmp) if os.path.isdir(tmp) else [], [],
                         "a refused upload left a temporary file behind")

    def assertInsufficient(self, r, *words):
        self.assertStatus(r, 507, "insufficient_storage")
        message = r.json()["error"]["message"]
        for word in words:
            self.assertIn(word, message)
        return message


class SpaceQuotaTest(QuotaCase):

    def test_a_members_upload_over_the_quota_is_refused_before_and_while_it_arrives(self):
        self.start(quota="1MiB")
        ada = self.new_member("ada")
        space = ada.personal_space()
        root = space["root_item_id"]
        self.assertEqual(self.storage(ada, space["id"]),
                         {"used_bytes": 0, "quota_bytes": MiB, "quota_source": "default"})
        self.assertStatus(ada.upload(root, "a.bin", b"a" * (600 * KiB)), 201)

        # Declared too large: the answer comes before any byte of the body is sent.
        cookie = "vestibule_session=%s" % ada.session
        r = self.head_only_put("/api/v1/items/%d/files/b.bin" % root, 600 * KiB, cookie)
        message = self.assertInsufficient(r)
        # What is full, how much is left, what to do.
        self.assertIn("1.0 MB", message)
        self.assertIn("424 KB", message)
        self.assertIn("trash", message)

        # Chunked: cut off when it passes the quota, nothing kept.
        r = ada.upload(root, "c.bin", chunks(2 * MiB))
        self.assertInsufficient(r)
        self.assertNothingHalfWritten()
        names = [i["name"] for i in ada.children(root)]
        self.assertEqual(names, ["a.bin"])
        self.assertEqual(self.storage(ada, space["id"])["used_bytes"], 600 * KiB)

        # A new version counts as well: the kept old one still takes its room.
        self.assertInsufficient(ada.upload(root, "a.bin", b"b" * (500 * KiB)))
        self.assertStatus(ada.upload(root, "a.bin", b"b" * (400 * KiB)), 200)
        self.assertEqual(self.storage(ada, space["id"])["used_bytes"], 1000 * KiB)

        # The trash counts until it is emptied.
        item = [i for i in ada.children(root) if i["name"] == "a.bin"][0]
        self.assertStatus(ada.delete("/api/v1/items/%d" % item["id"]), 204)
        self.assertInsufficient(ada.upload(root, "d.bin", b"d" * (100 * KiB)))
        self.assertStatus(ada.delete("/api/v1/trash/%d" % item["id"]), (200, 204))
        self.assertEqual(self.storage(ada, space["id"])["used_bytes"], 0)
        self.assertStatus(ada.upload(root, "d.bin", b"d" * (100 * KiB)), 201)
        self.assertNothingHalfWritten()

    def test_an_admin_sets_a_spaces_own_quota_and_returns_it_to_the_default(self):
        self.start(quota="1MiB")
        ada = self.new_member("ada")
        space = ada.personal_space()
        path = "/api/v1/spaces/%d/storage" % space["id"]
        self.assertStatus(ada.patch(path, json={"quota_bytes": 10 * MiB}), 403, "forbidden")
        for bad in ({}, {"quota_bytes": -1}, {"quota_bytes": "10MiB"}, {"quota_bytes": 1.5}):
            self.assertStatus(self.admin_c.patch(path, json=bad), 400, "invalid_argument")
        r = self.admin_c.patch(path, json={"quota_bytes": 3 * MiB})
        self.assertStatus(r, 200)
        self.assertEqual(r.json(), {"used_bytes": 0, "quota_bytes": 3 * MiB,
                                    "quota_source": "space"})
        self.assertStatus(ada.upload(space["root_item_id"], "big.bin", b"x" * (2 * MiB)), 201)
        # Lowering below what is stored deletes nothing; further uploads are refused.
        r = self.admin_c.patch(path, json={"quota_bytes": MiB})
        self.assertEqual(r.json()["used_bytes"], 2 * MiB)
        self.assertInsufficient(ada.upload(space["root_item_id"], "one.bin", b"1"))
        # 0: no quota at all.
        r = self.admin_c.patch(path, json={"quota_bytes": 0})
        self.assertEqual(r.json()["quota_bytes"], None)
        self.assertStatus(ada.upload(space["root_item_id"], "one.bin", b"1"), 201)
        # null: back to the server's default.
        r = self.admin_c.patch(path, json={"quota_bytes": None})
        self.assertEqual(r.json(), {"used_bytes": 2 * MiB + 1, "quota_bytes": MiB,
                                    "quota_source": "default"})
        # Another member cannot read it; an admin reads any space's.
        bob = self.new_member("bob")
        self.assertStatus(bob.get(path), 404, "not_found")
        self.assertStatus(self.admin_c.get(path), 200)
        self.assertStatus(self.admin_c.get("/api/v1/spaces/987654/storage"), 404)

    def test_a_folder_upload_through_an_anyone_edit_link_stops_at_the_owners_quota(self):
        self.start(quota="1MiB")
        self.assertStatus(self.admin_c.patch("/api/v1/admin/settings",
                                             json={"external_sharing": "anyone"}), 200)
        ada = self.new_member("ada")
        space = ada.personal_space()
        drop = ada.mkdir(space["root_item_id"], "drop box")
        r = ada.post("/api/v1/items/%d/links" % drop["id"], json={"kind": "anyone", "role": "edit"})
        self.assertStatus(r, 201)
        token = r.json()["token"]
        share = "/api/v1/shares/%s" % token

        # Someone holding the link uploads a folder as the web page does: the folders first,
        # then each file into its folder.
        stranger = self.client(self.server)
        r = stranger.post("%s/items/%d/children" % (share, drop["id"]), json={"name": "photos"})
        self.assertStatus(r, 201)
        photos = r.json()["id"]
        r = stranger.post("%s/items/%d/children" % (share, photos), json={"name": "2026"})
        self.assertStatus(r, 201)
        year = r.json()["id"]
        results = []
        for i in range(8):
            folder = photos if i % 2 == 0 else year
            r = stranger.put("%s/items/%d/files/%s" % (share, folder, quote_name("img%d.jpg" % i)),
                             body=bytes([i]) * (300 * KiB),
                             headers={"Content-Type": "application/octet-stream"})
            results.append(r)
        self.assertEqual([r.status for r in results], [201, 201, 201] + [507] * 5,
                         [r.describe() for r in results])
        message = self.assertInsufficient(results[3], "img3.jpg")
        # Someone who came through a link is told whom to ask, not to empty a trash they
        # cannot see.
        self.assertIn("shared", message)
        self.assertNotIn("trash", message)
        # A chunked body through the link is cut off too.
        self.assertInsufficient(stranger.put("%s/items/%d/files/late.bin" % (share, photos),
                                             body=chunks(MiB)))
        self.assertNothingHalfWritten()
        self.assertEqual(self.storage(ada, space["id"])["used_bytes"], 900 * KiB)
        names = sorted(i["name"] for i in ada.children(photos) + ada.children(year))
        self.assertEqual(names, ["2026", "img0.jpg", "img1.jpg", "img2.jpg"])
        # The owner frees room; the link works again.
        img0 = [i for i in ada.children(photos) if i["name"] == "img0.jpg"][0]
        self.assertStatus(ada.delete("/api/v1/items/%d" % img0["id"]), 204)
        self.assertStatus(ada.delete("/api/v1/trash/%d" % img0["id"]), (200, 204))
        r = stranger.put("%s/items/%d/files/img3.jpg" % (share, year), body=b"3" * (300 * KiB),
                         headers={"Content-Type": "application/octet-stream"})
        self.assertStatus(r, 201)

    def test_blobs_of_refused_uploads_do_not_stay(self):
        # Content-addressed blobs: a refused upload never adds one.
        self.start(quota="64KiB")
        ada = self.new_member("ada")
        root = ada.personal_space()["root_item_id"]
        self.assertInsufficient(ada.upload(root, "big.bin", b"z" * (100 * KiB)))
        self.assertInsufficient(ada.upload(root, "big.bin", chunks(100 * KiB, byte=b"y")))
        blobs = []
        for _, _, files in os.walk(os.path.join(self.server.data_dir, "blobs")):
            blobs += files
        self.assertEqual(blobs, [])
        self.assertNothingHalfWritten()


class FreeSpaceFloorTest(QuotaCase):

    def test_uploads_are_refused_below_the_free_space_floor(self):
        # A floor above what the disk has free: every upload must be refused, and everything
        # else keeps working.
        free = shutil.disk_usage(tempfile.gettempdir()).free
        self.start(quota=0, min_free=free + (1 << 40))
        ada = self.new_member("ada")
        root = ada.personal_space()["root_item_id"]
        cookie = "vestibule_session=%s" % ada.session
        r = self.head_only_put("/api/v1/items/%d/files/a.bin" % root, 10 * KiB, cookie)
        message = self.assertInsufficient(r, "disk", "administrator")
        self.assertIn(" TB ", message)  # how much the server keeps in reserve
        # Of unknown length: refused before its first byte too (nothing fits under the floor).
        r = self.head_only_put("/api/v1/items/%d/files/b.bin" % root, None, cookie)
        self.assertInsufficient(r, "disk")
        self.assertNothingHalfWritten()
        self.assertEqual(ada.children(root), [])
        # Not an upload: still served.
        self.assertEqual(ada.mkdir(root, "still works")["name"], "still works")
        self.assertIn("storage.min_free_bytes", self.server.output())

    def test_a_floor_below_the_free_space_lets_uploads_through(self):
        free = shutil.disk_usage(tempfile.gettempdir()).free
        self.assertGreater(free, 64 * MiB, "the test needs some free disk")
        self.start(quota=0, min_free=free // 2)
        ada = self.new_member("ada")
        root = ada.personal_space()["root_item_id"]
        self.assertStatus(ada.upload(root, "a.bin", b"a" * MiB), 201)
        self.assertStatus(ada.upload(root, "b.bin", chunks(4 * MiB)), 201)


if __name__ == "__main__":
    unittest.main()
