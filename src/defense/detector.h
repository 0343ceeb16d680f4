#pragma once
// The Detector: what the server asks about every request before a handler runs (http/inspector.h),
// and what it does about attacks.
//
// Each request is first checked against the blocked sources (refused at once, 429 with
// Retry-After), then screened by the prefilter (defense/prefilter.h) on the I/O thread that read
// it: a request no rule can match is let through at once. Any other is run through the CRS
// (defense/crs.h) on the detector's own thread, so that inspection never holds an I/O thread and
// an attacker's requests cost at most that one thread.
// Requests presenting credentials to routes for people signed in are inspected before anonymous
// ones; when more than `queue` wait, the newcomer is refused with 503 (fail closed: nothing goes
// uninspected), and when more than `queue_per_source` of one source's wait, with 429.
//
// Inspection time is rationed by source: beyond the first `inspection_free` of each request
// (ordinary requests take less: the request rate limit governs those), each source may use
// `inspection_share` of the thread over time, with a burst of `inspection_burst`; a source beyond
// it is refused with 429 before inspection until its debt is paid. A request costs time in
// proportion to its size (defense/view.h), so a source sending large or pathological requests
// slows only itself.
//
// What a finding means:
// - anonymous, or matched outside the body: refused with 403 when its score reaches the CRS
//   threshold and `block` is set, and the score is added to its source's (defense/sources.h),
//   which blocks the source at its limit;
// - a request to a route for people signed in, presenting credentials, whose matches are all in
//   its body (record content, where a case note may quote an attack): reported, never refused,
//   never scored (the route authenticates before it reads the body, so forged credentials buy
//   nothing but a 401);
// - a request the server already refused as malformed: reported and scored, nothing more;
// - a source in the allow-list: reported, never refused for an attack, scored or blocked.
// Only findings at the threshold add to a source's score.
//
// Scanning (defense/scan_watch.h): a source asking for many different paths nothing serves is
// reported, once per window, and scored as one finding at the threshold.
// Every finding, block and release is reported through the hooks (the composition root audits
// them); a finding names rules and variables, never values.
//
// Several nodes share one score per source (ShareScores, defense/shared_sources.h): a raise is
// then added to the shared score, a block reached on any node is enforced on this one, and the
// node whose raise reached it reports the block and its end. A finding's source score is then the
// score as this node knows it.
//
// Thread-safety: Inspect and Observe from any thread; Start and Stop from one.

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common/clock.h"
#include "defense/behaviour.h"
#include "defense/crs.h"
#include "defense/scan_watch.h"
#include "defense/shared_sources.h"
#include "defense/sources.h"
#include "http/inspector.h"

namespace strongroom::defense {

struct DetectorOptions {
  bool block = true;          // false: detect and report only ("detect" mode)
  size_t queue = 512;         // requests waiting for inspection; beyond it, refused with 503
  int queue_per_source = 16;  // of one source (SourceKey); beyond it, refused with 429
  std::chrono::milliseconds inspection_free{10};      // of each request's inspection, uncharged
  double inspection_share = 0.25;                     // of the detector's time, per source
  std::chrono::milliseconds inspection_burst{10000};  // inspection time a source may run ahead
  // Requests the prefilter says no rule can match are let through uninspected (Crs::MayMatch).
  bool prefilter = true;
  // Every request is inspected in full anyway, and one the prefilter would have let through that
  // the rules match is reported (hooks.prefilter_missed): how tests check the prefilter.
  bool verify_prefilter = false;
};

// One finding, as reported.
struct Detection {
  std::string source;
  std::string request_id;
  std::string method;
  std::string path;  // without the query, at most 200 characters
  Finding finding;
  enum class Context : uint8_t { kRequest, kSignedInContent, kMalformed, kAllowListed };
  Context context = Context::kRequest;
  bool refused = false;     // this request was refused for it
  double source_score = 0;  // its source's score afterwards (0 when not scored)
};
std::string_view ContextName(Detection::Context context);

struct DetectorHooks {
  std::function<void(const Detection&)> detected;
  std::function<void(std::string_view source, double score, TimePoint until)> blocked;
  std::function<void(std::string_view source)> released;
  std::function<void(std::string_view source, int distinct, double score)> scanning;
  std::function<void(const Pattern& pattern, double score)> behaved;
  // verify_prefilter: a request the prefilter would have let through, and the rules' finding.
  std::function<void(const http::Request& request, const Finding& finding)> prefilter_missed;
};

class Detector final : public http::Inspector {
 public:
  // `clock` must outlive the detector.
  Detector(std::unique_ptr<Crs> crs, SourcePolicy policy, const Clock& clock,
           DetectorOptions options, DetectorHooks hooks, ScanPolicy scans = {});
  ~Detector() override;

