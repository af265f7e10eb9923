// Resolution of credentials, region, endpoint and addressing for S3.
#include "source/s3/s3_settings.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "core/ascii.h"
#include "core/errors.h"
#include "core/unique_fd.h"

extern char** environ;

namespace sparseio::s3 {
namespace {

// A bucket name that can be the first label of a host name: 3-63 of
// [a-z0-9-], starting and ending alphanumeric, no dots (a dot breaks the
// TLS wildcard certificate *.s3.REGION.amazonaws.com).
bool dns_label_bucket(const std::string& b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return b.front() != '-' && b.back() != '-';
}

struct UrlParts {
  std::string scheme, host, rest;  // host may hold ":port" or "[v6]"
};

UrlParts split_url(const std::string& url) {
  UrlParts p;
  size_t sep = url.find("://");
  if (sep == std::string::npos) return p;
  p.scheme = absl::AsciiStrToLower(url.substr(0, sep));
  size_t host_end = url.find('/', sep + 3);
  p.host = url.substr(sep + 3, host_end == std::string::npos ? std::string::npos : host_end - sep - 3);
  if (host_end != std::string::npos) p.rest = url.substr(host_end);
  while (!p.rest.empty() && p.rest.back() == '/') p.rest.pop_back();
  return p;
}

bool is_ip_host(std::string host) {
  if (host.starts_with("[")) return true;  // IPv6 literal
  if (size_t colon = host.rfind(':'); colon != std::string::npos) host.resize(colon);
  in_addr a{};
  return inet_pton(AF_INET, host.c_str(), &a) == 1;
}

bool truthy(const std::string& v) { return absl::AsciiStrToLower(v) == "true"; }

}  // namespace

bool is_s3_uri(const std::string& spec) {
  return spec.size() >= 5 && absl::AsciiStrToLower(spec.substr(0, 5)) == "s3://";
}

S3Location parse_s3_uri(const std::string& uri) {
  if (!is_s3_uri(uri)) throw UsageError(fmt::format("{}: not an s3://BUCKET/KEY URI", uri));
  std::string rest = uri.substr(5);
  size_t slash = rest.find('/');
  S3Location loc;
  loc.bucket = rest.substr(0, slash);
  if (slash != std::string::npos) loc.key = rest.substr(slash + 1);
  if (loc.bucket.empty()) throw UsageError(fmt::format("{}: no bucket name (use s3://BUCKET/KEY)", uri));
  if (loc.key.empty()) throw UsageError(fmt::format("{}: no object key (use s3://BUCKET/KEY)", uri));
  if (loc.bucket.find_first_of(" ?#%\\@:") != std::string::npos)
    throw UsageError(fmt::format("{}: \"{}\" is not a valid bucket name", uri, loc.bucket));
  return loc;
}

ResolvedCredentials resolve_credentials(const S3Options& o, const AwsProfile& profile,
                                        const AwsEnvironment& env, const std::string& what) {
  ResolvedCredentials r;
  if (o.no_sign_request) {
    r.source = "--no-sign-request (anonymous)";
    return r;
  }
  const bool profile_flag = !o.profile.empty();
  std::string id = env.value("AWS_ACCESS_KEY_ID"), secret = env.value("AWS_SECRET_ACCESS_KEY");
  if (!profile_flag && (!id.empty() || !secret.empty())) {
    if (id.empty() || secret.empty())
      throw Error(fmt::format("{}: {} is set but {} is not: set both, or neither to use a profile", what,
                              id.empty() ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID",
                              id.empty() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY"));
    r.creds = {id, secret, env.value("AWS_SESSION_TOKEN")};
    r.source = "the environment (AWS_ACCESS_KEY_ID)";
    r.secret_source = "the environment (AWS_SECRET_ACCESS_KEY)";
    return r;
  }
  auto from_section = [&](const IniSection& s, const std::string& file) -> bool {
    auto k = s.find("aws_access_key_id"), v = s.find("aws_secret_access_key");
    if (k == s.end() || v == s.end()) return false;
    auto t = s.find("aws_session_token");
    r.creds = {k->second, v->second, t == s.end() ? std::string() : t->second};
    r.source = fmt::format("profile \"{}\" in {}", profile.name, file);
    r.secret_source = r.source;
    return true;
  };
  if (from_section(profile.credentials, profile.credentials_path)) return r;
  if (std::string cmd = profile.get("credential_process"); !cmd.empty()) {
    r.creds = run_credential_process(cmd, profile.name);
    r.source = fmt::format("the credential_process of profile \"{}\"", profile.name);
    r.secret_source = r.source;
    return r;
  }
  if (from_section(profile.config, profile.config_path)) return r;
  if (profile.explicit_name && !profile.found)
    throw Error(fmt::format("{}: AWS profile \"{}\" not found in {} or {}", what, profile.name,
                            profile.credentials_path, profile.config_path));
  throw Error(fmt::format(
      "{}: no AWS credentials found: looked for AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY{}, then "
      "aws_access_key_id or credential_process of profile \"{}\" in {} and {}; for a public bucket use "
      "--no-sign-request",
      what, profile_flag ? " (skipped: --profile given)" : "", profile.name, profile.credentials_path,
      profile.config_path));
}

Credentials run_credential_process(const std::string& command, const std::string& profile) {
  const std::string what = fmt::format("credential_process of AWS profile \"{}\"", profile);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno(fmt::format("{}: cannot create a pipe", what), errno);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw_errno(fmt::format("{}: cannot start /bin/sh", what), rc);
  write_end.reset();
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (out.size() < (1u << 20)) out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(fmt::format("{} failed ({})", what,
                            WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                              : fmt::format("killed by signal {}", WTERMSIG(status))));
  nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw Error(fmt::format("{}: its output is not a JSON object", what));
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; };
  if (!j.contains("Version") || j["Version"] != 1)
    throw Error(fmt::format("{}: its output lacks \"Version\": 1", what));
  Credentials c{str("AccessKeyId"), str("SecretAccessKey"), str("SessionToken")};
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    throw Error(fmt::format("{}: its output lacks AccessKeyId or SecretAccessKey", what));
  return c;
}

std::string aws_endpoint(const std::string& region) {
  return fmt::format("https://s3.{}.amazonaws.com{}", region, region.starts_with("cn-") ? ".cn" : "");
}

S3Endpoint resolve_endpoint(const S3Options& o, const AwsProfile& profile, const AwsEnvironment& env,
                            const std::string& bucket) {
  S3Endpoint e;
  // Region.
  if (!o.region.empty()) {
    e.region = o.region;
    e.region_source = "--region";
  } else {
    for (const char* var : {"AWS_REGION", "AWS_DEFAULT_REGION"})
      if (e.region.empty() && !env.value(var).empty()) {
        e.region = env.value(var);
        e.region_source = var;
      }
    if (e.region.empty() && !profile.get("region").empty()) {
      e.region = profile.get("region");
      e.region_source = fmt::format("region of profile \"{}\"", profile.name);
    }
  }
  if (e.region.empty()) e.region = "us-east-1";  // until an answer names the bucket's region

  // Endpoint.
  const bool ignore_configured = truthy(env.value("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) ||
                                 truthy(profile.get("ignore_configured_endpoint_urls"));
  auto pick = [&](const std::string& url, std::string source) {
    if (!e.url.empty() || url.empty()) return;
    e.url = url;
    e.source = std::move(source);
  };
  pick(o.endpoint_url, "--endpoint-url");
  if (!ignore_configured) {
    pick(env.value("AWS_ENDPOINT_URL_S3"), "AWS_ENDPOINT_URL_S3");
    pick(env.value("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL");
    pick(profile.get("services.s3.endpoint_url"), fmt::format("services of profile \"{}\"", profile.name));
    pick(profile.get("endpoint_url"), fmt::format("endpoint_url of profile \"{}\"", profile.name));
  }
  e.custom = !e.url.empty();
  if (e.custom) {
    UrlParts p = split_url(e.url);
    if ((p.scheme != "http" && p.scheme != "https") || p.host.empty())
      throw UsageError(fmt::format("{} \"{}\": not an http:// or https:// URL", e.source, e.url));
    e.url = p.scheme + "://" + p.host + p.rest;
  } else {
    e.url = aws_endpoint(e.region);
    e.source = "AWS default";
  }

  // Addressing style.
  std::string style = absl::AsciiStrToLower(profile.get("s3.addressing_style"));
  if (o.path_style) style = "path";
  const bool ip = is_ip_host(split_url(e.url).host);
  if (style == "path")
    e.path_style = true;
  else if (style == "virtual")
    e.path_style = ip;
  else
    e.path_style = e.custom || ip || !dns_label_bucket(bucket);
  return e;
}

std::string object_url(const S3Endpoint& e, const S3Location& loc, const std::string& version_id) {
  UrlParts p = split_url(e.url);
  std::string url = e.path_style ? fmt::format("{}://{}{}/{}/", p.scheme, p.host, p.rest, loc.bucket)
                                 : fmt::format("{}://{}.{}{}/", p.scheme, loc.bucket, p.host, p.rest);
  url += uri_encode(loc.key, true);
  if (!version_id.empty()) url += "?versionId=" + uri_encode(version_id, false);
  return url;
}

}  // namespace sparseio::s3
