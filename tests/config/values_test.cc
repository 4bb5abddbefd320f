#include "config/values.h"

#include <gtest/gtest.h>

namespace synod::config {
namespace {

using std::chrono::milliseconds;

TEST(ConfigValues, DurationsAcceptEveryUnitAndCombinations) {
  EXPECT_EQ(parse_duration("150ms"), milliseconds(150));
  EXPECT_EQ(parse_duration("2s"), milliseconds(2000));
  EXPECT_EQ(parse_duration("1m"), milliseconds(60'000));
  EXPECT_EQ(parse_duration("72h"), milliseconds(72ll * 3600 * 1000));
  EXPECT_EQ(parse_duration("1h30m"), milliseconds(90ll * 60 * 1000));
  EXPECT_EQ(parse_duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(parse_duration(" 0 "), milliseconds(0));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
}

TEST(ConfigValues, DurationsRejectMissingUnitsAndJunk) {
  for (const char* bad : {"", "fast", "150", "5 s", "-1s", "1.5ms", "1d", "s", "1h30", "2S",
                          "99999999999999999999h"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
}

TEST(ConfigValues, DurationsFormatToTheShortestExactForm) {
  EXPECT_EQ(format_duration(milliseconds(50)), "50ms");
  EXPECT_EQ(format_duration(milliseconds(90'000)), "1m30s");
  EXPECT_EQ(format_duration(milliseconds(1500)), "1s500ms");
  EXPECT_EQ(format_duration(milliseconds(72ll * 3600 * 1000)), "72h");
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
  for (long long ms : {1ll, 999ll, 1000ll, 61'001ll, 3'600'000ll, 90'061'001ll}) {
    EXPECT_EQ(parse_duration(format_duration(milliseconds(ms))), milliseconds(ms)) << ms;
  }
}

TEST(ConfigValues, ByteSizesAcceptBinaryAndDecimalUnits) {
  EXPECT_EQ(parse_byte_size("256"), 256u);
  EXPECT_EQ(parse_byte_size("256B"), 256u);
  EXPECT_EQ(parse_byte_size("64KiB"), 64u * 1024);
  EXPECT_EQ(parse_byte_size("16MiB"), 16u << 20);
  EXPECT_EQ(parse_byte_size("1GiB"), 1ull << 30);
  EXPECT_EQ(parse_byte_size("2TiB"), 2ull << 40);
  EXPECT_EQ(parse_byte_size("1KB"), 1000u);
  EXPECT_EQ(parse_byte_size("3MB"), 3'000'000u);
  EXPECT_EQ(parse_byte_size("1gb"), 1'000'000'000u);
  EXPECT_EQ(parse_byte_size("1.5KiB"), 1536u);
}

TEST(ConfigValues, ByteSizesRejectJunkFractionsOfBytesAndOverflow) {
  for (const char* bad : {"", "lots", "-1", "1.5", "1XB", "KiB", "64 KiB", "99999999999TiB",
                          "18446744073709551616"}) {
    EXPECT_EQ(parse_byte_size(bad), std::nullopt) << bad;
  }
}

TEST(ConfigValues, ByteSizesFormatWithTheLargestExactBinaryUnit) {
  EXPECT_EQ(format_byte_size(256), "256");
  EXPECT_EQ(format_byte_size(16 << 10), "16KiB");
  EXPECT_EQ(format_byte_size(1 << 20), "1MiB");
  EXPECT_EQ(format_byte_size(1ull << 30), "1GiB");
  EXPECT_EQ(format_byte_size(1536), "1536");
  EXPECT_EQ(format_byte_size(0), "0");
}

TEST(ConfigValues, BooleansAndNumbers) {
  EXPECT_EQ(parse_bool("true"), true);
  EXPECT_EQ(parse_bool("Off"), false);
  EXPECT_EQ(parse_bool("yes"), true);
  EXPECT_EQ(parse_bool("maybe"), std::nullopt);
  EXPECT_EQ(parse_unsigned("42"), 42u);
  EXPECT_EQ(parse_unsigned("-1"), std::nullopt);
  EXPECT_EQ(parse_unsigned("4x"), std::nullopt);
  EXPECT_EQ(parse_signed("-7"), -7);
  EXPECT_EQ(parse_double("99.9"), 99.9);
  EXPECT_EQ(parse_double("nan"), std::nullopt);
}

TEST(ConfigValues, HostPortAddresses) {
  for (const char* good :
       {"127.0.0.1:8300", "node-1.example.com:1", "[::1]:8500", "h:0", "0.0.0.0:65535"}) {
    EXPECT_TRUE(is_host_port(good)) << good;
  }
  for (const char* bad : {"", "localhost", ":8300", "host:", "host:65536", "::1:8300", "host:port",
                          "a b:1", "[::1:80"}) {
    EXPECT_FALSE(is_host_port(bad)) << bad;
  }
}

}  // namespace
}  // namespace synod::config
