"""Starts and stops real qiliand processes for end-to-end tests.

Every test talks to a real daemon over real sockets on loopback. The daemon
is started with `--http-port 0`; it prints `qiliand listening http=HOST:PORT`
on stdout once it accepts connections, and the harness reads the port from
that line. Each Qiliand gets its own temporary data directory, so tests are
hermetic and can run in parallel.
"""

import base64
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

BUILD_DIR = os.environ.get(
    "QILIAN_BUILD_DIR",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build"))
QILIAND = os.path.join(BUILD_DIR, "src", "exe", "qiliand")
QILIAN = os.path.join(BUILD_DIR, "src", "cli", "qilian")

# The Handle servers, when enabled, add " handle=HOST:PORT" to the line.
_LISTENING = re.compile(
    rb"qiliand listening http=([0-9.:\[\]a-f]+):(\d+)(?: handle=([0-9.:\[\]a-f]+):(\d+))?")
START_TIMEOUT_S = 30
# The log line of the node's first administrator (docs/authentication.md).
_FIRST_ADMIN = re.compile(rb"auth\.first_admin.*?identity=(\d+):(\S+)")

# request(auth=ADMIN): the node's first administrator for writes, anonymous
# for reads (the default); auth=None: always anonymous.
ADMIN = object()


def basic_auth(identity, secret):
    """The Authorization header of the Handle.Net Basic convention."""
    index, handle = identity.split(":", 1)
    token = "%s%%3A%s:%s" % (index, handle, secret)
    return "Basic " + base64.b64encode(token.encode()).decode()


class Qiliand:
    """A qiliand process on a private data directory.

    Use as a context manager. kill() sends SIGKILL (the data directory stays);
    start() starts it again on the same directory (on a new ephemeral port).
    """

    def __init__(self, extra_args=(), config_text=None, data_dir=None):
        self.extra_args = list(extra_args)
        self._own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="qiliand-")
        self.config_path = None
        if config_text is not None:
            self.config_path = os.path.join(self.data_dir, "qilian.toml")
            with open(self.config_path, "w") as f:
                f.write(config_text)
        self.proc = None
        self.port = None
        self.handle_port = None  # UDP and TCP, when the Handle servers run
        self.output = []
        # The first administrator: ("300:0.NA/88.999", secret), once started.
        self.admin = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def command(self):
        cmd = [QILIAND, "--data-dir", os.path.join(self.data_dir, "db"), "--http-port", "0",
               "--handle-port", "0"]
        if self.config_path:
            cmd += ["--config", self.config_path]
        return cmd + self.extra_args

    def start(self):
        self.output = []
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        found = threading.Event()

        def pump():
            for line in self.proc.stdout:
                self.output.append(line)
                m = _LISTENING.search(line)
                if m and not found.is_set():
                    self.port = int(m.group(2))
                    self.handle_port = int(m.group(4)) if m.group(4) else None
                    found.set()
        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()
        while not found.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError("qiliand did not start:\n" + self.log())
        self._read_admin()
        return self

    def _read_admin(self):
        """The first administrator's identity (from the start-up log) and
        secret (from the file qiliand wrote on the first start)."""
        m = _FIRST_ADMIN.search(b"".join(self.output))
        secret_file = os.path.join(self.data_dir, "db", "admin.secret")
        if m and os.path.exists(secret_file):
            with open(secret_file) as f:
                self.admin = ("%s:%s" % (m.group(1).decode(), m.group(2).decode()),
                              f.read().strip())

    @property
    def admin_key(self):
        """(key handle, key index, secret) for handle_client.Client(auth=...)."""
        index, handle = self.admin[0].split(":", 1)
        return (handle, int(index), self.admin[1])

    def admin_header(self):
        return {"Authorization": basic_auth(*self.admin)}

    def log(self):
        return b"".join(self.output).decode("utf-8", "replace")

    def kill(self):
        """SIGKILL: no shutdown path runs, as in a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        if self.proc and self.proc.stdout:
            self._pump.join(timeout=5)  # the pipe reaches EOF once the process is gone
            self.proc.stdout.close()

    def stop(self):
        """SIGTERM and wait: the graceful path."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise
            finally:
                self._pump.join(timeout=5)
                self.proc.stdout.close()
        return self.proc.returncode if self.proc else None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    # --- small REST helpers -------------------------------------------------

    def request(self, method, path, body=None, headers=None, timeout=10, auth=ADMIN):
        """Returns (status, parsed JSON or raw text). By default writes go as
        the first administrator and reads anonymously; auth=None sends no
        credentials, auth=(identity, secret) those, auth="Bearer ..." a token."""
        headers = dict(headers or {})
        if "Authorization" not in headers:
            if auth is ADMIN:
                if method not in ("GET", "HEAD") and self.admin is not None:
                    headers.update(self.admin_header())
            elif isinstance(auth, tuple):
                headers["Authorization"] = basic_auth(*auth)
            elif isinstance(auth, str):
                headers["Authorization"] = auth
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            ctype = resp.getheader("Content-Type", "")
            if "json" in ctype:
                return resp.status, json.loads(data)
            return resp.status, data.decode("utf-8", "replace")
        finally:
            conn.close()


def start_native_node(config_text="[handle]\nport = 0\n"):
    """A started Qiliand with its Handle servers (UDP and TCP) and a first
    administrator, or RuntimeError with its log."""
    node = Qiliand(config_text=config_text).start()
    if node.handle_port is None or node.admin is None:
        node.kill()
        raise RuntimeError("no handle port or first administrator:\n" + node.log())
    return node


def string_value(index, type_, text, ttl=86400):
    return {"index": index, "type": type_, "ttl": ttl,
            "data": {"format": "string", "value": text}}
