// The HTTP options of the CLI (-H, --size, --retries, --cacert...), shared by
// the subcommands that read a source (fetch, cat, verify).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "api/commands.h"
#include "source/http/http_options.h"

namespace sparseio::cli {

struct HttpFlags {
  std::vector<std::string> headers;
  std::string size;
  unsigned retries = 5;
  double connect_timeout = 30;
  double timeout = 30;
  std::string cacert;
  bool insecure = false;
  long max_redirs = 10;
  std::string coalesce_gap;
  unsigned max_connections = 0;  // 0: the library's default
};

// Adds the HTTP options to `cmd`; `transfer` adds --coalesce-gap too.
void add_http_options(CLI::App* cmd, HttpFlags& f, bool transfer = true);

// Turns the flags into HttpOptions; a bad header or size is a UsageError.
HttpOptions make_http_options(const HttpFlags& f);

// Puts the HTTP options into `cmd`, and --coalesce-gap (default 64 KiB for
// URLs, 0 for local files) into cmd.fetch.
FetchCommand with_http(FetchCommand cmd, const HttpFlags& f);

}  // namespace sparseio::cli
