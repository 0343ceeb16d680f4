#include "http/metrics.h"

#include <fmt/format.h>

namespace strongroom::http {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// A label value, quoted as the exposition format requires.
std::string Label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

Metrics::Metrics(const std::vector<std::string>& routes) {
  routes_.push_back(std::make_unique<Route>(std::string(1, '-')));
  by_name_.emplace(routes_.front()->name, routes_.front().get());
  for (const auto& r : routes) {
    if (r == "-" || by_name_.contains(r)) continue;
    routes_.push_back(std::make_unique<Route>(r));
    by_name_.emplace(routes_.back()->name, routes_.back().get());
  }
}

Metrics::Route& Metrics::Find(std::string_view route) {
  const auto it = by_name_.find(route);
  return it == by_name_.end() ? *routes_.front() : *it->second;
}

void Metrics::Observe(const AccessRecord& record) {
  auto& r = Find(record.route);
  r.by_status[record.status < kStatuses ? record.status : 0].fetch_add(1, kRelaxed);
  const double seconds = static_cast<double>(record.duration.count()) / 1e6;
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  r.buckets[b].fetch_add(1, kRelaxed);
  r.micros.fetch_add(static_cast<uint64_t>(std::max<int64_t>(0, record.duration.count())),
                     kRelaxed);
}

void Metrics::Refused(const Refusal& refusal) {
  const auto kind = refusal.kind == Refusal::Kind::kProbe ? 1 : 0;
  refused_[kind][refusal.status < kStatuses ? refusal.status : 0].fetch_add(1, kRelaxed);
}

void Metrics::AppendValue(std::string& out, std::string_view name, std::string_view type,
                          std::string_view help, double value) {
  Header(out, name, type, help);
  out += fmt::format("{} {}\n", name, value);
}

std::string Metrics::Render() const {
  std::string out;
  Header(out, "strongroom_http_requests_total", "counter",
         "Requests answered, by route template and status.");
  for (const auto& r : routes_) {
    for (size_t s = 0; s < kStatuses; ++s) {
      if (const auto n = r->by_status[s].load(kRelaxed); n > 0) {
        out += fmt::format("strongroom_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                           Label(r->name), s, n);
      }
    }
  }
  Header(out, "strongroom_http_request_duration_seconds", "histogram",
         "Time from a request's first byte to its answer written, by route template.");
  for (const auto& r : routes_) {
    uint64_t cumulative = 0;
    std::string lines;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += r->buckets[b].load(kRelaxed);
      const auto le = b < kBuckets.size() ? fmt::format("{}", kBuckets[b]) : "+Inf";
      lines += fmt::format(
          "strongroom_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
          Label(r->name), le, cumulative);
    }
    if (cumulative == 0) continue;
    out += lines;
    out += fmt::format("strongroom_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n",
                       Label(r->name), static_cast<double>(r->micros.load(kRelaxed)) / 1e6);
    out += fmt::format("strongroom_http_request_duration_seconds_count{{route=\"{}\"}} {}\n",
                       Label(r->name), cumulative);
  }
  Header(out, "strongroom_http_refused_total", "counter",
         "Requests and connections refused before any handler: kind request (malformed, over a "
         "limit) or probe (a surface this listener does not serve to the source), by status.");
  for (size_t k = 0; k < refused_.size(); ++k) {
    for (size_t s = 0; s < kStatuses; ++s) {
      if (const auto n = refused_[k][s].load(kRelaxed); n > 0) {
        out += fmt::format("strongroom_http_refused_total{{kind=\"{}\",status=\"{}\"}} {}\n",
                           k == 1 ? "probe" : "request", s, n);
      }
    }
  }
  return out;
}

}  // namespace strongroom::http
