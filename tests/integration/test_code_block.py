"""The code block an admin sees and lifts: 100 wrong codes in a row for one address, over HTTP.

SPEC §2 (an admin can see and lift a block), §7 (past 100 consecutive failures for one address no
more guessable codes are sent: a one-time link instead). The 100 wrong tries are made through the
server's own API, 5 per code over 20 codes, with the test clock moved an hour on every 5 codes so
the send budgets renew (never a sleep). Then the admin's directory shows `codes_blocked`; "Lift
code block" (`PATCH …/external-identities/{address} {"lift_block": true}`) clears it; a fresh
8-digit code works again; a session that had ended before is not revived.

Real SMTP sink and real binary (ExternalCase of test_external.py). SECURITY-CHECKLIST A8.
"""

import re
import unittest

from harness import quote_name
from smtp_sink import code_of, share_urls_of
from test_external import EVE, RECIPIENT_COOKIE, ExternalCase, is_code_mail, shares

DIRECTORY = "/api/v1/admin/external-identities"


def is_one_time_link_mail(received):
    return "/verify#" in received.text()


class CodeBlockTest(ExternalCase):

    def directory_row(self, address):
        r = self.admin_c.get(DIRECTORY)
        self.assertStatus(r, 200)
        rows = [e for e in r.json()["identities"] if e["address"] == address]
        self.assertEqual(len(rows), 1, r.describe())
        return rows[0]

    def code_mails_to(self, address):
        return [m for m in self.sink.messages_to(address) if is_code_mail(m)]

    def test_the_admin_sees_the_block_after_100_wrong_codes_and_lifting_it_brings_codes_back(self):
        _, link = self.share([EVE])
        token = link["token"]
        self.sink.wait_for(1, to=EVE)  # the invitation

        # Eve opened the file once; an admin ended that session (say, when the guessing began).
        old, _ = self.verified_browser(token, EVE)
        old_cookie = old.cookies[RECIPIENT_COOKIE]
        self.assertStatus(old.get(shares(token, "/content")), 200)
        sessions = self.admin_c.get("/api/v1/admin/sessions?principal=" + EVE).json()["sessions"]
        self.assertEqual(len(sessions), 1, sessions)
        self.assertStatus(self.admin_c.delete("/api/v1/admin/sessions/" + sessions[0]["id"]), 204)
        self.assertStatus(old.get(shares(token, "/content")), 401)
        row = self.directory_row(EVE)
        self.assertEqual((row["consecutive_failures"], row["codes_blocked"]), (0, False), row)

        # Someone holding the forwarded link guesses: 20 codes, 5 wrong tries each.
        guesser = self.browser()
        codes_before = len(self.code_mails_to(EVE))
        for i in range(20):
            if i and i % 5 == 0:
                self.advance("61m")  # the per-address-and-browser send budget renews
            self.request_code(guesser, token, EVE)
            # The code exists once its email is out: only then do the wrong tries count.
            sent = self.code_mails(EVE, codes_before + i + 1)
            code = code_of(sent[-1])
            for t in range(5):
                r = self.confirm(guesser, token, EVE, str((int(code) + 1 + t) % 10 ** len(code))
                                 .zfill(len(code)))
                self.assertStatus(r, 400, "invalid_argument")
            if i == 9:
                row = self.directory_row(EVE)
                self.assertEqual((row["consecutive_failures"], row["codes_blocked"]), (50, False),
                                 row)
        self.assertNotIn(RECIPIENT_COOKIE, guesser.cookies)

        # The admin's view: 100 in a row, codes blocked (the list and the one record alike).
        row = self.directory_row(EVE)
        self.assertEqual((row["consecutive_failures"], row["codes_blocked"]), (100, True), row)
        r = self.admin_c.get(DIRECTORY + "/" + quote_name(EVE))
        self.assertStatus(r, 200)
        self.assertIs(r.json()["codes_blocked"], True, r.describe())
        blocked = self.admin_c.get(DIRECTORY + "?q=eve").json()["identities"]
        self.assertEqual([e["codes_blocked"] for e in blocked if e["address"] == EVE], [True])

        # While blocked, a request gets a one-time link and no guessable code.
        self.advance("61m")
        before = len(self.sink.messages_to(EVE))
        self.request_code(guesser, token, EVE)
        mail = self.sink.wait_for(before + 1, to=EVE)[before]
        self.assertTrue(is_one_time_link_mail(mail), mail.text())
        self.assertFalse(is_code_mail(mail), mail.text())
        self.assertIsNone(re.search(r"\b\d{8}\b", mail.text()), mail.text())

        # Only an admin lifts it.
        r = self.admin_c.post("/api/v1/admin/users",
                              json={"email": "mia@example.org", "password": "Mia-passw0rd-long",
                                    "display_name": "Mia", "role": "user"})
        self.assertStatus(r, 201)
        mia = self.client(self.server, sign_in="mia@example.org", password="Mia-passw0rd-long")
        r = mia.patch(DIRECTORY + "/" + quote_name(EVE), json={"lift_block": True})
        self.assertStatus(r, 403, "forbidden")
        self.assertIs(self.directory_row(EVE)["codes_blocked"], True)

        # "Lift code block": the flag is false and the count 0, in the answer and the listing.
        r = self.admin_c.patch(DIRECTORY + "/" + quote_name(EVE), json={"lift_block": True})
        self.assertStatus(r, 200)
        self.assertEqual((r.json()["consecutive_failures"], r.json()["codes_blocked"]), (0, False),
                         r.describe())
        row = self.directory_row(EVE)
        self.assertEqual((row["consecutive_failures"], row["codes_blocked"]), (0, False), row)
        self.assertEqual(row["state"], "verified", row)  # lifting the code block is not a state
        audit = self.admin_c.get("/api/v1/admin/audit?event=identity.changed").json()["entries"]
        self.assertTrue(any(e["details"].get("failures_reset") is True for e in audit), audit)

        # A fresh 8-digit code is sent again, and it works, in a new browser.
        self.advance("61m")
        fresh = self.browser()
        codes_before = len(self.code_mails_to(EVE))
        self.request_code(fresh, token, EVE)
        mail = self.code_mails(EVE, codes_before + 1)[-1]
        self.assertEqual(share_urls_of(mail), [])
        self.assertNotIn("/verify#", mail.text())
        code = code_of(mail)
        self.assertEqual(len(code), 8)
        r = self.confirm(fresh, token, EVE, code)
        self.assertStatus(r, 200)
        self.assertNotEqual(fresh.cookies[RECIPIENT_COOKIE], old_cookie)
        self.assertStatus(fresh.get(shares(token, "/content")), 200)

        # The session that had ended stays ended: lifting brought back codes, not sessions.
        self.assertEqual(old.cookies.get(RECIPIENT_COOKIE), old_cookie)
        self.assertStatus(old.get(shares(token, "/content")), 401)
        self.assertStatus(old.get("/api/v1/me"), 401)
        self.assertEqual(self.directory_row(EVE)["consecutive_failures"], 0)


if __name__ == "__main__":
    unittest.main()
