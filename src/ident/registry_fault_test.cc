// The registry over a store whose writes and reads fail on demand: a failed
// write is reported with code 2 and leaves the stored record byte-for-byte
// as it was.
#include <functional>
#include <string>

#include "gtest/gtest.h"
#include "ident/registry.h"
#include "ident/response_code.h"
#include "store/fault_store.h"
#include "store/memory_store.h"

namespace qilian::ident {
namespace {

HandleValue Url(uint32_t index, std::string data = "https://example.org/") {
  HandleValue v;
  v.index = index;
  v.type = "URL";
  v.data = std::move(data);
  return v;
}

class RegistryFaultTest : public ::testing::Test {
 protected:
  RegistryFaultTest()
      : base_(store::NewMemoryStore({{"ident"}})),
        faulty_(base_.get()),
        registry_(&faulty_, clock_, RegistryOptions{}) {}

  void SetUp() override {
    ASSERT_TRUE(registry_.Create("88.999/f", {Url(1, "one"), Url(2, "two")}).ok());
    before_ = Stored();
    ASSERT_FALSE(before_.empty());
    clock_.Advance(absl::Seconds(60));
  }

  std::string Stored() {
    std::string bytes;
    absl::Status s = base_->Get("ident", "88.999/F", &bytes);
    return s.ok() ? bytes : "";
  }

  // Runs `op` with the next store write failing and checks what it left.
  void ExpectWriteFailureLeavesRecord(const std::function<absl::Status()>& op) {
    faulty_.FailNthWrite(1, absl::UnavailableError("disk on fire"));
    absl::Status s = op();
    EXPECT_EQ(ResponseCodeOf(s), ResponseCode::kError) << s;
    EXPECT_EQ(s.message(), "storage write failed: disk on fire");
    EXPECT_EQ(Stored(), before_);
    faulty_.Clear();
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> base_;
  store::FaultInjectingStore faulty_;
  Registry registry_;
  std::string before_;
};

TEST_F(RegistryFaultTest, FailedCreateStoresNothing) {
  faulty_.FailNthWrite(1, absl::UnavailableError("disk on fire"));
  absl::Status s = registry_.Create("88.999/new", {Url(1)});
  EXPECT_EQ(ResponseCodeOf(s), ResponseCode::kError);
  EXPECT_EQ(s.message(), "storage write failed: disk on fire");
  EXPECT_EQ(ResponseCodeOf(registry_.Get("88.999/new", {}).status()),
            ResponseCode::kHandleNotFound);
}

TEST_F(RegistryFaultTest, FailedWritesLeaveThePreviousRecord) {
  ExpectWriteFailureLeavesRecord([&] { return registry_.Replace("88.999/f", {Url(9)}, true).status(); });
  ExpectWriteFailureLeavesRecord(
      [&] { return registry_.PutValues("88.999/f", {Url(2, "x"), Url(3)}, true).status(); });
  ExpectWriteFailureLeavesRecord([&] { return registry_.AddValues("88.999/f", {Url(3)}); });
  ExpectWriteFailureLeavesRecord([&] { return registry_.ModifyValues("88.999/f", {Url(1, "x")}); });
  ExpectWriteFailureLeavesRecord([&] { return registry_.RemoveValues("88.999/f", {2}); });
  ExpectWriteFailureLeavesRecord([&] { return registry_.Delete("88.999/f"); });
  // And the registry works again once the store does.
  EXPECT_TRUE(registry_.AddValues("88.999/f", {Url(3)}).ok());
  EXPECT_NE(Stored(), before_);
}

TEST_F(RegistryFaultTest, FailedReadsAreReportedWithCode2) {
  faulty_.FailReads(absl::InternalError("io error"));
  absl::Status get = registry_.Get("88.999/f", {}).status();
  EXPECT_EQ(ResponseCodeOf(get), ResponseCode::kError);
  EXPECT_EQ(get.message(), "storage read failed: io error");
  absl::Status add = registry_.AddValues("88.999/f", {Url(3)});
  EXPECT_EQ(ResponseCodeOf(add), ResponseCode::kError);
  EXPECT_EQ(add.message(), "storage read failed: io error");
  absl::Status list = registry_.List("88.999", "", 10).status();
  EXPECT_EQ(ResponseCodeOf(list), ResponseCode::kError);
  EXPECT_EQ(list.message(), "storage read failed: io error");
  faulty_.Clear();
  EXPECT_EQ(Stored(), before_);
}

}  // namespace
}  // namespace qilian::ident
