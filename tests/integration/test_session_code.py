"""Sign-in by email code without a link, and what the member's pages read of sharing.

POST /api/v1/session/code and …/confirm (SPEC §5 governance table): an external recipient who has
no link at hand — the landing of a resent invitation, `/shared/{link_id}?email=…` — proves the
address with an emailed code and gets the recipient session a link's verification gives. Only an
address of the external directory (pending, verified or guest) that still has a recipient grant
opening something gets a code; every other address gets the same answer and nothing in its
mailbox. Then the recipients' `verified_at` / `reverify_at` in manage access, and the `shared`
mark of listed items.

Each test starts its own SMTP sink and `vestibule serve --test-clock` (ExternalCase of
test_external.py); time moves only through POST /api/v1/dev/clock. The absence of a mail is shown
with a later mail as a fence (the worker decides requests, and delivers mail, oldest first).
Assertions are on statuses, error codes and fields, cookies and mail counts, never on wording.

SPEC §2 (verification code, session), §5; SECURITY-CHECKLIST A2, A3, A5, A6, A7, A10, B15.
"""

import datetime
import re
import urllib.parse

from harness import format_time, parse_time, quote_name
from smtp_sink import code_of
from test_external import (BROWSER_COOKIE, EVA, EVE, RECIPIENT_COOKIE, ExternalCase, is_code_mail,
                           shares, wrong_code)

# Addresses of the same shape as EVE's, so that their masks ("e**@partner.example") — the one
# part of the answer that echoes the address — are the same too.
ELI = "eli@partner.example"  # shared with, then blocked by an admin
EMO = "emo@partner.example"  # shared with through a link that was then revoked
EDO = "edo@partner.example"  # shared with, then deleted from the directory

SIGN_IN = "/api/v1/session/code"
CONFIRM = "/api/v1/session/code/confirm"


def cookie_attributes(resp, name):
    """The attributes (lower-case names) of the Set-Cookie for `name`, or None."""
    for header in resp.headers.get_all("Set-Cookie"):
        parts = [p.strip() for p in header.split(";")]
        if parts[0].split("=", 1)[0] == name:
            attributes = {}
            for p in parts[1:]:
                k, _, v = p.partition("=")
                attributes[k.strip().lower()] = v.strip()
            return attributes
    return None


def comparable(resp):
    """(status, body, headers minus Date and X-Request-Id, in order)."""
    return (resp.status, resp.body,
            [(k.lower(), v) for k, v in resp.headers.items()
             if k.lower() not in ("date", "x-request-id")])


class SessionCodeCase(ExternalCase):

    def now(self):
        return parse_time(self.advance("0s"))

    def ask(self, client, address):
        r = client.post(SIGN_IN, json={"email": address})
        self.assertStatus(r, 202)
        return r

    def confirm_sign_in(self, client, address, code, remember=False):
        return client.post(CONFIRM, json={"email": address, "code": code, "remember": remember})

    def code_mails_to(self, address):
        return [m for m in self.sink.messages_to(address) if is_code_mail(m)]

    def signed_in_browser(self, address=EVE):
        """A browser that asked for a sign-in code, read it from the sink and confirmed it."""
        c = self.browser()
        before = len(self.code_mails_to(address))
        self.ask(c, address)
        code = self.nth_code(address, before + 1)
        self.assertStatus(self.confirm_sign_in(c, address, code), 200)
        return c

    def access_row(self, item_id, address):
        return self.recipient_row(item_id, address)


