"""Mutated requests over real TCP connections to the running server (SECURITY-CHECKLIST F33).

The libFuzzer target drives the request parser through the server's own steps, but not the
coroutine server's I/O. Here the seeds of that target (`fuzz/corpus/http_request/`, less their two
control bytes) and a few signed-in requests (listing, upload, rename, JSON body, Range) are
mutated — bytes flipped, tokens from the target's dictionary inserted, slices deleted, lines
doubled, cut short, the Host made the server's own half of the time — and sent on fresh
connections in pieces of random size, then the write side is shut. Every answer must be a
well-formed HTTP/1.x status line below 500, and the server must answer or close within the read
timeout, never hang; after the run it is healthy, a normal request still works and the database
passes its integrity check. VESTIBULE_WIRE_SEED replays a run.
"""

import os
import random
import re
import socket
import sys
import unittest

from harness import HERE, VestibuleTestCase, integrity_check

ROUNDS = 5000
CORPUS = os.path.join(HERE, "..", "..", "fuzz", "corpus", "http_request")
DICTIONARY = os.path.join(HERE, "..", "..", "fuzz", "http_request.dict")
STATUS = re.compile(rb"HTTP/1\.[01] (\d{3}) ")


def dictionary_tokens():
    tokens = []
    with open(DICTIONARY, "rb") as f:
        for line in f:
            line = line.strip()
            if line.startswith(b'"') and line.endswith(b'"'):
                tokens.append(line[1:-1].decode("unicode_escape").encode("latin-1"))
    return tokens + [b"\r\n", b"\r\n\r\n", b":", b" ", b"\x00", b"\xff", b"0\r\n\r\n",
                     b"Transfer-Encoding: chunked\r\n", b"Content-Length: 18446744073709551616\r\n",
                     b"Range: bytes=5-1,0-\r\n", b"Expect: 100-continue\r\n", b"%2e%2e%2f"]


def mutate(rng, seed, tokens, host):
    data = bytearray(seed)
    if rng.random() < 0.5:
        data = bytearray(re.sub(rb"(?im)^host:[^\r\n]*", b"Host: " + host, bytes(data)))
    for _ in range(rng.randrange(0, 6)):
        kind = rng.randrange(6)
        at = rng.randrange(len(data) + 1)
        if kind == 0 and data:
            data[min(at, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif kind == 1:
            data[at:at] = rng.choice(tokens)
        elif kind == 2 and data:
            del data[at:at + rng.randrange(1, 16)]
        elif kind == 3:
            lines = bytes(data).split(b"\r\n")
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            data = bytearray(b"\r\n".join(lines))
        elif kind == 4:
            del data[at:]
        else:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
    return bytes(data)


class WireFuzzTest(VestibuleTestCase):

    def exchange(self, port, data, rng):
        """Sends `data` in random pieces, shuts the write side, returns all bytes answered."""
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            at = 0
            try:
                while at < len(data):
                    n = rng.randrange(1, max(2, len(data) - at + 1))
                    sock.sendall(data[at:at + n])
                    at += n
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # answered and closed (or reset) before taking everything
            answer = b""
            while True:
                try:
                    block = sock.recv(65536)
                except ConnectionResetError:
                    break
                except socket.timeout:
                    self.fail("the server neither answered nor closed within 10 s: %r" % data)
                if not block:
                    break
                answer += block
            return answer
        finally:
            sock.close()

    def test_mutated_requests_get_well_formed_answers_below_500(self):
        seed = int(os.environ.get("VESTIBULE_WIRE_SEED") or random.SystemRandom().randrange(1 << 30))
        sys.stderr.write("\nwire fuzz seed: VESTIBULE_WIRE_SEED=%d\n" % seed)
        rng = random.Random(seed)
        server = self.start_server()
        admin = self.admin(server)
        root = admin.personal_root()
        item = admin.upload(root, "target.txt", b"0123456789").json()
        host = b"127.0.0.1:%d" % server.port
        cookie = b"Cookie: vestibule_session=" + admin.session.encode() + b"\r\n"
        seeds = []
        for name in sorted(os.listdir(CORPUS)):
            with open(os.path.join(CORPUS, name), "rb") as f:
                seeds.append(f.read()[2:])
        signed_in = [
            b"GET /api/v1/items/%d/children HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (root, host, cookie),
            b"GET /api/v1/items/%d/content HTTP/1.1\r\nHost: %s\r\n%sRange: bytes=2-5\r\n\r\n"
            % (item["id"], host, cookie),
            b"PUT /api/v1/items/%d/files/up.txt HTTP/1.1\r\nHost: %s\r\n%sContent-Length: 5\r\n"
            b"\r\nhello" % (root, host, cookie),
            b"PATCH /api/v1/items/%d HTTP/1.1\r\nHost: %s\r\n%sContent-Type: application/json\r\n"
            b"Content-Length: 17\r\n\r\n{\"name\":\"b.txt\"}" % (item["id"], host, cookie),
            b"POST /api/v1/items/%d/children HTTP/1.1\r\nHost: %s\r\n%sTransfer-Encoding: chunked"
            b"\r\n\r\n10\r\n{\"name\":\"dir1\"}\r\n0\r\n\r\n" % (root, host, cookie),
        ]
        seeds += signed_in
        tokens = dictionary_tokens()
        answered = 0
        statuses = {}
        for i in range(ROUNDS):
            data = mutate(rng, rng.choice(seeds), tokens, host)
            answer = self.exchange(server.port, data, rng)
            if not answer:
                continue  # closed without a word: allowed for input it cannot frame
            answered += 1
            found = STATUS.findall(answer)
            self.assertTrue(STATUS.match(answer) is not None,
                            "round %d (seed %d): not an HTTP answer to %r: %r"
                            % (i, seed, data[:200], answer[:200]))
            for code in found:
                statuses[int(code)] = statuses.get(int(code), 0) + 1
                self.assertLess(int(code), 500, "round %d (seed %d): %r answered %r"
                                % (i, seed, data[:300], answer[:300]))
        sys.stderr.write("wire fuzz: %d rounds, %d answered, statuses %r\n"
                         % (ROUNDS, answered, sorted(statuses.items())))
        self.assertGreater(answered, ROUNDS // 2)
        self.assertTrue(server.healthy())
        self.assertEqual(admin.get("/api/v1/items/%d/children" % root).status, 200)
        self.assertEqual(integrity_check(server.db_path), ["ok"])


if __name__ == "__main__":
    unittest.main()
