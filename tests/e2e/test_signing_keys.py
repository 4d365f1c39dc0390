"""The node's signing keys: what a fresh node makes and publishes, the
optional Ed25519 and SM2 keys, and rotation (docs/authentication.md, "The
node's signing keys"; docs/operations.md, "Rotating the signing key").

A real qiliand on loopback; certified answers are checked with
hdllib_like's verifier, the way Handle.Net's hdllib checks them against the
key in the site's HS_SITE.
"""

import os
import subprocess
import unittest

import hdllib_like as hl
from harness import QILIAND, Qiliand

CONFIG = '[handle]\nport = 0\n[auth]\nsigning_keys = ["rsa", "ed25519", "sm2"]\n'


def tcp(node, message):
    return hl.tcp_exchange("127.0.0.1", node.handle_port, message)


def site_key_blob(node):
    reply = tcp(node, hl.site_info_request())
    servers = hl.decode_site_info_response(reply).site["servers"]
    return servers[0]["public_key"]


def published_keys(node, prefix_handle):
    reply = tcp(node, hl.resolution_request(prefix_handle, types=["HS_PUBKEY"]))
    if reply.response_code != hl.RC_SUCCESS:
        return {}
    return {v.index: v.data for v in hl.decode_resolution_response(reply).values}


def certified_resolution(node, handle):
    return tcp(node, hl.resolution_request(handle, op_flags=hl.DEFAULT_FLAGS | hl.FLAG_CT))


class SigningKeys(unittest.TestCase):
    def test_published_keys_and_rotation(self):
        with Qiliand(config_text=CONFIG) as node:
            admin_handle = node.admin_key[0]
            signing_dir = os.path.join(node.data_dir, "db", "signing")
            self.assertEqual(sorted(os.listdir(signing_dir)),
                             ["ed25519.pem", "rsa.pem", "sm2.pem"])
            for name in ("ed25519.pem", "rsa.pem", "sm2.pem"):
                self.assertEqual(os.stat(os.path.join(signing_dir, name)).st_mode & 0o777, 0o600)

            # The RSA key is the site's and HS_PUBKEY 301; Ed25519 302, SM2 303.
            first = site_key_blob(node)
            keys = published_keys(node, admin_handle)
            self.assertEqual(sorted(keys), [301, 302, 303])
            self.assertEqual(keys[301], first)
            self.assertEqual(hl.Reader(keys[302]).string(), b"ED25519_PUB_KEY")
            self.assertEqual(hl.Reader(keys[303]).string(), b"SM2_PUB_KEY")
            first_key = hl.parse_public_key(first)[2]
            reply = certified_resolution(node, admin_handle)
            self.assertEqual(reply.response_code, hl.RC_SUCCESS)
            self.assertTrue(hl.verify_signed_message(reply, first_key))

            # Rotation while the node runs: nothing changes until it restarts.
            out = subprocess.run(
                [QILIAND, "--data-dir", os.path.join(node.data_dir, "db"),
                 "--config", node.config_path, "--rotate-signing-key", "rsa"],
                capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 0, out.stderr)
            retired = os.listdir(os.path.join(signing_dir, "retired"))
            self.assertEqual(len(retired), 1)
            self.assertTrue(retired[0].startswith("rsa-") and retired[0].endswith(".pem"))
            self.assertIn("new rsa signing key written; the old one is kept as " +
                          os.path.join(signing_dir, "retired", retired[0]), out.stdout)
            self.assertEqual(site_key_blob(node), first)

            node.stop()
            node.start()
            second = site_key_blob(node)
            self.assertNotEqual(second, first)
            keys = published_keys(node, admin_handle)
            self.assertEqual(keys[301], second)
            second_key = hl.parse_public_key(second)[2]
            reply = certified_resolution(node, admin_handle)
            self.assertTrue(hl.verify_signed_message(reply, second_key))
            self.assertFalse(hl.verify_signed_message(reply, first_key))

    def test_unknown_key_type_and_a_broken_key_file_stop_with_a_clear_error(self):
        with Qiliand(config_text="[handle]\nport = 0\n") as node:
            db = os.path.join(node.data_dir, "db")
            out = subprocess.run([QILIAND, "--data-dir", db, "--rotate-signing-key", "dsa"],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 2)
            self.assertEqual(out.stderr.strip(),
                             "qiliand: --rotate-signing-key: unknown signing key type 'dsa' "
                             "(rsa, ed25519, sm2)")
            node.stop()
            with open(os.path.join(db, "signing", "rsa.pem"), "w") as f:
                f.write("not a key\n")
            with self.assertRaises(RuntimeError) as failed:
                node.start()
            self.assertIn("qiliand: cannot open the signing keys: signing key file " +
                          os.path.join(db, "signing", "rsa.pem") + " is not a private key",
                          str(failed.exception))


if __name__ == "__main__":
    unittest.main()
