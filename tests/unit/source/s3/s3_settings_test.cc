// The S3 settings: s3:// URIs, the AWS files, the credential chain, region
// and endpoint precedence and the object URL, with a temporary HOME and an
// environment given as a table (the process environment is never read).
#include "source/s3/s3_settings.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>

#include "core/errors.h"
#include "test_util.h"

using namespace sparseio;
using namespace sparseio::s3;

namespace {

struct Env {
  sparseio::test::TempDir home;
  std::map<std::string, std::string> vars;

  Env() {
    vars["HOME"] = home.path();
    ::mkdir((home.path() + "/.aws").c_str(), 0700);
  }
  AwsEnvironment env() const {
    return {[this](const std::string& n) -> std::optional<std::string> {
      auto it = vars.find(n);
      if (it == vars.end() || it->second.empty()) return std::nullopt;
      return it->second;
    }};
  }
  void write(const std::string& rel, const std::string& text) const {
    std::ofstream(home.path() + "/" + rel) << text;
  }
  ResolvedCredentials creds(const S3Options& o = {}) const {
    return resolve_credentials(o, load_profile(o.profile, env()), env(), "s3://b/k");
  }
  S3Endpoint endpoint(const S3Options& o = {}, const std::string& bucket = "bucket") const {
    return resolve_endpoint(o, load_profile(o.profile, env()), env(), bucket);
  }
};

}  // namespace

TEST_CASE("s3 URIs") {
  CHECK(is_s3_uri("s3://b/k"));
  CHECK(is_s3_uri("S3://b/k"));
  CHECK_FALSE(is_s3_uri("https://b/k"));
  S3Location l = parse_s3_uri("s3://bucket/dir//a b+c=%.txt");
  CHECK(l.bucket == "bucket");
  CHECK(l.key == "dir//a b+c=%.txt");
  CHECK_THROWS_AS(parse_s3_uri("s3://bucket"), UsageError);
  CHECK_THROWS_AS(parse_s3_uri("s3://bucket/"), UsageError);
  CHECK_THROWS_AS(parse_s3_uri("s3:///key"), UsageError);
}

TEST_CASE("the AWS ini format: sections, comments, nested blocks") {
  IniFile f = parse_aws_ini(
      "# comment\n[default]\nregion = eu-west-1\n; other comment\n[profile dev]\nAWS_Access_Key_Id=AK\n"
      "s3 =\n  addressing_style = path\n  max_concurrent_requests = 4\nregion=us-west-2\n");
  CHECK(f["default"]["region"] == "eu-west-1");
  CHECK(f["profile dev"]["aws_access_key_id"] == "AK");
  CHECK(f["profile dev"]["s3.addressing_style"] == "path");
  CHECK(f["profile dev"]["s3.max_concurrent_requests"] == "4");
  CHECK(f["profile dev"]["region"] == "us-west-2");
  CHECK(f["profile dev"].count("s3") == 0);
}

