"""End-to-end tests of the `qilian` command against a real qiliand.

Each test runs the built binary ($QILIAN_BUILD_DIR/src/cli/qilian) as a
script would and asserts its exact stdout, stderr and exit code (the
contract written down in docs/cli.md). Every write and every listing is
authenticated: those commands run with --auth and --secret-file naming the
node's first administrator (300:0.NA/88.999, whose secret qiliand writes to
its data directory); without them the node refuses and nothing changes.
Run from the repository root:

    QILIAN_BUILD_DIR=build python3 -m unittest tests/e2e/test_cli.py
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import QILIAN, Qiliand  # noqa: E402

CLI_TIMEOUT_S = 60


# The commands the node answers only for an authenticated caller.
AUTHENTICATED = ("put", "delete", "list")
# run_cli(auth=AS_ADMIN): the first administrator for AUTHENTICATED commands.
AS_ADMIN = object()


def admin_credentials(node):
    """(identity, secret file) of the node's first administrator."""
    return node.admin[0], os.path.join(node.data_dir, "db", "admin.secret")


def command_word(args):
    """The subcommand among args (global options and their values skipped)."""
    skip = False
    for a in args:
        if skip:
            skip = False
        elif a in ("--server", "--timeout"):
            skip = True
        elif not a.startswith("-"):
            return a
    return None


