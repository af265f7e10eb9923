// Request headers given with -H, and keeping secrets out of logs and messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "source/http/http_options.h"

namespace sparseio {

// Parses one -H argument: "Name: value", or "@FILE" for a file of such lines
// (blank lines and lines starting with '#' are skipped; all its headers are
// secret). A bad header is a UsageError that never quotes a secret value.
std::vector<HttpHeader> parse_header_option(const std::string& arg);

// Parses "Name: value" (`what` names it in errors). "Name:" with nothing
// after the colon removes a header libcurl would send (as curl -H does).
HttpHeader parse_header_line(std::string_view line, bool secret, std::string_view what);

// Parses the contents of a header file named `file`.
std::vector<HttpHeader> parse_header_file_text(std::string_view text, std::string_view file);

// True for headers whose values are credentials: Authorization, Cookie,
// Proxy-Authorization (any case).
bool is_sensitive_header(std::string_view name);

// "Name: value", or "Name: <redacted>" for secret and sensitive headers.
std::string header_for_log(const HttpHeader& h);

// The URL with the password of its user-info and the values of presigned
// URLs' X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token and
// Signature parameters replaced by "***", for messages and logs
// ("https://u:***@host/p?X-Amz-Signature=***"). Other URLs come back as is.
std::string redact_url(std::string_view url);

// Case-insensitive ASCII comparison of header names.
bool header_name_equals(std::string_view a, std::string_view b);

}  // namespace sparseio
