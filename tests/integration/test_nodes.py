"""Several servers on one database, as the nodes of a cluster are: each runs on the same data
folder, so on the same database (the SQLite file, or with VESTIBULE_TEST_BACKEND=postgres the
PostgreSQL database the folder was given), and each runs its own outbox worker.

- every mail is sent exactly once although three nodes' workers take queued mail at the same
  time: a worker claims what it sends (domain/outbox.hpp, claim_due);
- a revoke made through one node is refused on another at the next request
  (test_fresh_state.py, test_a_revoke_through_another_server_on_the_same_database).

SPEC §6 (a cluster's nodes share nothing but the database and the blob store).
"""

import collections
import threading
import unittest

from test_external import ExternalCase, smtp_env, unique


class NodesTest(ExternalCase):

    def test_each_mail_is_sent_once_while_every_node_runs_the_outbox(self):
        nodes = [self.server] + [
            self.start_server(data_dir=self.server.data_dir, extra_args=["--test-clock"],
                              env=smtp_env(self.sink.port)) for _ in range(2)]
        admins = [self.admin_c] + [self.admin(n) for n in nodes[1:]]
        per_node = 8
        errors = []

        def share_on(i):
            try:
                c = admins[i]
                item = c.upload(self.root, unique("node%d" % i) + ".txt", b"for everyone\n")
                recipients = ["r%d-%d@partner.example" % (i, k) for k in range(per_node)]
                r = c.post("/api/v1/items/%d/links" % item.json()["id"],
                           json={"kind": "specific", "recipients": recipients})
                if r.status != 201:
                    errors.append(r.describe())
            except Exception as e:  # reported below, in the test's thread
                errors.append(repr(e))

        # The three nodes queue their invitations at the same moment, so that every worker
        # wakes with the others' mail queued as well.
        threads = [threading.Thread(target=share_on, args=(i,)) for i in range(len(nodes))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        total = per_node * len(nodes)
        self.sink.wait_for(total, timeout=60)
        # A stopped node has finished whatever its worker was sending: every copy there is to
        # be is in the sink now.
        for node in nodes:
            node.stop()
        ids = collections.Counter(m.message_id for m in self.sink.messages)
        self.assertEqual([i for i, n in ids.items() if n > 1], [], "sent more than once")
        self.assertEqual(len(self.sink.messages), total)


if __name__ == "__main__":
    unittest.main()
