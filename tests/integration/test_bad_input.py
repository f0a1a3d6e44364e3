"""Malformed and hostile input: HTTP limits, unknown routes and methods, bad JSON, bad names,
bodies over the limit. Each answer is the contract's status and error code, nothing is written
outside the data folder, and the server keeps serving.

SECURITY-CHECKLIST items 30, 32, 38.
"""

import http.client
import json
import os
import shutil
import socket
import sys
import tempfile
import unittest

from harness import (ADMIN_EMAIL, ADMIN_PASSWORD, Client, MiB, ServerProcess,
                     VestibuleTestCase, quote_name, raw_exchange, wait_until)

MAX_UPLOAD = 1048576

BAD_NAMES = {
    "dotdot": "..",
    "dot": ".",
    "slash": "a/b",
    "traversal": "../vestibule-escape",
    "backslash": "a\\b",
    "backslash_traversal": "..\\vestibule-escape",
    "nul": "a\x00b",
    "newline": "a\nb",
    "carriage_return": "evil\r\nSet-Cookie: x=y",
    "tab": "a\tb",
    "empty": "",
    "too_long": "x" * 256,
    "too_long_utf8": "é" * 128,
    "device_con": "CON",
    "device_con_ext": "con.txt",
    "device_lpt1": "LPT1",
}

# Names as raw URL path segments (already percent-encoded) for the upload route.
BAD_RAW_SEGMENTS = {
    "encoded_dotdot": "%2e%2e",
    "encoded_traversal": "%2e%2e%2fvestibule-escape",
    "literal_dotdot_encoded_slash": "..%2Fvestibule-escape",
    "encoded_nul": "a%00b",
    "invalid_utf8": "a%ff%fe",
}


