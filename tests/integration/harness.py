"""Shared fixtures of Vestibule's integration tests: the real binary, real HTTP.

ServerProcess starts `vestibule serve` on 127.0.0.1:0 with a temporary data folder and reads the
port from its `Vestibule listening on http://127.0.0.1:PORT` line. Client talks HTTP/1.1 over one
keep-alive connection and keeps the `vestibule_session` cookie. run_cli() runs the command line.
VestibuleTestCase prints the server's output when a test fails.

VESTIBULE_TEST_BACKEND=postgres runs every server and command line against PostgreSQL: one
throw-away cluster per test process (tests/integration/postgres.py, started on first use, stopped
at exit), one fresh database per data folder, given to the binary as VESTIBULE_DATABASE__URL.
Unset (or "sqlite"): the data folder's SQLite database, as always.

Standard library only; run with Debian's /usr/bin/python3.
"""

import atexit
import datetime
import email.utils
import hashlib
import http.client
import json as jsonlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))

ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "Admin-passw0rd-for-integration-tests"
START_TIMEOUT = 30.0
MiB = 1024 * 1024

_LISTENING = re.compile(r"Vestibule listening on http://127\.0\.0\.1:(\d+)")


def binary_path():
    """The binary under test: $VESTIBULE_BINARY, else build/vestibule of this checkout."""
    path = os.environ.get("VESTIBULE_BINARY") or os.path.join(HERE, "..", "..", "build",
                                                                 "vestibule")
    path = os.path.abspath(path)
    if not os.access(path, os.X_OK):
        raise AssertionError(
            "the Vestibule binary is missing or not executable: %s "
            "(build it with `make build` or set VESTIBULE_BINARY)" % path)
    return path


def child_env(extra=None):
    """The environment for the binary: ours without VESTIBULE_* (which are configuration
    overrides for the server, and VESTIBULE_BINARY is not one), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VESTIBULE_")}
    env.update(extra or {})
    return env


_pg_lock = threading.Lock()
_pg_cluster = None
_pg_databases = {}  # data folder -> its database's URL


def database_env(data_dir):
    """{"VESTIBULE_DATABASE__URL": URL} for a server or command on data_dir when
    VESTIBULE_TEST_BACKEND is "postgres", else {}. A data folder keeps its database, so a server
    restarted on it, or a command run on it, sees the same rows."""
    backend = os.environ.get("VESTIBULE_TEST_BACKEND", "")
    if backend in ("", "sqlite"):
        return {}
    if backend != "postgres":
        raise AssertionError("VESTIBULE_TEST_BACKEND must be \"postgres\", \"sqlite\" or unset, "
                             "not %r" % backend)
    global _pg_cluster
    import postgres  # only this backend needs it (and psql)
    key = os.path.realpath(data_dir)
    with _pg_lock:
        if _pg_cluster is None:
            _pg_cluster = postgres.start_cluster()
            atexit.register(_pg_cluster.stop)
        if key not in _pg_databases:
            _pg_databases[key] = _pg_cluster.fresh_database()
        return {"VESTIBULE_DATABASE__URL": _pg_databases[key]}


def stored_bytes(data_dir):
    """Every byte the metadata store keeps for data_dir: its SQLite files, or a dump of the
    PostgreSQL database the data folder was given (VESTIBULE_TEST_BACKEND=postgres)."""
    url = database_env(data_dir).get("VESTIBULE_DATABASE__URL")
    if url:
        return subprocess.run(["pg_dump", "--data-only", url], capture_output=True,
                              check=True, timeout=60).stdout
    blob = b""
    for f in sorted(os.listdir(data_dir)):
        if f.startswith("vestibule.db"):
            with open(os.path.join(data_dir, f), "rb") as fh:
                blob += fh.read()
    return blob


def query(data_dir, sql):
    """The rows `sql` (no parameters) reads from data_dir's database, as tuples; integers read
    as int on both engines."""
    url = database_env(data_dir).get("VESTIBULE_DATABASE__URL")
    if not url:
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(data_dir, "vestibule.db"), uri=True)
        try:
            return [tuple(row) for row in db.execute(sql).fetchall()]
        finally:
            db.close()
    null = "\x1e"
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-P", "null=" + null,
                          "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql], capture_output=True,
                         text=True, check=True, timeout=60, stdin=subprocess.DEVNULL).stdout
    as_value = lambda v: int(v) if re.fullmatch(r"-?[0-9]+", v) else (None if v == null else v)
    return [tuple(as_value(v) for v in line.split("\x1f")) for line in out.splitlines()]


def run_cli(*args, timeout=60, env=None):
    """Runs `vestibule ARGS...`; returns (exit code, stdout, stderr)."""
    args = [str(a) for a in args]
    extra = {}
    if "--data-dir" in args[:-1]:
        extra = database_env(args[args.index("--data-dir") + 1])
    extra.update(env or {})
    proc = subprocess.run([binary_path(), *args], capture_output=True, text=True,
                          timeout=timeout, env=child_env(extra), stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout, proc.stderr


def parse_time(text):
    """A time as the API writes it (RFC 3339 in UTC, to the second), as an aware datetime."""
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


def format_time(when):
    """An aware datetime as the API writes times."""
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def wait_until(condition, timeout, what, interval=0.02):
    """Bounded polling for an observable condition (not a sleep that hopes)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


