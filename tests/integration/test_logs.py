"""JSON logs are JSON lines a log shipper can read as they are: with log.format = "json" and
http.access_log = "json", every line on stderr is one JSON object, and an access record's fields
(method, path, status, …) are top-level fields, not a string inside another record's "msg".
"""

import json
import unittest

from harness import VestibuleTestCase, wait_until


class JsonLogsTest(VestibuleTestCase):

    def test_access_records_are_json_objects_of_their_own(self):
        server = self.start_server(extra_args=["--set", "log.format=json",
                                               "--set", "http.access_log=json"])
        c = self.client(server)
        self.assertEqual(c.get("/api/v1/me").status, 401)

        def records():
            out = []
            for line in server.output().splitlines():
                tag, _, text = line.partition("] ")
                if tag == "[err" and text.startswith("{"):
                    out.append(json.loads(text))  # each line must parse on its own
            return out

        wait_until(lambda: any(r.get("path") == "/api/v1/me" for r in records()), 10,
                   "the access record of GET /api/v1/me")
        access = [r for r in records() if r.get("path") == "/api/v1/me"]
        self.assertEqual(access[0]["method"], "GET")
        self.assertEqual(access[0]["status"], 401)
        self.assertNotIn("msg", access[0])
        self.assertFalse([r for r in records() if '"path"' in str(r.get("msg", ""))],
                         "an access record wrapped inside another record's msg")
        self.assertTrue([r for r in records() if "msg" in r and "level" in r],
                        "the server's own log lines are JSON records too")


if __name__ == "__main__":
    unittest.main()
