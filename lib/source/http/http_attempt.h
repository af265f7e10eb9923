// The verdicts on one HTTP answer that both read paths of HttpSource share:
// the ranged GETs (http_source.cc) and the one streaming GET for servers
// without range support (http_one_stream.cc); and the one retry loop they
// and the S3 source's discovery (source/s3/s3_source.cc) run. An HttpAttempt
// is one try of a request as that loop sees it.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/errors.h"
#include "core/run_control.h"
#include "source/http/http_client.h"
#include "source/http/http_response.h"
#include "source/http/http_retry.h"

namespace sparseio {

struct HttpAttempt {
  bool done = false;
  std::string what;   // names the request in messages: "HEAD", "bytes 0-99"
  std::string cause;  // why it failed
  bool progressed = false;
  std::optional<double> retry_after;
  bool fresh_connection = false;  // retry on a new connection
};

bool is_success(long status);

// 404 and 410 say the object is not there, 401 and 403 not for us: fix the job.
ErrorKind status_kind(long status);

// A name that does not resolve or a connection that fails is the network's
// fault (worth retrying later); a TLS or protocol error is not.
ErrorKind curl_kind(CURLcode code);

std::optional<double> retry_after_of(const HttpResponse& r);

// Why a transport result is worth another try, or nullopt when it is not.
std::optional<std::string> transport_failure(const HttpResult& r);

// Throws unless the body of `r` is the object's bytes as they are (no
// Content-Encoding), for messages about `name`.
void check_identity_encoding(const std::string& name, const HttpResponse& r);

// Tells `event` once: to `control`'s listener (the CLI shows it above the
// progress display), or, without a control, in the log (warnings as
// warnings, retries as info).
void report_event(const RunControl* control, const RunEvent& event);

// Runs `attempt` until it succeeds (or throws), waiting between failed
// attempts by `policy`: each retry is reported to `control` ("retry K of
// N"), a stop it requests ends the wait; throws Error of kind kNetwork,
// naming `name`, when the RetryBudget is spent.
void run_retry_loop(const std::string& name, const RetryPolicy& policy, const RunControl* control,
                    const std::function<HttpAttempt(bool fresh_connection)>& attempt);

// `req` through `client` until a non-transient answer (not a retryable
// transport failure or status), which is returned; by the loop above, with
// the client's retry options and RunControl.
HttpResult perform_with_retries(HttpClient& client, const HttpRequest& req, ResponseSink& sink,
                                const std::string& name, const std::string& what);

}  // namespace sparseio
