// Minting (mint.h): the processor's answer to a create with the MINT flag.
#include "ident/mint.h"

#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/processor.h"
#include "ident/registry.h"
#include "ident/test_util.h"
#include "store/memory_store.h"

namespace qilian::ident {
namespace {

using test::Value;

// True if `s` is a lower-case version-4 UUID in the 8-4-4-4-12 layout.
bool IsUuidV4(const std::string& s) {
  if (s.size() != kMintedSuffixBytes) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  }
  return s[14] == '4' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

TEST(RandomMintSuffixTest, IsAVersion4UuidAndDiffers) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<std::string> s = RandomMintSuffix();
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_TRUE(IsUuidV4(*s)) << *s;
    EXPECT_TRUE(seen.insert(*s).second) << *s;
  }
}

// Hands out the suffixes it was given, in order, then fails.
class ScriptedSuffixes {
 public:
  explicit ScriptedSuffixes(std::vector<std::string> suffixes)
      : left_(suffixes.begin(), suffixes.end()) {}
  MintSuffixFn Fn() {
    return [this]() -> absl::StatusOr<std::string> {
      std::lock_guard lock(mu_);
      if (left_.empty()) return HandleError(ResponseCode::kError, "no more suffixes");
      std::string s = std::move(left_.front());
      left_.pop_front();
      return s;
    };
  }

 private:
  std::mutex mu_;
  std::deque<std::string> left_;
};

class MintTest : public ::testing::Test {
 protected:
  MintTest() { Open(); }

  // (Re)opens the registry and processor over the same store, as a restart
  // does.
  void Open(MintSuffixFn suffixes = nullptr) {
    processor_.reset();
    registry_ = std::make_unique<Registry>(store_.get(), clock_, RegistryOptions{});
    ProcessorOptions options;
    options.mint_suffix = std::move(suffixes);
    processor_ = std::make_unique<Processor>(registry_.get(), &metrics_, options);
  }

  static Request MintRequest(const std::string& stem, uint32_t extra_flags = 0) {
    Request r;
    r.op = OpCode::kCreateHandle;
    r.op_flags = op_flag::kMint | extra_flags;
    r.handle = stem;
    r.values = {Value(1, "URL", "https://example.org/minted")};
    r.peer = Peer{"127.0.0.1", true, Transport::kTcp};
    return r;
  }

  Response Mint(const std::string& stem, uint32_t extra_flags = 0) {
    return processor_->Process(MintRequest(stem, extra_flags));
  }

  // The stored record of `handle`: its spelling and value data.
  std::string Stored(const std::string& handle) {
    absl::StatusOr<HandleRecord> record = registry_->Get(handle, ValueFilter{});
    if (!record.ok()) return std::string(record.status().message());
    std::string out = record->handle;
    for (const auto& v : record->values) absl::StrAppend(&out, " ", v.index, "=", v.data);
    return out;
  }

  uint64_t Counter(const std::string& name, const MetricLabels& labels = {}) {
    return metrics_.GetCounter(name, "", labels).value();
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_ =
      store::NewMemoryStore({{std::string(Registry::kSpace)}});
  MetricsRegistry metrics_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<Processor> processor_;
};

TEST_F(MintTest, CreatesANewHandleUnderTheStemAndNamesIt) {
  Response r = Mint("88.999/");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.outcome, WriteOutcome::kCreated);
  ASSERT_EQ(r.handle.substr(0, 7), "88.999/");
  EXPECT_TRUE(IsUuidV4(r.handle.substr(7))) << r.handle;
  EXPECT_EQ(r.op_flags, op_flag::kAuthoritative | op_flag::kMint);
  EXPECT_EQ(Stored(r.handle), r.handle + " 1=https://example.org/minted");
  // The stem itself was not created.
  EXPECT_EQ(Stored("88.999/"), "suffix is empty");

  // A stem with more than the prefix keeps it, spelling and all.
  Response pump = Mint("88.999/Pump-");
  ASSERT_TRUE(pump.ok()) << pump.message;
  ASSERT_EQ(pump.handle.substr(0, 12), "88.999/Pump-");
  EXPECT_TRUE(IsUuidV4(pump.handle.substr(12))) << pump.handle;
  EXPECT_EQ(Stored(pump.handle), pump.handle + " 1=https://example.org/minted");
}

TEST_F(MintTest, TwoMintsDiffer) {
  Response a = Mint("88.999/");
  Response b = Mint("88.999/");
  ASSERT_TRUE(a.ok() && b.ok()) << a.message << b.message;
  EXPECT_NE(a.handle, b.handle);
  EXPECT_EQ(Stored(a.handle), a.handle + " 1=https://example.org/minted");
  EXPECT_EQ(Stored(b.handle), b.handle + " 1=https://example.org/minted");
}

