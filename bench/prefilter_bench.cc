// The prefilter's cost per request against the full inspection's, on this machine, in one run:
// CPU microseconds per call of Crs::MayMatch and of Crs::Evaluate for the same requests.
//   PREFILTER_CACHE=file  keeps the compiled patterns there between runs
//   FRESH=n               how many requests with a new record id each (5000)
//   SCREEN_ONLY=1         the prefilter's loops only (for a profiler)
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "defense/crs.h"
#include "defense/view.h"

namespace {

using namespace strongroom;

double CpuMicros() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

http::Request Get(std::string target, bool browser) {
  http::Request r;
  r.remote_address = "192.0.2.7";
  r.message.method(http::beast_http::verb::get);
  r.message.target(target);
  r.message.set("Host", "records.example.org");
  r.message.set("Cookie", "__Host-strongroom-session=" + std::string(43, 'A'));
  if (browser) {
    r.message.set("User-Agent",
                  "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0");
    r.message.set("Accept", "application/json, text/plain, */*");
    r.message.set("Accept-Language", "en-GB,en;q=0.5");
    r.message.set("Referer", "https://records.example.org/console/records");
  }
  return r;
}

}  // namespace

int main() {
  defense::CrsOptions options;
  if (const char* cache = std::getenv("PREFILTER_CACHE")) options.prefilter_cache = cache;
  auto crs = defense::Crs::Load(options);
  if (!crs || !(*crs)->prefiltered()) {
    fmt::print(stderr, "no prefilter: {}\n", crs ? (*crs)->prefilter_error() : crs.error().message);
    return 1;
  }
  const std::pair<const char*, http::Request> cases[] = {
      {"GET /healthz again (wrk)", Get("/healthz", false)},
      {"GET record, browser headers",
       Get("/api/v1/records/0b7c3d2e-1f5a-4c4e-9d1a-2b3c4d5e6f70", true)},
      {"GET list, query", Get("/api/v1/records?limit=50&cursor=MTcwMDAwMDAwMA&sort=created", true)},
      {"GET SQL injection", Get("/api/v1/records?q=1%27%20OR%20%271%27=%271%27%20--", true)},
  };
  fmt::print("prefilter: CPU per request, Crs::MayMatch vs Crs::Evaluate (the full inspection)\n");
  {
    // Values it has not seen (a new record id each time): nothing it remembers helps.
    const int kFresh = std::getenv("FRESH") ? std::atoi(std::getenv("FRESH")) : 5000;
    std::vector<http::Request> fresh;
    for (int i = 0; i < kFresh; ++i) {
      fresh.push_back(
          Get(fmt::format("/api/v1/records/{:08x}-1f5a-4c4e-9d1a-{:012x}", i * 7919, i * 104729),
              true));
    }
    size_t passed = 0;
    double t0 = CpuMicros();
    for (const auto& r : fresh) passed += (*crs)->MayMatch(r) ? 0 : 1;
    const double screen = (CpuMicros() - t0) / kFresh;
    t0 = CpuMicros();
    for (int i = 0; i < 200; ++i) (void)(*crs)->Evaluate(fresh[static_cast<size_t>(i)]);
    const double full = (CpuMicros() - t0) / 200;
    fmt::print("  {:<30} {:>7.1f} us vs {:>7.1f} us = {:.3f}  ({} of {} let through)\n",
               "GET record, a new id each", screen, full, screen / full, passed, kFresh);
  }
  for (const auto& [name, request] : cases) {
    const bool may = (*crs)->MayMatch(request);
    constexpr int kScreen = 20000;
    const int kFull = std::getenv("SCREEN_ONLY") ? 1 : 500;
    double t0 = CpuMicros();
    for (int i = 0; i < kScreen; ++i) (void)(*crs)->MayMatch(request);
    const double screen = (CpuMicros() - t0) / kScreen;
    t0 = CpuMicros();
    for (int i = 0; i < kFull; ++i) (void)(*crs)->Evaluate(request);
    const double full = (CpuMicros() - t0) / kFull;
    std::string why;
    if (may) {
      const auto view = defense::ViewOf(request);
      why = ": rules";
      for (int id : (*crs)->prefilter()->Candidates(request.message.method_string(), view))
        why += fmt::format(" {}", id);
    }
    fmt::print("  {:<30} {:>7.1f} us vs {:>7.1f} us = {:.3f}  ({}{})\n", name, screen, full,
               screen / full, may ? "inspected in full" : "let through", why);
  }
}
