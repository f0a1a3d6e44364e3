"""JSON logs are JSON lines a log shipper can read as they are: with log.format = "json" and
http.access_log = "json", every line on stderr is one JSON object, and an access record's fields
(method, path, status, …) are top-level fields, not a string inside another record's "msg".
A forwarded specific link's refusals are in the access log, with the link's token redacted
(SECURITY-CHECKLIST C22, C27).
"""

import hashlib
import json
import unittest

from harness import VestibuleTestCase, wait_until
from smtp_sink import SmtpSink, code_of, share_urls_of


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


def json_records(server):
    """Every JSON line of the server's output (stdout and stderr), parsed."""
    out = []
    for line in server.output().splitlines():
        _, _, text = line.partition("] ")
        if text.startswith("{"):
            out.append(json.loads(text))
    return out


class ForwardedLinkLogTest(VestibuleTestCase):

    def test_a_forwarded_specific_links_refusals_are_logged_with_the_token_redacted(self):
        sink = SmtpSink()
        self.addCleanup(sink.close)
        server = self.start_server(
            extra_args=["--set", "log.format=json", "--set", "http.access_log=json"],
            env={"VESTIBULE_SMTP__HOST": "127.0.0.1", "VESTIBULE_SMTP__PORT": str(sink.port),
                 "VESTIBULE_SMTP__TLS": "none",
                 "VESTIBULE_SMTP__FROM": "Vestibule <no-reply@test.example>"})
        admin = self.admin(server)
        root = admin.personal_root()

        def share(name, address):
            item = admin.upload(root, name, b"shared bytes\n").json()
            r = admin.post("/api/v1/items/%d/links" % item["id"],
                           json={"kind": "specific", "recipients": [address]})
            self.assertEqual(r.status, 201, r.describe())
            return r.json()["token"]

        for_eve = share("for-eve.txt", "eve@partner.example")
        for_fred = share("for-fred.txt", "fred@partner.example")
        # Fred verifies on his own link: a live recipient session for another address.
        fred = self.client(server)
        r = fred.post("/api/v1/shares/%s/verification" % for_fred,
                      json={"email": "fred@partner.example"})
        self.assertEqual(r.status, 202, r.describe())
        [mail] = sink.wait_for(1, to="fred@partner.example", where=lambda m: not share_urls_of(m))
        r = fred.post("/api/v1/shares/%s/verification/confirm" % for_fred,
                      json={"email": "fred@partner.example", "code": code_of(mail)})
        self.assertEqual(r.status, 200, r.describe())
        self.assertEqual(fred.get("/api/v1/shares/%s/content" % for_fred).status, 200)

        # Eve's link, forwarded: to a browser with no session and to Fred's.
        content = "/api/v1/shares/%s/content" % for_eve
        refusals = [self.client(server).get(content), fred.get(content)]
        for r in refusals:
            self.assertIn(r.status, (401, 403), r.describe())
            self.assertNotEqual(r.body, b"shared bytes\n")
        self.assertEqual(refusals[0].status, 401, refusals[0].describe())  # verify first
        self.assertEqual(refusals[1].status, 403, refusals[1].describe())  # not invited

        # Every segment after the marker is logged as `~` and its hash prefix; the route names
        # what was asked for.
        redacted = "/api/v1/shares/" + "/".join("~" + hashlib.sha256(s.encode()).hexdigest()[:8]
                                                for s in (for_eve, "content"))
        ids = {r.headers["X-Request-Id"]: r.status for r in refusals}

        def logged():
            found = {rec.get("request_id"): rec for rec in json_records(server)
                     if rec.get("request_id") in ids and "path" in rec}
            return found if len(found) == len(ids) else None

        records = wait_until(logged, 10, "the access records of the refused requests")
        for request_id, status in ids.items():
            rec = records[request_id]
            self.assertEqual((rec["method"], rec["path"], rec["route"], rec["status"]),
                             ("GET", redacted, "/api/v1/shares/{token}/content", status), rec)
        for token in (for_eve, for_fred):
            self.assertNotIn(token, server.output(), "a raw link token in the server's output")


if __name__ == "__main__":
    unittest.main()
