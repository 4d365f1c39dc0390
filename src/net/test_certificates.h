// Tests only: keys and X.509 certificates made with OpenSSL at test time and
// written as PEM files to a temporary directory, for the TLS tests of the
// HTTP server and of the CLI's HTTPS client (no key material is checked in).
#ifndef QILIAN_NET_TEST_CERTIFICATES_H_
#define QILIAN_NET_TEST_CERTIFICATES_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace qilian::net::testing {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

// A key pair and its certificate, as objects and as PEM files.
struct Credential {
  PkeyPtr key;
  X509Ptr cert;
  std::string key_file;
  std::string cert_file;
};

// A path `name` in this process's temporary directory.
std::string TempPath(const std::string& name);

// An EC P-256 key and a certificate for `subject` ({{"CN","x"},{"O","y"}}),
// signed by `issuer` (self-signed when null), with subjectAltName `san`
// when given, written as PEM files `name`.key and `name`.crt.
Credential MakeCredential(const std::string& name,
                          const std::vector<std::pair<std::string, std::string>>& subject,
                          const Credential* issuer, bool is_ca, const char* san = nullptr);

}  // namespace qilian::net::testing

#endif  // QILIAN_NET_TEST_CERTIFICATES_H_
