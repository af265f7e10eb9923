// cat's test for binary output to a terminal (app/terminal_output).
#include "terminal_output.h"

#include <doctest/doctest.h>

#include <string_view>
#include <vector>

using sparseio::cli::looks_binary;

namespace {
std::vector<std::byte> bytes(std::string_view s) {
  std::vector<std::byte> out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}
}  // namespace

TEST_CASE("binary output: a NUL or a control character text does not use, in the first chunk") {
  CHECK_FALSE(looks_binary(bytes("hello, world\n")));
  CHECK_FALSE(looks_binary(bytes("a\tb\r\n\f\x1b[31mred\x1b[0m\b\a\v")));  // colours, tabs, CRLF
  CHECK(looks_binary(bytes("\x01\x02")));
  CHECK(looks_binary(bytes("\x1f")));
  CHECK_FALSE(looks_binary(bytes("gr\xc3\xbc\xc3\x9f dich\n")));  // UTF-8 text
  CHECK_FALSE(looks_binary({}));
  CHECK(looks_binary(bytes(std::string_view("PK\x03\x04\x14\x00", 6))));
  CHECK(looks_binary(bytes(std::string_view("text then \0", 11))));
}