class SignInWithACodeTest(SessionCodeCase):

    def test_a_resent_invitation_leads_to_a_code_sign_in_that_opens_the_item(self):
        item, link = self.share([EVE])
        self.sink.wait_for(1, to=EVE)
        r = self.admin_c.post("/api/v1/links/%d/recipients/%s/resend"
                              % (link["id"], quote_name(EVE)))
        self.assertStatus(r, 202)
        resent = self.sink.wait_for(2, to=EVE)[1]
        # The resent invitation points at the token-free page of the link, with the address.
        urls = re.findall(r"https?://\S+/shared/\S+", resent.text())
        self.assertEqual(len(urls), 1, resent.text())
        landing = urllib.parse.urlsplit(urls[0])
        self.assertEqual(landing.path, "/shared/%d" % link["id"])
        self.assertEqual(urllib.parse.parse_qs(landing.query), {"email": [EVE]})
        self.assertNotIn(link["token"], resent.text())

        # Not signed in there: the link is not found by its id.
        a = self.browser()
        self.assertStatus(a.get("/api/v1/shared-with-me/%d" % link["id"]), 404, "not_found")
        self.assertStatus(a.get("/api/v1/me"), 401)

        # Ask for a sign-in code: 202, the answer of a code request, a browser cookie that every
        # code route sees (Path=/api/v1).
        r = self.ask(a, EVE)
        body = r.json()
        self.assertEqual(set(body), {"status", "message", "sent_to", "expires_at", "code_length",
                                     "code_lifetime", "resend_after_seconds",
                                     "remember_device_seconds"})
        self.assertEqual(body["status"], "accepted")
        self.assertEqual(body["sent_to"], "e**@partner.example")
        self.assertEqual(body["code_length"], 8)
        self.assertEqual(body["code_lifetime"], "10m")
        self.assertEqual(body["resend_after_seconds"], 30)
        self.assertEqual(parse_time(body["expires_at"]), self.now() + datetime.timedelta(minutes=10))
        # "Remember this device" for min(remember_device_for, reverify_after): 30 days by default.
        self.assertEqual(body["remember_device_seconds"], 30 * 86400)
        attributes = cookie_attributes(r, BROWSER_COOKIE)
        self.assertIsNotNone(attributes, r.describe())
        self.assertEqual(attributes["path"], "/api/v1")
        self.assertIn("httponly", attributes)
        self.assertEqual(attributes["samesite"], "Lax")
        code_mail = self.code_mails(EVE, 1)[0]
        code = code_of(code_mail)
        self.assertEqual(len(code), 8)
        self.assertNotIn(code, code_mail.subject)
        self.assertNotIn(link["token"], code_mail.text())

        # Another browser cannot use it (and its own request does not spoil A's code).
        b = self.browser()
        self.ask(b, EVE)
        r = self.confirm_sign_in(b, EVE, code)
        self.assertStatus(r, 400, "invalid_argument")
        self.assertEqual(r.json()["error"]["field"], "code")
        self.assertNotIn(RECIPIENT_COOKIE, b.cookies)

        # A link's code is not a sign-in code, nor the reverse.
        c = self.browser()
        self.request_code(c, link["token"], EVE)
        link_code = self.nth_code(EVE, 3)
        self.assertStatus(self.confirm_sign_in(c, EVE, link_code), 400, "invalid_argument")
        self.assertStatus(self.confirm(a, link["token"], EVE, code), 400, "invalid_argument")

        # The right browser: 200 and the recipient session cookie of link verification.
        a.cookies[RECIPIENT_COOKIE] = "planted-before-sign-in"
        r = self.confirm_sign_in(a, EVE, code)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["user"]["kind"], "external")
        self.assertEqual(r.json()["user"]["email"], EVE)
        self.assertIs(r.json()["remembered"], False)
        attributes = cookie_attributes(r, RECIPIENT_COOKIE)
        self.assertEqual(attributes["path"], "/")
        self.assertIn("httponly", attributes)
        self.assertNotIn("max-age", attributes)
        self.assertNotEqual(a.cookies[RECIPIENT_COOKIE], "planted-before-sign-in")
        me = a.me()
        self.assertEqual((me["kind"], me["email"]), ("external", EVE))

        # The session opens what was shared: the list, the link by its id, the content.
        listed = self.assertStatus(a.get("/api/v1/shared-with-me"), 200).json()["items"]
        self.assertEqual([(e["link_id"], e["item"]["id"]) for e in listed],
                         [(link["id"], item["id"])])
        summary = self.assertStatus(a.get("/api/v1/shared-with-me/%d" % link["id"]), 200).json()
        self.assertEqual(summary["needs"], "none")
        self.assertEqual(summary["item"]["id"], item["id"])
        r = a.get("/api/v1/shared-with-me/%d/content" % link["id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"shared bytes\n")
        self.assertEqual(self.summary_needs(a, link["token"]), "none")

        # Single use: the same code again is refused, with no new cookie.
        r = self.confirm_sign_in(a, EVE, code)
        self.assertStatus(r, 400, "invalid_argument")
        self.assertIsNone(cookie_attributes(r, RECIPIENT_COOKIE))
        self.assertEqual(self.access_row(item["id"], EVE)["state"], "verified")

    def summary_needs(self, client, token):
        return self.assertStatus(client.get(shares(token)), 200).json()["needs"]

    def test_wrong_codes_count_and_burn_the_code(self):
        self.share([EVE])
        a = self.browser()
        self.ask(a, EVE)
        code = self.nth_code(EVE, 1)
        wrong = wrong_code(code)
        for _ in range(5):  # code_max_tries
            r = self.confirm_sign_in(a, EVE, wrong)
            self.assertStatus(r, 400, "invalid_argument")
            self.assertEqual(r.json()["error"]["field"], "code")
        self.assertStatus(self.confirm_sign_in(a, EVE, code), 429, "too_many_requests")
        # The failures count for the address across codes, as link codes' do.
        directory = self.admin_c.get("/api/v1/admin/external-identities").json()
        [eve] = [e for e in directory["identities"] if e["address"] == EVE]
        self.assertEqual(eve["consecutive_failures"], 5)
        # A new code works, and its success resets the count.
        self.ask(a, EVE)
        fresh = self.nth_code(EVE, 2)
        self.assertStatus(self.confirm_sign_in(a, EVE, fresh), 200)
        directory = self.admin_c.get("/api/v1/admin/external-identities").json()
        [eve] = [e for e in directory["identities"] if e["address"] == EVE]
        self.assertEqual(eve["consecutive_failures"], 0)
        # A code past its lifetime is refused.
        b = self.browser()
        self.ask(b, EVE)
        late = self.nth_code(EVE, 3)
        self.advance("601s")
        self.assertStatus(self.confirm_sign_in(b, EVE, late), 400, "invalid_argument")


class NoEnumerationTest(SessionCodeCase):

    def test_only_addresses_with_something_that_still_works_get_a_code(self):
        self.share([EVE])
        _, revoked = self.share([EMO])
        self.assertStatus(self.admin_c.delete("/api/v1/links/%d" % revoked["id"]), 204)
        self.share([ELI])
        r = self.admin_c.patch("/api/v1/admin/external-identities/%s" % quote_name(ELI),
                               json={"state": "blocked"})
        self.assertStatus(r, 200)
        self.share([EDO])
        self.assertStatus(
            self.admin_c.delete("/api/v1/admin/external-identities/%s" % quote_name(EDO)), 204)

        b = self.browser()
        self.ask(b, "zed@elsewhere.example")  # the browser gets its cookie
        answers = {address: self.ask(b, address) for address in (EVA, EMO, ELI, EDO, EVE)}
        for address, r in answers.items():
            self.assertEqual(comparable(r), comparable(answers[EVE]), address)
            self.assertNotIn("Set-Cookie", r.headers, r.describe())

        # The invited address's code is the fence: the requests before it were decided, and
        # sent nothing.
        self.code_mails(EVE, 1)
        for address in (EVA, EMO, ELI, EDO, "zed@elsewhere.example"):
            self.assertEqual(self.code_mails_to(address), [], address)
        self.assertEqual(self.sink.messages_to(EVA), [])
        # A member's address gets nothing either (no code, no hint): members sign in with a
        # password.
        self.ask(b, "admin@example.org")
        self.ask(b, EVE)
        self.code_mails(EVE, 2)
        self.assertEqual(self.sink.messages_to("admin@example.org"), [])


class RecipientStatesTest(SessionCodeCase):

    def test_verified_at_and_reverify_at_follow_the_proof_and_the_policy(self):
        member = "ada@example.org"
        r = self.admin_c.post("/api/v1/admin/users",
                              json={"email": member, "password": "Ada-passw0rd-long-enough",
                                    "display_name": "Ada", "role": "user"})
        self.assertStatus(r, 201)
        item, link = self.share([EVE, member])
        for rec in link["recipients"]:
            self.assertIsNone(rec["verified_at"], rec)
            self.assertIsNone(rec["reverify_at"], rec)

        self.advance("1h")
        proved = self.now()
        self.signed_in_browser(EVE)
        row = self.access_row(item["id"], EVE)
        self.assertEqual(row["state"], "verified")
        self.assertEqual(parse_time(row["verified_at"]), proved)
        self.assertEqual(parse_time(row["reverify_at"]), proved + datetime.timedelta(days=30))
        self.assertIsNone(self.access_row(item["id"], member)["verified_at"])
        self.assertIsNone(self.access_row(item["id"], member)["reverify_at"])
        # The same recipient object in GET /api/v1/links/{id} and GET /api/v1/me/shares.
        got = self.admin_c.get("/api/v1/links/%d" % link["id"]).json()
        [eve] = [x for x in got["recipients"] if x["address"] == EVE]
        self.assertEqual((eve["verified_at"], eve["reverify_at"]),
                         (row["verified_at"], row["reverify_at"]))
        mine = self.admin_c.get("/api/v1/me/shares").json()["links"]
        [eve] = [x for l in mine if l["id"] == link["id"] for x in l["recipients"]
                 if x["address"] == EVE]
        self.assertEqual(eve["reverify_at"], row["reverify_at"])

        # The admin shortens the period: due earlier, at once.
        self.settings(reverify_after="7d", remember_device_for="7d")
        row = self.access_row(item["id"], EVE)
        self.assertEqual(parse_time(row["verified_at"]), proved)
        self.assertEqual(row["reverify_at"], format_time(proved + datetime.timedelta(days=7)))
        # A link's verification later proves the address again.
        self.advance("2d")
        again = self.now()
        self.verified_browser(link["token"], EVE)
        row = self.access_row(item["id"], EVE)
        self.assertEqual(row["verified_at"], format_time(again))
        self.assertEqual(row["reverify_at"], format_time(again + datetime.timedelta(days=7)))
        # Period 0 (a code for every new session): nothing is due later.
        self.settings(reverify_after="0", remember_device_for="0")
        row = self.access_row(item["id"], EVE)
        self.assertEqual(row["verified_at"], format_time(again))
        self.assertIsNone(row["reverify_at"])


class SharedMarkTest(SessionCodeCase):

    def test_listings_mark_items_with_a_live_link_or_a_direct_grant(self):
        shared, link = self.share([EVE])
        plain = self.admin_c.upload(self.root, "plain.txt", b"plain").json()
        folder = self.admin_c.mkdir(self.root, "granted folder")
        inside = self.admin_c.upload(folder["id"], "inside.txt", b"in").json()
        r = self.admin_c.post("/api/v1/admin/users",
                              json={"email": "bob@example.org", "password": "Bob-passw0rd-long",
                                    "display_name": "Bob", "role": "user"})
        self.assertStatus(r, 201)
        r = self.admin_c.post("/api/v1/items/%d/grants" % folder["id"],
                              json={"email": "bob@example.org", "role": "view"})
        self.assertStatus(r, 201)

        def marks(folder_id):
            return {i["id"]: i["shared"] for i in self.admin_c.children(folder_id)}

        self.assertEqual(marks(self.root), {shared["id"]: True, plain["id"]: False,
                                            folder["id"]: True})
        self.assertEqual(marks(folder["id"]), {inside["id"]: False})  # not inherited
        got = self.admin_c.get("/api/v1/items/%d" % shared["id"])
        self.assertIs(self.assertStatus(got, 200).json()["shared"], True)

        # The recipient's view of the item carries no mark.
        eve = self.verified_browser(link["token"], EVE)[0]
        summary = self.assertStatus(eve.get(shares(link["token"])), 200).json()
        self.assertNotIn("shared", summary["item"])

        # Its only link revoked: no longer shared; a link that expired neither.
        self.assertStatus(self.admin_c.delete("/api/v1/links/%d" % link["id"]), 204)
        self.assertIs(marks(self.root)[shared["id"]], False)
        got = self.admin_c.get("/api/v1/items/%d" % shared["id"]).json()
        self.assertIs(got["shared"], False)
        r = self.admin_c.post("/api/v1/items/%d/links" % plain["id"],
                              json={"kind": "organization", "expires_in": "1h"})
        self.assertStatus(r, 201)
        self.assertIs(marks(self.root)[plain["id"]], True)
        self.advance("2h")
        self.assertIs(marks(self.root)[plain["id"]], False)
