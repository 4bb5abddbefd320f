#include <array>
#include <set>

#include "crypto/backup.h"
#include "crypto/shamir.h"
#include "tests/crypto/crypto_fixture.h"

namespace synod::crypto {
namespace {
using testing::fixed_key;

TEST(Gf256, FieldLaws) {
  EXPECT_EQ(gf256::mul(0x57, 0x83), 0xC1);  // FIPS-197 section 4.2 example
  EXPECT_EQ(gf256::mul(0x57, 0x13), 0xFE);
  for (int a = 1; a < 256; ++a) {
    EXPECT_EQ(gf256::mul(static_cast<std::uint8_t>(a), gf256::inv(static_cast<std::uint8_t>(a))), 1)
        << a;
  }
  EXPECT_EQ(gf256::inv(0), 0);
}

TEST(Shamir, AnyKOfNRecoverTheSecret) {
  const Bytes secret = "0123456789abcdef0123456789abcdef";
  auto shares = split_secret(secret, 5, 3);
  ASSERT_TRUE(shares.is_ok());
  for (int i = 0; i < 5; ++i) {
    for (int j = i + 1; j < 5; ++j) {
      for (int k = j + 1; k < 5; ++k) {
        auto back = combine_shares({(*shares)[i], (*shares)[j], (*shares)[k]});
        ASSERT_TRUE(back.is_ok());
        EXPECT_EQ(*back, secret);
      }
    }
  }
  EXPECT_FALSE(combine_shares({(*shares)[0], (*shares)[1]}).is_ok());
  EXPECT_FALSE(combine_shares({(*shares)[0], (*shares)[0], (*shares)[1]}).is_ok());
  auto text = decode_share(encode_share((*shares)[2]));
  ASSERT_TRUE(text.is_ok());
  EXPECT_EQ(text->y, (*shares)[2].y);
  EXPECT_FALSE(split_secret(secret, 2, 3).is_ok());
  EXPECT_FALSE(split_secret(secret, 3, 1).is_ok());
}

// K-1 shares reveal nothing: with two shares of a 3-of-3 split fixed, each
// of the 256 possible secret bytes is consistent with exactly one value of
// the missing share, so the two shares leave every secret equally likely.
TEST(Shamir, KMinusOneSharesLeaveEverySecretPossible) {
  auto shares = split_secret(Bytes(1, '\x42'), 3, 3);
  ASSERT_TRUE(shares.is_ok());
  std::set<int> secrets;
  for (int y3 = 0; y3 < 256; ++y3) {
    Share third = (*shares)[2];
    third.y[0] = static_cast<char>(y3);
    auto back = combine_shares({(*shares)[0], (*shares)[1], third});
    ASSERT_TRUE(back.is_ok());
    secrets.insert(static_cast<unsigned char>((*back)[0]));
  }
  EXPECT_EQ(secrets.size(), 256u);
  // And the distribution of any single share byte is uniform over secrets:
  // with fixed coefficients, different secrets give different shares.
  std::array<int, 256> seen{};
  for (int s = 0; s < 256; ++s) {
    auto split = split_secret(Bytes(1, static_cast<char>(s)), 2, 2,
                              [](unsigned char* out, std::size_t n) { std::fill(out, out + n, 7); });
    ASSERT_TRUE(split.is_ok());
    ++seen[static_cast<unsigned char>((*split)[0].y[0])];
  }
  for (int count : seen) EXPECT_EQ(count, 1);
}

BackupContents sample() {
  BackupContents c;
  c.keyring = Keyring(fixed_key(1));
  c.keyring.install(fixed_key(2));
  c.node_key = NodeKey::from_secret(fixed_key(50));
  return c;
}

TEST(Backup, PassphraseRoundTripAndWrongPassphrase) {
  auto file = seal_backup(sample(), "correct horse", interactive_pwhash_limits());
  ASSERT_TRUE(file.is_ok());
  EXPECT_EQ(file->find(base64_encode(fixed_key(1).view())), std::string::npos);
  auto back = open_backup(*file, "correct horse");
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(back->keyring.keys().size(), 2u);
  EXPECT_TRUE(back->keyring.primary().equals(fixed_key(1)));
  ASSERT_TRUE(back->node_key.has_value());
  EXPECT_TRUE(back->node_key->public_key.equals(NodeKey::from_secret(fixed_key(50)).public_key));
  auto wrong = open_backup(*file, "wrong horse");
  ASSERT_FALSE(wrong.is_ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kPermissionDenied);
  Bytes damaged = *file;
  damaged[damaged.find("\"box\": \"") + 12] ^= 1;
  EXPECT_FALSE(open_backup(damaged, "correct horse").is_ok());
}

TEST(Backup, SharedBackupNeedsThresholdShares) {
  std::vector<Share> shares;
  auto file = seal_backup_shared(sample(), 5, 3, &shares);
  ASSERT_TRUE(file.is_ok());
  ASSERT_EQ(shares.size(), 5u);
  auto back = open_backup_shared(*file, {shares[4], shares[0], shares[2]});
  ASSERT_TRUE(back.is_ok());
  EXPECT_TRUE(back->keyring.contains(fixed_key(2)));
  EXPECT_FALSE(open_backup_shared(*file, {shares[0], shares[1]}).is_ok());
  std::vector<Share> other;
  ASSERT_TRUE(seal_backup_shared(sample(), 3, 3, &other).is_ok());
  EXPECT_FALSE(open_backup_shared(*file, {other[0], other[1], other[2]}).is_ok());
  EXPECT_FALSE(open_backup(*file, "passphrase").is_ok());
}

}  // namespace
}  // namespace synod::crypto
