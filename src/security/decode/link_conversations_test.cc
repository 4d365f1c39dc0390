#include "security/decode/link_conversations.h"

#include <gtest/gtest.h>

#include <vector>

namespace qilian::security {
namespace {

LinkFrame Frame(uint8_t src, uint8_t dst, uint16_t ethertype) {
  LinkFrame f;
  f.src_mac = {0, 0, 0, 0, 0, src};
  f.dst_mac = {1, 0x0c, 0xcd, 1, 0, dst};
  f.ethertype = ethertype;
  return f;
}

struct Ended {
  std::vector<uint64_t> ids;
  std::vector<uint64_t> frames;
};

TEST(LinkConversationTableTest, KeyIsSourceDestinationAndEtherType) {
  Ended ended;
  LinkConversationTable t({}, [&](LinkConversation& c) {
    ended.ids.push_back(c.id);
    ended.frames.push_back(c.frames);
  });
  bool created;
  LinkConversation* a = t.Lookup(Frame(1, 1, 0x88b8), 100, 1, &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(t.Lookup(Frame(1, 1, 0x88b8), 60, 2, &created), a);
  EXPECT_FALSE(created);
  EXPECT_EQ(a->frames, 2u);
  EXPECT_EQ(a->bytes, 160u);
  EXPECT_EQ(a->first_seen, 1);
  EXPECT_EQ(a->last_seen, 2);
  // The reply (addresses swapped), another EtherType: conversations of their own.
  LinkConversation* b = t.Lookup(Frame(1, 1, 0x88ba), 60, 3, &created);
  EXPECT_TRUE(created);
  LinkFrame reverse = Frame(1, 1, 0x88b8);
  std::swap(reverse.src_mac, reverse.dst_mac);
  LinkConversation* c = t.Lookup(reverse, 60, 4, &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(a->id, 1u);
  EXPECT_EQ(b->id, 2u);
  EXPECT_EQ(c->id, 3u);
  EXPECT_EQ(t.size(), 3u);
  t.Flush();
  EXPECT_EQ(ended.ids, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(ended.frames, (std::vector<uint64_t>{2, 1, 1}));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.stats().created, 3u);
}

TEST(LinkConversationTableTest, IdleConversationsExpire) {
  Ended ended;
  LinkConversationTable t({.idle_timeout = 10 * kNsPerSecond},
                          [&](LinkConversation& c) { ended.ids.push_back(c.id); });
  bool created;
  t.Lookup(Frame(1, 1, 0x8892), 60, 0, &created);
  t.Lookup(Frame(2, 1, 0x8892), 60, 5 * kNsPerSecond, &created);
  t.Expire(10 * kNsPerSecond - 1);
  EXPECT_TRUE(ended.ids.empty());
  t.Expire(10 * kNsPerSecond);
  EXPECT_EQ(ended.ids, (std::vector<uint64_t>{1}));
  EXPECT_EQ(t.stats().expired, 1u);
  EXPECT_EQ(t.size(), 1u);
}

TEST(LinkConversationTableTest, FullTableEndsTheConversationIdleLongest) {
  Ended ended;
  LinkConversationTable t({.max_conversations = 2},
                          [&](LinkConversation& c) { ended.ids.push_back(c.id); });
  bool created;
  t.Lookup(Frame(1, 1, 0x8892), 60, 1, &created);
  t.Lookup(Frame(2, 1, 0x8892), 60, 2, &created);
  t.Lookup(Frame(1, 1, 0x8892), 60, 3, &created);  // 1 is now the most recent
  t.Lookup(Frame(3, 1, 0x8892), 60, 4, &created);
  EXPECT_EQ(ended.ids, (std::vector<uint64_t>{2}));
  EXPECT_EQ(t.stats().evicted, 1u);
  EXPECT_EQ(t.size(), 2u);
}

}  // namespace
}  // namespace qilian::security
