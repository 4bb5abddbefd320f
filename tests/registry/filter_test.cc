#include "node/http/filter.h"

#include <gtest/gtest.h>

namespace synod::node::http {
namespace {

using nlohmann::ordered_json;

ordered_json entry() {
  return ordered_json::parse(R"({
    "Node": {"Node": "n1", "Meta": {"rack": "r1"}},
    "Service": {"ID": "web-1", "Service": "web", "Tags": ["v1", "primary"], "Port": 8080,
                "Meta": {"env": "prod"}},
    "ServiceMeta": {"k": "v"},
    "Checks": [{"CheckID": "serfHealth", "Status": "passing"},
               {"CheckID": "service:web-1", "Status": "critical"}]
  })");
}

bool eval(const std::string& expression) {
  auto filter = Filter::parse(expression);
  EXPECT_TRUE(filter.is_ok()) << expression << ": " << filter.status();
  return filter.is_ok() && filter->matches(entry());
}

TEST(Filter, EqualityOnNestedFields) {
  EXPECT_TRUE(eval("Service.Service == web"));
  EXPECT_TRUE(eval("Service.Service == \"web\""));
  EXPECT_FALSE(eval("Service.Service != `web`"));
  EXPECT_TRUE(eval("Service.Port == 8080"));
  EXPECT_TRUE(eval("Node.Meta.rack == r1"));
  EXPECT_TRUE(eval("ServiceMeta[\"k\"] == v"));
  EXPECT_TRUE(eval("service.service == web")) << "field names are case-insensitive";
}

TEST(Filter, MembershipAndSubstring) {
  EXPECT_TRUE(eval("v1 in Service.Tags"));
  EXPECT_TRUE(eval("\"primary\" in Service.Tags"));
  EXPECT_FALSE(eval("\"v2\" in Service.Tags"));
  EXPECT_TRUE(eval("\"v2\" not in Service.Tags"));
  EXPECT_TRUE(eval("Service.Tags contains v1"));
  EXPECT_TRUE(eval("Service.ID contains \"web-\""));
  EXPECT_TRUE(eval("Service.Meta contains env"));
  EXPECT_TRUE(eval("Service.Tags not contains v9"));
}

TEST(Filter, SelectorsThroughArraysSeeEveryElement) {
  EXPECT_TRUE(eval("Checks.Status == critical"));
  EXPECT_TRUE(eval("Checks.Status == passing"));
  EXPECT_FALSE(eval("Checks.Status == warning"));
  EXPECT_TRUE(eval("Checks.Status != warning"));
}

TEST(Filter, EmptinessAndRegex) {
  EXPECT_TRUE(eval("Service.Missing is empty"));
  EXPECT_TRUE(eval("Service.Tags is not empty"));
  EXPECT_TRUE(eval("Service.ID matches \"^web-[0-9]+$\""));
  EXPECT_TRUE(eval("Service.ID not matches \"^db\""));
}

TEST(Filter, BooleanLogicAndPrecedence) {
  EXPECT_TRUE(eval("Service.Service == web and v1 in Service.Tags"));
  EXPECT_FALSE(eval("Service.Service == db and v1 in Service.Tags"));
  EXPECT_TRUE(eval("Service.Service == db or v1 in Service.Tags"));
  EXPECT_TRUE(eval("not Service.Service == db"));
  // and binds tighter than or.
  EXPECT_TRUE(eval("Service.Service == web or Service.Service == db and Service.Port == 1"));
  EXPECT_FALSE(eval("(Service.Service == web or Service.Service == db) and Service.Port == 1"));
}

TEST(Filter, BadExpressionsAreClearErrors) {
  for (const char* bad :
       {"", "Service.Service ==", "Service.Service = web", "(a == b", "a == b)", "\"x\" in",
        "Service.ID matches \"(\"", "a ~ b", "a == \"unterminated", "and == b"}) {
    auto filter = Filter::parse(bad);
    EXPECT_FALSE(filter.is_ok()) << bad;
    if (!filter.is_ok()) {
      EXPECT_EQ(filter.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(Filter, FiltersArraysAndObjectMaps) {
  auto filter = Filter::parse("Port > 1");
  EXPECT_FALSE(filter.is_ok());
  auto by_port = Filter::parse("Port == 2");
  ASSERT_TRUE(by_port.is_ok());
  ordered_json list = ordered_json::parse(R"([{"Port": 1}, {"Port": 2}, {"Port": 2}])");
  filter_json(*by_port, list);
  EXPECT_EQ(list.size(), 2u);
  ordered_json map = ordered_json::parse(R"({"a": {"Port": 1}, "b": {"Port": 2}})");
  filter_json(*by_port, map);
  ASSERT_EQ(map.size(), 1u);
  EXPECT_TRUE(map.contains("b"));
}

}  // namespace
}  // namespace synod::node::http
