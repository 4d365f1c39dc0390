"""Starts and stops a real mosquitto for end-to-end tests, as harness.Qiliand
does for qiliand.

The broker is started the way `make run` starts it, through scripts/broker:
Debian's mosquitto 2.0 on 127.0.0.1 only, anonymous clients refused, the
dynamic-security plugin managing clients, roles and ACLs. Each Mosquitto
gets a private temporary directory and a free loopback port, so tests are
hermetic and can run in parallel. The admin client (the one qiliand will
use) is exposed as admin_user/admin_password; the helpers below manage
dynamic-security clients with it by publishing dynamic-security commands
to $CONTROL/dynamic-security/v1, and devices by publishing to Qilian's
broker plugin's $CONTROL/qilian-devices/v1 (docs/broker.md), as qiliand
does.

The plugin is the one the build made (QILIAN_BUILD_DIR, which CTest sets,
else build/): scripts/broker is given QILIAN_BROKER_PLUGIN.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import mqtt_client

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "broker")
CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
DEVICES_CONTROL_TOPIC = "$CONTROL/qilian-devices/v1"
START_TIMEOUT_S = 20
START_ATTEMPTS = 3  # the free port scripts/broker picked may be taken before mosquitto binds it
_BANNER = re.compile(rb"^broker 127\.0\.0\.1:(\d+) ")


class DynsecError(Exception):
    """A dynamic-security command answered with an error (its text)."""


class DevicesError(Exception):
    """A command of Qilian's plugin answered with an error: code and text."""

    def __init__(self, command, code, error):
        super().__init__("%s: %s (%s)" % (command, error, code))
        self.command, self.code, self.error = command, code, error


def plugin_path():
    """The broker plugin scripts/broker is to load."""
    if "QILIAN_BROKER_PLUGIN" in os.environ:
        return os.environ["QILIAN_BROKER_PLUGIN"]
    build = os.environ.get("QILIAN_BUILD_DIR",
                           os.path.join(os.path.dirname(SCRIPT), "..", "build"))
    return os.path.join(build, "src", "platform", "broker", "qilian_broker_plugin.so")


def credential(username, secret, enabled=True, salt=None):
    """A device as upsertDevices takes it: the secret's salted SHA-256,
    computed here independently of the C++ code."""
    salt = salt if salt is not None else os.urandom(16)
    return {"username": username, "salt": salt.hex(),
            "hash": hashlib.sha256(salt + secret.encode()).hexdigest(), "enabled": enabled}


