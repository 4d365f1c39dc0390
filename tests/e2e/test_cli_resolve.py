"""End-to-end tests of `qilian resolve` and `qilian siteinfo` (the native
Handle protocol over UDP and TCP) against a real qiliand.

The daemon runs with its Handle servers on an ephemeral port ([handle]
port = 0); identifiers are created over REST, then read back natively and
compared with what `qilian get` prints over REST. Run from the repository
root:

    QILIAN_BUILD_DIR=build python3 -m unittest tests/e2e/test_cli_resolve.py
"""

import json
import os
import socket
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import QILIAN, Qiliand, string_value  # noqa: E402

CLI_TIMEOUT_S = 60
# Truncate mode: an answer over 10x the request gets the TC envelope whatever
# the amplification budget, so the client's TCP fallback can be seen.
CONFIG = '[handle]\nport = 0\nudp_large_answers = "truncate"\n'


def run_cli(*args):
    """Runs qilian; returns (exit code, stdout, stderr) as text."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("QILIAN_SERVER", "QILIAN_HANDLE_SERVER")}
    proc = subprocess.run([QILIAN] + list(args), capture_output=True, env=env,
                          timeout=CLI_TIMEOUT_S)
    return (proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))


class ResolveTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(QILIAN):
            raise RuntimeError("qilian not built at " + QILIAN)
        cls.daemon = Qiliand(config_text=CONFIG).start()
        if cls.daemon.handle_port is None:
            cls.daemon.__exit__(None, None, None)
            raise RuntimeError("qiliand did not report a handle port:\n" + cls.daemon.log())
        cls.server = "127.0.0.1:%d" % cls.daemon.handle_port
        cls.put("88.999/res-1", [
            string_value(1, "URL", "https://example.org/res-1"),
            string_value(2, "EMAIL", "ops@example.org", ttl=3600),
            string_value(3, "X-NOTE", "泵 1"),
        ])
        # A reply of about 1 KiB to a request of about 170 octets: more than
        # one datagram, within the server's UDP reply limit (10x the
        # request), so it comes fragmented over UDP.
        cls.frag_handle = "88.999/frag-" + "f" * 100
        cls.put(cls.frag_handle, [string_value(i, "X-BLOB", ("blob-%d-" % i) * 40)
                                  for i in (1, 2)])
        # About 1.7 KiB to a request of about 60: in truncate mode the server
        # answers "truncated" over UDP and the client asks again over TCP.
        cls.put("88.999/big", [string_value(i, "X-BLOB", ("b%d" % i) * 125)
                               for i in range(1, 7)])

    @classmethod
    def tearDownClass(cls):
        cls.daemon.__exit__(None, None, None)

    @classmethod
    def put(cls, handle, values):
        status, body = cls.daemon.request("PUT", "/api/handles/" + handle, {"values": values})
        if status not in (200, 201):
            raise RuntimeError("PUT %s: %d %s" % (handle, status, body))

    def resolve(self, *args):
        return run_cli("resolve", "--server", self.server, *args)

    def rest_get(self, *args):
        return run_cli("--server", self.daemon.url, "get", *args)

    # --- answers -------------------------------------------------------------

    def test_table_matches_rest_get(self):
        code, out, err = self.resolve("88.999/res-1")
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(out, self.rest_get("88.999/res-1")[1])
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ["INDEX", "TYPE", "DATA", "TTL"])
        self.assertEqual(lines[1].split(), ["1", "URL", "https://example.org/res-1", "86400"])
        self.assertEqual(lines[2].split(), ["2", "EMAIL", "ops@example.org", "3600"])
        self.assertEqual(lines[3].split(), ["3", "X-NOTE", "泵", "1", "86400"])

    def test_json_has_the_rest_shape(self):
        code, out, err = self.resolve("88.999/res-1", "--json")
        self.assertEqual((code, err), (0, ""))
        reply = json.loads(out)
        self.assertEqual(reply["responseCode"], 1)
        self.assertEqual(reply["handle"], "88.999/res-1")
        status, rest = self.daemon.request("GET", "/api/handles/88.999/res-1")
        self.assertEqual(status, 200)
        self.assertEqual(reply["values"], rest["values"])

    def test_global_json_flag_applies(self):
        code, out, _ = run_cli("--json", "resolve", "--server", self.server, "88.999/res-1")
        self.assertEqual(code, 0)
        self.assertEqual(json.loads(out)["responseCode"], 1)

    def test_tcp_gives_the_same_answer(self):
        udp = self.resolve("88.999/res-1", "--json")
        tcp = self.resolve("88.999/res-1", "--json", "--tcp")
        self.assertEqual(tcp[0], 0)
        self.assertEqual(json.loads(tcp[1]), json.loads(udp[1]))

    def test_type_and_index_filters(self):
        code, out, _ = self.resolve("88.999/res-1", "--type", "URL", "--type", "X-NOTE", "--json")
        self.assertEqual(code, 0)
        self.assertEqual([v["index"] for v in json.loads(out)["values"]], [1, 3])
        code, out, _ = self.resolve("88.999/res-1", "--index", "2", "--json")
        self.assertEqual(code, 0)
        self.assertEqual([v["type"] for v in json.loads(out)["values"]], ["EMAIL"])

    def test_fragmented_udp_reply_is_reassembled(self):
        # --udp forbids the TCP fallback, so success means reassembly worked.
        code, out, err = self.resolve(self.frag_handle, "--udp", "--json")
        self.assertEqual((code, err), (0, ""))
        values = json.loads(out)["values"]
        self.assertEqual([v["data"]["value"] for v in values],
                         [("blob-%d-" % i) * 40 for i in (1, 2)])

    def test_truncated_udp_reply_falls_back_to_tcp(self):
        code, out, err = self.resolve("88.999/big", "--json")
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(len(json.loads(out)["values"]), 6)
        code, out, err = self.resolve("88.999/big", "--udp")
        self.assertEqual((code, out), (6, ""))
        self.assertEqual(err, "qilian: the reply from %s does not fit in UDP (truncated); "
                              "retry with --tcp\n" % self.server)

    # --- failures --------------------------------------------------------------

    # --- certified answers (--certify) ----------------------------------------

    def test_certified_answer_is_checked_with_the_site_key(self):
        code, out, err = self.resolve("88.999/res-1", "--certify", "--json")
        self.assertEqual((code, err), (0, ""))
        reply = json.loads(out)
        self.assertEqual(reply["certified"], True)
        self.assertEqual(reply["values"], json.loads(self.resolve("88.999/res-1", "--json")[1])["values"])
        # Errors are certified and checked too.
        code, out, err = self.resolve("88.999/no-such", "--certify", "--tcp")
        self.assertEqual((code, out), (1, ""))
        self.assertTrue(err.endswith("(responseCode 100)\n"), err)

    def test_a_tampered_certified_answer_is_refused(self):
        """A relay that flips the last octet of certified answers (the end of
        the signature): qilian refuses the answer with exit code 5."""
        relay = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        relay.bind(("127.0.0.1", 0))
        relay.settimeout(0.2)
        upstream = ("127.0.0.1", self.daemon.handle_port)
        stop = threading.Event()

        def run():
            while not stop.is_set():
                try:
                    request, client = relay.recvfrom(65536)
                except socket.timeout:
                    continue
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
                    up.settimeout(5)
                    up.sendto(request, upstream)
                    reply = up.recvfrom(65536)[0]
                certified = len(reply) > 32 and reply[28] & 0x40
                if certified:
                    reply = reply[:-1] + bytes([reply[-1] ^ 0x01])
                relay.sendto(reply, client)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            server = "127.0.0.1:%d" % relay.getsockname()[1]
            code, out, err = run_cli("resolve", "--server", server, "88.999/res-1", "--udp",
                                     "--certify")
            self.assertEqual((code, out), (5, ""))
            self.assertEqual(err, "qilian: the answer from %s is not certified by its site key: "
                                  "reply signature does not verify\n" % server)
            # The same relay passes plain answers untouched.
            self.assertEqual(run_cli("resolve", "--server", server, "88.999/res-1", "--udp")[0], 0)
        finally:
            stop.set()
            thread.join(timeout=5)
            relay.close()

    def test_not_found(self):
        code, out, err = self.resolve("88.999/no-such")
        self.assertEqual((code, out), (1, ""))
        self.assertTrue(err.startswith("qilian: ") and err.endswith("(responseCode 100)\n"), err)
        code, out, _ = self.resolve("88.999/no-such", "--json")
        self.assertEqual(code, 1)
        reply = json.loads(out)
        self.assertEqual((reply["responseCode"], reply["handle"]), (100, "88.999/no-such"))

    def test_filter_matching_nothing_is_values_not_found(self):
        code, out, err = self.resolve("88.999/res-1", "--type", "NO-SUCH-TYPE")
        self.assertEqual((code, out), (1, ""))
        self.assertTrue(err.endswith("(responseCode 200)\n"), err)

    def test_nothing_listening_is_a_network_error(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        code, out, err = run_cli("resolve", "--server", "127.0.0.1:%d" % port, "88.999/x",
                                 "--udp", "--timeout", "2")
        self.assertEqual((code, out), (6, ""))
        self.assertEqual(err, "qilian: cannot connect to 127.0.0.1:%d over UDP: "
                              "Connection refused\n" % port)

    def test_silent_server_times_out(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            code, out, err = run_cli("resolve", "--server", "127.0.0.1:%d" % port, "88.999/x",
                                     "--udp", "--timeout", "0.3")
        self.assertEqual((code, out), (6, ""))
        self.assertEqual(err, "qilian: no answer from 127.0.0.1:%d within 0.3s\n" % port)

    def test_usage_errors(self):
        code, out, err = run_cli("resolve", "--server", "localhost", "88.999/x")
        self.assertEqual((code, out), (2, ""))
        self.assertEqual(err, "qilian: malformed --server \"localhost\": expected HOST:PORT\n")
        code, _, err = run_cli("resolve", "--udp", "--tcp", "88.999/x")
        self.assertEqual(code, 2)
        self.assertIn("excludes", err)

    # --- siteinfo --------------------------------------------------------------

    def test_siteinfo(self):
        code, out, err = run_cli("siteinfo", "--server", self.server, "--json")
        self.assertEqual((code, err), (0, ""))
        reply = json.loads(out)
        self.assertEqual(reply["responseCode"], 1)
        ports = [i["port"] for s in reply["site"]["servers"] for i in s["interfaces"]]
        self.assertIn(self.daemon.handle_port, ports)
        code, text, err = run_cli("siteinfo", "--server", self.server)
        self.assertEqual((code, err), (0, ""))
        self.assertTrue(text.startswith("version 1, protocol 2."), text)
        self.assertIn(" %d " % self.daemon.handle_port, text)


if __name__ == "__main__":
    unittest.main()
