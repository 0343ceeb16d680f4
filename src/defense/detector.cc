#include "defense/detector.h"

#include <fmt/format.h>

#include <cmath>

namespace strongroom::defense {
namespace {

constexpr std::string_view kBusy = "the service is busy; retry shortly";

http::Verdict Allow() { return {}; }

std::string PathOf(const http::Request& request) {
  std::string out;
  for (char c : std::string_view(request.path).substr(0, 200)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

}  // namespace

std::string_view ContextName(Detection::Context context) {
  switch (context) {
    case Detection::Context::kRequest:
      return "request";
    case Detection::Context::kSignedInContent:
      return "signed-in content";
    case Detection::Context::kMalformed:
      return "refused as malformed";
    case Detection::Context::kAllowListed:
      return "allow-listed source";
  }
  return "request";
}

Detector::Detector(std::unique_ptr<Crs> crs, SourcePolicy policy, const Clock& clock,
                   DetectorOptions options, DetectorHooks hooks, ScanPolicy scans)
    : crs_(std::move(crs)),
      sources_(std::move(policy)),
      scans_(scans),
      clock_(clock),
      options_(options),
      hooks_(std::move(hooks)) {}

Detector::~Detector() { Stop(); }

Result<void> Detector::ShareScores(store::Store& store, std::string node) {
  shared_ = std::make_unique<SharedSources>(
      store, sources_.policy(), clock_, std::move(node),
      SharedSourcesHooks{[this](const std::string& key, TimePoint until, bool own) {
                           // (Detect mode refuses nobody, whoever blocked them.)
                           if (options_.block) (void)sources_.Block(key, until, own);
                         },
                         [this](const std::string& key, double score, TimePoint until) {
                           (void)sources_.Block(key, until, /*own=*/true);
                           ReportBlock(key, {score, until});
                         }});
  return shared_->Start();
}

Sources::Raised Detector::RaiseScore(std::string_view source, double points, TimePoint now) {
  const bool may_block = options_.block && !sources_.Allowed(source);
  if (!shared_) return sources_.Raise(source, points, now, may_block);
  // A block this raise reaches is reported once it is written (ShareScores).
  return {shared_->Raise(SourceKey(source), points, now, may_block), std::nullopt};
}

void Detector::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Detector::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (shared_) shared_->Stop();
  std::deque<Job> left;
  {
    std::lock_guard lock(mu_);
    left.swap(signed_in_);
    for (auto& j : anonymous_) left.push_back(std::move(j));
    anonymous_.clear();
  }
  for (auto& j : left) {
    if (j.done) j.done({true, 503, std::string(kBusy), 1});
  }
}

std::optional<http::Verdict> Detector::Inspect(std::shared_ptr<const http::Request> request,
                                               http::RouteKind route,
                                               std::function<void(http::Verdict)> done) {
  const auto now = clock_.Now();
  const bool allowed = sources_.Allowed(request->remote_address);
  const bool for_signed_in = route == http::RouteKind::kSignedIn;
  if (route == http::RouteKind::kNone && !allowed) Missed(*request, now);
  if (const auto until =
          allowed ? std::nullopt : sources_.BlockedUntil(request->remote_address, now)) {
    {
      std::lock_guard lock(mu_);
      ++stats_.blocked_requests;
    }
    const auto wait = std::chrono::ceil<std::chrono::seconds>(*until - now).count();
    return http::Verdict{true, 429,
                         "requests from this address are blocked for a while: attacks were "
                         "detected from it",
                         std::max<int64_t>(1, wait)};
  }
  const bool passed = Screened(*request);
  if (passed && !options_.verify_prefilter) return Allow();
  {
    std::lock_guard lock(mu_);
    if (const auto wait = RationedFor(SourceKey(request->remote_address), now); wait > 0) {
      ++stats_.rationed;
      return http::Verdict{true, 429,
                           "this address has sent more than its share of work to inspect; "
                           "retry later",
                           wait};
    }
  }
  const bool first = for_signed_in && http::PresentsCredentials(*request);
  switch (Enqueue({std::move(request), std::move(done), for_signed_in, passed}, first)) {
    case Queued::kYes:
      return std::nullopt;
    case Queued::kSourceFull:
      return http::Verdict{true, 429,
                           "too many requests from this address are waiting to be inspected; "
                           "retry shortly",
                           1};
    case Queued::kFull:
      break;
  }
  return http::Verdict{true, 503, std::string(kBusy), 1};
}

int64_t Detector::RationedFor(const std::string& key, TimePoint now) {
  const auto it = debts_.find(key);
  if (it == debts_.end()) return 0;
  const double elapsed_ms = std::chrono::duration<double, std::milli>(now - it->second.at).count();
  it->second.ms =
      std::max(0.0, it->second.ms - std::max(0.0, elapsed_ms) * options_.inspection_share);
  it->second.at = now;
  if (it->second.ms <= 0) {
    debts_.erase(it);
    return 0;
  }
  const double over = it->second.ms - static_cast<double>(options_.inspection_burst.count());
  if (over <= 0) return 0;
  return std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(over / options_.inspection_share / 1000)));
}

