#include "source/http/url_identity.h"

#include <initializer_list>
#include <vector>

#include "core/ascii.h"
#include "source/http/http_headers.h"

namespace sparseio {
namespace {

bool one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names)
    if (header_name_equals(name, n)) return true;
  return false;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && header_name_equals(s.substr(0, prefix.size()), prefix);
}

std::string_view param_name(std::string_view param) { return param.substr(0, param.find('=')); }

}  // namespace

bool is_signature_parameter(std::string_view name, bool azure_sas) {
  if (starts_with_ci(name, "x-amz-") || starts_with_ci(name, "x-goog-")) return true;
  if (one_of(name, {"AWSAccessKeyId", "Signature", "Expires", "GoogleAccessId", "Key-Pair-Id", "Policy",
                    "token", "access_token"}))
    return true;
  return azure_sas &&
         one_of(name, {"sig", "sv",  "ss",    "srt",   "sp",  "se",  "st",  "spr", "sip",   "si",    "sr",
                       "sdd", "ses", "skoid", "sktid", "skt", "ske", "sks", "skv", "saoid", "suoid", "scid"});
}

std::string url_identity(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const std::string scheme = absl::AsciiStrToLower(absl_view(url.substr(0, scheme_end)));
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('#'));  // the fragment is never sent

  const size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view tail = authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  // The port follows the last ':' unless that is inside an IPv6 "[...]".
  std::string_view host = authority, port;
  if (size_t colon = authority.rfind(':');
      colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (port.empty() || (scheme == "http" && port == "80") || (scheme == "https" && port == "443")) port = {};

  std::string out = scheme + "://" + absl::AsciiStrToLower(absl_view(host));
  if (!port.empty()) out += ":" + std::string(port);
  const size_t q = tail.find('?');
  out += tail.substr(0, q);
  if (q == std::string_view::npos) return out;

  const std::vector<std::string_view> params = split(tail.substr(q + 1), '&');
  bool azure_sas = false;
  for (std::string_view p : params) azure_sas = azure_sas || header_name_equals(param_name(p), "sig");
  std::string query;
  for (std::string_view p : params) {
    if (p.empty() || is_signature_parameter(param_name(p), azure_sas)) continue;
    query += query.empty() ? "?" : "&";
    query += p;
  }
  return out + query;
}

}  // namespace sparseio