TEST_F(MintTest, ConcurrentMintsNeverCollide) {
  constexpr int kThreads = 8;
  constexpr int kEach = 50;
  std::vector<std::vector<std::string>> minted(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Response r = Mint("88.999/C-");
        if (r.ok()) minted[t].push_back(r.handle);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (const auto& list : minted) {
    EXPECT_EQ(list.size(), static_cast<size_t>(kEach));
    all.insert(list.begin(), list.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  absl::StatusOr<ListPage> page = registry_->List("88.999", "", 10000);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->handles.size(), all.size());
}

TEST_F(MintTest, AnExistingNameIsMintedAgainAndCounted) {
  ScriptedSuffixes suffixes({"taken", "TAKEN", "free"});
  Open(suffixes.Fn());
  // Taken before the mint, in the other case: the storage key folds it.
  Request plain = MintRequest("88.999/taken");
  plain.op_flags = 0;
  ASSERT_TRUE(processor_->Process(plain).ok());
  Response r = Mint("88.999/");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.handle, "88.999/free");
  EXPECT_EQ(Counter("qilian_ident_mint_collisions_total"), 2u);
  // The existing handle was left alone.
  EXPECT_EQ(Stored("88.999/taken"), "88.999/taken 1=https://example.org/minted");
}

TEST_F(MintTest, ASuffixSourceThatOnlyCollidesGivesUp) {
  ScriptedSuffixes suffixes(std::vector<std::string>(kMaxMintAttempts, "same"));
  Open(suffixes.Fn());
  ASSERT_TRUE(Mint("88.999/").ok());  // the first "same" is free
  ScriptedSuffixes again(std::vector<std::string>(kMaxMintAttempts, "same"));
  Open(again.Fn());
  Response r = Mint("88.999/");
  EXPECT_EQ(r.code, ResponseCode::kError);
  EXPECT_EQ(r.message, "no unused handle found under '88.999/' in 8 attempts");
  EXPECT_EQ(r.handle, "88.999/");
  // And a source that fails answers its error.
  Response dry = Mint("88.999/");
  EXPECT_EQ(dry.code, ResponseCode::kError);
  EXPECT_EQ(dry.message, "no more suffixes");
}

TEST_F(MintTest, OverwriteIsDroppedSoAnExistingHandleIsNeverReplaced) {
  ScriptedSuffixes suffixes({"keep", "new"});
  Open(suffixes.Fn());
  Request plain = MintRequest("88.999/keep");
  plain.op_flags = 0;
  plain.values = {Value(1, "URL", "https://example.org/kept")};
  ASSERT_TRUE(processor_->Process(plain).ok());
  Request put = MintRequest("88.999/", op_flag::kOverwrite);
  put.put_values_only = true;
  Response r = processor_->Process(put);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.handle, "88.999/new");
  EXPECT_EQ(Stored("88.999/keep"), "88.999/keep 1=https://example.org/kept");
}

TEST_F(MintTest, MintedHandlesSurviveARestartAndNewMintsStayUnique) {
  Response before = Mint("88.999/");
  ASSERT_TRUE(before.ok()) << before.message;
  // A restart: a new registry and processor over the same store. No state
  // of the minting survives but the handles themselves.
  Open();
  EXPECT_EQ(Stored(before.handle), before.handle + " 1=https://example.org/minted");
  Response after = Mint("88.999/");
  ASSERT_TRUE(after.ok()) << after.message;
  EXPECT_NE(after.handle, before.handle);
  // The same suffix after a restart is still refused as a name.
  ScriptedSuffixes replay({before.handle.substr(7), "fresh"});
  Open(replay.Fn());
  Response r = Mint("88.999/");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.handle, "88.999/fresh");
}

TEST_F(MintTest, BadStemsAndForeignPrefixes) {
  // No '/': nothing to mint under; handle syntax refuses it as it is.
  Response r = Mint("88.999");
  EXPECT_EQ(r.code, ResponseCode::kInvalidHandle);
  EXPECT_EQ(r.message, "handle has no '/' between prefix and suffix");
  EXPECT_EQ(r.handle, "88.999");
  EXPECT_EQ(r.op_flags, 0u);
  // A prefix this node does not serve: the usual 301, naming the minted handle.
  ScriptedSuffixes suffixes({"x1"});
  Open(suffixes.Fn());
  r = Mint("77.1/");
  EXPECT_EQ(r.code, ResponseCode::kServerNotResponsible);
  EXPECT_EQ(r.message, "this node is not responsible for prefix '77.1'");
  EXPECT_EQ(r.handle, "77.1/x1");
  EXPECT_EQ(r.op_flags, 0u);
  // Too long once minted.
  Open();
  r = Mint("88.999/" + std::string(1000, 'a'));
  EXPECT_EQ(r.code, ResponseCode::kInvalidHandle);
  EXPECT_EQ(r.message, "handle is longer than 1024 bytes");
  // Administration over UDP is refused before anything is minted or stored.
  Request udp = MintRequest("88.999/");
  udp.peer.transport = Transport::kUdp;
  r = processor_->Process(udp);
  EXPECT_EQ(r.code, ResponseCode::kProtocolError);
  EXPECT_EQ(r.message, "administration requests are accepted only over TCP or HTTP");
  absl::StatusOr<ListPage> page = registry_->List("88.999", "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->handles.empty());
}

TEST_F(MintTest, TheFlagOnOtherOperationsIsIgnored) {
  ASSERT_TRUE(processor_->Process([] {
                Request r = MintRequest("88.999/A");
                r.op_flags = 0;
                return r;
              }())
                  .ok());
  Request add = MintRequest("88.999/A");
  add.op = OpCode::kAddValue;
  add.values = {Value(2, "EMAIL", "ops@example.org")};
  Response r = processor_->Process(add);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.handle, "88.999/A");
  EXPECT_EQ(r.op_flags, op_flag::kAuthoritative);
  EXPECT_EQ(Stored("88.999/A"), "88.999/A 1=https://example.org/minted 2=ops@example.org");
  Request resolve;
  resolve.op = OpCode::kResolution;
  resolve.op_flags = op_flag::kMint;
  resolve.handle = "88.999/A";
  r = processor_->Process(resolve);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.values.size(), 2u);
}

}  // namespace
}  // namespace qilian::ident