class Mosquitto:
    """A mosquitto process started by scripts/broker on a private directory.

    Use as a context manager. stop() ends it with SIGTERM (the directory and
    its dynamic-security state stay); start() starts it again on the same
    directory (on a new free port).
    """

    def __init__(self, data_dir=None):
        self._own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="mosquitto-")
        self.proc = None
        self.port = None
        self.output = []
        self.admin_user = None
        self.admin_password = None
        self.env = {}        # broker.env as a dict
        self._admin = None   # the admin's MQTT connection, opened on first use
        self._correlation = 0

    def log(self):
        """scripts/broker's output and mosquitto's log."""
        text = b"".join(self.output).decode("utf-8", "replace")
        path = os.path.join(self.data_dir, "mosquitto.log")
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                text += "\n--- mosquitto.log ---\n" + f.read()
        return text

    def start(self, port="auto"):
        """Starts the broker on a free port, or on `port` (a restart on the
        port the clients know)."""
        for attempt in range(START_ATTEMPTS):
            log_path = os.path.join(self.data_dir, "mosquitto.log")
            before = os.path.getsize(log_path) if os.path.exists(log_path) else 0
            if self._start_once(str(port)):
                return self
            with open(log_path, "rb") as f:
                f.seek(before)
                lost_race = b"Address already in use" in f.read()
            if not lost_race or attempt == START_ATTEMPTS - 1:
                raise RuntimeError("mosquitto did not start:\n" + self.log())
        return self

    def _start_once(self, port):
        """True once the broker accepts the admin; False if it exited."""
        self.output = []
        self.port = None
        env = dict(os.environ, QILIAN_BROKER_PLUGIN=plugin_path())
        self.proc = subprocess.Popen([SCRIPT, self.data_dir, port], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env)
        got_port = threading.Event()

        def pump():
            for line in self.proc.stdout:
                self.output.append(line)
                m = _BANNER.match(line)
                if m and not got_port.is_set():
                    self.port = int(m.group(1))
                    got_port.set()
        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not got_port.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self._reap()
                raise RuntimeError("scripts/broker did not start mosquitto:\n" + self.log())
        self._read_credentials()
        # Accepting TCP connections and then the admin's CONNECT: the
        # dynamic-security plugin is loaded before the listener opens.
        while True:
            if self.proc.poll() is not None:
                self._reap()
                return False
            if time.monotonic() > deadline:
                self._reap()
                raise RuntimeError("mosquitto did not accept connections:\n" + self.log())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
            except OSError:
                time.sleep(0.05)
                continue
            rc = self.client("qilian-harness-probe", self.admin_user,
                             self.admin_password).connect_and_close()
            if rc != mqtt_client.ACCEPTED:
                self._reap()
                raise RuntimeError("the broker refused its admin (CONNACK %d):\n%s"
                                   % (rc, self.log()))
            return True

    def _read_credentials(self):
        with open(os.path.join(self.data_dir, "broker.env")) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                self.env[key] = value.strip("'")
        self.admin_user = self.env["QILIAN_BROKER_ADMIN_USER"]
        with open(self.env["QILIAN_BROKER_ADMIN_PASSWORD_FILE"]) as f:
            self.admin_password = f.read().strip()

    def _reap(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self._pump.join(timeout=5)
        self.proc.stdout.close()

    def stop(self):
        """SIGTERM and wait (mosquitto saves nothing else: persistence is off,
        the dynamic-security state is written on every change)."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc:
            self._pump.join(timeout=5)
            self.proc.stdout.close()
        return self.proc.returncode if self.proc else None

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exc):
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    # --- clients -------------------------------------------------------------

    def client(self, client_id, username=None, password=None, **kw):
        """An unconnected mqtt_client.Client for this broker."""
        return _Client(self.port, client_id, username, password, **kw)

    # --- dynamic security (as the admin) ---------------------------------

    def control(self, *commands):
        """Sends dynamic-security commands (dicts) in one message and
        returns their responses, in order. A response carrying "error"
        raises DynsecError with its text."""
        responses = self.send_control(CONTROL_TOPIC, json.dumps({"commands": commands}))
        for r in responses:
            if "error" in r:
                raise DynsecError("%s: %s" % (r["command"], r["error"]))
        return responses

    def send_control(self, topic, payload, tag=None):
        """Publishes `payload` ({"commands": [...]} as text) to a control
        topic as the admin and returns the responses of its answer: the one
        whose first correlationData is `tag`; tag=None: a fresh tag set on
        every command first; tag=False: the payload as it is (malformed,
        say), and the next answer on the topic's response topic."""
        if self._admin is None:
            admin = self.client("qilian-harness-admin", self.admin_user, self.admin_password)
            rc = admin.connect()
            if rc != mqtt_client.ACCEPTED:
                raise RuntimeError("admin refused: CONNACK %d" % rc)
            if admin.subscribe(CONTROL_TOPIC + "/response",
                               DEVICES_CONTROL_TOPIC + "/response") != [1, 1]:
                raise RuntimeError("admin may not subscribe to the control responses")
            self._admin = admin
        if tag is None:
            self._correlation += 1
            tag = "harness-%d" % self._correlation
            message = json.loads(payload)
            message["commands"] = [dict(c, correlationData=tag) for c in message["commands"]]
            payload = json.dumps(message)
        self._admin.publish(topic, payload, qos=1)
        while True:
            msg = self._admin.recv_publish(timeout=30)
            responses = json.loads(msg.payload)["responses"]
            if msg.topic == topic + "/response" and (
                    tag is False or (responses and responses[0].get("correlationData") == tag)):
                return responses

    # --- Qilian's plugin: devices (as the admin) -------------------------

    def devices_control(self, *commands):
        """Sends commands of Qilian's plugin in one message and returns
        their responses' data, in order; an error raises DevicesError."""
        responses = self.send_control(DEVICES_CONTROL_TOPIC, json.dumps({"commands": commands}))
        for r in responses:
            if "error" in r:
                raise DevicesError(r["command"], r["code"], r["error"])
        return [r["data"] for r in responses]

    def upsert_devices(self, *devices):
        """Adds or replaces devices (dicts from credential())."""
        return self.devices_control({"command": "upsertDevices", "devices": list(devices)})[0]

    def remove_devices(self, *usernames):
        return self.devices_control({"command": "removeDevices", "usernames": list(usernames)})[0]

    def replace_all(self, devices, chunk=None):
        """Makes the plugin's set exactly `devices`: in one command, or
        with chunk=N in a begin/chunk.../commit transaction of N a chunk.
        Returns the last response's data."""
        if chunk is None:
            return self.devices_control({"command": "replaceAll", "devices": list(devices)})[0]
        self._correlation += 1
        tx = "harness-tx-%d" % self._correlation
        self.devices_control({"command": "replaceAll", "phase": "begin", "transaction": tx})
        for i in range(0, len(devices), chunk):
            self.devices_control({"command": "replaceAll", "phase": "chunk", "transaction": tx,
                                  "devices": list(devices[i:i + chunk])})
        return self.devices_control({"command": "replaceAll", "phase": "commit",
                                     "transaction": tx})[0]

    def device_stats(self):
        return self.devices_control({"command": "getStats"})[0]

    def create_client(self, username, password, publish=(), subscribe=()):
        """A client `username`/`password` with its own role `role-<username>`
        allowing publish on the `publish` topic patterns and subscribe (and
        receive) on the `subscribe` ones, nothing else (the plugin's default
        refuses publish and subscribe)."""
        role = "role-" + username
        acls = [{"acltype": "publishClientSend", "topic": t, "allow": True} for t in publish]
        for t in subscribe:
            acls.append({"acltype": "subscribePattern", "topic": t, "allow": True})
            acls.append({"acltype": "publishClientReceive", "topic": t, "allow": True})
        self.control({"command": "createRole", "rolename": role, "acls": acls},
                     {"command": "createClient", "username": username, "password": password,
                      "roles": [{"rolename": role}]})

    def disable_client(self, username):
        """Refuses the client's next connections; the plugin also closes its
        current ones."""
        self.control({"command": "disableClient", "username": username})

    def enable_client(self, username):
        self.control({"command": "enableClient", "username": username})

    def delete_client(self, username):
        """Deletes the client and its role; the plugin closes its connections."""
        self.control({"command": "deleteClient", "username": username},
                     {"command": "deleteRole", "rolename": "role-" + username})


class _Client(mqtt_client.Client):
    def connect_and_close(self):
        try:
            return self.connect()
        finally:
            self.disconnect()
