#include "net/test_certificates.h"

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "gtest/gtest.h"

namespace qilian::net::testing {

namespace {

// The process's directory of test keys, removed when the process exits.
std::string* TempDirectory() {
  static std::string* dir = [] {
    std::string templ = ::testing::TempDir() + "qilian_tls_XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) return new std::string("/tmp");
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(*TempDirectory(), ignored);
    });
    return new std::string(templ);
  }();
  return dir;
}

}  // namespace

std::string TempPath(const std::string& name) { return *TempDirectory() + "/" + name; }

namespace {

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr) << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

}  // namespace

// An EC P-256 key and a certificate for `subject` ({{"CN","x"},{"O","y"}}),
// signed by `issuer` (self-signed when null), written as PEM files `name`.key
// and `name`.crt.
Credential MakeCredential(const std::string& name,
                          const std::vector<std::pair<std::string, std::string>>& subject,
                          const Credential* issuer, bool is_ca, const char* san) {
  Credential c;
  c.key.reset(EVP_EC_gen("P-256"));
  EXPECT_NE(c.key, nullptr);
  c.cert.reset(X509_new());
  X509* x = c.cert.get();
  X509_set_version(x, 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
  X509_set_pubkey(x, c.key.get());
  X509_NAME* n = X509_get_subject_name(x);
  for (const auto& [field, value] : subject) {
    X509_NAME_add_entry_by_txt(n, field.c_str(), MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
  }
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : x;
  EVP_PKEY* issuer_key = issuer != nullptr ? issuer->key.get() : c.key.get();
  X509_set_issuer_name(x, X509_get_subject_name(issuer_cert));
  AddExtension(x, issuer_cert, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (is_ca) {
    // A self-signed server certificate is its own trust anchor and also
    // signs the handshake.
    AddExtension(x, issuer_cert, NID_key_usage,
                 san != nullptr ? "critical,digitalSignature,keyCertSign"
                                : "critical,keyCertSign,cRLSign");
  }
  if (san != nullptr) AddExtension(x, issuer_cert, NID_subject_alt_name, san);
  EXPECT_GT(X509_sign(x, issuer_key, EVP_sha256()), 0);

  c.key_file = TempPath(name + ".key");
  c.cert_file = TempPath(name + ".crt");
  FILE* f = std::fopen(c.key_file.c_str(), "w");
  EXPECT_EQ(PEM_write_PrivateKey(f, c.key.get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
  std::fclose(f);
  f = std::fopen(c.cert_file.c_str(), "w");
  EXPECT_EQ(PEM_write_X509(f, x), 1);
  std::fclose(f);
  return c;
}


}  // namespace qilian::net::testing