void Detector::Charge(const std::string& source, std::chrono::nanoseconds spent) {
  if (spent <= options_.inspection_free) return;
  spent -= options_.inspection_free;
  const auto key = SourceKey(source);
  const auto now = clock_.Now();
  std::lock_guard lock(mu_);
  (void)RationedFor(key, now);  // pays back what time has earned first
  if (debts_.size() >= kMaxTracked && !debts_.contains(key)) {
    // Bounded: the smallest of a few debts makes room (a sample, so that this stays cheap).
    auto smallest = debts_.begin();
    int looked = 0;
    for (auto it = debts_.begin(); it != debts_.end() && looked < 16; ++it, ++looked) {
      if (it->second.ms < smallest->second.ms) smallest = it;
    }
    debts_.erase(smallest);
  }
  auto& debt = debts_[key];
  debt.ms += std::chrono::duration<double, std::milli>(spent).count();
  debt.at = now;
}

bool Detector::Screened(const http::Request& request) {
  try {
    if (!options_.prefilter || crs_->MayMatch(request)) return false;
  } catch (const std::exception&) {
    return false;  // fail closed: inspected in full
  }
  if (!options_.verify_prefilter) {
    std::lock_guard lock(mu_);
    ++stats_.screened;
  }
  return true;
}

void Detector::Observe(std::shared_ptr<const http::Request> request) {
  const bool passed = Screened(*request);
  if (passed && !options_.verify_prefilter) return;
  {
    // Already refused: a source over its share is not inspected further (counted, not queued).
    std::lock_guard lock(mu_);
    if (RationedFor(SourceKey(request->remote_address), clock_.Now()) > 0) {
      ++stats_.rationed;
      return;
    }
  }
  (void)Enqueue({std::move(request), nullptr, false, passed}, false);
}

Detector::Queued Detector::Enqueue(Job job, bool first) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || signed_in_.size() + anonymous_.size() >= options_.queue) {
      ++stats_.busy;
      return Queued::kFull;
    }
    const auto key = SourceKey(job.request->remote_address);
    auto& waiting = waiting_[key];
    if (waiting >= options_.queue_per_source) {
      if (waiting == 0) waiting_.erase(key);
      ++stats_.rationed;
      return Queued::kSourceFull;
    }
    ++waiting;
    (first ? signed_in_ : anonymous_).push_back(std::move(job));
  }
  cv_.notify_one();
  return Queued::kYes;
}

void Detector::Dequeued(const std::string& source) {
  const auto key = SourceKey(source);
  std::lock_guard lock(mu_);
  if (const auto it = waiting_.find(key); it != waiting_.end() && --it->second <= 0) {
    waiting_.erase(it);
  }
}

void Detector::Loop() {
  auto last_release = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::seconds(1),
                 [this] { return stopping_ || !signed_in_.empty() || !anonymous_.empty(); });
    if (stopping_) break;
    if (std::chrono::steady_clock::now() - last_release >= std::chrono::seconds(1)) {
      lock.unlock();
      ReleaseEnded();
      lock.lock();
      last_release = std::chrono::steady_clock::now();
    }
    auto& from = signed_in_.empty() ? anonymous_ : signed_in_;
    if (from.empty()) continue;
    Job job = std::move(from.front());
    from.pop_front();
    lock.unlock();
    Dequeued(job.request->remote_address);
    http::Verdict verdict = Allow();
    const auto started = std::chrono::steady_clock::now();
    try {
      verdict = Decide(*job.request, !job.done, job.for_signed_in, job.passed);
    } catch (const std::exception&) {
      verdict = {true, 503, std::string(kBusy), 1};  // fail closed
    }
    Charge(job.request->remote_address, std::chrono::steady_clock::now() - started);
    if (job.done) job.done(std::move(verdict));
    job = {};  // the request (and the connection it holds) go here, not under the lock
    lock.lock();
  }
}

