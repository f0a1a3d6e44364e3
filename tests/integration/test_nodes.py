"""Several servers on one database, as the nodes of a cluster are: each runs on the same data
folder, so on the same database (the SQLite file, or with VESTIBULE_TEST_BACKEND=postgres the
PostgreSQL database the folder was given), and each runs its own outbox worker.

- every mail is sent exactly once although three nodes' workers take queued mail at the same
  time: a worker delivers a message only under its claim (domain/outbox.hpp, claim), a hold the
  database ends with its holder;
- every code request is turned into one code mail, whichever node's worker takes it first;
- a revoke made through one node is refused on another at the next request
  (test_fresh_state.py, test_a_revoke_through_another_server_on_the_same_database).

SPEC §6 (a cluster's nodes share nothing but the database and the blob store).
"""

import collections
import threading
import unittest

from smtp_sink import token_of
from test_external import ClientFrom, ExternalCase, is_code_mail, shares, smtp_env, unique


class NodesTest(ExternalCase):

    def start_nodes(self):
        """This test's server and two more on its data folder, each with its own outbox."""
        return [self.server] + [
            self.start_server(data_dir=self.server.data_dir, extra_args=["--test-clock"],
                              env=smtp_env(self.sink.port)) for _ in range(2)]

    def run_at_once(self, work, count):
        """Runs work(0..count-1) in threads started together; the errors they met."""
        errors = []

        def guarded(i):
            try:
                work(i)
            except Exception as e:  # reported below, in the test's thread
                errors.append(repr(e))
        threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return errors

    def assert_each_sent_once(self, nodes, total):
        self.sink.wait_for(total, timeout=60)
        # A stopped node has finished whatever its worker was sending: every copy there is to
        # be is in the sink now.
        for node in nodes:
            node.stop()
        ids = collections.Counter(m.message_id for m in self.sink.messages)
        self.assertEqual([i for i, n in ids.items() if n > 1], [], "sent more than once")
        self.assertEqual(len(self.sink.messages), total)

    def test_each_mail_is_sent_once_while_every_node_runs_the_outbox(self):
        nodes = self.start_nodes()
        admins = [self.admin_c] + [self.admin(n) for n in nodes[1:]]
        per_node = 8

        def share_on(i):
            c = admins[i]
            item = c.upload(self.root, unique("node%d" % i) + ".txt", b"for everyone\n")
            recipients = ["r%d-%d@partner.example" % (i, k) for k in range(per_node)]
            r = c.post("/api/v1/items/%d/links" % item.json()["id"],
                       json={"kind": "specific", "recipients": recipients})
            if r.status != 201:
                raise AssertionError(r.describe())

        # The three nodes queue their invitations at the same moment, so that every worker
        # wakes with the others' mail queued as well.
        self.assertEqual(self.run_at_once(share_on, len(nodes)), [])
        self.assert_each_sent_once(nodes, per_node * len(nodes))

    def test_each_code_request_becomes_one_code_mail_whichever_node_takes_it(self):
        nodes = self.start_nodes()
        count = 9
        addresses = ["c%d@partner.example" % k for k in range(count)]
        tokens = []
        for address in addresses:
            self.share([address])
            tokens.append(token_of(self.sink.wait_for(1, to=address, timeout=60)[0]))

        def ask(k):
            # Each from a client address of its own, so no per-client budget is reached.
            c = ClientFrom(nodes[k % len(nodes)].port, "127.0.0.%d" % (20 + k))
            try:
                r = c.post(shares(tokens[k], "/verification"), json={"email": addresses[k]})
                if r.status != 202:
                    raise AssertionError(r.describe())
            finally:
                c.close()

        self.assertEqual(self.run_at_once(ask, count), [])
        self.assert_each_sent_once(nodes, 2 * count)
        for address in addresses:
            codes = [m for m in self.sink.messages_to(address) if is_code_mail(m)]
            self.assertEqual(len(codes), 1, address)


if __name__ == "__main__":
    unittest.main()
