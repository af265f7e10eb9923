// The AWS shared files (~/.aws/credentials and ~/.aws/config, or the files
// AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE name) as the aws CLI and
// the SDKs read them: INI sections of `key = value`, where a key with an
// empty value opens a nested block of indented lines (`s3 =` then
// `  addressing_style = path`), stored here as "s3.addressing_style".
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sparseio::s3 {

using IniSection = std::map<std::string, std::string>;
using IniFile = std::map<std::string, IniSection>;

// Parses the text of an AWS config or credentials file. Comment lines start
// with '#' or ';'; keys are compared in lower case; the last value wins.
IniFile parse_aws_ini(std::string_view text);

// Reads and parses `path`; nullopt when it does not exist. An unreadable
// file is an Error naming it.
std::optional<IniFile> load_aws_ini(const std::string& path);

// Where sparseio reads its settings from: the process environment, or a
// table in tests.
struct AwsEnvironment {
  std::function<std::optional<std::string>(const std::string& name)> get;

  // getenv; empty values count as unset.
  static AwsEnvironment process();
  std::string value(const std::string& name) const {
    auto v = get(name);
    return v ? *v : std::string();
  }
};

// The profile's settings: the config file's [profile NAME] (or [default])
// with the credentials file's [NAME] over it, as botocore merges them.
struct AwsProfile {
  std::string name;
  bool explicit_name = false;  // --profile or AWS_PROFILE named it
  bool found = false;          // a section of that name exists in either file
  IniSection config;           // from the config file
  IniSection credentials;      // from the credentials file
  std::string config_path, credentials_path;

  // The credentials file's value, else the config file's ("" when neither).
  std::string get(const std::string& key) const;
};

// Finds the files (with ~ expanded) and the profile: `profile_flag`
// (--profile), else AWS_PROFILE, AWS_DEFAULT_PROFILE, else "default".
AwsProfile load_profile(const std::string& profile_flag, const AwsEnvironment& env);

}  // namespace sparseio::s3
