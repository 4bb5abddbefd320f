#include "crypto/sodium.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

namespace synod::crypto {

void ensure_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      std::fprintf(stderr, "fatal: libsodium failed to initialise\n");
      std::abort();
    }
  });
}

Key32::~Key32() { sodium_memzero(bytes.data(), bytes.size()); }

bool Key32::equals(const Key32& other) const {
  return sodium_memcmp(bytes.data(), other.bytes.data(), bytes.size()) == 0;
}

Key32 random_key() {
  Key32 key;
  random_fill(key.data(), kKeyBytes);
  return key;
}

void random_fill(unsigned char* out, std::size_t n) {
  ensure_sodium();
  randombytes_buf(out, n);
}

std::string base64_encode(ByteView bytes) {
  ensure_sodium();
  const int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<Bytes> base64_decode(std::string_view text, std::string_view what) {
  ensure_sodium();
  // Tolerate surrounding whitespace (a key file ends with a newline).
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  Bytes out(text.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return invalid_argument(std::string(what) + " is not valid base64");
  }
  out.resize(len);
  return out;
}

Result<Key32> key_from_base64(std::string_view text, std::string_view what) {
  SYNOD_ASSIGN_OR_RETURN(Bytes raw, base64_decode(text, what));
  if (raw.size() != kKeyBytes) {
    const std::size_t n = raw.size();
    wipe(raw);
    return invalid_argument(std::string(what) + " must be base64 of 32 bytes, got " +
                            std::to_string(n) + " bytes (make one with `synod keys gen`)");
  }
  Key32 key;
  std::memcpy(key.data(), raw.data(), kKeyBytes);
  wipe(raw);
  return key;
}

Status write_secret_file(const std::string& path, ByteView contents) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("create " + tmp + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string err = std::strerror(errno);
      ::close(fd);
      return io_error("write " + tmp + ": " + err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return io_error("sync " + tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return io_error("rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  return Status::ok();
}

Result<Bytes> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void wipe(Bytes& secret) {
  if (!secret.empty()) sodium_memzero(secret.data(), secret.size());
  secret.clear();
}

}  // namespace synod::crypto

namespace synod::crypto {
void sodium_memzero_bytes(void* p, std::size_t n) { sodium_memzero(p, n); }
}  // namespace synod::crypto
