// Metrics in the Prometheus text format: counters, gauges and histograms, optionally with one label.
//
// Instruments are created once (at start-up) and then updated from any thread with relaxed atomics; render()
// reads them all. Names follow Prometheus conventions (tw_dispatches_total, tw_dispatch_seconds...).
//
// Threading: thread-safe. Instrument references stay valid for the registry's lifetime.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tw::metrics {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Cumulative buckets with fixed upper bounds (seconds or bytes), plus sum and count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  // Snapshot for rendering: cumulative counts per bound, then +Inf.
  std::vector<std::uint64_t> cumulative() const;
  double sum() const;
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bound, plus +Inf
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sumMicros_{0};  // sum in millionths, to stay atomic without a lock
};

// A family of instruments that differ by one label value (e.g. kind="timeout").
template <typename T>
class Family {
 public:
  T& with(const std::string& labelValue);

 private:
  friend class Registry;
  std::string label_;
  std::function<std::unique_ptr<T>()> make_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<T>> members_;  // guarded by mu_
};

class Registry {
 public:
  Counter& counter(const std::string& name, const std::string& help);
  Gauge& gauge(const std::string& name, const std::string& help);
  Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> bounds);
  Family<Counter>& counterFamily(const std::string& name, const std::string& help, const std::string& label);
  Family<Gauge>& gaugeFamily(const std::string& name, const std::string& help, const std::string& label);
  // A gauge computed when rendered (e.g. resident VMs summed over workers).
  void callbackGauge(const std::string& name, const std::string& help, std::function<double()> read);

  // The Prometheus text exposition (version 0.0.4).
  std::string render() const;

  // Latency buckets in seconds, 100 µs to 60 s.
  static std::vector<double> latencyBuckets();

 private:
  enum class Kind { kCounter, kGauge, kHistogram, kCounterFamily, kGaugeFamily, kCallback };
  struct Entry {
    std::string name;
    std::string help;
    Kind kind;
    void* instrument;
    std::function<double()> read;
  };
  mutable std::mutex mu_;
  std::deque<Counter> counters_;
  std::deque<Gauge> gauges_;
  std::deque<Histogram> histograms_;
  std::deque<Family<Counter>> counterFamilies_;
  std::deque<Family<Gauge>> gaugeFamilies_;
  std::vector<Entry> entries_;  // in registration order
};

}  // namespace tw::metrics
