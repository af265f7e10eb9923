// The SigV4 signer against two independent oracles: the GET cases of AWS's
// published Signature Version 4 test suite (service "service", us-east-1,
// 20150830T123600Z, the suite's example credentials), and botocore's S3
// signer on awkward keys (botocore_table.inc, made by gen_table.py).
#include "source/s3/sigv4.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace sparseio::s3;

namespace {

const Credentials kSuiteCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const SigningScope kSuiteScope{"20150830T123600Z", "us-east-1", "service"};
const std::string kUnreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

struct SuiteCase {
  const char* name;
  std::string raw_path;                                      // before encoding
  std::vector<std::pair<std::string, std::string>> query;    // raw
  std::vector<std::pair<std::string, std::string>> headers;  // besides host and x-amz-date
  const char* signature;
};

// From the suite's .authz files (aws-sig-v4-test-suite, GET cases; the
// normalize-path cases do not apply to S3, which signs paths as sent).
const std::vector<SuiteCase> kSuite = {
    {"get-vanilla", "/", {}, {}, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-vanilla-empty-query-key",
     "/",
     {{"Param1", "value1"}},
     {},
     "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
    {"get-vanilla-query-order-key-case",
     "/",
     {{"Param2", "value2"}, {"Param1", "value1"}},
     {},
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    {"get-vanilla-query-order-value",
     "/",
     {{"Param1", "value2"}, {"Param1", "value1"}},
     {},
     "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
    {"get-vanilla-query-unreserved",
     "/",
     {{kUnreserved, kUnreserved}},
     {},
     "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
    {"get-vanilla-utf8-query",
     "/",
     {{"\xe1\x88\xb4", "bar"}},
     {},
     "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
    {"get-unreserved",
     "/" + kUnreserved,
     {},
     {},
     "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
    {"get-utf8", "/\xe1\x88\xb4", {}, {}, "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
    {"get-space",
     "/example space/",
     {},
     {},
     "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
    {"get-header-key-duplicate",
     "/",
     {},
     {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
     "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
    {"get-header-value-order",
     "/",
     {},
     {{"My-Header1", "value4"}, {"My-Header1", "value1"}, {"My-Header1", "value3"}, {"My-Header1", "value2"}},
     "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
    {"get-header-value-trim",
     "/",
     {},
     {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
};

SigningRequest suite_request(const SuiteCase& c) {
  SigningRequest r;
  r.path = uri_encode(c.raw_path, true);
  for (const auto& [k, v] : c.query) r.query.emplace_back(uri_encode(k, false), uri_encode(v, false));
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  r.headers.insert(r.headers.end(), c.headers.begin(), c.headers.end());
  return r;
}

struct BotocoreCase {
  const char* key;
  const char* version_id;
  const char* method;
  const char* host;
  const char* path;
  const char* query;
  const char* headers;  // "name:value\n" lines, as botocore signed them
  const char* region;
  bool session_token;
  const char* amz_date;
  const char* authorization;
};

const BotocoreCase kBotocore[] = {
#include "botocore_table.inc"
};

}  // namespace

TEST_CASE("sigv4: the GET cases of AWS's test suite, byte for byte") {
  for (const SuiteCase& c : kSuite) {
    CAPTURE(c.name);
    Signature s = sign_v4(suite_request(c), kSuiteCreds, kSuiteScope);
    CHECK(s.signature == c.signature);
  }
}

TEST_CASE("sigv4: get-vanilla's intermediate steps match the suite's .creq and .sts") {
  Signature s = sign_v4(suite_request(kSuite[0]), kSuiteCreds, kSuiteScope);
  CHECK(s.canonical_request ==
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(s.string_to_sign ==
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  CHECK(s.authorization ==
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST_CASE("sigv4: a changed secret, region or header changes the signature") {
  Signature base = sign_v4(suite_request(kSuite[0]), kSuiteCreds, kSuiteScope);
  Credentials other = kSuiteCreds;
  other.secret_access_key.back() = 'X';
  CHECK(sign_v4(suite_request(kSuite[0]), other, kSuiteScope).signature != base.signature);
  SigningScope west = kSuiteScope;
  west.region = "us-west-2";
  CHECK(sign_v4(suite_request(kSuite[0]), kSuiteCreds, west).signature != base.signature);
  SigningRequest r = suite_request(kSuite[0]);
  r.headers.emplace_back("x-amz-security-token", "t");
  CHECK(sign_v4(r, kSuiteCreds, kSuiteScope).signature != base.signature);
}

TEST_CASE("sigv4: botocore's S3 signatures of awkward keys, and our encoding of their paths") {
  const Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  CHECK(std::size(kBotocore) >= 16);
  for (const BotocoreCase& c : kBotocore) {
    CAPTURE(c.key);
    // The path botocore sent is /bucket/KEY with KEY encoded by S3's rule.
    const std::string path = c.path;
    const size_t slash = path.find('/', 1);
    REQUIRE(slash != std::string::npos);
    CHECK(uri_encode(c.key, true) == path.substr(slash + 1));
    SigningRequest r;
    r.method = c.method;
    r.path = path;
    if (*c.version_id) r.query.emplace_back("versionId", uri_encode(c.version_id, false));
    std::string query;
    for (const auto& [k, v] : r.query) query += k + "=" + v;
    CHECK(query == c.query);
    std::string lines = c.headers;
    for (size_t pos = 0; pos < lines.size();) {
      size_t end = lines.find('\n', pos);
      std::string line = lines.substr(pos, end - pos);
      size_t colon = line.find(':');
      r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
      pos = end + 1;
    }
    Signature s = sign_v4(r, creds, {c.amz_date, c.region, "s3"});
    CHECK(s.authorization == c.authorization);
  }
}

TEST_CASE("uri_encode: S3's rule") {
  CHECK(uri_encode("a b+c=d%e/f~g", true) == "a%20b%2Bc%3Dd%25e/f~g");
  CHECK(uri_encode("a/b", false) == "a%2Fb");
  CHECK(uri_encode("\xc3\xa9", true) == "%C3%A9");
  CHECK(uri_encode("", true).empty());
}

TEST_CASE("amz_date") {
  CHECK(amz_date(1440938160) == "20150830T123600Z");
  CHECK(sha256_hex("") == kEmptyPayloadSha256);
}
