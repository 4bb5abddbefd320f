#include "discovery/messages.h"

#include <optional>
#include <type_traits>

namespace synod::discovery {
namespace {

constexpr std::size_t kMaxString = 1024;
constexpr std::size_t kMaxMetaEntries = 64;
constexpr std::size_t kMaxMembers = 16384;

void put_string(Bytes& out, const std::string& s) { put_bytes(out, s); }

void put_meta(Bytes& out, const Meta& meta) {
  put_u16(out, static_cast<std::uint16_t>(meta.size()));
  for (const auto& [key, value] : meta) {
    put_string(out, key);
    put_string(out, value);
  }
}

void put_alive(Bytes& out, const Alive& a) {
  put_u32(out, a.incarnation);
  put_string(out, a.name);
  put_u64(out, a.id);
  put_string(out, a.address);
  put_meta(out, a.meta);
}

// A reader that remembers the first failure so decoders read straight through.
class Reader {
 public:
  explicit Reader(ByteView data) : reader_(data) {}
  std::uint8_t u8() { return take(reader_.u8()); }
  std::uint16_t u16() { return take(reader_.u16()); }
  std::uint32_t u32() { return take(reader_.u32()); }
  std::uint64_t u64() { return take(reader_.u64()); }
  std::string string() {
    auto v = reader_.bytes();
    if (!v || v->size() > kMaxString) {
      ok_ = false;
      return {};
    }
    return std::string(*v);
  }
  ByteView bytes() {
    auto v = reader_.bytes();
    if (!v) ok_ = false;
    return v.value_or(ByteView{});
  }
  Meta meta() {
    Meta meta;
    const std::size_t n = u16();
    if (n > kMaxMetaEntries) ok_ = false;
    for (std::size_t i = 0; i < n && ok_; ++i) {
      std::string key = string();
      meta[key] = string();
    }
    return meta;
  }
  Alive alive() {
    Alive a;
    a.incarnation = u32();
    a.name = string();
    a.id = u64();
    a.address = string();
    a.meta = meta();
    if (a.name.empty()) ok_ = false;
    return a;
  }
  void fail() { ok_ = false; }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool done() const { return reader_.done(); }
  [[nodiscard]] std::size_t remaining() const { return reader_.remaining(); }

