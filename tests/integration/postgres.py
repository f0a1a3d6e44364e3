"""A throw-away PostgreSQL for the integration tests: scripts/pg-single-node started in a folder
of its own, one fresh database per server (Cluster.fresh_database), stopped by Cluster.stop().

If the test process ends without stop() (killed, crashed), the cluster stops by itself within a
second or two (the script's PG_OWNER_PID watcher) and its folder is removed.

Standard library and Debian's psql only.
"""

import itertools
import os
import shutil
import subprocess
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
PG_SCRIPT = os.path.abspath(os.path.join(HERE, "..", "..", "scripts", "pg-single-node"))


class Cluster:
    """A running cluster of scripts/pg-single-node (see start_cluster)."""

    def __init__(self, dir, env, owned_dir=None):
        self.dir = dir
        self._owned_dir = owned_dir  # the folder start_cluster made, removed by stop()
        self.url = env["PG_URL"]
        self.host = env["PG_HOST"]
        self.port = int(env["PG_PORT"])
        self._names = itertools.count(1)
        self._lock = threading.Lock()
        self.stopped = False

    def psql(self, url, sql):
        """Runs SQL on the database of `url` (as its role); returns psql's unaligned output."""
        proc = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url,
                               "-c", sql], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise AssertionError("psql on %s failed (%d) running %r:\n%s"
                                 % (url, proc.returncode, sql, proc.stderr))
        return proc.stdout.strip()

    def fresh_database(self):
        """A new empty database owned by the role vestibule, with a unique name; its URL."""
        with self._lock:
            name = "vestibule_it%d_%d" % (os.getpid(), next(self._names))
        self.psql(self.url, "CREATE DATABASE %s OWNER vestibule" % name)
        return "postgres://vestibule@%s:%d/%s" % (self.host, self.port, name)

    def stop(self):
        """Stops the cluster (only it) and removes its folder; safe to call twice."""
        if self.stopped:
            return
        self.stopped = True
        subprocess.run([PG_SCRIPT, self.dir, "--stop"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=120)
        shutil.rmtree(self._owned_dir or self.dir, ignore_errors=True)


def start_cluster(tmpdir=None):
    """Starts a cluster in tmpdir/pg (tmpdir: an existing folder; None makes one under /tmp,
    short as the cluster's unix socket path needs). Run as root, the cluster runs as the
    "postgres" user, so tmpdir is made searchable by others (o+x). Raises AssertionError with
    the script's output when it fails."""
    owned_dir = None
    if tmpdir is None:
        tmpdir = owned_dir = tempfile.mkdtemp(prefix="vst-pg-it-", dir="/tmp")
    if os.geteuid() == 0:
        os.chmod(tmpdir, os.stat(tmpdir).st_mode | 0o011)
    dir = os.path.join(tmpdir, "pg")
    # PG_OWNER_PID: if this process is killed before stop(), the cluster stops by itself.
    proc = subprocess.run([PG_SCRIPT, dir], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL,
                          env={**os.environ, "PG_OWNER_PID": str(os.getpid())})
    if proc.returncode != 0:
        if owned_dir:
            shutil.rmtree(owned_dir, ignore_errors=True)
        raise AssertionError("scripts/pg-single-node %s failed (%d):\n%s%s"
                             % (dir, proc.returncode, proc.stdout, proc.stderr))
    env = {}
    with open(os.path.join(dir, "pg.env"), encoding="utf-8") as f:
        for line in f:
            name, _, value = line.strip().partition("=")
            env[name] = value
    return Cluster(dir, env, owned_dir)
