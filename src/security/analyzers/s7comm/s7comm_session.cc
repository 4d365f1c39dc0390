#include "security/analyzers/s7comm/s7comm_session.h"

#include <algorithm>

namespace qilian::security::s7comm {

const RequestContext* S7Session::Find(uint16_t pdu_ref) const {
  auto it = pending_.find(pdu_ref);
  return it == pending_.end() ? nullptr : &it->second;
}

void S7Session::Remember(uint16_t pdu_ref, RequestContext request) {
  if (auto it = pending_.find(pdu_ref); it != pending_.end()) {
    it->second = std::move(request);
    return;
  }
  if (pending_.size() >= kMaxPendingRequests) {
    pending_.erase(order_.front());
    order_.pop_front();
  }
  pending_.emplace(pdu_ref, std::move(request));
  order_.push_back(pdu_ref);
}

void S7Session::Forget(uint16_t pdu_ref) {
  if (pending_.erase(pdu_ref) == 0) return;
  auto at = std::find(order_.begin(), order_.end(), pdu_ref);
  if (at != order_.end()) order_.erase(at);
}

void CopiedFields::Write(JsonWriter& j) const {
  if (filename) j.Key("filename").String(*filename);
  if (block_type) j.Key("block_type").String(*block_type);
  if (block_number) j.Key("block_number").Uint(*block_number);
  if (filesystem) j.Key("filesystem").String(*filesystem);
  if (pi_service) j.Key("pi_service").String(*pi_service);
}

const CarriedFields* S7Session::Continuation(uint8_t data_unit_ref) const {
  auto it = continuing_.find(data_unit_ref);
  return it == continuing_.end() ? nullptr : &it->second;
}

void S7Session::SetContinuation(uint8_t data_unit_ref, CarriedFields carried) {
  continuing_[data_unit_ref] = std::move(carried);
}

}  // namespace qilian::security::s7comm
