#include "ident/session_key_exchange.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "ident/auth/nonce.h"
#include "ident/auth/public_key.h"
#include "ident/auth/seckey_lookup.h"
#include "ident/handle_value.h"
#include "ident/response_code.h"

namespace qilian::ident {

absl::StatusOr<SessionKeyAgreement> AgreeSessionKey(const wire::SessionSetup& setup,
                                                    const Registry* registry) {
  auto failed = [](absl::string_view why) {
    return HandleError(ResponseCode::kSessionFailed, absl::StrCat("session setup: ", why));
  };
  SessionKeyAgreement agreed;
  if (setup.mode == wire::kKeyExchangeDh) {
    absl::StatusOr<wire::ExchangeKey> ours = wire::ExchangeKey::NewLike(setup.public_key);
    if (!ours.ok()) return failed(ours.status().message());
    absl::StatusOr<std::string> key = ours->SessionKey(setup.public_key, /*we_are_client=*/false);
    if (!key.ok()) return failed(key.status().message());
    agreed.key = *std::move(key);
    agreed.reply_data = wire::EncodeSessionKeyPayload(wire::kCipherAes, ours->Record());
    return agreed;
  }
  // Modes 1 and 3: the node makes the key and sends it encrypted to the
  // client's RSA key, given in the setup (1) or as an HS_PUBKEY value (3).
  std::string record;
  if (setup.mode == wire::kKeyExchangeCipherClient) {
    record = setup.public_key;
  } else if (setup.mode == wire::kKeyExchangeCipherHdl) {
    absl::StatusOr<std::optional<std::string>> found =
        registry == nullptr
            ? absl::StatusOr<std::optional<std::string>>(std::nullopt)
            : auth::LookUpKeyValue(*registry, setup.exchange_key_handle,
                                   setup.exchange_key_index, kTypePubKey);
    if (!found.ok()) return found.status();
    if (!found->has_value()) {
      return failed(absl::StrCat("no HS_PUBKEY at ", setup.exchange_key_index, ":",
                                 setup.exchange_key_handle));
    }
    record = **found;
  } else {
    // Mode 2 cannot work with the reference client: it sends its exchange
    // key (opcode 402) with session id 0, so no server can tell whose it is.
    return HandleError(ResponseCode::kSessionFailed,
                       absl::StrCat("key exchange mode ", setup.mode,
                                    " is not supported; use 4 (Diffie-Hellman), 1 or 3 (RSA)"));
  }
  absl::StatusOr<auth::PublicKey> client_key = auth::DecodePublicKey(record);
  if (!client_key.ok()) return failed(client_key.status().message());
  absl::StatusOr<std::string> key = auth::GenerateNonce(wire::kSessionKeyBytes);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> sealed =
      auth::EncryptToKey(*client_key, wire::EncodeSessionKeyPayload(wire::kCipherAes, *key));
  if (!sealed.ok()) return failed(sealed.status().message());
  agreed.key = *std::move(key);
  agreed.reply_data = *std::move(sealed);
  return agreed;
}

}  // namespace qilian::ident
