// Test doubles for the shadow and ingestion tests (test-only): a device
// directory held in maps, a publisher that records what it would send, and
// a thing model with one property of every type.
#ifndef QILIAN_PLATFORM_SHADOW_SHADOW_TESTING_H_
#define QILIAN_PLATFORM_SHADOW_SHADOW_TESTING_H_

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "platform/device/device_directory.h"
#include "platform/ingest/publisher.h"
#include "platform/thing_model/thing_model_json.h"
#include "platform/thing_model/value_check.h"

namespace qilian::platform::testing {

// Properties: flow double 0..600, pressure float 0..16, running bool,
// speed int 0..3000 step 10 (rw), count long >= 0, mode enum 0/1/2 (rw),
// label text <= 16 (rw), since date, pos struct {x, y}, temps array of 4
// doubles, where geoPoint. Event overheat {temperature double 0..130}.
// Service setSpeed {speed int 0..3000 step 10} -> {ok bool}.
inline constexpr char kTestModel[] = R"({
 "version": 1,
 "properties": [
  {"identifier": "flow", "name": {"zh": "流量"}, "access": "r",
   "dataType": {"type": "double", "specs": {"min": 0, "max": 600}}},
  {"identifier": "pressure", "name": {"zh": "压力"}, "access": "r",
   "dataType": {"type": "float", "specs": {"min": 0, "max": 16}}},
  {"identifier": "running", "name": {"zh": "运行"}, "access": "r", "dataType": {"type": "bool"}},
  {"identifier": "speed", "name": {"zh": "转速"}, "access": "rw",
   "dataType": {"type": "int", "specs": {"min": 0, "max": 3000, "step": 10}}},
  {"identifier": "count", "name": {"zh": "计数"}, "access": "r",
   "dataType": {"type": "long", "specs": {"min": 0}}},
  {"identifier": "mode", "name": {"zh": "模式"}, "access": "rw",
   "dataType": {"type": "enum", "specs": {"items": [{"value": 0, "name": {"zh": "手动"}},
     {"value": 1, "name": {"zh": "自动"}}, {"value": 2, "name": {"zh": "远程"}}]}}},
  {"identifier": "label", "name": {"zh": "标签"}, "access": "rw",
   "dataType": {"type": "text", "specs": {"maxLength": 16}}},
  {"identifier": "since", "name": {"zh": "起始"}, "access": "r", "dataType": {"type": "date"}},
  {"identifier": "pos", "name": {"zh": "位置"}, "access": "r",
   "dataType": {"type": "struct", "specs": {"fields": [
     {"identifier": "x", "name": {"zh": "X"}, "dataType": {"type": "double"}},
     {"identifier": "y", "name": {"zh": "Y"}, "dataType": {"type": "double"}}]}}},
  {"identifier": "temps", "name": {"zh": "温度"}, "access": "r",
   "dataType": {"type": "array", "specs": {"size": 4, "item": {"type": "double"}}}},
  {"identifier": "where", "name": {"zh": "地点"}, "access": "r", "dataType": {"type": "geoPoint"}}
 ],
 "events": [
  {"identifier": "overheat", "name": {"zh": "过热"}, "type": "alert", "output": [
   {"identifier": "temperature", "name": {"zh": "温度"},
    "dataType": {"type": "double", "specs": {"min": 0, "max": 130}}}]}
 ],
 "services": [
  {"identifier": "setSpeed", "name": {"zh": "设定转速"}, "callType": "async",
   "input": [{"identifier": "speed", "name": {"zh": "转速"},
     "dataType": {"type": "int", "specs": {"min": 0, "max": 3000, "step": 10}}}],
   "output": [{"identifier": "ok", "name": {"zh": "成功"}, "dataType": {"type": "bool"}}]}
 ]
})";

inline std::shared_ptr<const ModelIndex> TestModelIndex() {
  auto model = ParseThingModel(kTestModel);
  if (!model.ok()) {
    std::fprintf(stderr, "test model: %s\n", std::string(model.status().message()).c_str());
    std::abort();
  }
  return std::make_shared<const ModelIndex>(*std::move(model));
}

class FakeDirectory final : public DeviceDirectory {
 public:
  FakeDirectory() : model_(TestModelIndex()) {}

  // Adds a device of product "pump" (key "PK000000001" unless given) bound
  // to the test model.
  std::shared_ptr<const DeviceRef> Add(uint64_t enterprise, std::string device_id,
                                       std::string gateway_id = "",
                                       std::string product_key = "PK000000001") {
    auto ref = std::make_shared<DeviceRef>();
    ref->enterprise = enterprise;
    ref->product_id = "pump";
    ref->product_key = std::move(product_key);
    ref->device_id = std::move(device_id);
    ref->gateway_id = std::move(gateway_id);
    std::lock_guard lock(mu_);
    by_key_[{ref->product_key, ref->device_id}] = ref;
    by_enterprise_[{enterprise, ref->device_id}] = ref;
    return ref;
  }
  void Replace(std::shared_ptr<const DeviceRef> ref) {
    std::lock_guard lock(mu_);
    by_key_[{ref->product_key, ref->device_id}] = ref;
    by_enterprise_[{ref->enterprise, ref->device_id}] = ref;
  }
  void Remove(const DeviceRef& ref) {
    std::lock_guard lock(mu_);
    by_key_.erase({ref.product_key, ref.device_id});
    by_enterprise_.erase({ref.enterprise, ref.device_id});
  }
  void DropModels() { model_ = nullptr; }
  const std::shared_ptr<const ModelIndex>& model() const { return model_; }

  std::shared_ptr<const DeviceRef> Find(std::string_view product_key,
                                        std::string_view device_id) const override {
    std::lock_guard lock(mu_);
    auto it = by_key_.find({std::string(product_key), std::string(device_id)});
    return it == by_key_.end() ? nullptr : it->second;
  }
  std::shared_ptr<const DeviceRef> FindInEnterprise(uint64_t enterprise,
                                                    std::string_view device_id) const override {
    std::lock_guard lock(mu_);
    auto it = by_enterprise_.find({enterprise, std::string(device_id)});
    return it == by_enterprise_.end() ? nullptr : it->second;
  }
  std::shared_ptr<const ModelIndex> Model(uint64_t, std::string_view product_id,
                                          uint32_t) const override {
    return product_id == "pump" ? model_ : nullptr;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const DeviceRef>> by_key_;
  std::map<std::pair<uint64_t, std::string>, std::shared_ptr<const DeviceRef>> by_enterprise_;
  std::shared_ptr<const ModelIndex> model_;
};

class RecordingPublisher final : public Publisher {
 public:
  struct Message {
    std::string topic;
    std::string payload;
  };
  absl::Status Publish(std::string_view topic, std::string_view payload) override {
    std::lock_guard lock(mu_);
    if (!fail_.ok()) return fail_;
    messages_.push_back({std::string(topic), std::string(payload)});
    return absl::OkStatus();
  }
  std::vector<Message> Take() {
    std::lock_guard lock(mu_);
    return std::exchange(messages_, {});
  }
  void Fail(absl::Status status) {
    std::lock_guard lock(mu_);
    fail_ = std::move(status);
  }

 private:
  std::mutex mu_;
  absl::Status fail_;
  std::vector<Message> messages_;
};

}  // namespace qilian::platform::testing

#endif  // QILIAN_PLATFORM_SHADOW_SHADOW_TESTING_H_
