// S3 XML errors → one-line messages with the right class, and the AIMD
// limit that SlowDown answers lower.
#include "source/s3/s3_error.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "source/s3/adaptive_limit.h"

using namespace sparseio;
using namespace sparseio::s3;

namespace {

// Rethrows `e` and returns its message, checking its class is T.
template <typename T>
std::string message_of(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const T& err) {
    return err.what();
  } catch (const std::exception& other) {
    FAIL("wrong class for: " << other.what());
  }
  return {};
}

ErrorKind kind_of(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const Error& err) {
    return err.kind();
  }
}

// Missing or denied: the CLI's exit 6.
bool is_access(std::exception_ptr e) {
  ErrorKind k = kind_of(e);
  return k == ErrorKind::kSourceMissing || k == ErrorKind::kAccessDenied;
}

}  // namespace

TEST_CASE("parse_s3_error") {
  auto b = parse_s3_error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key "
      "does not exist &amp; never did.</Message><Key>a</Key><RequestId>R</RequestId></Error>");
  REQUIRE(b);
  CHECK(b->code == "NoSuchKey");
  CHECK(b->message == "The specified key does not exist & never did.");
  CHECK_FALSE(parse_s3_error("<html>nope</html>"));
  CHECK_FALSE(parse_s3_error(""));
  auto r = parse_s3_error(
      "<Error><Code>PermanentRedirect</Code><Message>m\nx</Message><Region>eu-west-3</Region></Error>");
  REQUIRE(r);
  CHECK(r->region == "eu-west-3");
  CHECK(r->message == "m x");
  // Every field ends up in a one-line message: a newline in any is a blank.
  auto n = parse_s3_error("<Error><Code>No\nSuchKey\n</Code><Region>eu\r\n</Region></Error>");
  REQUIRE(n);
  CHECK(n->code == "No SuchKey");
  CHECK(n->region == "eu");
}

TEST_CASE("s3_error: classes and messages") {
  auto body = [](const char* code, const char* msg = "server says") {
    return std::optional<S3ErrorBody>(S3ErrorBody{code, msg, ""});
  };
  const std::string creds = "profile \"dev\" in /h/.aws/credentials";
  for (const char* code : {"NoSuchKey", "NoSuchBucket", "AccessDenied", "SignatureDoesNotMatch",
                           "InvalidAccessKeyId", "ExpiredToken"}) {
    CAPTURE(code);
    CHECK(is_access(s3_error("s3://b/k", "GET", 403, body(code), creds, creds)));
  }
  CHECK(kind_of(s3_error("s3://b/k", "GET", 404, body("NoSuchKey"), creds, creds)) ==
        ErrorKind::kSourceMissing);
  CHECK(kind_of(s3_error("s3://b/k", "GET", 403, body("AccessDenied"), creds, creds)) ==
        ErrorKind::kAccessDenied);
  CHECK(message_of<Error>(s3_error("s3://b/k", "GET", 404, body("NoSuchKey"), creds, creds)) ==
        "s3://b/k: no such object (S3 NoSuchKey, HTTP 404; GET)");
  std::string sig = message_of<Error>(
      s3_error("s3://b/k", "GET", 403, body("SignatureDoesNotMatch", "The request signature we calculated"),
               "the environment (AWS_ACCESS_KEY_ID)", "the environment (AWS_SECRET_ACCESS_KEY)"));
  CHECK(sig.find("refused the request signature") != std::string::npos);
  CHECK(sig.find("S3 SignatureDoesNotMatch, HTTP 403") != std::string::npos);
  // The secret is at fault, and it has a variable of its own.
  CHECK(sig.find("check the secret access key from the environment (AWS_SECRET_ACCESS_KEY)") !=
        std::string::npos);
  CHECK(sig.find("AWS_ACCESS_KEY_ID") == std::string::npos);
  std::string skew =
      message_of<Error>(s3_error("s3://b/k", "GET", 403, body("RequestTimeTooSkewed"), creds, creds));
  CHECK(skew.find("clock") != std::string::npos);
  CHECK_FALSE(is_access(s3_error("s3://b/k", "GET", 403, body("RequestTimeTooSkewed"), creds, creds)));
  // HEAD answers have no body: the status decides.
  CHECK(is_access(s3_error("s3://b/k", "HEAD", 404, std::nullopt, creds, creds)));
  CHECK(is_access(s3_error("s3://b/k", "HEAD", 403, std::nullopt, creds, creds)));
  CHECK_FALSE(is_access(s3_error("s3://b/k", "HEAD", 400, std::nullopt, creds, creds)));
  std::string other =
      message_of<Error>(s3_error("s3://b/k", "GET", 400, body("InvalidArgument", "bad"), creds, creds));
  CHECK(other == "s3://b/k: S3 InvalidArgument, HTTP 400: \"bad\" (GET)");
  std::optional<S3ErrorBody> moved = S3ErrorBody{"PermanentRedirect", "", "eu-west-3"};
  CHECK(message_of<Error>(s3_error("s3://b/k", "GET", 301, moved, creds, creds)).find("--region eu-west-3") !=
        std::string::npos);
}

TEST_CASE("AdaptiveLimit: halves on throttling, grows back one by one") {
  AdaptiveLimit l(8, std::chrono::milliseconds(0));
  CHECK(l.limit() == 8);
  l.throttled();
  CHECK(l.limit() == 4);
  l.throttled();
  l.throttled();
  l.throttled();
  CHECK(l.limit() == 1);
  l.succeeded();
  CHECK(l.limit() == 2);
  l.succeeded();
  CHECK(l.limit() == 2);
  l.succeeded();
  CHECK(l.limit() == 3);
  for (int i = 0; i < 100; ++i) l.succeeded();
  CHECK(l.limit() == 8);
}

TEST_CASE("AdaptiveLimit: throttling answers that arrive together cut once") {
  AdaptiveLimit l(8, std::chrono::seconds(60));
  l.throttled();
  l.throttled();
  CHECK(l.limit() == 4);
}

TEST_CASE("AdaptiveLimit: no more than the limit run at once") {
  AdaptiveLimit l(2);
  std::atomic<int> running{0}, peak{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&] {
      AdaptiveLimit::Slot slot(l);
      int now = ++running;
      int p = peak.load();
      while (now > p && !peak.compare_exchange_weak(p, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      --running;
    });
  for (auto& t : threads) t.join();
  CHECK(peak.load() == 2);
}
