#include "persistence/db_codec.h"

namespace synod::persistence {
namespace {

enum ColumnTag : std::uint8_t { kNull = 0, kInteger = 1, kText = 2 };

}  // namespace

void encode_entry(Bytes& out, const Entry& entry) {
  put_u64(out, entry.term.value());
  put_u8(out, static_cast<std::uint8_t>(entry.type));
  put_bytes(out, entry.data);
}

std::optional<Entry> decode_entry(ByteReader& in, LogIndex index) {
  auto term = in.u64();
  auto type = in.u8();
  auto data = in.bytes();
  if (!term || !type || !data || *type > static_cast<std::uint8_t>(EntryType::kNoop)) {
    return std::nullopt;
  }
  return Entry{Term(*term), index, static_cast<EntryType>(*type), std::string(*data)};
}

void encode_record(Bytes& out, const Record& record) {
  put_u8(out, static_cast<std::uint8_t>(record.columns.size()));
  for (const ColumnValue& v : record.columns) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) {
      put_u8(out, kInteger);
      put_u64(out, static_cast<std::uint64_t>(*i));
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      put_u8(out, kText);
      put_bytes(out, *s);
    } else {
      put_u8(out, kNull);
    }
  }
  put_bytes(out, record.value);
}

std::optional<Record> decode_record(ByteReader& in, std::string key) {
  Record record;
  record.key = std::move(key);
  auto count = in.u8();
  if (!count) return std::nullopt;
  for (int i = 0; i < *count; ++i) {
    auto tag = in.u8();
    if (!tag) return std::nullopt;
    if (*tag == kInteger) {
      auto v = in.u64();
      if (!v) return std::nullopt;
      record.columns.emplace_back(static_cast<std::int64_t>(*v));
    } else if (*tag == kText) {
      auto v = in.bytes();
      if (!v) return std::nullopt;
      record.columns.emplace_back(std::string(*v));
    } else if (*tag == kNull) {
      record.columns.emplace_back(std::monostate{});
    } else {
      return std::nullopt;
    }
  }
  auto value = in.bytes();
  if (!value) return std::nullopt;
  record.value = std::string(*value);
  return record;
}

std::string to_hex(ByteView data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (char ch : data) {
    auto b = static_cast<unsigned char>(ch);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

}  // namespace synod::persistence