 private:
  template <typename T>
  T take(std::optional<T> v) {
    if (!v) ok_ = false;
    return v.value_or(T{});
  }
  ByteReader reader_;
  bool ok_ = true;
};

void encode_body(Bytes& out, const Ping& m) {
  put_u32(out, m.seq);
  put_string(out, m.target);
  put_string(out, m.source);
}
void encode_body(Bytes& out, const IndirectPing& m) {
  put_u32(out, m.seq);
  put_string(out, m.target);
  put_string(out, m.target_address);
  put_string(out, m.source);
}
void encode_body(Bytes& out, const Ack& m) {
  put_u32(out, m.seq);
  put_string(out, m.source);
}
void encode_body(Bytes& out, const Nack& m) { put_u32(out, m.seq); }
void encode_body(Bytes& out, const Alive& m) { put_alive(out, m); }
void encode_body(Bytes& out, const Suspect& m) {
  put_u32(out, m.incarnation);
  put_string(out, m.name);
  put_string(out, m.from);
}
void encode_body(Bytes& out, const Dead& m) {
  put_u32(out, m.incarnation);
  put_string(out, m.name);
  put_string(out, m.from);
}
void encode_body(Bytes& out, const Sync& m) {
  put_u8(out, m.request ? 1 : 0);
  put_string(out, m.source);
  put_u32(out, static_cast<std::uint32_t>(m.members.size()));
  for (const auto& record : m.members) {
    put_u8(out, static_cast<std::uint8_t>(record.state));
    put_alive(out, record.alive);
  }
}

MessageKind kind_of(const Message& message) {
  return static_cast<MessageKind>(message.index() + 1);
}

Sync decode_sync_body(Reader& r) {
  Sync s;
  s.request = r.u8() != 0;
  s.source = r.string();
  const std::size_t n = r.u32();
  if (n > kMaxMembers) {
    r.fail();
    return s;
  }
  for (std::size_t i = 0; i < n && r.ok(); ++i) {
    MemberRecord record;
    const std::uint8_t state = r.u8();
    if (state < 1 || state > 4) r.fail();
    record.state = static_cast<MemberState>(state);
    record.alive = r.alive();
    s.members.push_back(std::move(record));
  }
  return s;
}

std::optional<Message> decode_body(MessageKind kind, Reader& r) {
  switch (kind) {
    case MessageKind::kPing: {
      Ping m;
      m.seq = r.u32();
      m.target = r.string();
      m.source = r.string();
      return m;
    }
    case MessageKind::kIndirectPing: {
      IndirectPing m;
      m.seq = r.u32();
      m.target = r.string();
      m.target_address = r.string();
      m.source = r.string();
      return m;
    }
    case MessageKind::kAck: {
      Ack m;
      m.seq = r.u32();
      m.source = r.string();
      return m;
    }
    case MessageKind::kNack:
      return Nack{r.u32()};
    case MessageKind::kAlive:
      return r.alive();
    case MessageKind::kSuspect: {
      Suspect m;
      m.incarnation = r.u32();
      m.name = r.string();
      m.from = r.string();
      return m;
    }
    case MessageKind::kDead: {
      Dead m;
      m.incarnation = r.u32();
      m.name = r.string();
      m.from = r.string();
      return m;
    }
    case MessageKind::kSync:
      return decode_sync_body(r);
  }
  return std::nullopt;
}

}  // namespace

const char* member_state_name(MemberState state) {
  switch (state) {
    case MemberState::kAlive: return "alive";
    case MemberState::kSuspect: return "suspect";
    case MemberState::kDead: return "dead";
    case MemberState::kLeft: return "left";
  }
  return "unknown";
}

int consul_status(MemberState state) {
  switch (state) {
    case MemberState::kAlive:
    case MemberState::kSuspect: return 1;
    case MemberState::kLeft: return 3;
    case MemberState::kDead: return 4;
  }
  return 0;
}

Bytes encode_message(const Message& message) {
  Bytes body;
  std::visit([&body](const auto& m) { encode_body(body, m); }, message);
  Bytes out;
  put_u8(out, static_cast<std::uint8_t>(kind_of(message)));
  put_bytes(out, body);
  return out;
}

Bytes encode_packet(const std::vector<Bytes>& encoded_messages) {
  Bytes out;
  put_u8(out, kPacketMagic);
  put_u8(out, kProtocolVersion);
  const std::size_t n = std::min<std::size_t>(encoded_messages.size(), 255);
  put_u8(out, static_cast<std::uint8_t>(n));
  for (std::size_t i = 0; i < n; ++i) out += encoded_messages[i];
  return out;
}

Result<std::vector<Message>> decode_packet(ByteView packet) {
  Reader r(packet);
  if (r.u8() != kPacketMagic || !r.ok()) return invalid_argument("not a gossip packet");
  const std::uint8_t version = r.u8();
  if (!r.ok() || version < kProtocolMin || version > kProtocolMax) {
    return invalid_argument("unsupported gossip protocol version " + std::to_string(version));
  }
  const std::size_t count = r.u8();
  if (!r.ok() || count == 0) return invalid_argument("empty gossip packet");
  std::vector<Message> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t kind = r.u8();
    ByteView body = r.bytes();
    if (!r.ok()) return invalid_argument("truncated gossip packet");
    if (kind < 1 || kind > static_cast<std::uint8_t>(MessageKind::kSync)) {
      return invalid_argument("unknown gossip message kind " + std::to_string(kind));
    }
    Reader body_reader(body);
    auto message = decode_body(static_cast<MessageKind>(kind), body_reader);
    if (!message || !body_reader.ok() || !body_reader.done()) {
      return invalid_argument("malformed gossip message of kind " + std::to_string(kind));
    }
    out.push_back(std::move(*message));
  }
  if (!r.done()) return invalid_argument("trailing bytes after the gossip messages");
  return out;
}

Bytes encode_sync(const Sync& sync) {
  Bytes out;
  put_u8(out, kProtocolVersion);
  encode_body(out, sync);
  return out;
}

Result<Sync> decode_sync(ByteView data) {
  Reader r(data);
  const std::uint8_t version = r.u8();
  if (!r.ok() || version < kProtocolMin || version > kProtocolMax) {
    return invalid_argument("unsupported push-pull protocol version " + std::to_string(version));
  }
  Sync sync = decode_sync_body(r);
  if (!r.ok() || !r.done()) return invalid_argument("malformed push-pull state");
  return sync;
}

}  // namespace synod::discovery
