// Verdicts on one HTTP answer and the retry loop, shared by HttpSource's two
// read paths and the S3 source's discovery.
#include "source/http/http_attempt.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "core/log.h"
#include "source/http/http_headers.h"

namespace sparseio {
namespace {

// Waits before a retry; a stop requested meanwhile ends the wait and the run.
void sleep_s(double s, const RunControl* control, const std::string& what) {
  if (control == nullptr) {
    std::this_thread::sleep_for(std::chrono::duration<double>(s));
  } else if (!control->sleep_for(s)) {
    throw InterruptedError(fmt::format("interrupted while waiting to retry {}", what));
  }
}

void report_retry(const RunControl* control, const std::string& message, unsigned attempt, unsigned of,
                  double delay) {
  RunEvent e;
  e.kind = RunEvent::Kind::kRetry;
  e.message = message;
  e.attempt = attempt;
  e.of = of;
  e.delay_s = delay;
  report_event(control, e);
}

std::string retries_text(unsigned n) { return fmt::format("{} {}", n, n == 1 ? "retry" : "retries"); }

}  // namespace

bool is_success(long status) { return status >= 200 && status < 300; }

ErrorKind status_kind(long status) {
  if (status == 404 || status == 410) return ErrorKind::kSourceMissing;
  if (status == 401 || status == 403) return ErrorKind::kAccessDenied;
  return ErrorKind::kFailure;
}

ErrorKind curl_kind(CURLcode code) {
  if (code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY || is_retryable_curl(code))
    return ErrorKind::kNetwork;
  return ErrorKind::kFailure;
}

std::optional<double> retry_after_of(const HttpResponse& r) {
  auto v = r.header("retry-after");
  return v ? parse_retry_after(*v, std::time(nullptr)) : std::nullopt;
}

std::optional<std::string> transport_failure(const HttpResult& r) {
  if (r.code == CURLE_OK) return std::nullopt;
  if (is_retryable_curl(r.code) || needs_fresh_connection(r.code, r.curl_error)) return r.cause();
  return std::nullopt;
}

void check_identity_encoding(const std::string& name, const HttpResponse& r) {
  if (auto enc = r.header("content-encoding"); enc && !enc->empty() && *enc != "identity")
    throw Error(fmt::format("{}: the server sent Content-Encoding: {}, so its bytes are not the object's",
                            name, *enc));
}

void report_event(const RunControl* control, const RunEvent& event) {
  if (control == nullptr) {
    if (event.kind == RunEvent::Kind::kWarning)
      log::warn("{}", event.message);
    else
      log::info("{}", event.message);
  }
  emit_event(control, event);
}

void run_retry_loop(const std::string& name, const RetryPolicy& policy, const RunControl* control,
                    const std::function<HttpAttempt(bool fresh_connection)>& attempt) {
  RetryBudget budget(policy.retries);
  bool fresh = false;
  for (;;) {
    HttpAttempt a = attempt(fresh);
    if (a.done) return;
    if (stop_requested(control)) throw InterruptedError(fmt::format("{}: {}: interrupted", name, a.what));
    if (!budget.allow_retry(a.progressed)) {
      const std::string limit = budget.total_spent() ? " (the limit for retries that made progress)" : "";
      throw Error(fmt::format("{}: {}: giving up{}{}: {}", name, a.what,
                              budget.made() ? " after " + retries_text(budget.made()) : std::string(), limit,
                              a.cause),
                  ErrorKind::kNetwork);
    }
    fresh = a.fresh_connection;
    const double d = policy.delay(budget.backoff_step(), jitter_draw(), a.retry_after);
    // "retry K of N": K counts the retries in a row without progress, so it
    // starts over at 1 after an attempt that delivered bytes.
    report_retry(control,
                 fmt::format("{}: {}: {}; retry {} of {} in {:.1f} s{}", name, a.what, a.cause,
                             budget.backoff_step(), policy.retries, d, fresh ? " on a new connection" : ""),
                 budget.backoff_step(), policy.retries, d);
    sleep_s(d, control, a.what);
  }
}

HttpResult perform_with_retries(HttpClient& client, const HttpRequest& req, ResponseSink& sink,
                                const std::string& name, const std::string& what) {
  const RunControl* control = client.options().control;
  HttpResult result;
  run_retry_loop(name, RetryPolicy::from(client.options()), control, [&](bool fresh) {
    HttpRequest r = req;
    r.fresh_connection = fresh;
    result = client.perform(r, sink);
    if (result.error) std::rethrow_exception(result.error);
    if (stop_requested(control)) throw InterruptedError(fmt::format("{}: {}: interrupted", name, what));
    HttpAttempt a;
    a.what = what;
    if (auto cause = transport_failure(result)) {
      a.cause = *cause;
      a.fresh_connection = needs_fresh_connection(result.code, result.curl_error);
    } else if (result.code == CURLE_OK && is_retryable_status(result.response.status())) {
      a.cause = result.cause();
      a.retry_after = retry_after_of(result.response);
    } else {
      a.done = true;
    }
    return a;
  });
  return result;
}

}  // namespace sparseio
