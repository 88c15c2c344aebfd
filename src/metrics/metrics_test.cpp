#include <gtest/gtest.h>

#include <thread>

#include "metrics/metrics.h"

namespace tw::metrics {
namespace {

TEST(MetricsTest, RendersThePrometheusTextFormat) {
  Registry r;
  r.counter("tw_things_total", "Things.").inc(3);
  r.gauge("tw_level", "Level.").set(-2);
  auto& kinds = r.counterFamily("tw_errors_total", "Errors by kind.", "kind");
  kinds.with("timeout").inc();
  kinds.with("memory_limit").inc(2);
  Histogram& h = r.histogram("tw_latency_seconds", "Latency.", {0.01, 0.1});
  h.observe(0.005);
  h.observe(0.05);
  h.observe(5);
  r.callbackGauge("tw_computed", "Computed.", [] { return 1.5; });
  const std::string text = r.render();
  EXPECT_NE(text.find("# TYPE tw_things_total counter\ntw_things_total 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tw_level -2\n"), std::string::npos);
  EXPECT_NE(text.find("tw_errors_total{kind=\"memory_limit\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("tw_errors_total{kind=\"timeout\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("tw_latency_seconds_bucket{le=\"0.01\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tw_latency_seconds_bucket{le=\"0.1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tw_latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("tw_latency_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(text.find("tw_computed 1.5\n"), std::string::npos);
}

TEST(MetricsTest, CountsFromManyThreads) {
  Registry r;
  Counter& c = r.counter("tw_c_total", "C.");
  auto& f = r.counterFamily("tw_f_total", "F.", "k");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        f.with(i % 2 ? "a" : "b").inc();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
  EXPECT_EQ(f.with("a").value() + f.with("b").value(), 40000u);
}

}  // namespace
}  // namespace tw::metrics
