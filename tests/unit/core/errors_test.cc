// Error types of <sparseio/error.h> and the errno helpers of core/errors.h:
// kinds survive catching by the base class, every kind has its JSON name,
// and errno messages name the culprit and the reason.
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
    return ErrorKind::kOther;
  };
  CHECK(kind_of([] { throw Error("x"); }) == ErrorKind::kOther);
  CHECK(kind_of([] { throw Error("x", ErrorKind::kNetwork); }) == ErrorKind::kNetwork);
  CHECK(kind_of([] { throw sparseio::UsageError("x"); }) == ErrorKind::kUsage);
  CHECK(kind_of([] { throw sparseio::SourceChangedError("x"); }) == ErrorKind::kSourceChanged);
  CHECK(kind_of([] { throw sparseio::InterruptedError("x"); }) == ErrorKind::kInterrupted);
  CHECK(kind_of([] { throw DestinationConflictError("x"); }) == ErrorKind::kOther);
  CHECK(kind_of([] { throw DestinationConflictError("x", ErrorKind::kBusy); }) == ErrorKind::kBusy);
}

TEST_CASE("the message is kept as given") {
  Error e("dst.bin: locked by another process", ErrorKind::kBusy);
  CHECK(std::string(e.what()) == "dst.bin: locked by another process");
}

TEST_CASE("every kind has its own snake_case name") {
  CHECK(std::string(error_kind_name(ErrorKind::kOther)) == "failure");
  CHECK(std::string(error_kind_name(ErrorKind::kUsage)) == "usage");
  CHECK(std::string(error_kind_name(ErrorKind::kSourceChanged)) == "source_changed");
  CHECK(std::string(error_kind_name(ErrorKind::kBusy)) == "busy");
  CHECK(std::string(error_kind_name(ErrorKind::kNotFound)) == "not_found");
  CHECK(std::string(error_kind_name(ErrorKind::kNetwork)) == "network");
  CHECK(std::string(error_kind_name(ErrorKind::kDestination)) == "destination");
  CHECK(std::string(error_kind_name(ErrorKind::kInterrupted)) == "interrupted");
  std::set<std::string> names;
  for (int k = 0; k <= static_cast<int>(ErrorKind::kInterrupted); ++k)
    names.insert(error_kind_name(static_cast<ErrorKind>(k)));
  CHECK(names.size() == static_cast<size_t>(ErrorKind::kInterrupted) + 1);
}

TEST_CASE("errno_message is what, a colon and strerror") {
  CHECK(sparseio::errno_message("cannot open /x/y", ENOENT) ==
        std::string("cannot open /x/y: ") + std::strerror(ENOENT));
}

TEST_CASE("throw_errno throws an Error of the kind asked for with that message") {
  try {
    sparseio::throw_errno("cannot write dst.bin", ENOSPC, ErrorKind::kDestination);
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kDestination);
    CHECK(std::string(e.what()) == sparseio::errno_message("cannot write dst.bin", ENOSPC));
  }
  try {
    sparseio::throw_errno("read src", EIO);
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kOther);
  }
}