def run_cli(*args, server=None, stdin=None, env_server=None, auth=None):
    """Runs qilian; returns (exit code, stdout, stderr) as text. auth:
    (identity, secret file) to send --auth/--secret-file, or None."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("QILIAN_SERVER", "QILIAN_AUTH", "QILIAN_SECRET_FILE", "QILIAN_KEY_FILE")}
    if env_server is not None:
        env["QILIAN_SERVER"] = env_server
    cmd = [QILIAN]
    if server is not None:
        cmd += ["--server", server]
    if auth is not None:
        cmd += ["--auth", auth[0], "--secret-file", auth[1]]
    cmd += list(args)
    proc = subprocess.run(cmd, input=stdin, capture_output=True, env=env,
                          timeout=CLI_TIMEOUT_S)
    return (proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))


def handle_path(handle):
    return "/api/handles/" + urllib.parse.quote(handle, safe="/")


def closed_port():
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(QILIAN):
            raise RuntimeError("qilian not built at " + QILIAN)
        cls.daemon = Qiliand().start()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.__exit__(None, None, None)

    def cli(self, *args, auth=AS_ADMIN, **kwargs):
        """As the first administrator for put, delete and list; auth=None: anonymous."""
        if auth is AS_ADMIN:
            auth = (admin_credentials(self.daemon) if command_word(args) in AUTHENTICATED
                    else None)
        return run_cli(*args, server=self.daemon.url, auth=auth, **kwargs)

    def server_message(self, method, handle, query=""):
        """The message the server itself gives, to check the CLI passes it on."""
        status, body = self.daemon.request(method, handle_path(handle) + query)
        self.assertIsInstance(body, dict, body)
        return body["message"], body["responseCode"]

    def test_put_with_flags_then_get_table(self):
        rc, out, err = self.cli("put", "88.999/cli-flags",
                                "--value", "1:URL:https://example.com/a:b",
                                "--value", "2:EMAIL:ops@example.com",
                                "--admin", "100:0.NA/88.999:200")
        self.assertEqual((rc, out, err), (0, "created 88.999/cli-flags\n", ""))
        rc, out, err = self.cli("get", "88.999/cli-flags")
        self.assertEqual(err, "")
        self.assertEqual(rc, 0)
        self.assertEqual(out,
                         "INDEX  TYPE      DATA                                                   TTL\n"
                         "1      URL       https://example.com/a:b                                86400\n"
                         "2      EMAIL     ops@example.com                                        86400\n"
                         "100    HS_ADMIN  handle=0.NA/88.999 index=200 permissions=011111110011  86400\n")

    def test_put_again_says_updated_and_ttl_applies(self):
        self.assertEqual(self.cli("put", "88.999/cli-upd", "--value", "1:URL:x")[0], 0)
        rc, out, err = self.cli("put", "88.999/cli-upd", "--ttl", "60", "--value", "1:URL:y")
        self.assertEqual((rc, out, err), (0, "updated 88.999/cli-upd\n", ""))
        rc, out, _ = self.cli("get", "88.999/cli-upd")
        self.assertEqual(out, "INDEX  TYPE  DATA  TTL\n"
                              "1      URL   y     60\n")

    def test_put_from_file_and_stdin(self):
        body = {"values": [
            {"index": 1, "type": "URL", "data": {"format": "string", "value": "https://f.example"},
             "ttl": 3600},
            # The server keeps bytes, not the format they came in: hex in,
            # base64 out.
            {"index": 5, "type": "BLOB", "data": {"format": "hex", "value": "00ff10"}}]}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(body, f)
            path = f.name
        try:
            rc, out, err = self.cli("put", "88.999/cli-file", "--file", path)
        finally:
            os.unlink(path)
        self.assertEqual((rc, out, err), (0, "created 88.999/cli-file\n", ""))
        rc, out, err = self.cli("get", "88.999/cli-file")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, "INDEX  TYPE  DATA               TTL\n"
                              "1      URL   https://f.example  3600\n"
                              "5      BLOB  base64:AP8Q        86400\n")

        rc, out, err = self.cli("put", "88.999/cli-stdin", "--file", "-",
                                stdin=json.dumps(body).encode())
        self.assertEqual((rc, out, err), (0, "created 88.999/cli-stdin\n", ""))
        status, stored = self.daemon.request("GET", handle_path("88.999/cli-stdin"))
        self.assertEqual(status, 200)
        self.assertEqual(sorted(v["index"] for v in stored["values"]), [1, 5])

    def test_json_output_parses(self):
        self.cli("put", "88.999/cli-json", "--value", "1:URL:https://j.example",
                 "--value", "2:EMAIL:j@example.com")
        rc, out, err = self.cli("--json", "get", "88.999/cli-json")
        self.assertEqual((rc, err), (0, ""))
        reply = json.loads(out)
        self.assertEqual(reply["responseCode"], 1)
        self.assertEqual(reply["handle"], "88.999/cli-json")
        got = {v["index"]: (v["type"], v["data"]) for v in reply["values"]}
        self.assertEqual(got, {1: ("URL", {"format": "string", "value": "https://j.example"}),
                               2: ("EMAIL", {"format": "string", "value": "j@example.com"})})
        # Global options may also follow the subcommand.
        rc, out2, _ = self.cli("get", "88.999/cli-json", "--json")
        self.assertEqual(rc, 0)
        self.assertEqual(json.loads(out2)["values"], reply["values"])

    def test_get_filters(self):
        self.cli("put", "88.999/cli-filter", "--value", "1:URL:u", "--value", "2:EMAIL:e",
                 "--value", "3:URL:v")
        rc, out, err = self.cli("get", "88.999/cli-filter", "--type", "URL")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, "INDEX  TYPE  DATA  TTL\n"
                              "1      URL   u     86400\n"
                              "3      URL   v     86400\n")
        rc, out, err = self.cli("get", "--index", "2", "88.999/cli-filter", "--index", "3")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, "INDEX  TYPE   DATA  TTL\n"
                              "2      EMAIL  e     86400\n"
                              "3      URL    v     86400\n")
        # A filter that matches nothing is "values not found" (200).
        rc, out, err = self.cli("get", "88.999/cli-filter", "--type", "NOPE")
        message, code = self.server_message("GET", "88.999/cli-filter", "?type=NOPE")
        self.assertEqual(code, 200)
        self.assertEqual((rc, out, err),
                         (1, "", "qilian: %s (responseCode 200)\n" % message))

    def test_not_found(self):
        rc, out, err = self.cli("get", "88.999/cli-missing")
        message, code = self.server_message("GET", "88.999/cli-missing")
        self.assertEqual(code, 100)
        self.assertEqual((rc, out, err), (1, "", "qilian: %s (responseCode 100)\n" % message))

    def test_json_error_reply_goes_to_stdout(self):
        rc, out, err = self.cli("--json", "get", "88.999/cli-missing-json")
        self.assertEqual(rc, 1)
        self.assertEqual(json.loads(out)["responseCode"], 100)
        self.assertRegex(err, r"^qilian: .+ \(responseCode 100\)\n$")

    def test_rejected_outside_authority(self):
        # The node is authoritative for 88.999 only: 301, HTTP 400, exit 4.
        rc, out, err = self.cli("put", "77.1/cli-elsewhere", "--value", "1:URL:x")
        self.assertEqual((rc, out), (4, ""))
        self.assertRegex(err, r"^qilian: .+ \(responseCode 301\)\n$")

    def test_no_overwrite_conflict(self):
        self.assertEqual(self.cli("put", "88.999/cli-noover", "--value", "1:URL:first")[0], 0)
        rc, out, err = self.cli("put", "88.999/cli-noover", "--no-overwrite",
                                "--value", "1:URL:second")
        self.assertEqual((rc, out), (3, ""))
        self.assertRegex(err, r"^qilian: .+ \(responseCode 101\)\n$")
        _, out, _ = self.cli("get", "88.999/cli-noover")
        self.assertIn("first", out)
        self.assertNotIn("second", out)

    def test_put_index_replaces_only_those(self):
        self.cli("put", "88.999/cli-part", "--value", "1:URL:one", "--value", "2:EMAIL:two")
        rc, out, err = self.cli("put", "88.999/cli-part", "--index", "2",
                                "--value", "2:EMAIL:deux")
        self.assertEqual((rc, out, err), (0, "updated 88.999/cli-part\n", ""))
        _, out, _ = self.cli("get", "88.999/cli-part")
        self.assertEqual(out, "INDEX  TYPE   DATA  TTL\n"
                              "1      URL    one   86400\n"
                              "2      EMAIL  deux  86400\n")

    def test_without_credentials_nothing_is_written_or_listed(self):
        refused = (5, "", "qilian: authentication required (responseCode 402)\n")
        self.assertEqual(self.cli("put", "88.999/cli-anon", "--value", "1:URL:x", auth=None),
                         refused)
        self.assertEqual(self.cli("get", "88.999/cli-anon")[0], 1)
        self.assertEqual(self.cli("put", "88.999/cli-keep", "--value", "1:URL:keep")[0], 0)
        for args in (["put", "88.999/cli-keep", "--value", "1:URL:changed"],
                     ["put", "88.999/cli-keep", "--index", "2", "--value", "2:URL:added"],
                     ["delete", "88.999/cli-keep", "--index", "1"],
                     ["delete", "88.999/cli-keep"],
                     ["list", "88.999"]):
            with self.subTest(args=args):
                self.assertEqual(self.cli(*args, auth=None), refused)
        self.assertEqual(self.cli("get", "88.999/cli-keep"),
                         (0, "INDEX  TYPE  DATA  TTL\n1      URL   keep  86400\n", ""))
        # A wrong secret is refused as well (HTTP 401, responseCode 403).
        wrong = os.path.join(self.daemon.data_dir, "wrong.secret")
        with open(wrong, "w") as f:
            f.write("not-the-secret\n")
        self.assertEqual(
            self.cli("delete", "88.999/cli-keep", auth=(self.daemon.admin[0], wrong)),
            (5, "", "qilian: secret does not match for 300:0.NA/88.999 (responseCode 403)\n"))
        self.assertEqual(self.cli("get", "88.999/cli-keep")[0], 0)

    def test_usage_errors(self):
        cases = [
            (["put", "88.999/cli-bad", "--value", "1URL"],
             "qilian: malformed --value \"1URL\": expected INDEX:TYPE:DATA\n"),
            (["put", "88.999/cli-bad", "--value", "0:URL:x"],
             "qilian: malformed --value \"0:URL:x\": index must be an integer from 1 to "
             "2147483647\n"),
            (["put", "88.999/cli-bad", "--value", "1:URL:a", "--value", "1:URL:b"],
             "qilian: index 1 given twice\n"),
            (["put", "88.999/cli-bad"],
             "qilian: no values: give --value, --admin or --file\n"),
            (["put", "88.999/cli-bad", "--file", "/nonexistent/v.json"],
             "qilian: cannot read /nonexistent/v.json: No such file or directory\n"),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                self.assertEqual(self.cli(*args), (2, "", expected))
        rc, out, err = self.cli("get")
        self.assertEqual((rc, out), (2, ""))
        self.assertTrue(err.startswith("qilian: handle is required\n"), err)
        rc, _, err = self.cli("frobnicate")
        self.assertEqual(rc, 2)
        self.assertTrue(err.startswith("qilian: "), err)
        # Nothing reached the server.
        self.assertEqual(self.cli("get", "88.999/cli-bad")[0], 1)

    def test_server_down(self):
        port = closed_port()
        rc, out, err = run_cli("get", "88.999/x", server="http://127.0.0.1:%d" % port)
        self.assertEqual((rc, out, err),
                         (6, "", "qilian: cannot connect to http://127.0.0.1:%d: "
                                 "Connection refused\n" % port))
        # The environment variable names the server when --server is absent.
        rc, _, err = run_cli("list", "88.999", env_server="http://127.0.0.1:%d" % port)
        self.assertEqual(rc, 6)
        self.assertIn("cannot connect to http://127.0.0.1:%d" % port, err)

    def test_timeout(self):
        # A listener that never answers: the connection is accepted by the
        # kernel's backlog, the reply never comes.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            s.listen(8)
            url = "http://127.0.0.1:%d" % s.getsockname()[1]
            rc, out, err = run_cli("--timeout", "0.3", "get", "88.999/x", server=url)
        self.assertEqual((rc, out, err),
                         (6, "", "qilian: no answer from %s within 0.3s\n" % url))

    def test_env_server(self):
        self.cli("put", "88.999/cli-env", "--value", "1:URL:env")
        rc, out, _ = run_cli("get", "88.999/cli-env", env_server=self.daemon.url)
        self.assertEqual(rc, 0)
        self.assertIn("env", out)

    def test_delete(self):
        self.cli("put", "88.999/cli-del", "--value", "1:URL:a", "--value", "2:EMAIL:b")
        rc, out, err = self.cli("delete", "88.999/cli-del", "--index", "2")
        self.assertEqual((rc, out, err), (0, "deleted index 2 of 88.999/cli-del\n", ""))
        _, out, _ = self.cli("get", "88.999/cli-del")
        self.assertEqual(out, "INDEX  TYPE  DATA  TTL\n"
                              "1      URL   a     86400\n")
        rc, out, err = self.cli("delete", "88.999/cli-del")
        self.assertEqual((rc, out, err), (0, "deleted 88.999/cli-del\n", ""))
        rc, out, err = self.cli("get", "88.999/cli-del")
        self.assertEqual((rc, out), (1, ""))
        self.assertRegex(err, r"^qilian: .+ \(responseCode 100\)\n$")
        rc, _, err = self.cli("delete", "88.999/cli-del")
        self.assertEqual(rc, 1)

    def test_odd_handle_round_trips(self):
        handle = "88.999/cli odd?#%&=+;祁连/x"
        rc, out, err = self.cli("put", handle, "--value", "1:NAME:祁连山 pump")
        self.assertEqual((rc, out, err), (0, "created %s\n" % handle, ""))
        rc, out, err = self.cli("--json", "get", handle)
        self.assertEqual((rc, err), (0, ""))
        reply = json.loads(out)
        self.assertEqual(reply["handle"], handle)
        self.assertEqual(reply["values"][0]["data"]["value"], "祁连山 pump")
        rc, out, _ = self.cli("get", handle)
        self.assertEqual(out, "INDEX  TYPE  DATA         TTL\n"
                              "1      NAME  祁连山 pump  86400\n")
        rc, out, err = self.cli("list", "88.999", "--all")
        self.assertEqual(rc, 0)
        self.assertIn(handle, out.splitlines())
        self.assertEqual(self.cli("delete", handle), (0, "deleted %s\n" % handle, ""))
        self.assertEqual(self.cli("get", handle)[0], 1)

    def test_help(self):
        rc, out, err = run_cli("--help")
        self.assertEqual((rc, err), (0, ""))
        for word in ("get", "put", "delete", "list", "Exit codes:", "--server", "QILIAN_SERVER"):
            self.assertIn(word, out)
        for sub in ("get", "put", "delete", "list"):
            with self.subTest(sub=sub):
                rc, out, err = run_cli(sub, "--help")
                self.assertEqual((rc, err), (0, ""))
                self.assertIn("Examples:", out)
                self.assertIn("Exit codes:", out)
                self.assertIn("qilian " + sub, out)


class CliListTest(unittest.TestCase):
    """Paging needs a daemon of its own so that it knows every handle listed."""

    def test_list_paging(self):
        self.assertTrue(os.path.exists(QILIAN), "qilian not built at " + QILIAN)
        handles = ["88.999/list-%d" % i for i in range(5)]
        with Qiliand() as q:
            admin = admin_credentials(q)

            def as_admin(*args, server):
                return run_cli(*args, server=server, auth=admin)

            for h in handles:
                self.assertEqual(as_admin("put", h, "--value", "1:URL:x", server=q.url)[0], 0)
            rc, out, err = as_admin("list", "88.999", server=q.url)
            self.assertEqual((rc, out, err), (0, "".join(h + "\n" for h in handles), ""))
            rc, out, err = as_admin("list", "88.999", "--page-size", "2", server=q.url)
            self.assertEqual((rc, out, err), (0, "88.999/list-0\n88.999/list-1\n", ""))
            rc, out, err = as_admin("list", "88.999", "--page", "1", "--page-size", "2",
                                    server=q.url)
            self.assertEqual((rc, out, err), (0, "88.999/list-2\n88.999/list-3\n", ""))
            rc, out, err = as_admin("list", "88.999", "--page", "2", "--page-size", "2",
                                    server=q.url)
            self.assertEqual((rc, out, err), (0, "88.999/list-4\n", ""))
            rc, out, err = as_admin("list", "88.999", "--all", "--page-size", "2", server=q.url)
            self.assertEqual((rc, out, err), (0, "".join(h + "\n" for h in handles), ""))
            # A listing that ends exactly on a page boundary.
            rc, out, err = as_admin("list", "88.999", "--all", "--page-size", "5", server=q.url)
            self.assertEqual((rc, out, err), (0, "".join(h + "\n" for h in handles), ""))
            rc, out, err = as_admin("--json", "list", "88.999", "--all", "--page-size", "2",
                                    server=q.url)
            self.assertEqual((rc, err), (0, ""))
            self.assertEqual(json.loads(out)["handles"], handles)
            rc, out, err = as_admin("--json", "list", "88.999", "--page-size", "2", server=q.url)
            reply = json.loads(out)
            self.assertEqual((reply["responseCode"], reply["pageSize"], reply["handles"]),
                             (1, 2, handles[:2]))


if __name__ == "__main__":
    unittest.main()