class ServerProcess:
    """`vestibule serve` on 127.0.0.1:<free port>.

    data_dir: an existing folder (for restarts on the same data); None makes a fresh temporary one
    that close() removes. config: TOML text written to a file passed with --config.
    extra_args: more command-line arguments (e.g. "--test-clock").
    """

    def __init__(self, data_dir=None, extra_args=(), config=None, env=None, cwd=None,
                 admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD, start=True):
        self._owned_dirs = []
        if data_dir is None:
            data_dir = tempfile.mkdtemp(prefix="vestibule-it-data-")
            self._owned_dirs.append(data_dir)
        self.data_dir = data_dir
        self.config_path = None
        if config is not None:
            conf_dir = tempfile.mkdtemp(prefix="vestibule-it-conf-")
            self._owned_dirs.append(conf_dir)
            self.config_path = os.path.join(conf_dir, "vestibule.toml")
            with open(self.config_path, "w", encoding="utf-8") as f:
                f.write(config)
        self.args = [binary_path(), "serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0"]
        if self.config_path:
            self.args += ["--config", self.config_path]
        if admin_email:
            self.args += ["--admin-email", admin_email, "--admin-password", admin_password]
        self.args += list(extra_args)
        self.env = child_env({**database_env(data_dir), **(env or {})})
        self.cwd = cwd
        self.proc = None
        self.port = None
        self._lines = []
        self._lock = threading.Lock()
        self._listening = threading.Event()
        self._readers = []
        if start:
            try:
                self.start()
            except BaseException:
                self.close()
                raise

    # -- life cycle -------------------------------------------------------------------------

    def start(self):
        self.port = None
        self._listening.clear()
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=self.env, cwd=self.cwd)
        self._readers = [
            threading.Thread(target=self._drain, args=(self.proc.stdout, "out", True),
                             daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stderr, "err", False),
                             daemon=True),
        ]
        for t in self._readers:
            t.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._listening.wait(0.05):
            if self.proc.poll() is not None:
                for t in self._readers:
                    t.join(5)
                raise AssertionError("vestibule serve exited with %s before listening\n"
                                     "command: %s\n%s" % (self.proc.returncode,
                                                          " ".join(self.args), self.output()))
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError("vestibule serve did not print its listening line within "
                                     "%.0f s\ncommand: %s\n%s" % (START_TIMEOUT,
                                                                  " ".join(self.args),
                                                                  self.output()))
        return self

    def _drain(self, stream, tag, watch_listening):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                self._lines.append("[%s] %s" % (tag, line))
            if watch_listening and not self._listening.is_set():
                m = _LISTENING.search(line)
                if m:
                    self.port = int(m.group(1))
                    self._listening.set()
        stream.close()

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def healthy(self):
        """Running and answering GET /healthz with 200 on a new connection."""
        if not self.running():
            return False
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                conn.request("GET", "/healthz")
                return conn.getresponse().status == 200
            finally:
                conn.close()
        except (OSError, http.client.HTTPException):
            return False

    def output(self, last=None):
        with self._lock:
            lines = list(self._lines)
        if last is not None:
            lines = lines[-last:]
        return "\n".join(lines)

    def _join_readers(self):
        for t in self._readers:
            t.join(10)

    def stop(self, timeout=60):
        """SIGTERM, wait for the exit; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("vestibule serve did not exit within %.0f s of SIGTERM\n%s"
                                 % (timeout, self.output(last=200)))
        self._join_readers()
        return code

    def kill(self):
        """SIGKILL, reaped; returns the exit status (-9)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        code = self.proc.wait(30)
        return code

    def wait_exit(self, timeout):
        """Bounded wait for the process to exit by itself; returns its code."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("vestibule serve still running after %.0f s\n%s"
                                 % (timeout, self.output(last=200)))
        self._join_readers()
        return code

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc is not None:
            self._join_readers()
        for d in self._owned_dirs:
            shutil.rmtree(d, ignore_errors=True)
            # A later folder of the same name is a new one: it gets a new database.
            _pg_databases.pop(os.path.realpath(d), None)
        self._owned_dirs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- memory -----------------------------------------------------------------------------

    def _status_kib(self, key):
        with open("/proc/%d/status" % self.pid, encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        raise AssertionError("%s not in /proc/%d/status" % (key, self.pid))

    def rss_kib(self):
        return self._status_kib("VmRSS")

    def hwm_kib(self):
        return self._status_kib("VmHWM")

    def reset_hwm(self):
        """Resets the peak RSS (VmHWM) to the current RSS (Linux >= 4.0, `echo 5 >
        /proc/PID/clear_refs`), so that a later VmHWM is the peak since now rather than since
        start-up (where password hashing alone can use tens of MiB). Raises if impossible."""
        with open("/proc/%d/clear_refs" % self.pid, "w", encoding="ascii") as f:
            f.write("5")

    # -- paths ------------------------------------------------------------------------------

    @property
    def db_path(self):
        return os.path.join(self.data_dir, "vestibule.db")

    @property
    def tmp_dir(self):
        return os.path.join(self.data_dir, "tmp")


# -- HTTP --------------------------------------------------------------------------------------


class Headers:
    """Case-insensitive response headers; get() joins repeated fields, get_all() lists them."""

    def __init__(self, pairs):
        self._pairs = list(pairs)

    def get_all(self, name):
        n = name.lower()
        return [v for k, v in self._pairs if k.lower() == n]

    def get(self, name, default=None):
        values = self.get_all(name)
        return ", ".join(values) if values else default

    def __getitem__(self, name):
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name):
        return bool(self.get_all(name))

    def items(self):
        return list(self._pairs)

    def __repr__(self):
        return "Headers(%r)" % (self._pairs,)


class Response:
    def __init__(self, method, path, status, reason, headers, body):
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def json(self):
        try:
            return jsonlib.loads(self.body)
        except ValueError as e:
            raise AssertionError("%s %s → %s: body is not JSON (%s): %r"
                                 % (self.method, self.path, self.status, e, self.body[:500]))

    def error_code(self):
        try:
            return jsonlib.loads(self.body)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return None

    def describe(self):
        body = self.body[:600]
        return "%s %s → %s %s\nheaders: %s\nbody: %r" % (self.method, self.path, self.status,
                                                         self.reason, self.headers.items(), body)

    def __repr__(self):
        return "<Response %s %s → %s>" % (self.method, self.path, self.status)


def quote_name(name):
    """A file name as one URL path segment (every reserved byte percent-encoded)."""
    return urllib.parse.quote(name, safe="")


def pattern_chunks(seed, size, chunk=MiB):
    """Deterministic, incompressible, cheap: one random MiB keyed by `seed`, each chunk stamped
    with its index. Yields bytes; never holds more than one chunk."""
    base = hashlib.sha256(b"vestibule-pattern-%d" % seed).digest()
    block = bytearray()
    while len(block) < chunk:
        base = hashlib.sha256(base).digest()
        block += base * 64
    block = bytes(block[:chunk])
    sent = 0
    index = 0
    while sent < size:
        n = min(chunk, size - sent)
        stamp = b"%016d" % index
        data = stamp + block[len(stamp):n] if n > len(stamp) else stamp[:n]
        yield data
        sent += n
        index += 1


def pattern_sha256(seed, size):
    h = hashlib.sha256()
    for c in pattern_chunks(seed, size):
        h.update(c)
    return h.hexdigest()


class Client:
    """One keep-alive HTTP/1.1 connection to the server and a cookie jar.

    Every response is checked for an X-Request-Id; the ones without are collected in
    `missing_request_id` (VestibuleTestCase asserts the list is empty).
    """

    def __init__(self, port, host="127.0.0.1", timeout=120, cookies=None):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.cookies = dict(cookies or {})
        self.last_set_cookies = []
        self.missing_request_id = []
        self._conn = None
        self._used = False

    @property
    def origin(self):
        return "http://%s:%d" % (self.host, self.port)

    @property
    def session(self):
        return self.cookies.get("vestibule_session")

    def close(self):
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._used = False

    def _connection(self):
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._used = False
        return self._conn

    def _headers(self, headers, body_is_json):
        h = {}
        if body_is_json:
            h["Content-Type"] = "application/json"
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        for k, v in (headers or {}).items():
            if v is None:
                h.pop(k, None)
                for existing in list(h):
                    if existing.lower() == k.lower():
                        del h[existing]
            else:
                h[k] = v
        return h

    def _store_cookies(self, headers):
        self.last_set_cookies = headers.get_all("Set-Cookie")
        for sc in self.last_set_cookies:
            parts = [p.strip() for p in sc.split(";")]
            name, _, value = parts[0].partition("=")
            attrs = {}
            for p in parts[1:]:
                k, _, v = p.partition("=")
                attrs[k.strip().lower()] = v.strip()
            expired = value == ""
            max_age = attrs.get("max-age")
            if max_age is not None and re.fullmatch(r"-?\d+", max_age) and int(max_age) <= 0:
                expired = True
            if "expires" in attrs:
                try:
                    when = email.utils.parsedate_to_datetime(attrs["expires"])
                    expired = expired or when.timestamp() <= time.time()
                except (TypeError, ValueError):
                    pass
            if expired:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def request(self, method, path, body=None, json=None, headers=None, stream=False):
        """Sends one request. body: bytes, str, a file object or an iterable of bytes (give a
        Content-Length header for an iterable, else it goes chunked). json: an object to send as
        JSON (or raw text to send as a JSON-typed body). stream=True returns the open
        http.client.HTTPResponse instead of reading the body (see download())."""
        if json is not None:
            body = json if isinstance(json, (bytes, str)) else jsonlib.dumps(json)
        if isinstance(body, str):
            body = body.encode("utf-8")
        h = self._headers(headers, json is not None)
        replayable = body is None or isinstance(body, (bytes, bytearray))
        if body is not None and hasattr(body, "read"):
            body = _file_chunks(body)
        for attempt in (1, 2):
            conn = self._connection()
            reused = self._used
            try:
                conn.request(method, path, body=body, headers=h)
                resp = conn.getresponse()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the server closed while idle: try once more afresh.
                self.close()
                if attempt == 2 or not reused or not replayable:
                    raise
            except BaseException:
                self.close()  # never reuse a connection left in an unknown state
                raise
        self._used = True
        headers_obj = Headers(resp.getheaders())
        self._store_cookies(headers_obj)
        if not headers_obj.get("X-Request-Id"):
            self.missing_request_id.append("%s %s → %s" % (method, path, resp.status))
        if stream:
            return resp
        data = resp.read()
        if resp.will_close:
            self.close()
        return Response(method, path, resp.status, resp.reason, headers_obj, data)

    # -- conveniences -----------------------------------------------------------------------

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def expect(self, status, method, path, **kw):
        """request(), asserting the status; returns the Response."""
        r = self.request(method, path, **kw)
        if r.status != status:
            raise AssertionError("expected %s\n%s" % (status, r.describe()))
        return r

    def sign_in(self, email, password, expect=200):
        r = self.post("/api/v1/session", json={"email": email, "password": password})
        if expect is not None and r.status != expect:
            raise AssertionError("sign-in of %s: expected %s\n%s" % (email, expect, r.describe()))
        return r

    def me(self):
        return self.expect(200, "GET", "/api/v1/me").json()

    def personal_space(self):
        spaces = self.expect(200, "GET", "/api/v1/spaces").json()["spaces"]
        personal = [s for s in spaces if s["kind"] == "personal"]
        if len(personal) != 1:
            raise AssertionError("expected one personal space, got %r" % spaces)
        return personal[0]

    def personal_root(self):
        return self.personal_space()["root_item_id"]

    def children(self, folder_id):
        return self.expect(200, "GET", "/api/v1/items/%s/children" % folder_id).json()["items"]

    def mkdir(self, parent_id, name):
        return self.expect(201, "POST", "/api/v1/items/%s/children" % parent_id,
                           json={"name": name, "kind": "folder"}).json()

    def upload(self, folder_id, name, data, size=None, headers=None, chunk=MiB):
        """PUT /api/v1/items/{folder_id}/files/{name}. data: bytes, a file object, or an
        iterable of bytes (streamed, never held whole). With `size` (or bytes) a Content-Length
        is sent; an iterable without a size goes with Transfer-Encoding: chunked."""
        h = dict(headers or {})
        if isinstance(data, (bytes, bytearray)):
            body = bytes(data)
        elif hasattr(data, "read"):
            body = _file_chunks(data, chunk)
            if size is None:
                try:
                    size = os.fstat(data.fileno()).st_size - data.tell()
                except (AttributeError, OSError, ValueError):
                    size = None
        else:
            body = iter(data)
        if size is not None and not isinstance(body, bytes):
            h["Content-Length"] = str(size)
        if "Content-Type" not in h:
            h["Content-Type"] = "application/octet-stream"
        return self.request("PUT", "/api/v1/items/%s/files/%s" % (folder_id, quote_name(name)),
                            body=body, headers=h)

    def content(self, item_id, headers=None):
        return self.get("/api/v1/items/%s/content" % item_id, headers=headers)

    def download(self, item_id, path=None, headers=None, bufsize=MiB):
        """Streams a body into SHA-256 without holding it; returns (Response with empty body,
        sha256 hex, byte count)."""
        path = path or "/api/v1/items/%s/content" % item_id
        resp = self.request("GET", path, headers=headers, stream=True)
        h = hashlib.sha256()
        total = 0
        buf = bytearray(bufsize)
        view = memoryview(buf)
        while True:
            n = resp.readinto(buf)
            if not n:
                break
            h.update(view[:n])
            total += n
        if resp.will_close:
            self.close()
        r = Response("GET", path, resp.status, resp.reason, Headers(resp.getheaders()), b"")
        return r, h.hexdigest(), total


def _file_chunks(f, chunk=MiB):
    while True:
        data = f.read(chunk)
        if not data:
            return
        yield data


def raw_exchange(port, data, timeout=15, read_body=True, shutdown_write=False):
    """Sends raw bytes on a fresh socket and parses one HTTP response from it.

    Returns (Response, socket) — the socket still open so a caller can look at what follows.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before taking everything; read the answer
        if shutdown_write:
            sock.shutdown(socket.SHUT_WR)
        resp = http.client.HTTPResponse(sock, method="GET")
        resp.begin()
        body = resp.read() if read_body else b""
    except BaseException:
        sock.close()
        raise
    first_line = data.split(b"\r\n", 1)[0][:80].decode("latin-1")
    return Response("RAW", first_line, resp.status, resp.reason, Headers(resp.getheaders()),
                    body), sock


