#include "http_flags.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "api/open_source.h"
#include "core/errors.h"
#include "core/range_list.h"
#include "source/http/http_headers.h"

namespace sparseio::cli {

namespace {

// CLI::Range lets NaN through (every comparison with it is false), and a
// stall timeout of NaN seconds would mean anything or nothing.
const CLI::Validator kFinite(
    [](std::string& text) {
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      return std::isfinite(v) ? std::string() : fmt::format("{} is not a finite number of seconds", text);
    },
    "FINITE");

}  // namespace

void add_http_options(CLI::App* cmd, HttpFlags& f, bool transfer) {
  const char* group = "HTTP options";
  cmd->add_option(
         "-H,--header", f.headers,
         "Request header 'Name: value' (repeatable); -H @FILE reads one per line, values never logged")
      ->type_name("'NAME: VALUE'")
      ->allow_extra_args(false)
      ->group(group);
  cmd->add_option("--size", f.size, "Size of the object in bytes (overrides what the server says)")
      ->type_name("SIZE")
      ->group(group);
  cmd->add_option("--retries", f.retries,
                  "Retries of a failed request in a row without progress (default 5; at most 10x in all)")
      ->type_name("N")
      ->check(CLI::Range(0u, 1000u))
      ->group(group);
  cmd->add_option("--connect-timeout", f.connect_timeout, "Seconds to wait for a connection (default 30)")
      ->type_name("SECONDS")
      ->check(kFinite)
      ->check(CLI::Range(0.001, 86400.0))
      ->group(group);
  cmd->add_option("--timeout", f.timeout,
                  "Seconds a request may stall below 1 KiB/s before it is retried (default 30; 0: never)")
      ->type_name("SECONDS")
      ->check(kFinite)
      ->check(CLI::Range(0.0, 86400.0))
      ->group(group);
  cmd->add_option(
         "--cacert", f.cacert,
         "Trust the CA certificates in FILE (PEM); default: $CURL_CA_BUNDLE, $SSL_CERT_FILE, the system's")
      ->type_name("FILE")
      ->check(CLI::ExistingFile)
      ->group(group);
  cmd->add_flag("--insecure", f.insecure, "Do not verify TLS certificates")->group(group);
  cmd->add_option("--max-redirs", f.max_redirs, "Redirects to follow (default 10; only to http/https)")
      ->type_name("N")
      ->check(CLI::Range(0L, 1000L))
      ->group(group);
  if (transfer) {
    cmd->add_option("--coalesce-gap", f.coalesce_gap,
                    "Fetch nearby ranges as one request when less than SIZE apart (default for URLs: "
                    "follows the link, time to first byte x bandwidth, at least 64KiB, over-fetching at most "
                    "the bytes wanted; a SIZE given is not bounded)")
        ->type_name("SIZE")
        ->group(group);
    cmd->add_option("--max-connections", f.max_connections,
                    "Most requests in flight when -j is not given (default 64; HTTP/2 streams count); with "
                    "many objects, the connections of the whole run")
        ->type_name("N")
        ->check(CLI::Range(1u, 1024u))
        ->group(group);
  }
}

HttpOptions make_http_options(const HttpFlags& f) {
  HttpOptions o;
  for (const std::string& h : f.headers) {
    std::vector<HttpHeader> parsed = parse_header_option(h);
    o.headers.insert(o.headers.end(), parsed.begin(), parsed.end());
  }
  if (!f.size.empty()) o.size = parse_size(f.size, "--size");
  o.retries = f.retries;
  o.connect_timeout_s = f.connect_timeout;
  o.stall_timeout_s = f.timeout;
  o.cacert = f.cacert;
  // As curl(1) does: CURL_CA_BUNDLE, then SSL_CERT_FILE (OpenSSL's), name
  // the trusted CAs when --cacert does not.
  for (const char* env : {"CURL_CA_BUNDLE", "SSL_CERT_FILE"}) {
    if (!o.cacert.empty()) break;
    if (const char* v = std::getenv(env); v != nullptr && *v != '\0') o.cacert = v;
  }
  o.insecure = f.insecure;
  o.max_redirs = f.max_redirs;
  return o;
}

FetchCommand with_http(FetchCommand cmd, const HttpFlags& f) {
  cmd.http = make_http_options(f);
  if (!f.coalesce_gap.empty()) cmd.coalesce_gap = parse_size(f.coalesce_gap, "--coalesce-gap");
  cmd.fetch.max_connections = f.max_connections;
  return cmd;
}

}  // namespace sparseio::cli
