"""Throttles slow guessing without locking people out: failed sign-ins and wrong link passwords
count per (account or link, client), so a client with no failures still gets in with the right
password while a guessing client waits; behind a reverse proxy listed in http.trusted_proxies the
client is the one X-Forwarded-For names, and from anyone else that header is ignored.

Each test starts its own server on 127.0.0.1; the clients differ only by X-Forwarded-For.
"""

import threading
import unittest

from harness import ADMIN_EMAIL, ADMIN_PASSWORD, Client, VestibuleTestCase

ATTACKER = "198.51.100.66"
REAL_ADA = "203.0.113.7"


class ThrottleCase(VestibuleTestCase):

    def serve(self, trusted=True):
        args = ["--test-clock"]
        if trusted:
            args += ["--set", "http.trusted_proxies=127.0.0.1, ::1"]
        self.server = self.start_server(extra_args=args)
        return self.server

    def from_client(self, address):
        c = self.client(self.server)
        c.default_headers = {"X-Forwarded-For": "10.9.9.9, " + address}
        return c

    def sign_in(self, client, password):
        return client.post("/api/v1/session", json={"email": ADMIN_EMAIL, "password": password},
                           headers=client.default_headers)

    def guess_until_throttled(self, attempt):
        for i in range(40):
            r = attempt(i)
            if r.status == 429:
                return r
            self.assertEqual(r.status, 401, r.describe())
        self.fail("40 wrong guesses and no 429")


class SignInThrottleTest(ThrottleCase):

    def test_a_guessing_client_never_locks_the_real_person_out(self):
        self.serve()
        attacker = self.from_client(ATTACKER)
        throttled = self.guess_until_throttled(
            lambda i: self.sign_in(attacker, "wrong password %d" % i))
        self.assertGreater(int(throttled.headers.get("Retry-After")), 0)
        # The guessing client waits even with the right password...
        self.assertEqual(self.sign_in(attacker, ADMIN_PASSWORD).status, 429)
        # ...and the real person, from another client, signs in at once.
        ada = self.from_client(REAL_ADA)
        r = self.sign_in(ada, ADMIN_PASSWORD)
        self.assertEqual(r.status, 200, r.describe())

    def test_a_spray_from_many_clients_holds_back_only_the_clients_that_failed(self):
        self.serve()
        for i in range(25):  # one wrong guess from each of 25 addresses
            r = self.sign_in(self.from_client("198.51.100.%d" % i), "wrong password")
            self.assertEqual(r.status, 401, r.describe())
        self.assertEqual(self.sign_in(self.from_client("198.51.100.3"), ADMIN_PASSWORD).status,
                         429)
        self.assertEqual(self.sign_in(self.from_client(REAL_ADA), ADMIN_PASSWORD).status, 200)

    def test_without_trusted_proxies_the_header_is_not_believed(self):
        self.serve(trusted=False)
        attacker = self.from_client(ATTACKER)
        self.guess_until_throttled(lambda i: self.sign_in(attacker, "wrong password %d" % i))
        # Every client is 127.0.0.1 here: a forged X-Forwarded-For does not escape the wait.
        self.assertEqual(self.sign_in(self.from_client(REAL_ADA), ADMIN_PASSWORD).status, 429)


class LinkPasswordThrottleTest(ThrottleCase):

    def test_wrong_passwords_from_one_client_do_not_lock_the_link_for_others(self):
        self.serve()
        admin = self.client(self.server, sign_in=ADMIN_EMAIL, password=ADMIN_PASSWORD)
        r = admin.patch("/api/v1/admin/settings", json={"external_sharing": "anyone"})
        self.assertEqual(r.status, 200, r.describe())
        item = admin.upload(admin.personal_root(), "plan.txt", b"the plan").json()
        link = admin.post("/api/v1/items/%d/links" % item["id"], json={
            "kind": "anyone", "role": "view", "password": "correct horse battery"}).json()
        path = "/api/v1/shares/%s/password" % link["token"]

        attacker = self.from_client(ATTACKER)
        self.guess_until_throttled(lambda i: attacker.post(
            path, json={"password": "wrong %d" % i}, headers=attacker.default_headers))
        r = attacker.post(path, json={"password": "correct horse battery"},
                          headers=attacker.default_headers)
        self.assertEqual(r.status, 429, r.describe())

        visitor = self.from_client(REAL_ADA)
        r = visitor.post(path, json={"password": "correct horse battery"},
                         headers=visitor.default_headers)
        self.assertEqual(r.status, 200, r.describe())
        content = visitor.get("/api/v1/shares/%s/content" % link["token"],
                              headers=visitor.default_headers)
        self.assertEqual(content.body, b"the plan")


class PasswordHashingPoolTest(VestibuleTestCase):
    """Password hashing runs on a bounded pool off the event loops: under a burst of 200
    concurrent sign-ins /healthz still answers while they run, the pool's overflow is turned away
    at once with 503 + Retry-After, and everyone else signs in."""

    def test_a_burst_of_sign_ins_never_stalls_the_server(self):
        server = self.start_server()
        statuses = []
        lock = threading.Lock()
        started = threading.Barrier(201)

        def sign_in():
            c = Client(server.port)
            try:
                started.wait(60)
                r = c.post("/api/v1/session",
                           json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
                with lock:
                    statuses.append((r.status, r.headers.get("Retry-After")))
            finally:
                c.close()

        threads = [threading.Thread(target=sign_in) for _ in range(200)]
        for t in threads:
            t.start()
        started.wait(60)
        probe = Client(server.port)
        r = probe.get("/healthz")
        with lock:
            finished_when_healthy = len(statuses)
        probe.close()
        for t in threads:
            t.join(300)
        self.assertEqual(r.status, 200)
        self.assertEqual(len(statuses), 200)
        # /healthz answered while sign-ins were still being hashed.
        self.assertLess(finished_when_healthy, 200)
        ok = [s for s in statuses if s[0] == 200]
        busy = [s for s in statuses if s[0] == 503]
        self.assertEqual(len(ok) + len(busy), 200, statuses)
        self.assertGreater(len(ok), 0)
        self.assertGreater(len(busy), 0, "200 at once and none beyond the pool's bound")
        self.assertTrue(all(retry == "1" for _, retry in busy), busy)


if __name__ == "__main__":
    unittest.main()
