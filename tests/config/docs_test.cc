// docs/config.md embeds markdown_reference(); this test keeps the two equal.
// After changing the schema, regenerate with:
//   SYNOD_UPDATE_DOCS=1 ./config_test --gtest_filter='ConfigDocs.*'
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/config/test_util.h"

namespace synod::config {
namespace {

constexpr std::string_view kBegin =
    "<!-- BEGIN GENERATED KEY REFERENCE: markdown_reference() -->\n";
constexpr std::string_view kEnd = "<!-- END GENERATED KEY REFERENCE -->";

TEST(ConfigDocs, ConfigMdKeyReferenceMatchesTheSchema) {
  const std::string path = std::string(SYNOD_SOURCE_ROOT) + "/docs/config.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string doc = buffer.str();
  std::size_t begin = doc.find(kBegin);
  std::size_t end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << "marker missing: " << kBegin;
  ASSERT_NE(end, std::string::npos) << "marker missing: " << kEnd;
  begin += kBegin.size();
  std::string expected = "\n" + markdown_reference() + "\n";
  if (const char* update = std::getenv("SYNOD_UPDATE_DOCS"); update && std::string(update) == "1") {
    doc.replace(begin, end - begin, expected);
    std::ofstream(path, std::ios::trunc) << doc;
    return;
  }
  std::string actual = doc.substr(begin, end - begin);
  if (actual == expected) return;
  // Show the first line that differs rather than two whole tables.
  std::istringstream have(actual), want(expected);
  std::string have_line, want_line;
  int line = 0;
  while (std::getline(want, want_line)) {
    ++line;
    if (!std::getline(have, have_line) || have_line != want_line) break;
  }
  ADD_FAILURE() << "docs/config.md is out of date (reference line " << line
                << ")\n  docs:   " << have_line << "\n  schema: " << want_line
                << "\nRegenerate: SYNOD_UPDATE_DOCS=1 config_test --gtest_filter='ConfigDocs.*'";
}

TEST(ConfigDocs, EveryKeyAppearsWithItsDefault) {
  std::string reference = markdown_reference();
  for (const KeyInfo& key : schema()) {
    EXPECT_NE(reference.find("| `" + std::string(key.path) + "` |"), std::string::npos) << key.path;
  }
  EXPECT_NE(reference.find("| `raft.heartbeat_interval` | duration, 1ms..1m | `30ms` |"),
            std::string::npos);
}

}  // namespace
}  // namespace synod::config
