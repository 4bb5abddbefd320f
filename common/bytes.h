// Byte buffers and fixed-width little-endian encoding helpers, shared by every
// encoder of on-disk and on-wire records.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace synod {

// An owned, growable byte buffer. std::string is used for its small-buffer
// optimisation and because protobuf serialises into it.
using Bytes = std::string;
using ByteView = std::string_view;

inline void put_u8(Bytes& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }
inline void put_u16(Bytes& out, std::uint16_t v) {
  for (int i = 0; i < 2; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
inline void put_u32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
inline void put_u64(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
// Length-prefixed (u32) bytes.
inline void put_bytes(Bytes& out, ByteView v) {
  put_u32(out, static_cast<std::uint32_t>(v.size()));
  out.append(v);
}

inline std::uint16_t load_u16(const char* p) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(p[0]) |
                                    (static_cast<unsigned char>(p[1]) << 8));
}
inline std::uint32_t load_u32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
inline std::uint64_t load_u64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// Reads fixed-width fields from a view; every getter fails (returns nullopt)
// instead of reading past the end, so decoders of outside bytes stay safe.
class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}
  [[nodiscard]] std::size_t remaining() const { return data_.size() - pos_; }
  [[nodiscard]] std::size_t position() const { return pos_; }
  [[nodiscard]] bool done() const { return pos_ == data_.size(); }

  std::optional<std::uint8_t> u8() {
    if (remaining() < 1) return std::nullopt;
    return static_cast<std::uint8_t>(data_[pos_++]);
  }
  std::optional<std::uint16_t> u16() { return fixed<std::uint16_t, 2>(load_u16); }
  std::optional<std::uint32_t> u32() { return fixed<std::uint32_t, 4>(load_u32); }
  std::optional<std::uint64_t> u64() { return fixed<std::uint64_t, 8>(load_u64); }
  std::optional<ByteView> raw(std::size_t n) {
    if (remaining() < n) return std::nullopt;
    ByteView v = data_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  // Reads a u32 length then that many bytes.
  std::optional<ByteView> bytes() {
    auto n = u32();
    if (!n) return std::nullopt;
    return raw(*n);
  }

 private:
  template <typename T, std::size_t N, typename F>
  std::optional<T> fixed(F load) {
    if (remaining() < N) return std::nullopt;
    T v = load(data_.data() + pos_);
    pos_ += N;
    return v;
  }
  ByteView data_;
  std::size_t pos_ = 0;
};

}  // namespace synod