void Detector::Missed(const http::Request& request, TimePoint now) {
  if (!scans_.Miss(request.remote_address, request.message.method_string(), request.path, now)) {
    return;
  }
  const auto raised = RaiseScore(request.remote_address, crs_->options().inbound_threshold, now);
  {
    std::lock_guard lock(mu_);
    ++stats_.scans;
  }
  if (hooks_.scanning) {
    hooks_.scanning(SourceKey(request.remote_address), scans_.policy().distinct, raised.score);
  }
  ReportBlock(request.remote_address, raised);
}

void Detector::Found(const Pattern& pattern) {
  Sources::Raised raised;
  if (pattern.weight > 0 && !sources_.Allowed(pattern.source)) {
    raised = RaiseScore(pattern.source, pattern.weight * crs_->options().inbound_threshold,
                        clock_.Now());
  }
  {
    std::lock_guard lock(mu_);
    ++stats_.patterns;
  }
  if (hooks_.behaved) hooks_.behaved(pattern, raised.score);
  ReportBlock(pattern.source, raised);
}

void Detector::ReportBlock(std::string_view source, const Sources::Raised& raised) {
  if (!raised.blocked_until) return;
  {
    std::lock_guard lock(mu_);
    ++stats_.blocks;
  }
  if (hooks_.blocked) hooks_.blocked(SourceKey(source), raised.score, *raised.blocked_until);
}

void Detector::ReleaseEnded() {
  for (const auto& source : sources_.Release(clock_.Now())) {
    if (hooks_.released) hooks_.released(source);
  }
}

http::Verdict Detector::Decide(const http::Request& request, bool already_refused,
                               bool for_signed_in, bool passed) {
  Detection d;
  d.finding = crs_->Evaluate(request);
  {
    std::lock_guard lock(mu_);
    ++stats_.inspected;
    if (passed && !d.finding.clean()) ++stats_.prefilter_misses;
  }
  if (passed && !d.finding.clean() && hooks_.prefilter_missed)
    hooks_.prefilter_missed(request, d.finding);
  if (d.finding.clean()) return Allow();
  d.source = request.remote_address;
  d.request_id = request.request_id;
  d.method = std::string(request.message.method_string()).substr(0, 20);
  d.path = PathOf(request);
  if (sources_.Allowed(request.remote_address)) {
    d.context = Detection::Context::kAllowListed;
  } else if (already_refused) {
    d.context = Detection::Context::kMalformed;
  } else if (for_signed_in && http::PresentsCredentials(request) && d.finding.OnlyInBody()) {
    d.context = Detection::Context::kSignedInContent;
  }
  // Only findings at the threshold count against a source: a client that keeps tripping a
  // warning is never blocked for it.
  const bool over = d.finding.score >= crs_->options().inbound_threshold;
  d.refused = options_.block && over && d.context == Detection::Context::kRequest;
  std::optional<TimePoint> blocked_until;
  if (over &&
      (d.context == Detection::Context::kRequest || d.context == Detection::Context::kMalformed)) {
    const auto raised = RaiseScore(request.remote_address, d.finding.score, clock_.Now());
    d.source_score = raised.score;
    blocked_until = raised.blocked_until;
  }
  {
    std::lock_guard lock(mu_);
    ++stats_.detections;
    if (d.refused) ++stats_.refused;
    if (blocked_until) ++stats_.blocks;
  }
  if (hooks_.detected) hooks_.detected(d);
  if (blocked_until && hooks_.blocked) {
    hooks_.blocked(SourceKey(request.remote_address), d.source_score, *blocked_until);
  }
  if (!d.refused) return Allow();
  return {true, 403,
          fmt::format("the request was refused: it looks like an attack (request id {})",
                      request.request_id),
          0};
}

Detector::Stats Detector::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.blocked_sources = sources_.blocked();
  return s;
}

}  // namespace strongroom::defense
