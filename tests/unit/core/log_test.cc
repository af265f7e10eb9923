// The library's logging (core/log.h over <sparseio/log.h>): messages at or
// above the level reach the handler, nothing is emitted without a handler,
// and a disabled level does not even format its arguments.
#include "core/log.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

using sparseio::LogLevel;
using sparseio::set_log_handler;

namespace {

// Counts how often fmt formats it: the cost a disabled message must not pay.
struct Counted {
  int* calls;
};

struct Captured {
  std::vector<std::pair<LogLevel, std::string>> lines;
  sparseio::LogHandler handler() {
    return [this](LogLevel level, std::string_view msg) { lines.emplace_back(level, std::string(msg)); };
  }
};

// Logging is process-wide: each test leaves it off, as the default is.
struct LogOffAfter {
  ~LogOffAfter() { set_log_handler({}); }
};

}  // namespace

template <>
struct fmt::formatter<Counted> : fmt::formatter<int> {
  auto format(const Counted& c, fmt::format_context& ctx) const {
    ++*c.calls;
    return fmt::formatter<int>::format(*c.calls, ctx);
  }
};

TEST_CASE("by default there is no handler and nothing is enabled") {
  for (LogLevel l : {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError})
    CHECK_FALSE(sparseio::log::enabled(l));
  int calls = 0;
  sparseio::log::error("{}", Counted{&calls});
  CHECK(calls == 0);
}

TEST_CASE("messages at and above the level reach the handler, formatted") {
  LogOffAfter off;
  Captured cap;
  set_log_handler(cap.handler(), LogLevel::kInfo);
  sparseio::log::trace("t {}", 1);
  sparseio::log::debug("d {}", 2);
  sparseio::log::info("i {}", 3);
  sparseio::log::warn("w {}", "x");
  sparseio::log::error("e {}", 5);
  REQUIRE(cap.lines.size() == 3);
  CHECK(cap.lines[0] == std::pair{LogLevel::kInfo, std::string("i 3")});
  CHECK(cap.lines[1] == std::pair{LogLevel::kWarn, std::string("w x")});
  CHECK(cap.lines[2] == std::pair{LogLevel::kError, std::string("e 5")});
}

TEST_CASE("the default level is warn") {
  LogOffAfter off;
  Captured cap;
  set_log_handler(cap.handler());
  sparseio::log::info("quiet");
  sparseio::log::warn("loud");
  REQUIRE(cap.lines.size() == 1);
  CHECK(cap.lines[0].second == "loud");
}

TEST_CASE("a disabled level does not format its arguments") {
  LogOffAfter off;
  Captured cap;
  set_log_handler(cap.handler(), LogLevel::kWarn);
  int calls = 0;
  sparseio::log::debug("{}", Counted{&calls});
  CHECK(calls == 0);
  sparseio::log::warn("{}", Counted{&calls});
  CHECK(calls == 1);
  REQUIRE(cap.lines.size() == 1);
  CHECK(cap.lines[0].second == "1");
}

TEST_CASE("an empty handler or kOff turns logging off") {
  LogOffAfter off;
  Captured cap;
  set_log_handler(cap.handler(), LogLevel::kTrace);
  CHECK(sparseio::log::enabled(LogLevel::kTrace));
  set_log_handler({});
  CHECK_FALSE(sparseio::log::enabled(LogLevel::kError));
  sparseio::log::error("dropped");
  set_log_handler(cap.handler(), LogLevel::kOff);
  CHECK_FALSE(sparseio::log::enabled(LogLevel::kError));
  sparseio::log::error("dropped too");
  CHECK(cap.lines.empty());
}