def integrity_check(db_path):
    """The rows of SQLite's PRAGMA integrity_check on the file: ["ok"] when it is sound."""
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def connection_refused(port):
    """True when a TCP connect to 127.0.0.1:port is refused. A connect reset while the listener
    closes (the attempt was queued on a socket that then went away) is a refusal too."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
    except (ConnectionRefusedError, ConnectionResetError):
        return True
    s.close()
    return False


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# -- test case base ----------------------------------------------------------------------------


class VestibuleTestCase(unittest.TestCase):
    """Starts servers and clients that are cleaned up after the test; on failure prints the
    server's output (the last lines) to stderr so ctest --output-on-failure shows it."""

    maxDiff = 4000
    _class_servers = []

    def setUp(self):
        self._servers = []
        self._clients = []

    # The class-level server (setUpClass) for test classes that share one.
    @classmethod
    def start_class_server(cls, **kw):
        server = ServerProcess(**kw)
        cls._class_servers = list(getattr(cls, "_class_servers", [])) + [server]
        return server

    @classmethod
    def tearDownClass(cls):
        for s in reversed(getattr(cls, "_class_servers", [])):
            s.close()
        cls._class_servers = []

    def start_server(self, **kw):
        server = ServerProcess(**kw)
        self._servers.append(server)
        self.addCleanup(server.close)
        return server

    def client(self, server_or_port, sign_in=None, password=None):
        port = server_or_port if isinstance(server_or_port, int) else server_or_port.port
        c = Client(port)
        self._clients.append(c)
        self.addCleanup(c.close)
        if sign_in:
            c.sign_in(sign_in, password)
        return c

    def admin(self, server):
        return self.client(server, sign_in=ADMIN_EMAIL, password=ADMIN_PASSWORD)

    def _failed(self):
        """Whether this test (or one of its subtests) has failed so far. (Inside tearDown
        unittest's own success flag is reset, so look at the recorded result.)"""
        result = getattr(getattr(self, "_outcome", None), "result", None)
        if result is None:
            return False
        for test, _ in list(getattr(result, "errors", [])) + list(getattr(result, "failures", [])):
            if test is self or getattr(test, "test_case", None) is self:
                return True
        return False

    def tearDown(self):
        if self._failed():
            servers = list(getattr(type(self), "_class_servers", [])) + self._servers
            for s in servers:
                sys.stderr.write("\n----- vestibule serve output (pid %s, data %s), last 150 "
                                 "lines -----\n%s\n----- end of server output -----\n"
                                 % (s.proc.pid if s.proc else "-", s.data_dir,
                                    s.output(last=150)))
            return
        missing = [m for c in self._clients for m in c.missing_request_id]
        self.assertEqual(missing, [], "responses without X-Request-Id")

    # -- assertions -------------------------------------------------------------------------

    def assertStatus(self, resp, status, code=None):
        statuses = status if isinstance(status, (tuple, list, set)) else (status,)
        self.assertIn(resp.status, statuses, "unexpected status\n" + resp.describe())
        if code is not None:
            self.assertError(resp, code)
        return resp

    def assertError(self, resp, code):
        """The contract's error body: {"error":{"code":code,"message":non-empty}}."""
        try:
            doc = jsonlib.loads(resp.body)
        except ValueError:
            self.fail("error body is not JSON\n" + resp.describe())
        self.assertIsInstance(doc, dict, resp.describe())
        self.assertIsInstance(doc.get("error"), dict, resp.describe())
        self.assertEqual(doc["error"].get("code"), code, resp.describe())
        msg = doc["error"].get("message")
        self.assertIsInstance(msg, str, resp.describe())
        self.assertTrue(msg.strip(), "empty error message\n" + resp.describe())