class BadInputTest(VestibuleTestCase):

    @classmethod
    def setUpClass(cls):
        # The data folder lives alone in a sandbox that is also the server's working directory,
        # so anything written outside the data folder shows up in the sandbox.
        cls.sandbox = tempfile.mkdtemp(prefix="vestibule-it-sandbox-")
        cls.data_dir = os.path.join(cls.sandbox, "data")
        os.mkdir(cls.data_dir)
        try:
            cls.start_and_sign_in()
        except BaseException:
            VestibuleTestCase.tearDownClass.__func__(cls)
            shutil.rmtree(cls.sandbox, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.admin_client.close()
        super().tearDownClass()
        shutil.rmtree(cls.sandbox, ignore_errors=True)

    @classmethod
    def start_and_sign_in(cls):
        cls.server = cls.start_class_server(
            data_dir=cls.data_dir, cwd=cls.sandbox,
            config="[storage]\nmax_upload_bytes = %d\n" % MAX_UPLOAD)
        cls.admin_client = Client(cls.server.port)
        cls.admin_client.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        cls.root = cls.admin_client.personal_root()

    def setUp(self):
        super().setUp()
        if not self.server.healthy():
            # An earlier test crashed the server (that test failed); restart it on the same
            # data so that the following tests still say something on their own.
            code = self.server.kill()
            sys.stderr.write("\nthe server had died (exit %s); restarting it for %s\n"
                             % (code, self.id()))
            self.admin_client.close()
            type(self).start_and_sign_in()
        self._clients.append(self.admin_client)
        self.admin_client.missing_request_id.clear()

    def tearDown(self):
        if not self._failed():
            self.assertHealthy()
        super().tearDown()

    # -- helpers ----------------------------------------------------------------------------

    def assertHealthy(self):
        c = Client(self.server.port, timeout=10)
        try:
            r = c.get("/healthz")
        except OSError as e:
            self.fail("the server no longer answers /healthz: %r" % e)
        finally:
            c.close()
        self.assertStatus(r, 200)

    def raw(self, data, timeout=15):
        try:
            resp, sock = raw_exchange(self.server.port, data, timeout=timeout)
        except socket.timeout:
            self.fail("no answer within %d s to %r" % (timeout, data[:120]))
        self.addCleanup(sock.close)
        self.assertTrue(resp.headers.get("X-Request-Id"), "no X-Request-Id\n" + resp.describe())
        return resp, sock

    def assertConnectionCloses(self, sock, timeout=10):
        """After an answer to a request the server cannot recover from, it closes the
        connection rather than leaving it hanging."""
        sock.settimeout(timeout)
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    return
        except ConnectionResetError:
            return
        except socket.timeout:
            self.fail("the connection stayed open %d s after the error answer" % timeout)

    def host(self):
        return b"Host: 127.0.0.1:%d\r\n" % self.server.port

    def assertNothingOutsideDataDir(self):
        self.assertEqual(sorted(os.listdir(self.sandbox)), ["data"],
                         "something was written next to the data folder")
        for base, dirs, files in os.walk(self.sandbox):
            for n in dirs + files:
                self.assertNotIn("vestibule-escape", n, os.path.join(base, n))
        parent = os.path.dirname(self.sandbox)
        self.assertFalse(os.path.exists(os.path.join(parent, "vestibule-escape")))

    def root_names(self):
        return [i["name"] for i in self.admin_client.children(self.root)]

    # -- HTTP limits ------------------------------------------------------------------------

    def test_request_line_over_8_kib_is_414(self):
        line = b"GET /api/v1/" + b"a" * (9 * 1024) + b" HTTP/1.1\r\n"
        resp, sock = self.raw(line + self.host() + b"\r\n")
        self.assertStatus(resp, 414, "uri_too_long")
        self.assertConnectionCloses(sock)

    def test_request_line_of_7_kib_is_served(self):
        line = b"GET /healthz?pad=" + b"a" * (7 * 1024) + b" HTTP/1.1\r\n"
        resp, _ = self.raw(line + self.host() + b"Connection: close\r\n\r\n")
        self.assertStatus(resp, 200)

    def test_one_header_of_20_kib_is_431(self):
        resp, sock = self.raw(b"GET /healthz HTTP/1.1\r\n" + self.host() +
                              b"X-Big: " + b"a" * (20 * 1024) + b"\r\n\r\n")
        self.assertStatus(resp, 431, "header_too_large")
        self.assertConnectionCloses(sock)

    def test_101_header_fields_are_refused(self):
        fields = b"".join(b"X-Field-%d: v\r\n" % i for i in range(101))
        resp, sock = self.raw(b"GET /healthz HTTP/1.1\r\n" + self.host() + fields + b"\r\n")
        self.assertStatus(resp, (431, 400))
        self.assertError(resp, "header_too_large" if resp.status == 431 else "bad_request")
        self.assertConnectionCloses(sock)

    def test_garbage_request_line_is_400(self):
        for garbage in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/1.1 extra\r\n\r\n",
                        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"):
            with self.subTest(request=garbage):
                resp, sock = self.raw(garbage)
                self.assertStatus(resp, 400, "bad_request")
                self.assertConnectionCloses(sock)
                self.assertHealthy()

    def test_conflicting_content_length_and_transfer_encoding_is_400(self):
        resp, sock = self.raw(b"POST /api/v1/session HTTP/1.1\r\n" + self.host() +
                              b"Content-Type: application/json\r\nContent-Length: 4\r\n"
                              b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        self.assertStatus(resp, 400)
        self.assertConnectionCloses(sock)

    # -- routes and methods -----------------------------------------------------------------

    def test_unknown_route_is_404_json(self):
        for path in ("/api/v1/no-such-thing", "/api/v1/items/1/no-such-thing",
                     "/api/v1/spaces/1/no-such-thing"):
            with self.subTest(path=path):
                r = self.admin_client.get(path)
                self.assertStatus(r, 404, "not_found")

    def test_wrong_method_is_405_with_allow(self):
        for method, path, allowed in (("PUT", "/api/v1/me", "GET"),
                                      ("POST", "/api/v1/spaces", "GET"),
                                      ("PATCH", "/api/v1/session", "POST"),
                                      ("POST", "/api/v1/items/%d/content" % self.root, "GET")):
            with self.subTest(method=method, path=path):
                r = self.admin_client.request(method, path, json={})
                self.assertStatus(r, 405, "method_not_allowed")
                allow = [m.strip().upper() for m in r.headers.get("Allow", "").split(",")]
                self.assertIn(allowed, allow, r.describe())
                self.assertNotIn(method, allow, r.describe())

    # -- JSON bodies ------------------------------------------------------------------------

    def assertInvalidArgument(self, method, path, raw_body, client=None):
        r = (client or self.admin_client).request(method, path, json=raw_body)
        self.assertStatus(r, 400, "invalid_argument")
        return r

    def test_bad_json_bodies_are_invalid_argument(self):
        children = "/api/v1/items/%d/children" % self.root
        cases = {
            children: [b"", b"{not json", b'{"name":"x","kind":"folder"', b"[]",
                       b'["name","x"]', b'"name"', b"42", b"null",
                       b'{"kind":"folder"}', b'{"name":5,"kind":"folder"}',
                       b'{"name":"x","kind":7}', b'{"name":"x","kind":"socket"}',
                       b'{"name":null,"kind":"folder"}', b'{"name":["x"],"kind":"folder"}',
                       b'\xff\xfe{"name":"x"}'],
            "/api/v1/admin/users": [b"{", b"[]", b'{"email":"a@example.org"}',
                                    b'{"email":5,"password":"Long-enough-passw0rd",'
                                    b'"display_name":"A","role":"user"}',
                                    b'{"email":"a@example.org","password":"Long-enough-passw0rd",'
                                    b'"display_name":"A","role":"superuser"}',
                                    b'{"email":"not-an-address","password":"Long-enough-pass",'
                                    b'"display_name":"A","role":"user"}'],
            "/api/v1/admin/spaces": [b"{", b"[]", b"{}", b'{"name":1}'],
        }
        for path, bodies in cases.items():
            for body in bodies:
                with self.subTest(path=path, body=body):
                    self.assertInvalidArgument("POST", path, body)
        item = self.admin_client.upload(self.root, "json-target.txt", b"x").json()
        for body in (b"[]", b"{", b'{"name":5}', b'{"parent_id":"one"}'):
            with self.subTest(path="PATCH item", body=body):
                self.assertInvalidArgument("PATCH", "/api/v1/items/%d" % item["id"], body)
        self.assertEqual(self.admin_client.get("/api/v1/items/%d" % item["id"]).json()["name"],
                         "json-target.txt")
        self.assertNotIn("x", self.root_names())

    def test_bad_sign_in_bodies_are_invalid_argument(self):
        c = Client(self.server.port)
        self._clients.append(c)
        self.addCleanup(c.close)
        for body in (b"", b"{", b"[]", b'{"email":"%s"}' % ADMIN_EMAIL.encode(),
                     b'{"password":"x"}', b'{"email":1,"password":"x"}',
                     b'{"email":"%s","password":null}' % ADMIN_EMAIL.encode()):
            with self.subTest(body=body):
                self.assertInvalidArgument("POST", "/api/v1/session", body, client=c)
                self.assertIsNone(c.session)

    # -- names ------------------------------------------------------------------------------

    def test_bad_names_in_folder_creation(self):
        for label, name in BAD_NAMES.items():
            with self.subTest(name=label):
                r = self.admin_client.post("/api/v1/items/%d/children" % self.root,
                                           json={"name": name, "kind": "folder"})
                self.assertStatus(r, 400, "invalid_argument")
                self.assertHealthy()
        names = self.root_names()
        for name in BAD_NAMES.values():
            self.assertNotIn(name, names)
        self.assertNothingOutsideDataDir()

    def test_bad_names_in_upload(self):
        for label, name in BAD_NAMES.items():
            with self.subTest(name=label):
                r = self.admin_client.upload(self.root, name, b"ESCAPE-MARKER")
                if name == "":
                    # ".../files/" has no name segment: no route, or a refused name.
                    self.assertStatus(r, (400, 404, 405))
                else:
                    self.assertStatus(r, 400, "invalid_argument")
                self.assertHealthy()
        for label, segment in BAD_RAW_SEGMENTS.items():
            with self.subTest(segment=label):
                r = self.admin_client.put("/api/v1/items/%d/files/%s" % (self.root, segment),
                                          body=b"ESCAPE-MARKER",
                                          headers={"Content-Type": "application/octet-stream"})
                self.assertStatus(r, 400, "invalid_argument")
                self.assertHealthy()
        names = self.root_names()
        for name in BAD_NAMES.values():
            self.assertNotIn(name, names)
        self.assertFalse([n for n in names if "vestibule-escape" in n or n in ("..", "b")],
                         names)
        self.assertNothingOutsideDataDir()

    def test_bad_names_in_rename(self):
        item = self.admin_client.upload(self.root, "rename-target.txt", b"x").json()
        for label in ("dotdot", "slash", "traversal", "backslash", "nul", "newline", "empty",
                      "too_long", "device_con"):
            with self.subTest(name=label):
                r = self.admin_client.patch("/api/v1/items/%d" % item["id"],
                                            json={"name": BAD_NAMES[label]})
                self.assertStatus(r, 400, "invalid_argument")
        got = self.admin_client.get("/api/v1/items/%d" % item["id"]).json()
        self.assertEqual(got["name"], "rename-target.txt")
        self.assertNothingOutsideDataDir()

    def test_names_at_the_limit_are_accepted(self):
        for name in ("y" * 255, "é" * 127 + "y", "Résumé (final) #2 [x] 100%.txt", "..hidden",
                     ".profile", "con-tract.txt"):
            with self.subTest(name=name):
                r = self.admin_client.upload(self.root, name, b"ok")
                self.assertStatus(r, 201)
                self.assertEqual(r.json()["name"], name)
        names = self.root_names()
        self.assertIn("y" * 255, names)

    # -- body limits ------------------------------------------------------------------------

    def upload_head(self, name, length, extra=b""):
        return (b"PUT /api/v1/items/%d/files/%s HTTP/1.1\r\n" % (self.root, name.encode()) +
                self.host() +
                b"Cookie: vestibule_session=%s\r\n" % self.admin_client.session.encode() +
                b"Content-Type: application/octet-stream\r\n" + extra +
                b"Content-Length: %d\r\n\r\n" % length)

    def tmp_files(self):
        tmp = self.server.tmp_dir
        return os.listdir(tmp) if os.path.isdir(tmp) else []

    def test_body_over_the_limit_is_413_before_it_is_sent(self):
        for length in (2 * MiB, MAX_UPLOAD + 1):
            with self.subTest(length=length):
                # Headers only: the answer must come without the body ever being sent.
                resp, sock = self.raw(self.upload_head("too-big-%d.bin" % length, length),
                                      timeout=10)
                self.assertStatus(resp, 413, "payload_too_large")
                self.assertConnectionCloses(sock)
                self.assertNotIn("too-big-%d.bin" % length, self.root_names())
                wait_until(lambda: self.tmp_files() == [], 10, "tmp/ to be empty")
        # The limit itself is allowed.
        data = os.urandom(MAX_UPLOAD)
        r = self.admin_client.upload(self.root, "at-the-limit.bin", data)
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["size"], MAX_UPLOAD)
        self.assertEqual(self.admin_client.content(r.json()["id"]).body, data)

    def test_expect_100_continue_over_the_limit_is_413(self):
        resp, sock = self.raw(self.upload_head("expect.bin", 2 * MiB,
                                               extra=b"Expect: 100-continue\r\n"), timeout=10)
        self.assertStatus(resp, 413, "payload_too_large")
        self.assertNotIn("expect.bin", self.root_names())

    def test_chunked_body_over_the_limit_is_refused(self):
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=15)
        self.addCleanup(sock.close)
        head = (b"PUT /api/v1/items/%d/files/chunked-too-big.bin HTTP/1.1\r\n" % self.root +
                self.host() +
                b"Cookie: vestibule_session=%s\r\n" % self.admin_client.session.encode() +
                b"Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n" % 65536 + os.urandom(65536) + b"\r\n"
        sent = 0
        try:
            sock.sendall(head)
            while sent < 3 * MiB:
                sock.sendall(chunk)
                sent += 65536
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass  # the server stopped reading: fine
        try:
            resp = http.client.HTTPResponse(sock, method="PUT")
            resp.begin()
            status = resp.status
            body = resp.read()
        except (ConnectionResetError, http.client.RemoteDisconnected):
            status, body = None, b""  # cut off without an answer is acceptable too
        if status is not None:
            self.assertEqual(status, 413, body[:300])
            self.assertEqual(json.loads(body)["error"]["code"], "payload_too_large")
        self.assertConnectionCloses(sock)
        self.assertHealthy()
        self.assertNotIn("chunked-too-big.bin", self.root_names())
        wait_until(lambda: self.tmp_files() == [], 10, "tmp/ to be empty")


if __name__ == "__main__":
    unittest.main()