TEST_CASE("credentials: --no-sign-request, then the environment, then the files") {
  Env e;
  e.write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n");
  CHECK(e.creds().creds.access_key_id == "FILEKEY");
  CHECK(e.creds().source.find(".aws/credentials") != std::string::npos);

  e.vars["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  e.vars["AWS_SECRET_ACCESS_KEY"] = "ENVSECRET";
  e.vars["AWS_SESSION_TOKEN"] = "ENVTOKEN";
  ResolvedCredentials r = e.creds();
  CHECK(r.creds.access_key_id == "ENVKEY");
  CHECK(r.creds.session_token == "ENVTOKEN");
  CHECK(r.source == "the environment (AWS_ACCESS_KEY_ID)");
  CHECK(r.secret_source == "the environment (AWS_SECRET_ACCESS_KEY)");

  S3Options anon;
  anon.no_sign_request = true;
  CHECK(e.creds(anon).creds.anonymous());

  e.vars["AWS_SECRET_ACCESS_KEY"] = "";
  CHECK_THROWS_WITH_AS(e.creds(), doctest::Contains("AWS_SECRET_ACCESS_KEY is not"), Error);
}

TEST_CASE("credentials: --profile skips the environment; AWS_PROFILE does not") {
  Env e;
  e.write(".aws/credentials", "[dev]\naws_access_key_id = DEVKEY\naws_secret_access_key = DEVSECRET\n");
  e.vars["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  e.vars["AWS_SECRET_ACCESS_KEY"] = "ENVSECRET";
  S3Options o;
  o.profile = "dev";
  CHECK(e.creds(o).creds.access_key_id == "DEVKEY");
  e.vars["AWS_PROFILE"] = "dev";
  CHECK(e.creds().creds.access_key_id == "ENVKEY");
  e.vars.erase("AWS_ACCESS_KEY_ID");
  e.vars.erase("AWS_SECRET_ACCESS_KEY");
  CHECK(e.creds().creds.access_key_id == "DEVKEY");
}

TEST_CASE("credentials: config file [profile X], files named by the environment, missing profile") {
  Env e;
  e.write("conf",
          "[profile ci]\naws_access_key_id = CFGKEY\naws_secret_access_key = CFGSECRET\n"
          "aws_session_token = CFGTOKEN\n");
  e.vars["AWS_CONFIG_FILE"] = "~/conf";
  e.vars["AWS_SHARED_CREDENTIALS_FILE"] = e.home.file("nonexistent");
  S3Options o;
  o.profile = "ci";
  ResolvedCredentials r = e.creds(o);
  CHECK(r.creds.access_key_id == "CFGKEY");
  CHECK(r.creds.session_token == "CFGTOKEN");
  o.profile = "nope";
  CHECK_THROWS_WITH_AS(e.creds(o), doctest::Contains("profile \"nope\" not found"), Error);
  CHECK_THROWS_WITH_AS(e.creds(), doctest::Contains("no AWS credentials found"), Error);
  // The message names what was looked for, never a secret.
  try {
    e.creds();
  } catch (const Error& err) {
    CHECK(std::string(err.what()).find("--no-sign-request") != std::string::npos);
    CHECK(std::string(err.what()).find("CFGSECRET") == std::string::npos);
  }
}

TEST_CASE("credentials: credential_process, after the credentials file's keys") {
  Env e;
  e.write(
      "proc.sh",
      "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"PROCKEY\", \"SecretAccessKey\": \"PROCSECRET\", "
      "\"SessionToken\": \"PROCTOKEN\"}'\n");
  ::chmod(e.home.file("proc.sh").c_str(), 0700);
  e.write(".aws/config", "[default]\ncredential_process = " + e.home.file("proc.sh") + "\n");
  ResolvedCredentials r = e.creds();
  CHECK(r.creds.access_key_id == "PROCKEY");
  CHECK(r.creds.secret_access_key == "PROCSECRET");
  CHECK(r.creds.session_token == "PROCTOKEN");
  CHECK(r.source.find("credential_process") != std::string::npos);
  e.write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = S\n");
  CHECK(e.creds().creds.access_key_id == "FILEKEY");

  e.write(".aws/credentials", "");
  e.write(".aws/config", "[default]\ncredential_process = sh -c 'echo SECRETOUT; exit 3'\n");
  CHECK_THROWS_WITH_AS(e.creds(), doctest::Contains("exit status 3"), Error);
  e.write(".aws/config", "[default]\ncredential_process = echo SECRETOUT\n");
  try {
    e.creds();
    FAIL("expected an error");
  } catch (const Error& err) {
    CHECK(std::string(err.what()).find("not a JSON object") != std::string::npos);
    CHECK(std::string(err.what()).find("SECRETOUT") == std::string::npos);
  }
}

TEST_CASE("region: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's") {
  Env e;
  CHECK(e.endpoint().region == "us-east-1");
  CHECK(e.endpoint().region_source.empty());
  e.write(".aws/config", "[default]\nregion = eu-north-1\n");
  CHECK(e.endpoint().region == "eu-north-1");
  e.vars["AWS_DEFAULT_REGION"] = "ap-south-1";
  CHECK(e.endpoint().region == "ap-south-1");
  e.vars["AWS_REGION"] = "sa-east-1";
  CHECK(e.endpoint().region == "sa-east-1");
  S3Options o;
  o.region = "eu-west-3";
  CHECK(e.endpoint(o).region == "eu-west-3");
  CHECK(e.endpoint(o).region_source == "--region");
}

TEST_CASE("endpoint: the SDKs' precedence, and AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") {
  Env e;
  CHECK(e.endpoint().url == "https://s3.us-east-1.amazonaws.com");
  CHECK_FALSE(e.endpoint().custom);
  e.write(".aws/config",
          "[default]\nendpoint_url = http://profile:1\nservices = local\n[services local]\ns3 =\n"
          "  endpoint_url = http://services:2\n");
  CHECK(e.endpoint().url == "http://services:2");
  e.write(".aws/config", "[default]\nendpoint_url = http://profile:1/\n");
  CHECK(e.endpoint().url == "http://profile:1");
  e.vars["AWS_ENDPOINT_URL"] = "http://global:3";
  CHECK(e.endpoint().url == "http://global:3");
  e.vars["AWS_ENDPOINT_URL_S3"] = "http://s3env:4";
  CHECK(e.endpoint().url == "http://s3env:4");
  S3Options o;
  o.endpoint_url = "https://flag:5";
  CHECK(e.endpoint(o).url == "https://flag:5");
  CHECK(e.endpoint(o).source == "--endpoint-url");
  e.vars["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true";
  CHECK(e.endpoint().url == "https://s3.us-east-1.amazonaws.com");
  CHECK(e.endpoint(o).url == "https://flag:5");
  o.endpoint_url = "ftp://x";
  CHECK_THROWS_AS(e.endpoint(o), UsageError);
}

TEST_CASE("addressing: virtual-hosted on AWS, path-style for custom endpoints, IPs, dotted buckets") {
  Env e;
  S3Location loc{"my-bucket", "dir/a b+c.txt"};
  S3Endpoint aws = e.endpoint({}, "my-bucket");
  CHECK_FALSE(aws.path_style);
  CHECK(object_url(aws, loc) == "https://my-bucket.s3.us-east-1.amazonaws.com/dir/a%20b%2Bc.txt");
  CHECK(object_url(aws, loc, "v/1+") ==
        "https://my-bucket.s3.us-east-1.amazonaws.com/dir/a%20b%2Bc.txt?versionId=v%2F1%2B");
  CHECK(e.endpoint({}, "my.dotted.bucket").path_style);
  CHECK(e.endpoint({}, "Upper_Case").path_style);
  S3Options path;
  path.path_style = true;
  CHECK(object_url(e.endpoint(path, "my-bucket"), loc) ==
        "https://s3.us-east-1.amazonaws.com/my-bucket/dir/a%20b%2Bc.txt");

  S3Options custom;
  custom.endpoint_url = "http://minio.local:9000";
  CHECK(object_url(e.endpoint(custom, "my-bucket"), loc) ==
        "http://minio.local:9000/my-bucket/dir/a%20b%2Bc.txt");
  e.write(".aws/config", "[default]\ns3 =\n  addressing_style = virtual\n");
  CHECK(object_url(e.endpoint(custom, "my-bucket"), loc) ==
        "http://my-bucket.minio.local:9000/dir/a%20b%2Bc.txt");
  custom.endpoint_url = "http://127.0.0.1:9000";
  CHECK(e.endpoint(custom, "my-bucket").path_style);  // no virtual host on an IP address
  e.write(".aws/config", "[default]\ns3 =\n  addressing_style = path\n");
  CHECK(e.endpoint({}, "my-bucket").path_style);
  CHECK(aws_endpoint("cn-north-1") == "https://s3.cn-north-1.amazonaws.com.cn");
}
