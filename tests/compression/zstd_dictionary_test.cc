#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "compression/codec.h"
#include "compression/compressor.h"
#include "tests/compression/test_data.h"

namespace synod::compression {
namespace {

using testing::kv_entries;

constexpr std::uint64_t kCap = 1 << 20;

TEST(ZstdDictionary, TrainedDictionaryShrinksSmallEntriesAndRoundTrips) {
  auto dict = train_zstd_dictionary(kv_entries(2000, 0), 8 * 1024);
  ASSERT_TRUE(dict.is_ok()) << dict.status();
  EXPECT_GT(dict->size(), 256u);
  auto with = make_zstd_dict_codec(*dict);
  ASSERT_TRUE(with.is_ok()) << with.status();
  auto plain = make_codec(CodecId::kZstd);
  EXPECT_EQ((*with)->id(), CodecId::kZstd);

  std::size_t original = 0, sized_plain = 0, sized_dict = 0;
  for (const Bytes& e : kv_entries(200, 5000)) {  // unseen entries
    Bytes a, b, back;
    ASSERT_TRUE(plain->compress(e, &a).is_ok());
    ASSERT_TRUE((*with)->compress(e, &b).is_ok());
    ASSERT_TRUE((*with)->decompress(b, kCap, &back).is_ok());
    EXPECT_EQ(back, e);
    original += e.size();
    sized_plain += a.size();
    sized_dict += b.size();
  }
  EXPECT_LT(sized_dict * 2, sized_plain) << "original " << original;
}

TEST(ZstdDictionary, DecodersRejectFramesOfAnUnknownDictionary) {
  auto dict = train_zstd_dictionary(kv_entries(2000, 0), 8 * 1024);
  ASSERT_TRUE(dict.is_ok());
  auto with = make_zstd_dict_codec(*dict);
  ASSERT_TRUE(with.is_ok());
  Bytes e = kv_entries(1, 77).front();
  Bytes enc, out;
  ASSERT_TRUE((*with)->compress(e, &enc).is_ok());
  Status st = make_codec(CodecId::kZstd)->decompress(enc, kCap, &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("unknown dictionary id"), std::string::npos) << st;

  // A dictionary codec still decodes plain zstd frames, and a plain decode on
  // the same thread afterwards is not affected by the dictionary.
  Bytes plain_enc;
  ASSERT_TRUE(make_codec(CodecId::kZstd)->compress(e, &plain_enc).is_ok());
  ASSERT_TRUE((*with)->decompress(plain_enc, kCap, &out).is_ok());
  EXPECT_EQ(out, e);
  ASSERT_TRUE(make_codec(CodecId::kZstd)->decompress(plain_enc, kCap, &out).is_ok());
  EXPECT_EQ(out, e);
}

TEST(ZstdDictionary, TrainingNeedsEnoughSamples) {
  auto few = train_zstd_dictionary({Bytes("a"), Bytes("b")});
  ASSERT_FALSE(few.is_ok());
  EXPECT_EQ(few.status().code(), StatusCode::kFailedPrecondition);
}

// zstd on every payload over 16 bytes, no adaptive skipping.
CompressorOptions zstd_always() {
  CompressorOptions o;
  o.codec = CodecId::kZstd;
  o.min_bytes = 16;
  o.adaptive = false;
  return o;
}

TEST(ZstdDictionary, CompressorSwitchesDictionariesWithoutLosingFramesInFlight) {
  metrics::Registry registry;
  CompressorOptions o = zstd_always();
  Compressor sender(o, &registry);
  Compressor receiver(o, &registry);
  auto a = train_zstd_dictionary(kv_entries(1000, 0), 4096);
  auto b = train_zstd_dictionary(kv_entries(1000, 3000), 4096);
  auto c = train_zstd_dictionary(kv_entries(1000, 6000), 4096);
  ASSERT_TRUE(a.is_ok() && b.is_ok() && c.is_ok());
  ASSERT_NE(zstd_dictionary_id(*a), zstd_dictionary_id(*b));
  Bytes e;
  for (const Bytes& entry : kv_entries(4, 9000)) e += entry;

  // The peer said it has the sender's current dictionary.
  auto send = [&](Bytes* wire) {
    auto id = sender.compress(1, 1, e, wire, sender.zstd_dictionary());
    ASSERT_TRUE(id.is_ok());
    ASSERT_EQ(*id, CodecId::kZstd);
  };
  auto receive = [&](const Bytes& wire) {
    Bytes out;
    Status st = receiver.decompress(static_cast<std::uint8_t>(CodecId::kZstd), wire, &out);
    if (st.is_ok()) {
      EXPECT_EQ(out, e);
    }
    return st;
  };

  Bytes plain, with_a, with_b, with_c;
  send(&plain);
  ASSERT_TRUE(sender.set_zstd_dictionary(*a).is_ok());
  send(&with_a);
  EXPECT_EQ(zstd_frame_dictionary_id(with_a), zstd_dictionary_id(*a));
  EXPECT_LT(with_a.size(), plain.size());
  ASSERT_TRUE(sender.set_zstd_dictionary(*b).is_ok());
  send(&with_b);

  EXPECT_EQ(receive(with_a).code(), StatusCode::kInvalidArgument);  // not installed yet
  ASSERT_TRUE(receiver.set_zstd_dictionary(*a).is_ok());
  ASSERT_TRUE(receiver.set_zstd_dictionary(*b).is_ok());
  EXPECT_TRUE(receive(plain).is_ok());
  EXPECT_TRUE(receive(with_a).is_ok());  // previous dictionary kept for frames in flight
  EXPECT_TRUE(receive(with_b).is_ok());

  ASSERT_TRUE(sender.set_zstd_dictionary(*c).is_ok());
  send(&with_c);
  EXPECT_EQ(receive(with_c).code(), StatusCode::kInvalidArgument);
}

// A sender uses its dictionary only for a peer that named the same one.
TEST(ZstdDictionary, CompressorUsesTheDictionaryOnlyWhenThePeerHasIt) {
  metrics::Registry registry;
  Compressor sender(zstd_always(), &registry);
  auto a = train_zstd_dictionary(kv_entries(1000, 0), 4096);
  auto b = train_zstd_dictionary(kv_entries(1000, 3000), 4096);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  Bytes e;
  for (const Bytes& entry : kv_entries(4, 9000)) e += entry;
  auto dictionary_of = [&](std::uint32_t peer_dictionary) {
    Bytes wire;
    auto id = sender.compress(1, 1, e, &wire, peer_dictionary);
    EXPECT_TRUE(id.is_ok() && *id == CodecId::kZstd);
    return zstd_frame_dictionary_id(wire);
  };
  EXPECT_EQ(sender.zstd_dictionary(), 0u);
  EXPECT_EQ(dictionary_of(zstd_dictionary_id(*a)), 0u) << "the sender has no dictionary yet";
  ASSERT_TRUE(sender.set_zstd_dictionary(*a).is_ok());
  EXPECT_EQ(sender.zstd_dictionary(), zstd_dictionary_id(*a));
  EXPECT_EQ(dictionary_of(0), 0u) << "the peer has none";
  EXPECT_EQ(dictionary_of(zstd_dictionary_id(*a)), zstd_dictionary_id(*a));
  EXPECT_EQ(dictionary_of(zstd_dictionary_id(*b)), 0u) << "the peer has another one";
  ASSERT_TRUE(sender.set_zstd_dictionary(*b).is_ok());
  EXPECT_EQ(dictionary_of(zstd_dictionary_id(*a)), 0u) << "the sender moved on";
  EXPECT_EQ(dictionary_of(zstd_dictionary_id(*b)), zstd_dictionary_id(*b));
}

TEST(ZstdDictionary, ConcurrentUseWhileTheDictionarySwitches) {
  metrics::Registry registry;
  CompressorOptions o = zstd_always();
  Compressor c(o, &registry);
  auto a = train_zstd_dictionary(kv_entries(1000, 0), 4096);
  ASSERT_TRUE(a.is_ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto plain = make_codec(CodecId::kZstd);
      for (int i = 0; i < 300; ++i) {
        Bytes e;
        for (const Bytes& entry : kv_entries(3, t * 1000 + i)) e += entry;
        Bytes wire, out, plain_wire;
        auto id = c.compress(static_cast<std::uint64_t>(t), 1, e, &wire, c.zstd_dictionary());
        if (!id.is_ok() || !c.decompress(static_cast<std::uint8_t>(*id), wire, &out).is_ok() ||
            out != e) {
          ++failures;
        }
        // A plain codec on the same thread must not inherit the dictionary.
        if (!plain->compress(e, &plain_wire).is_ok() ||
            !plain->decompress(plain_wire, 1 << 20, &out).is_ok() || out != e) {
          ++failures;
        }
      }
    });
  }
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(c.set_zstd_dictionary(*a).is_ok());
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace synod::compression
