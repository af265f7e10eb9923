// libFuzzer target for what the S3 source parses: the XML error bodies a
// server sends (and the messages made of them), the AWS config and
// credentials files, and S3's URI encoding of keys.
//
// Input: the whole input is fed to each of the three.
//
// Bugs: any exception or crash; an error message for a server's answer that
// is not one line (or lacks the source's name); a parsed error without a
// code; an INI key with an upper-case letter or surrounding blanks; a
// uri_encode output with a byte outside the unreserved set and "%XX" (and
// '/' when kept), or one that does not decode back to the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "core/errors.h"
#include "source/s3/aws_config.h"
#include "source/s3/s3_error.h"
#include "source/s3/sigv4.h"

namespace {

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "s3_fuzzer: BUG: %s %.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lower case is not S3's form
}

void check_error_body(std::string_view xml) {
  const std::optional<sparseio::s3::S3ErrorBody> body = sparseio::s3::parse_s3_error(xml);
  if (body && body->code.empty()) fail("error body without a code");
  for (long status : {400L, 403L, 404L, 503L}) {
    std::exception_ptr e =
        sparseio::s3::s3_error("s3://b/k", "bytes 0-9", status, body, "the environment", "the environment");
    if (!e) fail("no exception for an error answer");
    try {
      std::rethrow_exception(e);
    } catch (const sparseio::Error& err) {
      const std::string_view what = err.what();
      if (what.find_first_of("\r\n") != std::string_view::npos) fail("message not one line", what);
      if (!what.starts_with("s3://b/k: ")) fail("message does not name the source", what);
    }
  }
}

void check_ini(std::string_view text) {
  for (const auto& [section, keys] : sparseio::s3::parse_aws_ini(text))
    for (const auto& [key, value] : keys) {
      for (char c : key)
        if (c >= 'A' && c <= 'Z') fail("key not in lower case", key);
      if (!key.empty() && (key.front() == ' ' || key.back() == ' ' || key.front() == '\t'))
        fail("key not trimmed", key);
    }
}

void check_uri_encode(std::string_view raw) {
  for (bool keep_slash : {false, true}) {
    const std::string enc = sparseio::s3::uri_encode(raw, keep_slash);
    std::string back;
    for (size_t i = 0; i < enc.size(); ++i) {
      const char c = enc[i];
      if (unreserved(c) || (keep_slash && c == '/')) {
        back += c;
      } else if (c == '%' && i + 2 < enc.size() && hex_value(enc[i + 1]) >= 0 && hex_value(enc[i + 2]) >= 0) {
        back += static_cast<char>(hex_value(enc[i + 1]) * 16 + hex_value(enc[i + 2]));
        i += 2;
      } else {
        fail("byte that should have been encoded", enc);
      }
    }
    if (back != raw) fail("uri_encode does not decode back", enc);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_error_body(input);
  check_ini(input);
  check_uri_encode(input);
  return 0;
}
