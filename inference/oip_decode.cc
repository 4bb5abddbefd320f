// decode_infer_request (oip_json.h) without a JSON DOM.
//
// A request body is mostly the numbers of the "data" arrays (784 of them for
// the demo mlp). Building a nlohmann::json value per number cost more than
// the model's own compute, and nlohmann's SAX interface (no DOM) is only
// ~15% faster than its DOM on a 4.8 KB, 784-number body (322 vs 381 us in
// one run; its lexer copies each number's text before converting it), while
// this reader takes 20-38 us. So this file reads the body in one pass with a
// small strict JSON reader: every number of a "data" array goes straight
// into one double buffer per input, everything else the protocol does not
// use is skipped (but still checked to be valid JSON). The checks and their
// order are those documented in oip_json.h: a malformed body is reported as
// such before any other problem, then the inputs in signature order.
//
// With binary tensor data (an Inference-Header-Content-Length), only the
// JSON header goes through the reader; each binary input is one bounds
// check and a memcpy/convert loop over its slice of the bytes after it.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <type_traits>

#include "inference/oip_json.h"

namespace synod::inference {
namespace {

constexpr int kMaxDepth = 64;  // nesting allowed in a body (no recursion bombs)

// One element of a "data" array that is not a plain number.
struct Special {
  std::size_t index;  // position among the flattened elements
  enum Kind { kTrue, kFalse, kOther } kind;
  std::string text;  // kOther: the element's JSON text (for the message)
};

// What the body said about one input (nothing is checked against the model yet).
struct RawInput {
  bool is_object = false;
  std::optional<std::string> name;      // set when "name" is a string
  bool datatype_present = false;        // "datatype" is a string
  std::string datatype;
  bool shape_present = false;           // "shape" is an array
  bool shape_valid = true;              // every dimension a non-negative integer
  Shape shape;
  bool data_present = false;
  std::vector<double> values;           // numbers (specials hold a placeholder 0)
  std::vector<Special> specials;        // in index order
  // "parameters": {"binary_data_size": n}; valid when a non-negative integer.
  std::optional<std::uint64_t> binary_size;
  bool binary_size_valid = true;
  std::size_t binary_offset = 0;  // where its bytes start after the JSON
};

// A strict single-pass JSON reader over the body. Each method returns false
// on malformed input (the caller then reports "malformed JSON").
class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}

