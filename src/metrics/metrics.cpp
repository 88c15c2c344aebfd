#include "metrics/metrics.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace tw::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  if (v > 0 && std::isfinite(v)) {
    sumMicros_.fetch_add(static_cast<std::uint64_t>(v * 1e6), std::memory_order_relaxed);
  }
}

std::vector<std::uint64_t> Histogram::cumulative() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

double Histogram::sum() const { return static_cast<double>(sumMicros_.load(std::memory_order_relaxed)) / 1e6; }

template <typename T>
T& Family<T>::with(const std::string& labelValue) {
  std::lock_guard lock(mu_);
  auto& slot = members_[labelValue];
  if (!slot) slot = make_();
  return *slot;
}

template class Family<Counter>;
template class Family<Gauge>;

Counter& Registry::counter(const std::string& name, const std::string& help) {
  std::lock_guard lock(mu_);
  Counter& c = counters_.emplace_back();
  entries_.push_back({name, help, Kind::kCounter, &c, {}});
  return c;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help) {
  std::lock_guard lock(mu_);
  Gauge& g = gauges_.emplace_back();
  entries_.push_back({name, help, Kind::kGauge, &g, {}});
  return g;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help, std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  Histogram& h = histograms_.emplace_back(std::move(bounds));
  entries_.push_back({name, help, Kind::kHistogram, &h, {}});
  return h;
}

Family<Counter>& Registry::counterFamily(const std::string& name, const std::string& help, const std::string& label) {
  std::lock_guard lock(mu_);
  Family<Counter>& f = counterFamilies_.emplace_back();
  f.label_ = label;
  f.make_ = [] { return std::make_unique<Counter>(); };
  entries_.push_back({name, help, Kind::kCounterFamily, &f, {}});
  return f;
}

Family<Gauge>& Registry::gaugeFamily(const std::string& name, const std::string& help, const std::string& label) {
  std::lock_guard lock(mu_);
  Family<Gauge>& f = gaugeFamilies_.emplace_back();
  f.label_ = label;
  f.make_ = [] { return std::make_unique<Gauge>(); };
  entries_.push_back({name, help, Kind::kGaugeFamily, &f, {}});
  return f;
}

void Registry::callbackGauge(const std::string& name, const std::string& help, std::function<double()> read) {
  std::lock_guard lock(mu_);
  entries_.push_back({name, help, Kind::kCallback, nullptr, std::move(read)});
}

std::vector<double> Registry::latencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

namespace {
// The shortest text that reads back as v (0.00025, not 0.00025000000000000001).
std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}
void header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}
}  // namespace

std::string Registry::render() const {
  std::string out;
  std::vector<Entry> entries;
  {
    std::lock_guard lock(mu_);
    entries = entries_;
  }
  for (const Entry& e : entries) {
    switch (e.kind) {
      case Kind::kCounter:
        header(out, e.name, e.help, "counter");
        out += e.name + " " + std::to_string(static_cast<Counter*>(e.instrument)->value()) + "\n";
        break;
      case Kind::kGauge:
        header(out, e.name, e.help, "gauge");
        out += e.name + " " + std::to_string(static_cast<Gauge*>(e.instrument)->value()) + "\n";
        break;
      case Kind::kCallback:
        header(out, e.name, e.help, "gauge");
        out += e.name + " " + number(e.read()) + "\n";
        break;
      case Kind::kHistogram: {
        header(out, e.name, e.help, "histogram");
        const auto* h = static_cast<Histogram*>(e.instrument);
        const auto cum = h->cumulative();
        for (std::size_t i = 0; i < h->bounds().size(); ++i) {
          out += e.name + "_bucket{le=\"" + number(h->bounds()[i]) + "\"} " + std::to_string(cum[i]) + "\n";
        }
        out += e.name + "_bucket{le=\"+Inf\"} " + std::to_string(cum.back()) + "\n";
        out += e.name + "_sum " + number(h->sum()) + "\n";
        out += e.name + "_count " + std::to_string(h->count()) + "\n";
        break;
      }
      case Kind::kCounterFamily: {
        header(out, e.name, e.help, "counter");
        auto* f = static_cast<Family<Counter>*>(e.instrument);
        std::lock_guard lock(f->mu_);
        for (const auto& [label, c] : f->members_) {
          out += e.name + "{" + f->label_ + "=\"" + label + "\"} " + std::to_string(c->value()) + "\n";
        }
        break;
      }
      case Kind::kGaugeFamily: {
        header(out, e.name, e.help, "gauge");
        auto* f = static_cast<Family<Gauge>*>(e.instrument);
        std::lock_guard lock(f->mu_);
        for (const auto& [label, g] : f->members_) {
          out += e.name + "{" + f->label_ + "=\"" + label + "\"} " + std::to_string(g->value()) + "\n";
        }
        break;
      }
    }
  }
  return out;
}

}  // namespace tw::metrics
