// Error types of <sparseio/error.h> and the errno helpers of core/errors.h:
// kinds survive catching by the base class, every kind has its JSON name,
// errno messages name the culprit and the reason, and user text is made fit
// for a one-line message.
#include "core/errors.h"

#include <doctest/doctest.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <string>

using sparseio::DestinationConflictError;
using sparseio::Error;
using sparseio::error_kind_name;
using sparseio::ErrorKind;

TEST_CASE("each error class carries its kind when caught as Error") {
  auto kind_of = [](auto&& thrower) {
    try {
      thrower();
    } catch (const Error& e) {
      return e.kind();
    }
    FAIL("nothing thrown");
    return ErrorKind::kFailure;
  };
  CHECK(kind_of([] { throw Error("x"); }) == ErrorKind::kFailure);
  CHECK(kind_of([] { throw Error("x", ErrorKind::kNetwork); }) == ErrorKind::kNetwork);
  CHECK(kind_of([] { throw sparseio::UsageError("x"); }) == ErrorKind::kUsage);
  CHECK(kind_of([] { throw sparseio::SourceChangedError("x"); }) == ErrorKind::kSourceChanged);
  CHECK(kind_of([] { throw sparseio::InterruptedError("x"); }) == ErrorKind::kCancelled);
  CHECK(kind_of([] { throw DestinationConflictError("x"); }) == ErrorKind::kFailure);
  CHECK(kind_of([] { throw DestinationConflictError("x", ErrorKind::kBusy); }) == ErrorKind::kBusy);
}

TEST_CASE("the message is kept as given") {
  Error e("dst.bin: locked by another process", ErrorKind::kBusy);
  CHECK(std::string(e.what()) == "dst.bin: locked by another process");
}

TEST_CASE("every kind has its own snake_case name") {
  CHECK(std::string(error_kind_name(ErrorKind::kFailure)) == "failure");
  CHECK(std::string(error_kind_name(ErrorKind::kUsage)) == "usage");
  CHECK(std::string(error_kind_name(ErrorKind::kSourceChanged)) == "source_changed");
  CHECK(std::string(error_kind_name(ErrorKind::kBusy)) == "busy");
  CHECK(std::string(error_kind_name(ErrorKind::kSourceMissing)) == "source_missing");
  CHECK(std::string(error_kind_name(ErrorKind::kAccessDenied)) == "access_denied");
  CHECK(std::string(error_kind_name(ErrorKind::kNetwork)) == "network");
  CHECK(std::string(error_kind_name(ErrorKind::kDestinationUnwritable)) == "destination_unwritable");
  CHECK(std::string(error_kind_name(ErrorKind::kCancelled)) == "cancelled");
  std::set<std::string> names;
  for (int k = 0; k <= static_cast<int>(ErrorKind::kCancelled); ++k)
    names.insert(error_kind_name(static_cast<ErrorKind>(k)));
  CHECK(names.size() == static_cast<size_t>(ErrorKind::kCancelled) + 1);
}

TEST_CASE("errno_message is what, a colon and strerror") {
  CHECK(sparseio::errno_message("cannot open /x/y", ENOENT) ==
        std::string("cannot open /x/y: ") + std::strerror(ENOENT));
}

TEST_CASE("throw_errno throws an Error of the kind asked for with that message") {
  try {
    sparseio::throw_errno("cannot write dst.bin", ENOSPC, ErrorKind::kDestinationUnwritable);
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kDestinationUnwritable);
    CHECK(std::string(e.what()) == sparseio::errno_message("cannot write dst.bin", ENOSPC));
  }
  try {
    sparseio::throw_errno("read src", EIO);
    FAIL("no throw");
  } catch (const sparseio::SystemError& e) {
    CHECK(e.kind() == ErrorKind::kFailure);
    CHECK(e.code() == EIO);  // kept for a caller who knows more about one errno
  }
}

TEST_CASE("errno_kind: only the errors of a write are the destination's") {
  for (int err : {ENOSPC, EDQUOT, EFBIG, EROFS}) {
    CAPTURE(err);
    CHECK(sparseio::errno_kind(err) == ErrorKind::kDestinationUnwritable);
  }
  // A read's errors, and ones the caller must judge (EACCES could be DST or SRC).
  for (int err : {EIO, ENOENT, EACCES, EINVAL}) {
    CAPTURE(err);
    CHECK(sparseio::errno_kind(err) == ErrorKind::kFailure);
  }
}

TEST_CASE("message_excerpt keeps one line and escapes control characters") {
  using sparseio::message_excerpt;
  CHECK(message_excerpt("1G+8M") == "1G+8M");
  CHECK(message_excerpt("a\nb\r\tc") == "a b \tc");
  CHECK(message_excerpt(std::string_view("x\0y\x7f", 4)) == "x\\x00y\\x7f");
}

TEST_CASE("message_excerpt cuts long text, keeping head and tail and the full length") {
  std::string text(10 * 1000 * 1000, 'a');
  text.replace(0, 5, "START");
  text.replace(text.size() - 3, 3, "END");
  const std::string out = sparseio::message_excerpt(text, 40);
  CHECK(out.size() < 80);
  CHECK(out.rfind("START", 0) == 0);
  CHECK(out.find("END (10000000 bytes)") != std::string::npos);
  CHECK(out.find("...") != std::string::npos);
  // At the limit nothing is cut.
  CHECK(sparseio::message_excerpt(std::string(40, 'b'), 40) == std::string(40, 'b'));
}
