#include "common/metrics.h"

#include <gtest/gtest.h>

namespace synod::metrics {
namespace {

TEST(MetricsTest, CountersAndGaugesRenderInPrometheusText) {
  Registry registry;
  registry.counter("synod_test_requests_total", "Requests.", {{"route", "/v1/kv"}}).inc(3);
  registry.gauge("synod_test_term", "Current term.").set(7);
  std::string text = registry.render();
  EXPECT_NE(text.find("# TYPE synod_test_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("synod_test_requests_total{route=\"/v1/kv\"} 3"), std::string::npos);
  EXPECT_NE(text.find("synod_test_term 7"), std::string::npos);
}

TEST(MetricsTest, SameNameAndLabelsIsTheSameMetric) {
  Registry registry;
  auto& a = registry.counter("c", "h", {{"x", "1"}});
  auto& b = registry.counter("c", "h", {{"x", "1"}});
  auto& other = registry.counter("c", "h", {{"x", "2"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &other);
  EXPECT_THROW(registry.gauge("c", "h"), std::logic_error);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Registry registry;
  auto& h = registry.histogram("lat", "Latency.", {}, {0.1, 1.0});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  std::string text = registry.render();
  EXPECT_NE(text.find("lat_bucket{le=\"0.1\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_bucket{le=\"+Inf\"} 3"), std::string::npos);
  EXPECT_NE(text.find("lat_count 3"), std::string::npos);
  EXPECT_NEAR(h.quantile(0.5), 0.55, 0.46);
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  EXPECT_EQ(render_labels({{"k", "a\"b\\c\n"}}), "{k=\"a\\\"b\\\\c\\n\"}");
}

}  // namespace
}  // namespace synod::metrics