  void ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) {
      ++pos_;
    }
  }
  char peek() {
    ws();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  bool at_end() {
    ws();
    return pos_ == s_.size();
  }
  std::size_t pos() const { return pos_; }
  std::string_view slice(std::size_t from, std::size_t to) const {
    return s_.substr(from, to - from);
  }

  bool string(std::string& out) {
    if (!eat('"')) return false;
    out.clear();
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (static_cast<unsigned char>(c) >= 0x80) {
        // JSON text is UTF-8: a malformed sequence is a malformed body
        // (and would make the response's encoder throw).
        if (!utf8_sequence(static_cast<unsigned char>(c), out)) return false;
        continue;
      }
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) return false;
      switch (s_[pos_++]) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // a surrogate pair
            std::uint32_t low = 0;
            if (pos_ + 2 > s_.size() || s_[pos_] != '\\' || s_[pos_ + 1] != 'u') return false;
            pos_ += 2;
            if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          utf8(cp, out);
          break;
        }
        default: return false;
      }
    }
    return false;
  }

  // A JSON number; `integral` when it has no fraction or exponent.
  bool number(double& value, bool& integral, std::string_view& text) {
    ws();
    const std::size_t start = pos_;
    const bool negative = pos_ < s_.size() && s_[pos_] == '-';
    if (negative) ++pos_;
    if (pos_ >= s_.size()) return false;
    // The decimal digits as an integer mantissa (while it stays exact) and
    // a power of ten, for the fast path below.
    std::uint64_t mantissa = 0;
    int digits = 0, exp10 = 0;
    auto take = [&](bool fraction) {
      const std::size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        if (digits < 19) {
          mantissa = mantissa * 10 + static_cast<std::uint64_t>(s_[pos_] - '0');
          if (mantissa != 0) ++digits;
          if (fraction) --exp10;
        } else if (!fraction) {
          ++exp10;  // (digits beyond 19 are left to from_chars below)
          digits = 20;
        } else {
          digits = 20;
        }
        ++pos_;
      }
      return pos_ > from;
    };
    if (s_[pos_] == '0') {
      ++pos_;
    } else if (s_[pos_] >= '1' && s_[pos_] <= '9') {
      take(false);
    } else {
      return false;
    }
    integral = true;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!take(true)) return false;
      integral = false;
    }
    bool exact = digits <= 15;
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      const bool minus = pos_ < s_.size() && s_[pos_] == '-';
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      int e = 0;
      const std::size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        if (e < 10000) e = e * 10 + (s_[pos_] - '0');
        ++pos_;
      }
      if (pos_ == from) return false;
      exp10 += minus ? -e : e;
      integral = false;
    }
    text = s_.substr(start, pos_ - start);
    // Clinger's fast path: a mantissa below 2^53 and a power of ten that is
    // itself exact make one correctly rounded multiplication or division.
    static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (exact && exp10 >= -22 && exp10 <= 22) {
      const double m = static_cast<double>(mantissa);
      value = exp10 >= 0 ? m * kPow10[exp10] : m / kPow10[-exp10];
      if (negative) value = -value;
      return true;
    }
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range) {
      value = std::strtod(std::string(text).c_str(), nullptr);  // +-HUGE_VAL or 0
    } else if (ec != std::errc() || end != text.data() + text.size()) {
      return false;
    }
    return true;
  }

  bool literal(std::string_view word) {
    ws();
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  // Any JSON value.
  bool skip(int depth = 0) {
    if (depth > kMaxDepth) return false;
    switch (peek()) {
      case '"': {
        std::string ignored;
        return string(ignored);
      }
      case '{': {
        ++pos_;
        if (eat('}')) return true;
        do {
          std::string key;
          if (!string(key) || !eat(':') || !skip(depth + 1)) return false;
        } while (eat(','));
        return eat('}');
      }
      case '[': {
        ++pos_;
        if (eat(']')) return true;
        do {
          if (!skip(depth + 1)) return false;
        } while (eat(','));
        return eat(']');
      }
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: {
        double v;
        bool integral;
        std::string_view text;
        return number(v, integral, text);
      }
    }
  }

  // The members of an object: calls member(key) positioned at each value.
  template <typename F>
  bool object(F&& member) {
    if (!eat('{')) return false;
    if (eat('}')) return true;
    std::string key;
    do {
      if (!string(key) || !eat(':') || !member(key)) return false;
    } while (eat(','));
    return eat('}');
  }

  // The elements of an array: calls element() positioned at each one.
  template <typename F>
  bool array(F&& element) {
    if (!eat('[')) return false;
    if (eat(']')) return true;
    do {
      if (!element()) return false;
    } while (eat(','));
    return eat(']');
  }

 private:
  bool hex4(std::uint32_t& out) {
    if (pos_ + 4 > s_.size()) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      out <<= 4;
      if (c >= '0' && c <= '9') out |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') out |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') out |= static_cast<std::uint32_t>(c - 'A' + 10);
      else return false;
    }
    return true;
  }
  // The rest of a UTF-8 sequence after its lead byte (already consumed):
  // appended when well-formed (no overlong form, surrogate or value above
  // U+10FFFF).
  bool utf8_sequence(unsigned char lead, std::string& out) {
    std::size_t extra = 0;
    std::uint32_t cp = 0, min = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      extra = 1, cp = lead & 0x1Fu, min = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      extra = 2, cp = lead & 0x0Fu, min = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      extra = 3, cp = lead & 0x07u, min = 0x10000;
    } else {
      return false;
    }
    if (pos_ + extra > s_.size()) return false;
    for (std::size_t i = 0; i < extra; ++i) {
      const auto b = static_cast<unsigned char>(s_[pos_ + i]);
      if ((b & 0xC0u) != 0x80u) return false;
      cp = (cp << 6) | (b & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    out.push_back(static_cast<char>(lead));
    out.append(s_.substr(pos_, extra));
    pos_ += extra;
    return true;
  }
  static void utf8(std::uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// A non-negative whole JSON number (a shape dimension, a binary_data_size)
// into `out`; `valid` false for anything else (which is still read).
template <typename Int>
bool read_whole(Reader& r, Int& out, bool& valid, int depth);
// A JSON boolean into `out` (a "binary_data" flag); `valid` false otherwise.
bool read_flag(Reader& r, bool& out, bool& valid, int depth);

// A (nested) "data" array or a single element: numbers into in.values,
// booleans and anything else recorded as specials.
bool read_data(Reader& r, RawInput& in, int depth) {
  if (depth > kMaxDepth) return false;
  const char c = r.peek();
  if (c == '[') {
    return r.array([&] { return read_data(r, in, depth + 1); });
  }
  const std::size_t index = in.values.size();
  if (c == 't' || c == 'f') {
    if (!r.literal(c == 't' ? "true" : "false")) return false;
    in.specials.push_back({index, c == 't' ? Special::kTrue : Special::kFalse, {}});
    in.values.push_back(0);
    return true;
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    double v;
    bool integral;
    std::string_view text;
    if (!r.number(v, integral, text)) return false;
    in.values.push_back(v);
    return true;
  }
  const std::size_t from = r.pos();
  if (!r.skip(depth + 1)) return false;
  in.specials.push_back({index, Special::kOther, std::string(r.slice(from, r.pos()))});
  in.values.push_back(0);
  return true;
}

bool read_input(Reader& r, RawInput& in) {
  if (r.peek() != '{') {
    return r.skip(1);  // not an object: reported after the whole body parsed
  }
  in.is_object = true;
  return r.object([&](const std::string& key) {
    if (key == "name") {
      if (r.peek() != '"') return r.skip(2);
      std::string name;
      if (!r.string(name)) return false;
      in.name = std::move(name);
      return true;
    }
    if (key == "datatype") {
      in.datatype_present = r.peek() == '"';
      return in.datatype_present ? r.string(in.datatype) : r.skip(2);
    }
    if (key == "shape") {
      in.shape.clear();
      in.shape_valid = true;
      in.shape_present = r.peek() == '[';
      if (!in.shape_present) return r.skip(2);
      return r.array([&] {
        std::int64_t d = 0;
        bool valid = true;
        if (!read_whole(r, d, valid, 3)) return false;
        if (!valid) in.shape_valid = false;
        in.shape.push_back(d);
        return true;
      });
    }
    if (key == "data") {
      in.data_present = true;
      in.values.clear();
      in.specials.clear();
      return read_data(r, in, 2);
    }
    if (key == "parameters" && r.peek() == '{') {
      return r.object([&](const std::string& k) {
        if (k == "binary_data_size") {
          std::uint64_t n = 0;
          const bool read = read_whole(r, n, in.binary_size_valid, 4);
          in.binary_size = n;
          return read;
        }
        return r.skip(3);
      });
    }
    return r.skip(2);  // anything else
  });
}

template <typename Int>
bool read_whole(Reader& r, Int& out, bool& valid, int depth) {
  const char c = r.peek();
  out = 0;
  if (c != '-' && (c < '0' || c > '9')) {
    valid = false;
    return r.skip(depth);
  }
  double v;
  bool integral;
  std::string_view text;
  if (!r.number(v, integral, text)) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  bool whole = integral && ec == std::errc() && end == text.data() + text.size();
  if constexpr (std::is_signed_v<Int>) whole = whole && out >= 0;
  valid = whole;
  return true;
}

bool read_flag(Reader& r, bool& out, bool& valid, int depth) {
  const char c = r.peek();
  if (c == 't' || c == 'f') {
    out = c == 't';
    return r.literal(out ? "true" : "false");
  }
  valid = false;
  return r.skip(depth);
}

// element_count(shape) * size, or nullopt when it overflows.
std::optional<std::uint64_t> byte_count(const Shape& shape, std::size_t size) {
  std::uint64_t n = size;
  for (auto d : shape) {
    const auto dim = static_cast<std::uint64_t>(d);
    if (dim != 0 && n > std::numeric_limits<std::uint64_t>::max() / dim) return std::nullopt;
    n *= dim;
  }
  return n;
}

// The JSON text of a number for an error message, as nlohmann prints it.
std::string number_text(double x) {
  if (std::floor(x) == x && std::fabs(x) < 9.2e18) {
    return std::to_string(static_cast<std::int64_t>(x));
  }
  return nlohmann::json(x).dump();
}

// Checks the values against the datatype (in order) and converts them.
bool convert(const RawInput& in, DataType type, std::vector<float>& out, std::string& why) {
  out.resize(in.values.size());
  std::size_t next_special = 0;
  const double lo = datatype_min(type), hi = datatype_max(type);
  const bool integer = is_integer(type);
  for (std::size_t i = 0; i < in.values.size(); ++i) {
    double x = in.values[i];
    if (next_special < in.specials.size() && in.specials[next_special].index == i) {
      const Special& s = in.specials[next_special++];
      if (s.kind == Special::kOther) {
        why = "non-numeric element " + s.text.substr(0, 40);
        return false;
      }
      if (type != DataType::kBool) {
        why = "a boolean in a " + std::string(datatype_name(type)) + " tensor";
        return false;
      }
      x = s.kind == Special::kTrue ? 1 : 0;
    } else {
      if (integer && std::floor(x) != x) {
        why = "non-integer value " + number_text(x) + " in a " +
              std::string(datatype_name(type)) + " tensor";
        return false;
      }
      if (x < lo || x > hi) {
        why = "value " + number_text(x) + " out of range for " + std::string(datatype_name(type));
        return false;
      }
    }
    out[i] = static_cast<float>(x);
  }
  return true;
}

}  // namespace

Result<DecodedRequest> decode_infer_request(std::string_view body, const LoadedModel& model,
                                            std::optional<std::size_t> json_length) {
  // The binary tensor data after the JSON header, if any.
  std::string_view binary;
  if (json_length) {
    if (*json_length > body.size()) {
      return invalid_argument("Inference-Header-Content-Length " + std::to_string(*json_length) +
                              " is larger than the " + std::to_string(body.size()) +
                              "-byte body");
    }
    binary = body.substr(*json_length);
    body = body.substr(0, *json_length);
  }
  // Pass 1: read the whole body (syntax errors first, whatever else is wrong).
  Reader r(body);
  bool top_object = false, inputs_array = false, outputs_array = false, outputs_valid = true;
  bool flags_valid = true;  // "binary_data_output" and "binary_data" are booleans
  std::vector<RawInput> raw;
  DecodedRequest out;
  bool parsed = false;
  if (r.peek() == '{') {
    top_object = true;
    parsed = r.object([&](const std::string& key) {
      if (key == "inputs") {
        raw.clear();
        inputs_array = r.peek() == '[';
        if (!inputs_array) return r.skip(1);
        return r.array([&] {
          raw.emplace_back();
          return read_input(r, raw.back());
        });
      }
      if (key == "id") {
        if (r.peek() != '"') return r.skip(1);
        return r.string(out.id);
      }
      if (key == "outputs") {
        out.outputs.clear();
        outputs_valid = true;
        outputs_array = r.peek() == '[';
        if (!outputs_array) return r.skip(1);
        return r.array([&] {
          if (r.peek() != '{') {
            outputs_valid = false;
            return r.skip(2);
          }
          bool named = false, has_flag = false, flag = false;
          std::string name;
          bool ok = r.object([&](const std::string& k) {
            if (k == "parameters" && r.peek() == '{') {
              return r.object([&](const std::string& p) {
                if (p != "binary_data") return r.skip(4);
                has_flag = true;
                return read_flag(r, flag, flags_valid, 4);
              });
            }
            if (k != "name" || r.peek() != '"') return r.skip(3);
            if (!r.string(name)) return false;
            named = true;
            return true;
          });
          outputs_valid = outputs_valid && named;
          if (named && has_flag) out.binary_override.emplace_back(name, flag);
          if (named) out.outputs.push_back(std::move(name));
          return ok;
        });
      }
      if (key == "parameters" && r.peek() == '{') {
        return r.object([&](const std::string& k) {
          if (k != "binary_data_output") return r.skip(2);
          return read_flag(r, out.binary_all, flags_valid, 2);
        });
      }
      return r.skip(1);
    });
  } else {
    parsed = r.skip(0);
  }
  if (!parsed || !r.at_end()) return invalid_argument("malformed JSON in the request body");
  if (!top_object || !inputs_array) {
    return invalid_argument("the request must be a JSON object with an \"inputs\" array");
  }

  // Pass 2: the checks, in the documented order.
  if (!flags_valid) {
    return invalid_argument("\"binary_data_output\" and \"binary_data\" must be true or false");
  }
  const auto& sig = model.signature;
  const std::uint32_t max_batch = model.config.max_batch_size;
  std::vector<RawInput*> by_spec(sig.inputs.size(), nullptr);
  for (auto& input : raw) {
    if (!input.is_object || !input.name) return invalid_argument("every input needs a \"name\"");
    const std::string& name = *input.name;
    std::size_t i = 0;
    while (i < sig.inputs.size() && sig.inputs[i].name != name) ++i;
    if (i == sig.inputs.size()) {
      std::string names;
      for (const auto& s : sig.inputs) names += (names.empty() ? "" : ", ") + s.name;
      return invalid_argument("unexpected input '" + name + "'; model " + model.name +
                              " has inputs: " + names);
    }
    if (by_spec[i]) return invalid_argument("input '" + name + "' given twice");
    by_spec[i] = &input;
  }
  // Binary inputs' bytes follow the JSON in the order of the request.
  std::uint64_t binary_total = 0;
  for (auto& input : raw) {
    if (!input.binary_size) continue;
    input.binary_offset = binary_total;
    binary_total += std::min<std::uint64_t>(*input.binary_size, binary.size() + 1);
  }
  std::optional<std::int64_t> batch;
  out.inputs.reserve(sig.inputs.size());
  for (std::size_t i = 0; i < sig.inputs.size(); ++i) {
    const TensorSpec& spec = sig.inputs[i];
    if (!by_spec[i]) return invalid_argument("missing input '" + spec.name + "'");
    RawInput& input = *by_spec[i];
    Tensor t;
    t.name = spec.name;
    if (input.binary_size) {
      if (!input.binary_size_valid) {
        return invalid_argument("input '" + spec.name +
                                "': binary_data_size must be a non-negative integer");
      }
      if (input.data_present) {
        return invalid_argument("input '" + spec.name +
                                "': has both \"data\" and a binary_data_size");
      }
      if (!json_length) {
        return invalid_argument("input '" + spec.name +
                                "': binary_data_size without an Inference-Header-Content-Length "
                                "header");
      }
      if (input.datatype_present && input.datatype == "BYTES") {
        return invalid_argument("input '" + spec.name +
                                "': BYTES tensors are not supported (numeric datatypes only)");
      }
    }
    if (!input.datatype_present) {
      return invalid_argument("input '" + spec.name + "': missing \"datatype\"");
    }
    auto dt = parse_datatype(input.datatype);
    if (!dt) {
      return invalid_argument("input '" + spec.name + "': unknown datatype " + input.datatype);
    }
    if (*dt != spec.datatype) {
      return invalid_argument("input '" + spec.name + "': datatype " + input.datatype +
                              " does not match the model's " +
                              std::string(datatype_name(spec.datatype)));
    }
    t.datatype = *dt;
    if (!input.shape_present) return invalid_argument("input '" + spec.name + "': missing \"shape\"");
    if (!input.shape_valid) {
      return invalid_argument("input '" + spec.name + "': shape must be non-negative integers");
    }
    t.shape = std::move(input.shape);
    if (!spec.shape.empty()) {
      bool match = t.shape.size() == spec.shape.size();
      for (std::size_t d = 0; match && d < t.shape.size(); ++d) {
        if (spec.shape[d] >= 0 && spec.shape[d] != t.shape[d]) match = false;
      }
      if (!match) {
        return invalid_argument("input '" + spec.name + "': shape " + shape_text(t.shape) +
                                " does not match the model's " + shape_text(spec.shape));
      }
    }
    if (max_batch > 0) {
      if (t.shape.empty() || t.shape[0] < 1) {
        return invalid_argument("input '" + spec.name + "': batch dimension must be >= 1");
      }
      if (t.shape[0] > static_cast<std::int64_t>(max_batch)) {
        return invalid_argument("input '" + spec.name + "': batch size " +
                                std::to_string(t.shape[0]) + " exceeds max_batch_size " +
                                std::to_string(max_batch));
      }
      if (batch && *batch != t.shape[0]) {
        return invalid_argument("inputs have different batch sizes");
      }
      batch = t.shape[0];
    }
    std::string why;
    if (input.binary_size) {
      const std::size_t element = datatype_size(t.datatype);
      const auto expected_bytes = byte_count(t.shape, element);
      if (!expected_bytes || *expected_bytes != *input.binary_size) {
        return invalid_argument(
            "input '" + spec.name + "': binary_data_size " + std::to_string(*input.binary_size) +
            " does not match shape " + shape_text(t.shape) + " x " + std::to_string(element) +
            " bytes (" + std::string(datatype_name(t.datatype)) + ")" +
            (expected_bytes ? " = " + std::to_string(*expected_bytes) : ""));
      }
      if (input.binary_offset + *input.binary_size > binary.size()) {
        return invalid_argument("input '" + spec.name + "': its " +
                                std::to_string(*input.binary_size) +
                                " bytes of binary data run past the end of the body (" +
                                std::to_string(binary.size()) + " bytes follow the JSON)");
      }
      t.data.reserve(static_cast<std::size_t>(*input.binary_size / element));
      if (!binary_to_values(binary.substr(input.binary_offset, *input.binary_size), t.datatype,
                            t.data, why)) {
        return invalid_argument("input '" + spec.name + "': " + why);
      }
      out.inputs.push_back(std::move(t));
      continue;
    }
    if (!input.data_present) return invalid_argument("input '" + spec.name + "': no data");
    if (!convert(input, t.datatype, t.data, why)) {
      return invalid_argument("input '" + spec.name + "': " + why);
    }
    const std::size_t expected = element_count(t.shape);
    if (t.data.size() != expected) {
      return invalid_argument("input '" + spec.name + "': shape " + shape_text(t.shape) +
                              " needs " + std::to_string(expected) + " values, data has " +
                              std::to_string(t.data.size()));
    }
    out.inputs.push_back(std::move(t));
  }
  out.rows = batch ? static_cast<std::size_t>(*batch) : 1;
  if (binary_total != binary.size()) {
    return invalid_argument("the inputs' binary_data_size add up to " +
                            std::to_string(binary_total) + " bytes but " +
                            std::to_string(binary.size()) + " bytes follow the JSON");
  }
  if (outputs_array) {
    if (!outputs_valid) return invalid_argument("every requested output needs a \"name\"");
    for (const auto& name : out.outputs) {
      bool known = false;
      for (const auto& s : sig.outputs) known = known || s.name == name;
      if (!known) return invalid_argument("unknown output '" + name + "'");
    }
  } else {
    out.outputs.clear();
  }
  return out;
}

}  // namespace synod::inference
