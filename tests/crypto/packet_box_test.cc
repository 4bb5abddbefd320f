#include "crypto/packet_box.h"

#include "tests/crypto/crypto_fixture.h"

namespace synod::crypto {
namespace {
using testing::fixed_key;

TEST(PacketBox, RoundTripWithAnyInstalledKey) {
  Keyring sender(fixed_key(1));
  auto sealed = seal_packet(sender, "ping from node 1");
  ASSERT_TRUE(sealed.is_ok());
  EXPECT_EQ(sealed->size(), 16 + kPacketOverhead);
  Keyring receiver(fixed_key(2));
  EXPECT_EQ(open_packet(receiver, *sealed).status().code(), StatusCode::kPermissionDenied);
  receiver.install(fixed_key(1));
  auto opened = open_packet(receiver, *sealed);
  ASSERT_TRUE(opened.is_ok());
  EXPECT_EQ(*opened, "ping from node 1");
  // Random nonces: the same packet never seals to the same bytes.
  EXPECT_NE(*seal_packet(sender, "x"), *seal_packet(sender, "x"));
}

TEST(PacketBox, TamperedOrShortPacketsAreRefused) {
  Keyring ring(fixed_key(1));
  auto sealed = seal_packet(ring, "hello");
  ASSERT_TRUE(sealed.is_ok());
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    Bytes bad = *sealed;
    bad[i] ^= 0x01;
    EXPECT_FALSE(open_packet(ring, bad).is_ok()) << i;
  }
  EXPECT_FALSE(open_packet(ring, sealed->substr(0, kPacketOverhead - 1)).is_ok());
}

}  // namespace
}  // namespace synod::crypto
