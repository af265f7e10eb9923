// AWS Signature Version 4 (header form) for the GET and HEAD requests of
// the S3 source, and S3's URI encoding.
//
// Why our own signer and not libcurl's CURLOPT_AWS_SIGV4: the libcurl of
// Debian bookworm (7.88) has reported SigV4 canonicalization bugs (curl
// issues #9717, #11794, #13754) and a plain `curl --aws-sigv4` GET was refused
// by moto_server, while this signer is ~150 lines over OpenSSL's HMAC-SHA256
// that we can test byte for byte: tests/unit/source/s3/sigv4_test.cc checks it
// against AWS's published SigV4 test-suite cases for GET and against a table
// of awkward S3 keys signed by botocore (tests/unit/source/s3/gen_table.py).
// libcurl also signs with the clock of the moment, so it cannot be checked
// against a vector at all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sparseio::s3 {

// Percent-encodes every byte except the unreserved A-Z a-z 0-9 - _ . ~ (and
// '/' when keep_slash), with upper-case hex: S3's rule for object keys in the
// path (keep_slash) and for query names and values.
std::string uri_encode(std::string_view raw, bool keep_slash);

// Hex (lower case) of SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// The SHA-256 of an empty payload: what x-amz-content-sha256 says for GET/HEAD.
inline constexpr const char* kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials; empty otherwise

  bool anonymous() const { return access_key_id.empty(); }
};

// One request to sign. `path` and the query are already URI-encoded as they
// go on the wire (uri_encode): S3 signs them as sent, without normalizing
// or encoding them twice.
struct SigningRequest {
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> query;    // encoded name, value
  std::vector<std::pair<std::string, std::string>> headers;  // all of them are signed (host included)
  std::string payload_sha256 = kEmptyPayloadSha256;
};

struct SigningScope {
  std::string amz_date;  // "20150830T123600Z"
  std::string region;    // "us-east-1"
  std::string service;   // "s3"
};

// Every step, so that tests can compare each with the published one.
struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // hex
  std::string authorization;   // the Authorization header value
};

Signature sign_v4(const SigningRequest& req, const Credentials& creds, const SigningScope& scope);

// The x-amz-date form of a Unix time ("20150830T123600Z").
std::string amz_date(int64_t unix_seconds);

}  // namespace sparseio::s3
