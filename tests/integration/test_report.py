"""The external-sharing report over real HTTP, and the same rows from the command line.

GET /api/v1/admin/reports/external-sharing lists one row per way an item is reachable from
outside: each anyone link and each external recipient of a specific link, with the recipient's
directory state; JSON by default, CSV with ?format=csv, both streamed with chunked transfer
encoding. Each test starts its own server with --test-clock. Assertions are on statuses, error
codes and fields, never on message wording.

SPEC §4 ("See"), §5 (the report's row of the REST contract, the `report` command).
"""

import csv
import io
import itertools
import json as jsonlib
import os
import re
import socket
import unittest
import urllib.parse

from harness import ADMIN_EMAIL, VestibuleTestCase, quote_name, run_cli

REPORT = "/api/v1/admin/reports/external-sharing"
EVE = "eve@partner.example"
ZED = "zed@eu.partner.example"
MALLORY = "mallory@elsewhere.example"
FORMULA_NAME = '=HYPERLINK("evil.example","open"),q.txt'
FORMULA_DISPLAY_NAME = "@SUM(1+1)*cmd|' /C calc'!A0"

COLUMNS = ["item_id", "item_name", "item_kind", "item_path", "space_id", "space_name",
           "shared_by_name", "shared_by_email", "link_id", "kind", "role", "block_download",
           "has_password", "created_at", "expires_at", "recipient", "recipient_state",
           "first_used_at", "last_used_at", "status"]

_counter = itertools.count(1)


def unique(prefix):
    return "%s-%d-%d" % (prefix, os.getpid(), next(_counter))


def report_path(**params):
    return REPORT + ("?" + urllib.parse.urlencode(params) if params else "")


