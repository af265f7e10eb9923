// Parsing of the AWS shared config and credentials files.
#include "source/s3/aws_config.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/ascii.h"
#include "core/errors.h"

namespace sparseio::s3 {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string expand_home(const std::string& path, const AwsEnvironment& env) {
  if (path == "~" || path.starts_with("~/")) return env.value("HOME") + path.substr(1);
  return path;
}

}  // namespace

IniFile parse_aws_ini(std::string_view text) {
  IniFile file;
  IniSection* section = nullptr;
  std::string nested;  // the key whose indented block we are in
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      std::string_view name = trim(line.substr(1, line.size() - 2));
      section = &file[std::string(name)];
      nested.clear();
      continue;
    }
    if (section == nullptr) continue;  // keys before any section: ignored, as botocore does
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key = absl::AsciiStrToLower(absl_view(trim(line.substr(0, eq))));
    std::string value(trim(line.substr(eq + 1)));
    if (indented && !nested.empty()) {
      (*section)[nested + "." + key] = value;
      continue;
    }
    nested = value.empty() ? key : std::string();
    if (!value.empty()) (*section)[key] = value;
  }
  return file;
}

std::optional<IniFile> load_aws_ini(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw_errno(fmt::format("cannot read AWS file {}", path), errno);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_aws_ini(text.str());
}

AwsEnvironment AwsEnvironment::process() {
  return {[](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  }};
}

std::string AwsProfile::get(const std::string& key) const {
  if (auto it = credentials.find(key); it != credentials.end()) return it->second;
  if (auto it = config.find(key); it != config.end()) return it->second;
  return {};
}

AwsProfile load_profile(const std::string& profile_flag, const AwsEnvironment& env) {
  AwsProfile p;
  p.name = profile_flag;
  p.explicit_name = !profile_flag.empty();
  for (const char* var : {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"}) {
    if (!p.name.empty()) break;
    p.name = env.value(var);
    p.explicit_name = !p.name.empty();
  }
  if (p.name.empty()) p.name = "default";
  std::string home = env.value("HOME");
  p.credentials_path = env.value("AWS_SHARED_CREDENTIALS_FILE");
  if (p.credentials_path.empty()) p.credentials_path = home + "/.aws/credentials";
  p.credentials_path = expand_home(p.credentials_path, env);
  p.config_path = env.value("AWS_CONFIG_FILE");
  if (p.config_path.empty()) p.config_path = home + "/.aws/config";
  p.config_path = expand_home(p.config_path, env);

  if (auto creds = load_aws_ini(p.credentials_path)) {
    if (auto it = creds->find(p.name); it != creds->end()) {
      p.credentials = it->second;
      p.found = true;
    }
  }
  if (auto config = load_aws_ini(p.config_path)) {
    // [profile NAME]; the default profile may also be plain [default].
    auto it = config->find("profile " + p.name);
    if (it == config->end() && p.name == "default") it = config->find("default");
    if (it != config->end()) {
      p.config = it->second;
      p.found = true;
    }
    // A profile's `services = NAME` points at a [services NAME] section
    // whose `s3 =` block may set endpoint_url: kept as "services.s3.*".
    if (auto svc = p.config.find("services"); svc != p.config.end()) {
      if (auto s = config->find("services " + svc->second); s != config->end())
        for (const auto& [k, v] : s->second) p.config["services." + k] = v;
    }
  }
  return p;
}

}  // namespace sparseio::s3
