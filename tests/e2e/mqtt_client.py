"""A minimal MQTT 3.1.1 client (standard library only) for end-to-end tests.

Enough of the protocol (OASIS MQTT 3.1.1) to see exactly what the broker
does: CONNECT/CONNACK (the return code as the broker sent it), SUBSCRIBE/
SUBACK (the granted QoS per filter, 0x80 for a refused one), PUBLISH at QoS
0 and 1 with PUBACK both ways, PINGREQ/PINGRESP, DISCONNECT, and noticing
that the broker closed the connection. One blocking socket, no threads;
every read has a deadline (`timeout` seconds), after which TimeoutError.

Packets that arrive while the client waits for something else (a PUBLISH
while waiting for a PUBACK, say) are kept, in order, for recv_publish().
"""

import socket
import struct
import time

CONNECT, CONNACK, PUBLISH, PUBACK = 1, 2, 3, 4
SUBSCRIBE, SUBACK, PINGREQ, PINGRESP, DISCONNECT = 8, 9, 12, 13, 14

# CONNACK return codes (MQTT 3.1.1, 3.2.2.3).
ACCEPTED = 0
BAD_PROTOCOL_VERSION = 1
IDENTIFIER_REJECTED = 2
SERVER_UNAVAILABLE = 3
BAD_USERNAME_OR_PASSWORD = 4
NOT_AUTHORIZED = 5

SUBACK_FAILURE = 0x80


class ConnectionClosed(Exception):
    """The broker closed the connection (EOF or reset)."""


def _string(s):
    b = s.encode() if isinstance(s, str) else bytes(s)
    return struct.pack("!H", len(b)) + b


def _remaining_length(n):
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


class Packet:
    def __init__(self, kind, flags, body):
        self.kind, self.flags, self.body = kind, flags, body

    def __repr__(self):
        return "Packet(%d, %d, %r)" % (self.kind, self.flags, self.body[:40])


class Message:
    """A PUBLISH received: topic (str), payload (bytes), qos, retain."""

    def __init__(self, topic, payload, qos, retain):
        self.topic, self.payload, self.qos, self.retain = topic, payload, qos, retain

    def __repr__(self):
        return "Message(%r, %r, qos=%d)" % (self.topic, self.payload, self.qos)