def raw_get(port, path, cookies):
    """One GET over a fresh socket; returns (head text, raw body bytes as sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        cookie = "; ".join("%s=%s" % kv for kv in cookies.items())
        sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nCookie: %s\r\n"
                      "Connection: close\r\n\r\n" % (path, port, cookie)).encode())
        data = b""
        while True:
            got = sock.recv(65536)
            if not got:
                break
            data += got
    finally:
        sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def dechunk(body):
    """The chunks of a chunked body; fails unless it ends with the last chunk."""
    chunks = []
    while True:
        size_line, sep, rest = body.partition(b"\r\n")
        if not sep:
            raise AssertionError("a chunked body cut short: %r" % body[:80])
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            if rest != b"\r\n":
                raise AssertionError("bytes after the last chunk: %r" % rest[:80])
            return chunks
        chunks.append(rest[:size])
        if rest[size:size + 2] != b"\r\n":
            raise AssertionError("a chunk not followed by CRLF")
        body = rest[size + 2:]


class ReportCase(VestibuleTestCase):
    """A server that allows anyone links, a member Ada who shares from her personal space, and a
    signed-in admin."""

    def setUp(self):
        super().setUp()
        self.server = self.start_server(extra_args=["--test-clock"])
        self.admin_c = self.admin(self.server)
        r = self.admin_c.patch("/api/v1/admin/settings", json={"external_sharing": "anyone"})
        self.assertStatus(r, 200)
        self.ada_email = "%s@example.org" % unique("ada")
        self.ada, self.ada_id = self.member(self.ada_email, FORMULA_DISPLAY_NAME)
        root = self.ada.personal_root()
        self.reports = self.ada.mkdir(root, "Reports")
        self.q3 = self.upload(self.reports["id"], "q3.pdf")

    def member(self, email, display_name):
        password = "Member-passw0rd-%s" % unique("pw")
        r = self.admin_c.post("/api/v1/admin/users",
                              json={"email": email, "password": password,
                                    "display_name": display_name, "role": "user"})
        self.assertStatus(r, 201)
        return self.client(self.server, sign_in=email, password=password), r.json()["id"]

    def upload(self, folder_id, name, client=None):
        r = (client or self.ada).upload(folder_id, name, b"figures")
        self.assertStatus(r, 201)
        return r.json()

    def link(self, item_id, client=None, **body):
        r = (client or self.ada).post("/api/v1/items/%d/links" % item_id, json=body)
        self.assertStatus(r, 201)
        return r.json()

    def identity(self, address, state):
        r = self.admin_c.patch("/api/v1/admin/external-identities/%s" % quote_name(address),
                               json={"state": state})
        self.assertStatus(r, 200)

    def rows(self, **params):
        r = self.admin_c.get(report_path(**params))
        self.assertStatus(r, 200)
        self.assertEqual(r.headers.get("Content-Type"), "application/json", r.describe())
        self.assertEqual(r.headers.get("Cache-Control"), "no-store", r.describe())
        doc = r.json()
        self.assertEqual(list(doc), ["items"], r.describe())
        for row in doc["items"]:
            self.assertEqual(list(row), COLUMNS, row)
        return doc["items"]

    def ways(self, **params):
        return [(row["link_id"], row["recipient"]) for row in self.rows(**params)]


class ReportTest(ReportCase):

    def test_admin_sees_each_anyone_link_and_each_external_recipient(self):
        anyone = self.link(self.q3["id"], kind="anyone", block_download=True)
        specific = self.link(self.reports["id"], kind="specific", role="edit",
                             recipients=[EVE, MALLORY, ZED, ADMIN_EMAIL])
        self.link(self.q3["id"], kind="organization")
        self.identity(EVE, "verified")
        self.identity(MALLORY, "blocked")
        # Opening the anyone link records its use.
        self.assertStatus(self.client(self.server).get("/api/v1/shares/%s" % anyone["token"]),
                          200)

        rows = self.rows()
        self.assertEqual([(r["link_id"], r["recipient"]) for r in rows],
                         [(anyone["id"], None), (specific["id"], EVE),
                          (specific["id"], MALLORY), (specific["id"], ZED)])
        a = rows[0]
        self.assertEqual(a["kind"], "anyone")
        self.assertEqual(a["item_id"], self.q3["id"])
        self.assertEqual(a["item_name"], "q3.pdf")
        self.assertEqual(a["item_kind"], "file")
        self.assertEqual(a["item_path"], "My files/Reports/q3.pdf")
        self.assertEqual(a["space_name"], "My files")
        self.assertEqual(a["shared_by_email"], self.ada_email)
        self.assertEqual(a["shared_by_name"], FORMULA_DISPLAY_NAME)
        self.assertEqual(a["role"], "view")
        self.assertTrue(a["block_download"])
        self.assertFalse(a["has_password"])
        self.assertEqual(a["expires_at"], anyone["effective_expires_at"])
        self.assertIsNotNone(a["last_used_at"])
        self.assertIsNone(a["recipient_state"])
        self.assertEqual(a["status"], "active")
        by_address = {r["recipient"]: r for r in rows[1:]}
        self.assertEqual(by_address[EVE]["recipient_state"], "verified")
        self.assertEqual(by_address[EVE]["status"], "active")
        self.assertEqual(by_address[MALLORY]["recipient_state"], "blocked")
        self.assertEqual(by_address[MALLORY]["status"], "blocked")
        self.assertEqual(by_address[ZED]["recipient_state"], "pending")
        for r in rows[1:]:
            self.assertEqual(r["kind"], "specific")
            self.assertEqual(r["role"], "edit")
            self.assertEqual(r["item_path"], "My files/Reports")
            self.assertEqual(r["item_kind"], "folder")
            self.assertIsNone(r["expires_at"])
            self.assertIsNone(r["last_used_at"])

    def test_only_admins_get_the_report(self):
        self.link(self.q3["id"], kind="anyone")
        r = self.ada.get(REPORT)
        self.assertStatus(r, 403, "forbidden")
        r = self.ada.get(report_path(format="csv", kind="nonsense"))
        self.assertStatus(r, 403, "forbidden")
        r = self.client(self.server).get(REPORT)
        self.assertStatus(r, 401, "unauthenticated")

    def test_filters_narrow_the_rows(self):
        bob, _ = self.member("%s@example.org" % unique("bob"), "Bob")
        bob_file = self.upload(bob.personal_root(), "plan.txt", client=bob)
        anyone = self.link(self.q3["id"], kind="anyone")
        ada_specific = self.link(self.q3["id"], kind="specific", recipients=[EVE, ZED])
        bob_specific = self.link(bob_file["id"], client=bob, kind="specific",
                                 recipients=[MALLORY], expires_in="2h")

        self.assertEqual(self.ways(owner=self.ada_email),
                         [(anyone["id"], None), (ada_specific["id"], EVE),
                          (ada_specific["id"], ZED)])
        self.assertEqual(self.ways(domain="partner.example"),
                         [(ada_specific["id"], EVE), (ada_specific["id"], ZED)])
        self.assertEqual(self.ways(domain="eu.partner.example"), [(ada_specific["id"], ZED)])
        self.assertEqual(self.ways(kind="anyone"), [(anyone["id"], None)])
        self.assertEqual(self.ways(kind="specific", domain="elsewhere.example"),
                         [(bob_specific["id"], MALLORY)])
        # Strictly before: the 2-hour link does not end before its own end.
        self.assertEqual(self.ways(expires_before=bob_specific["expires_at"]), [])
        self.assertEqual(self.ways(expires_before="2199-01-01T00:00:00Z"),
                         [(anyone["id"], None), (bob_specific["id"], MALLORY)])
        # An offset's "+" sent unencoded arrives as a space; it is read as the "+" it was.
        r = self.admin_c.get(REPORT + "?expires_before=2199-01-01T01:00:00+01:00")
        self.assertStatus(r, 200)
        self.assertEqual(len(r.json()["items"]), 2, r.describe())
        # Empty values filter nothing.
        self.assertEqual(len(self.ways(owner="", domain="", kind="")), 4)

    def test_bad_filters_are_400_naming_the_parameter(self):
        for params, field in (({"owner": "nobody@example.org"}, "owner"),
                              ({"owner": "not an address"}, "owner"),
                              ({"domain": "%"}, "domain"),
                              ({"domain": "partner..example"}, "domain"),
                              ({"kind": "organization"}, "kind"),
                              ({"kind": "everyone"}, "kind"),
                              ({"expires_before": "tomorrow"}, "expires_before"),
                              ({"expires_before": "2030-13-01T00:00:00Z"}, "expires_before"),
                              ({"expires_before": "2999-01-01T00:00:00Z"}, "expires_before"),
                              ({"format": "xlsx"}, "format"),
                              ({"ownr": self.ada_email}, "ownr")):
            with self.subTest(params=params):
                r = self.admin_c.get(report_path(**params))
                self.assertStatus(r, 400, "invalid_argument")
                self.assertEqual(r.json()["error"].get("field"), field, r.describe())

    def test_csv_parses_and_neutralizes_formulas(self):
        tricky = self.upload(self.reports["id"], FORMULA_NAME)
        self.link(tricky["id"], kind="specific", recipients=[EVE])
        self.link(self.q3["id"], kind="anyone")
        r = self.admin_c.get(report_path(format="csv"))
        self.assertStatus(r, 200)
        self.assertTrue(r.headers.get("Content-Type", "").startswith("text/csv"), r.describe())
        disposition = r.headers.get("Content-Disposition", "")
        self.assertTrue(disposition.startswith("attachment;"), r.describe())
        self.assertRegex(disposition, r'filename="external-sharing-\d{4}-\d{2}-\d{2}\.csv"')
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")
        text = r.body.decode("utf-8")
        self.assertTrue(text.endswith("\r\n"))
        records = list(csv.reader(io.StringIO(text, newline="")))
        self.assertEqual(records[0], COLUMNS)
        for rec in records[1:]:
            self.assertEqual(len(rec), len(COLUMNS))
        # Every field is quoted but empty ones and plain numbers, so a spreadsheet that splits on
        # ";" keeps each one a single cell.
        raw = re.findall(r'("(?:[^"]|"")*"|[^,"\r\n]*)(,|\r\n)', text)
        self.assertEqual("".join(f + sep for f, sep in raw), text)
        bare = [f for f, _ in raw if f and not f.startswith('"') and not f.isdigit()]
        self.assertEqual(bare, [])
        rows = [dict(zip(COLUMNS, rec)) for rec in records[1:]]
        self.assertEqual(len(rows), 2)
        # The JSON has the raw values; the CSV the same with a quote before formula starts.
        json_rows = self.rows()
        first, second = rows
        self.assertEqual(first["item_name"], "'" + FORMULA_NAME)
        self.assertEqual(json_rows[0]["item_name"], FORMULA_NAME)
        self.assertEqual(first["item_path"], "My files/Reports/" + FORMULA_NAME)
        self.assertEqual(first["shared_by_name"], "'" + FORMULA_DISPLAY_NAME)
        self.assertEqual(first["recipient"], EVE)
        self.assertEqual(first["recipient_state"], "pending")
        self.assertEqual(first["expires_at"], "")
        self.assertEqual(first["status"], "active")
        self.assertEqual(second["kind"], "anyone")
        self.assertEqual(second["recipient"], "")
        self.assertEqual(second["block_download"], "false")
        for name in ("item_id", "link_id", "space_id"):
            self.assertEqual([int(row[name]) for row in rows],
                             [row[name] for row in json_rows])
        for row in rows:
            for name, value in row.items():
                self.assertNotIn(value[:1], ("=", "+", "-", "@"),
                                 "%s starts a formula: %r" % (name, value))

    def test_revoked_links_disappear_and_changes_show_at_once(self):
        keep = self.link(self.q3["id"], kind="anyone", expires_in="2h")
        gone = self.link(self.q3["id"], kind="specific", recipients=[EVE, ZED])
        self.assertEqual(len(self.rows()), 3)
        r = self.ada.delete("/api/v1/links/%d/recipients/%s" % (gone["id"], quote_name(ZED)))
        self.assertStatus(r, 204)
        self.assertEqual(self.ways(), [(keep["id"], None), (gone["id"], EVE)])
        self.assertStatus(self.ada.delete("/api/v1/links/%d" % gone["id"]), 204)
        self.assertEqual(self.ways(), [(keep["id"], None)])
        # An expired link stays, saying so: its owner can extend it.
        r = self.admin_c.post("/api/v1/dev/clock", json={"advance": "3h"})
        self.assertStatus(r, 200)
        self.assertEqual([row["status"] for row in self.rows()], ["expired"])
        self.assertStatus(self.ada.delete("/api/v1/links/%d" % keep["id"]), 204)
        self.assertEqual(self.rows(), [])

    def test_the_body_is_streamed_with_chunked_transfer_encoding(self):
        for i in range(30):
            self.link(self.q3["id"], kind="specific", recipients=["r%d@partner.example" % i])
        for fmt in ("json", "csv"):
            with self.subTest(format=fmt):
                head, body = raw_get(self.server.port, report_path(format=fmt),
                                     self.admin_c.cookies)
                self.assertTrue(head.startswith("HTTP/1.1 200"), head)
                lines = [line.lower() for line in head.split("\r\n")]
                self.assertIn("transfer-encoding: chunked", lines, head)
                self.assertFalse(any(line.startswith("content-length:") for line in lines), head)
                chunks = dechunk(body)  # and the body ends with the last chunk
                whole = b"".join(chunks).decode("utf-8")
                if fmt == "json":
                    self.assertGreaterEqual(len(chunks), 2, "the rows, then the closing bracket")
                    self.assertEqual(len(jsonlib.loads(whole)["items"]), 30)
                else:
                    self.assertEqual(len(list(csv.reader(io.StringIO(whole, newline="")))), 31)
        # HEAD says the same without a body, and the connection stays usable.
        r = self.admin_c.request("HEAD", REPORT)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"")
        self.assertEqual(len(self.rows()), 30)


class ReportCommandTest(ReportCase):

    def test_the_command_prints_the_same_rows(self):
        anyone = self.link(self.q3["id"], kind="anyone")
        specific = self.link(self.q3["id"], kind="specific", recipients=[EVE, MALLORY])
        api_rows = self.rows()

        code, out, err = run_cli("report", "external-sharing", "--data-dir",
                                 self.server.data_dir, "--format", "json")
        self.assertEqual(code, 0, err)
        self.assertEqual(jsonlib.loads(out)["items"], api_rows)

        code, out, err = run_cli("report", "external-sharing", "--data-dir",
                                 self.server.data_dir, "--domain", "partner.example")
        self.assertEqual(code, 0, err)
        records = list(csv.reader(io.StringIO(out, newline="")))
        self.assertEqual(records[0], COLUMNS)
        self.assertEqual([(int(r[8]), r[15]) for r in records[1:]], [(specific["id"], EVE)])

        code, out, err = run_cli("report", "external-sharing", "--data-dir",
                                 self.server.data_dir, "--kind", "anyone", "--format", "json")
        self.assertEqual(code, 0, err)
        self.assertEqual([r["link_id"] for r in jsonlib.loads(out)["items"]], [anyone["id"]])

        code, out, err = run_cli("report", "external-sharing", "--data-dir",
                                 self.server.data_dir, "--format", "table")
        self.assertEqual(code, 0, err)
        lines = out.splitlines()
        self.assertEqual(lines[0].split("\t")[0], "LINK")
        table = [line.split("\t") for line in lines[1:-1]]
        self.assertEqual(sorted((int(r[0]), r[4]) for r in table),
                         sorted((r["link_id"], r["recipient"] or "anyone with the link")
                                for r in api_rows))
        self.assertEqual(lines[-1], "%d rows" % len(api_rows))

        code, out, err = run_cli("report", "external-sharing", "--data-dir",
                                 self.server.data_dir, "--format", "xml")
        self.assertEqual(code, 2)
        self.assertIn("--format", err)

        code, out, err = run_cli("report", "external-sharing", "--data-dir",
                                 self.server.data_dir, "--expires-before", "soon")
        self.assertEqual(code, 2)
        self.assertIn("--expires-before", err)
        self.assertEqual(out, "")


if __name__ == "__main__":
    unittest.main()
