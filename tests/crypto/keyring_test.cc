#include "crypto/keyring.h"

#include <sys/stat.h>

#include <filesystem>

#include "crypto/aead.h"
#include "crypto/node_key.h"
#include "tests/crypto/crypto_fixture.h"

namespace synod::crypto {
namespace {
using testing::fixed_key;

TEST(Keyring, InstallUseRemove) {
  Keyring ring(fixed_key(1));
  ring.install(fixed_key(2));
  ring.install(fixed_key(2));
  EXPECT_EQ(ring.keys().size(), 2u);
  EXPECT_TRUE(ring.primary().equals(fixed_key(1)));
  EXPECT_FALSE(ring.remove(fixed_key(1)).is_ok());  // primary
  ASSERT_TRUE(ring.use(fixed_key(2)).is_ok());
  ASSERT_TRUE(ring.remove(fixed_key(1)).is_ok());
  EXPECT_EQ(ring.keys().size(), 1u);
  EXPECT_EQ(ring.use(fixed_key(9)).code(), StatusCode::kNotFound);
  EXPECT_NE(ring.find(key_id(fixed_key(2))), nullptr);
  EXPECT_EQ(ring.find(key_id(fixed_key(1))), nullptr);
}

TEST(Keyring, PersistsWithMode0600) {
  const auto dir = std::filesystem::temp_directory_path() / ("synod-keyring-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Keyring ring(fixed_key(1));
  ring.install(fixed_key(2));
  ASSERT_TRUE(ring.use(fixed_key(2)).is_ok());
  const std::string path = keyring_path(dir.string());
  ASSERT_TRUE(save_keyring(path, ring).is_ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = load_keyring(path);
  ASSERT_TRUE(loaded.is_ok());
  EXPECT_EQ(loaded->keys().size(), 2u);
  EXPECT_TRUE(loaded->primary().equals(fixed_key(2)));

  bool created = false;
  const std::string key_path = node_key_path(dir.string(), "");
  auto key = load_or_create_node_key(key_path, &created);
  ASSERT_TRUE(key.is_ok());
  EXPECT_TRUE(created);
  ASSERT_EQ(::stat(key_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = load_or_create_node_key(key_path, &created);
  ASSERT_TRUE(again.is_ok());
  EXPECT_FALSE(created);
  EXPECT_TRUE(again->public_key.equals(key->public_key));
  std::filesystem::remove_all(dir);
}

TEST(Keyring, BadKeysAreClearErrorsWithoutTheValue) {
  auto bad = key_from_base64("c2hvcnQ=", "crypto.cluster_key");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("crypto.cluster_key"), std::string::npos);
  EXPECT_EQ(bad.status().message().find("c2hvcnQ"), std::string::npos);
  EXPECT_FALSE(key_from_base64("!!!", "k").is_ok());
}

TEST(Cipher, NamesAndAvailability) {
  EXPECT_EQ(*cipher_from_name("xchacha20poly1305"), Cipher::kXChaCha20Poly1305);
  EXPECT_EQ(*cipher_from_name("chacha20poly1305"), Cipher::kChaCha20Poly1305);
  EXPECT_FALSE(cipher_from_name("rot13").is_ok());
  auto aes = cipher_from_name("aes256gcm");
  if (cipher_available(Cipher::kAes256Gcm)) {
    EXPECT_TRUE(aes.is_ok());
  } else {
    ASSERT_FALSE(aes.is_ok());
    EXPECT_NE(aes.status().message().find("AES-NI"), std::string::npos);
  }
}

}  // namespace
}  // namespace synod::crypto