class Client:
    def __init__(self, port, client_id, username=None, password=None,
                 host="127.0.0.1", keepalive=60, timeout=10):
        self.host, self.port = host, port
        self.client_id = client_id
        self.username, self.password = username, password
        self.keepalive = keepalive
        self.timeout = timeout
        self.sock = None
        self._buf = b""
        self._pending = []   # PUBLISH packets not yet taken by recv_publish
        self._next_id = 0

    # --- connection -------------------------------------------------------

    def connect(self):
        """Opens the TCP connection and sends CONNECT (clean session).
        Returns the CONNACK return code; on a refusal the broker closes."""
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        flags = 0x02  # clean session
        payload = _string(self.client_id)
        if self.username is not None:
            flags |= 0x80
            payload += _string(self.username)
            if self.password is not None:
                flags |= 0x40
                payload += _string(self.password)
        var = _string("MQTT") + bytes([4, flags]) + struct.pack("!H", self.keepalive)
        self._send(CONNECT, 0, var + payload)
        p = self._expect(CONNACK)
        if len(p.body) != 2:
            raise AssertionError("malformed CONNACK %r" % p.body)
        return p.body[1]

    def disconnect(self):
        if self.sock is not None:
            try:
                self._send(DISCONNECT, 0, b"")
            except OSError:
                pass
            self.close()

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- operations -------------------------------------------------------

    def subscribe(self, *filters, qos=1):
        """Subscribes to the filters at once; returns the SUBACK's list of
        granted QoS (SUBACK_FAILURE where the broker refused the filter)."""
        pid = self._packet_id()
        body = struct.pack("!H", pid)
        for f in filters:
            body += _string(f) + bytes([qos])
        self._send(SUBSCRIBE, 0x02, body)
        p = self._expect(SUBACK)
        (got,) = struct.unpack("!H", p.body[:2])
        if got != pid:
            raise AssertionError("SUBACK for packet %d, expected %d" % (got, pid))
        return list(p.body[2:])

    def publish(self, topic, payload, qos=0, retain=False):
        """QoS 0: sent. QoS 1: returns once the broker's PUBACK came (MQTT
        3.1.1 has no way to say "refused": a publish the ACL denies is
        acknowledged and dropped)."""
        if isinstance(payload, str):
            payload = payload.encode()
        body = _string(topic)
        pid = None
        if qos:
            pid = self._packet_id()
            body += struct.pack("!H", pid)
        self._send(PUBLISH, (qos << 1) | (1 if retain else 0), body + payload)
        if qos == 1:
            p = self._expect(PUBACK)
            (got,) = struct.unpack("!H", p.body[:2])
            if got != pid:
                raise AssertionError("PUBACK for packet %d, expected %d" % (got, pid))

    def ping(self):
        """PINGREQ and wait for PINGRESP: a round trip through the broker."""
        self._send(PINGREQ, 0, b"")
        self._expect(PINGRESP)

    def recv_publish(self, timeout=None):
        """The next PUBLISH (a Message), acknowledging QoS 1. TimeoutError
        after `timeout` seconds, ConnectionClosed if the broker closes."""
        if self._pending:
            return self._message(self._pending.pop(0))
        p = self._expect(PUBLISH, timeout)
        self._pending.pop()  # _expect kept it there too
        return self._message(p)

    def queued(self):
        """How many PUBLISH packets have arrived and wait for recv_publish."""
        return len(self._pending)

    def wait_closed(self, timeout=None):
        """Returns once the broker has closed the connection; TimeoutError
        if it is still open after `timeout` seconds. Anything the broker
        sends meanwhile is kept (PUBLISH) or dropped."""
        deadline = time.monotonic() + (timeout or self.timeout)
        try:
            while True:
                p = self._read_packet(deadline)
                if p.kind == PUBLISH:
                    self._pending.append(p)
        except ConnectionClosed:
            self.close()
            return

    # --- wire ---------------------------------------------------------------

    def _packet_id(self):
        self._next_id = self._next_id % 65535 + 1
        return self._next_id

    def _send(self, kind, flags, body):
        self.sock.sendall(bytes([(kind << 4) | flags]) + _remaining_length(len(body)) + body)

    def _message(self, p):
        (tlen,) = struct.unpack("!H", p.body[:2])
        topic = p.body[2:2 + tlen].decode()
        rest = p.body[2 + tlen:]
        qos = (p.flags >> 1) & 3
        if qos:
            pid, rest = rest[:2], rest[2:]
            self._send(PUBACK, 0, pid)
        return Message(topic, rest, qos, bool(p.flags & 1))

    def _expect(self, kind, timeout=None):
        """Reads packets until one of `kind`; PUBLISH packets read on the
        way are kept for recv_publish (and so is the one returned when
        kind is PUBLISH)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            p = self._read_packet(deadline)
            if p.kind == PUBLISH:
                self._pending.append(p)
            if p.kind == kind:
                return p
            if p.kind != PUBLISH and p.kind != PINGRESP:
                raise AssertionError("unexpected packet %r while waiting for %d" % (p, kind))

    def _fill(self, n, deadline):
        while len(self._buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no MQTT packet from the broker in time")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no MQTT packet from the broker in time")
            except (ConnectionResetError, BrokenPipeError):
                raise ConnectionClosed("connection reset by the broker")
            if not chunk:
                raise ConnectionClosed("connection closed by the broker")
            self._buf += chunk

    def _read_packet(self, deadline):
        if self.sock is None:
            raise ConnectionClosed("not connected")
        self._fill(2, deadline)
        length, mult, i = 0, 1, 1
        while True:
            self._fill(i + 1, deadline)
            byte = self._buf[i]
            length += (byte & 0x7F) * mult
            mult *= 128
            i += 1
            if not byte & 0x80:
                break
            if i > 4:
                raise AssertionError("malformed remaining length")
        self._fill(i + length, deadline)
        header = self._buf[0]
        body = self._buf[i:i + length]
        self._buf = self._buf[i + length:]
        return Packet(header >> 4, header & 0x0F, body)
