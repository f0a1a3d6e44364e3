"""Two servers on one database (two nodes) share one budget of guesses: the sign-in and
link-password throttles count failures in the database, so wrong passwords spread over both nodes
are throttled at the same total count as on one node, and a node whose own count is low still
makes a guessing client wait.

Both nodes run on one data folder, so on one database: the SQLite file (ctest
integration.test_throttle_nodes) or the PostgreSQL database the folder was given (ctest
postgres.test_throttle_nodes, VESTIBULE_TEST_BACKEND=postgres). Their clocks are test clocks that
stand still; the second node starts after the first, so its clock is the later one, and a failure
counted on it blocks the first too whatever the gap between their starts.

SPEC §8 (throttles); issue 12 (throttles counted in the database, so two nodes never double a
budget).
"""

import unittest

from harness import ADMIN_EMAIL, ADMIN_PASSWORD, VestibuleTestCase

ONE_NODE = "198.51.100.10"
SPREAD = "198.51.100.20"
REAL_ADA = "203.0.113.7"
ARGS = ["--test-clock", "--set", "http.trusted_proxies=127.0.0.1, ::1"]


class TwoNodesShareOneBudgetTest(VestibuleTestCase):

    def nodes(self, prepare=None):
        """The first node; `prepare(first)` runs before the second starts (so the second has
        no read memo older than what was prepared); then the second node on the same folder."""
        first = self.start_server(extra_args=ARGS)
        prepared = prepare(first) if prepare else None
        second = self.start_server(data_dir=first.data_dir, extra_args=ARGS)
        return first, second, prepared

    def from_client(self, server, address):
        c = self.client(server)
        c.default_headers = {"X-Forwarded-For": "10.9.9.9, " + address}
        return c

    def failures_until_throttled(self, clients, attempt):
        """Tries attempt(client, i) on clients[i % len(clients)] until one answers 429; the
        number of wrong guesses answered 401 before it, and the 429."""
        for i in range(40):
            r = attempt(clients[i % len(clients)], i)
            if r.status == 429:
                self.assertGreater(int(r.headers.get("Retry-After")), 0, r.describe())
                return i, r
            self.assertEqual(r.status, 401, r.describe())
        self.fail("40 wrong guesses and no 429")

    def test_wrong_sign_ins_spread_over_two_nodes_are_throttled_as_on_one(self):
        first, second, _ = self.nodes()

        def sign_in(client, password):
            return client.post("/api/v1/session",
                               json={"email": ADMIN_EMAIL, "password": password},
                               headers=client.default_headers)

        def wrong(client, i):
            return sign_in(client, "wrong password %d" % i)

        alone, _ = self.failures_until_throttled([self.from_client(first, ONE_NODE)], wrong)
        spread_clients = [self.from_client(first, SPREAD), self.from_client(second, SPREAD)]
        spread, _ = self.failures_until_throttled(spread_clients, wrong)
        self.assertEqual(spread, alone)
        self.assertEqual(alone, 6)  # five free failures, then one that starts the wait
        # The guessing client waits on both nodes, even with the right password...
        for client in spread_clients:
            self.assertEqual(sign_in(client, ADMIN_PASSWORD).status, 429)
        # ...and the real person signs in on either.
        for server in (first, second):
            r = sign_in(self.from_client(server, REAL_ADA), ADMIN_PASSWORD)
            self.assertEqual(r.status, 200, r.describe())

    def test_wrong_link_passwords_spread_over_two_nodes_are_throttled_as_on_one(self):
        def share(first):
            admin = self.admin(first)
            self.assertStatus(admin.patch("/api/v1/admin/settings",
                                          json={"external_sharing": "anyone"}), 200)
            item = admin.upload(admin.personal_root(), "plan.txt", b"the plan").json()
            r = admin.post("/api/v1/items/%d/links" % item["id"], json={
                "kind": "anyone", "role": "view", "password": "correct horse battery"})
            self.assertStatus(r, 201)
            return r.json()["token"]

        first, second, token = self.nodes(share)
        path = "/api/v1/shares/%s/password" % token

        def prove(client, password):
            return client.post(path, json={"password": password}, headers=client.default_headers)

        def wrong(client, i):
            return prove(client, "wrong %d" % i)

        alone, _ = self.failures_until_throttled([self.from_client(first, ONE_NODE)], wrong)
        spread_clients = [self.from_client(first, SPREAD), self.from_client(second, SPREAD)]
        spread, _ = self.failures_until_throttled(spread_clients, wrong)
        self.assertEqual(spread, alone)
        self.assertEqual(alone, 6)
        for client in spread_clients:
            self.assertEqual(prove(client, "correct horse battery").status, 429)
        for server in (first, second):
            visitor = self.from_client(server, REAL_ADA)
            r = prove(visitor, "correct horse battery")
            self.assertEqual(r.status, 200, r.describe())
            content = visitor.get("/api/v1/shares/%s/content" % token,
                                  headers=visitor.default_headers)
            self.assertEqual(content.body, b"the plan")


if __name__ == "__main__":
    unittest.main()