  // Keeps scores in `store` for every node serving from it, as `node`, and enforces every block
  // any of them reaches (defense/shared_sources.h). Before Start; `store` must outlive this.
  Result<void> ShareScores(store::Store& store, std::string node);

  // Starts the detector's thread; Stop answers whatever still waits with 503 and joins it.
  void Start();
  void Stop();

  std::optional<http::Verdict> Inspect(std::shared_ptr<const http::Request> request,
                                       http::RouteKind route,
                                       std::function<void(http::Verdict)> done) override;
  void Observe(std::shared_ptr<const http::Request> request) override;

  // A pattern of behaviour found in the audit log (defense/audit_tail.h): reported, and scored
  // against its source by its weight (in findings at the threshold). Any thread.
  void Found(const Pattern& pattern);

  // Inspects one request on the calling thread and applies the policy; what the thread does with
  // each request. For tests.
  // `passed`: the prefilter would have let it through (verify_prefilter).
  http::Verdict Decide(const http::Request& request, bool already_refused, bool for_signed_in,
                       bool passed = false);

  struct Stats {
    uint64_t inspected = 0;         // requests run through the rules
    uint64_t screened = 0;          // requests the prefilter let through uninspected
    uint64_t prefilter_misses = 0;  // verify_prefilter: let through, yet the rules match
    uint64_t detections = 0;        // findings reported
    uint64_t refused = 0;           // requests refused for a finding
    uint64_t blocked_requests = 0;  // requests refused because their source was blocked
    uint64_t blocks = 0;            // sources blocked since start
    uint64_t scans = 0;             // scanning reported
    uint64_t patterns = 0;          // patterns of behaviour reported (defense/behaviour.h)
    uint64_t busy = 0;              // requests refused because too many waited
    uint64_t rationed = 0;  // refused because their source used its share, or has too many waiting
    size_t blocked_sources = 0;
  };
  Stats stats() const;

 private:
  struct Job {
    std::shared_ptr<const http::Request> request;
    std::function<void(http::Verdict)> done;  // empty for an observed (already refused) request
    bool for_signed_in = false;
    bool passed = false;  // the prefilter would have let it through (verify_prefilter)
  };
  enum class Queued { kYes, kFull, kSourceFull };
  Queued Enqueue(Job job, bool first);
  // Whether the prefilter lets `request` through uninspected (counted, unless verifying).
  bool Screened(const http::Request& request);
  void Dequeued(const std::string& source);
  // The seconds until `source` may be inspected again, 0 if now (its debt is under the burst).
  int64_t RationedFor(const std::string& key, TimePoint now);  // requires mu_
  void Charge(const std::string& source, std::chrono::nanoseconds spent);
  void Loop();
  void ReleaseEnded();
  // A request for nothing: counted towards scanning, which scores its source.
  void Missed(const http::Request& request, TimePoint now);
  void ReportBlock(std::string_view source, const Sources::Raised& raised);
  // Adds `points` to the source's score, here or in the shared scores.
  Sources::Raised RaiseScore(std::string_view source, double points, TimePoint now);

  std::unique_ptr<Crs> crs_;  // used only on the detector's thread (or by Decide in tests)
  Sources sources_;
  ScanWatch scans_;
  const Clock& clock_;
  const DetectorOptions options_;
  const DetectorHooks hooks_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> signed_in_;  // guarded by mu_
  std::deque<Job> anonymous_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  Stats stats_;                // guarded by mu_, except blocked_sources (from sources_)
  struct Debt {
    double ms = 0;  // inspection time not yet paid back
    TimePoint at;
  };
  std::unordered_map<std::string, Debt> debts_;   // by SourceKey; guarded by mu_
  std::unordered_map<std::string, int> waiting_;  // jobs queued, by SourceKey; guarded by mu_
  static constexpr size_t kMaxTracked = 100'000;
  std::thread thread_;
  // Several nodes: where the scores are. Last: its hooks use the rest until it is gone.
  std::unique_ptr<SharedSources> shared_;
};

}  // namespace strongroom::defense
