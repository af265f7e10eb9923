// Name safety for directory DSTs: relative_name_problem refuses every name
// that could leave DIR, by example and over generated names.
#include "core/relative_name.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

using sparseio::name_segments;
using sparseio::relative_name_problem;

TEST_CASE("plain relative names are accepted and split into their segments") {
  for (const char* ok : {"a", "a.bin", "sub/b.bin", "x/y/z", "..a", "a..", ".hidden", "a/.b/c", "sparseio"})
    CHECK_MESSAGE(!relative_name_problem(ok), ok);
  CHECK(name_segments("x/y/z") == std::vector<std::string>{"x", "y", "z"});
}

TEST_CASE("names that could leave DIR or mean another file are refused with the reason") {
  CHECK(relative_name_problem("")->find("empty") != std::string::npos);
  CHECK(relative_name_problem("/etc/passwd")->find("absolute") != std::string::npos);
  CHECK(relative_name_problem("..")->find("..") != std::string::npos);
  CHECK(relative_name_problem("a/../../b"));
  CHECK(relative_name_problem("a/.."));
  CHECK(relative_name_problem("./a"));
  CHECK(relative_name_problem("a//b")->find("empty segment") != std::string::npos);
  CHECK(relative_name_problem("a/"));
  CHECK(relative_name_problem(std::string("a\0b", 3))->find("NUL") != std::string::npos);
  CHECK(relative_name_problem(".sparseio/x.sparseio")->find(".sparseio") != std::string::npos);
  CHECK(!relative_name_problem("a/.sparseio"));  // only DIR's own .sparseio/ is reserved
}

TEST_CASE("property: no accepted generated name escapes DIR, names DIR itself or holds a NUL") {
  // Names made of hostile pieces: every accepted one, joined to DIR and
  // normalized lexically, must stay strictly below DIR.
  const std::vector<std::string> pieces{"a",   "b",         "..",  ".",  "",    "/",   std::string(1, '\0'),
                                        "...", ".sparseio", "c.d", "//", "../", "/..", "x"};
  std::mt19937 rng(21);  // fixed: a failure repeats
  const std::filesystem::path dir = "/base/DIR";
  size_t accepted = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string name;
    const int count = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < count; ++i) name += pieces[rng() % pieces.size()];
    if (relative_name_problem(name)) continue;
    ++accepted;
    REQUIRE(name.find('\0') == std::string::npos);
    const std::filesystem::path joined = (dir / name).lexically_normal();
    const std::filesystem::path rel = joined.lexically_relative(dir);
    INFO("name: " << name);
    REQUIRE(!rel.empty());
    REQUIRE(*rel.begin() != "..");
    REQUIRE(rel != ".");
    REQUIRE(joined == dir / name);  // nothing to normalize away: the name means what it says
  }
  CHECK(accepted > 100);  // the generator does produce good names too
}
