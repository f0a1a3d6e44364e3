"""The browser tests' SMTP server: the integration tests' real aiosmtpd sink
(tests/integration/smtp_sink.py), with what it received readable over HTTP as JSON, so the
Node.js journeys can open the links and read the codes a person would find in their mailbox.

    /usr/bin/python3 mail_sink.py      # prints "READY <smtp port> <http port>", runs until stdin closes

GET /messages -> [{"to": [...], "subject", "text", "html"}], oldest first.
POST /relay {"rcpt_reply": "550 5.1.1 Mailbox unavailable" | null, "data_reply": … | null} -> 204:
    how the relay answers from now on (null accepts), e.g. to make a delivery fail.
"""

import http.server
import json
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "tests", "integration"))
from smtp_sink import SmtpSink  # noqa: E402


def main():
    sink = SmtpSink()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/messages":
                self.send_error(404)
                return
            body = json.dumps([{"to": m.rcpt_tos, "subject": m.subject, "text": m.text(),
                                "html": m.html()} for m in sink.messages]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            if self.path != "/relay":
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            answers = json.loads(self.rfile.read(length) or b"{}")
            for key in ("rcpt_reply", "data_reply"):
                if key in answers:
                    setattr(sink, key, answers[key])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("READY %d %d" % (sink.port, server.server_address[1]), flush=True)
    sys.stdin.read()  # until the test process goes away
    server.shutdown()
    sink.close()


if __name__ == "__main__":
    main()
