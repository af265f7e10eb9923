// The shell-like glob of --select (lib/plan/glob): what selector_test.cc
// leaves out — brace expansion in depth, class edge cases (leading ], [^..],
// escapes inside classes), ** without a slash, literal() and the errors.
#include "plan/glob.h"

#include <doctest/doctest.h>

#include <string>

#include "core/errors.h"

using namespace sparseio;
using namespace sparseio::plan;

TEST_CASE("glob: a literal pattern matches only itself") {
  Glob g("data/part-0.parquet");
  CHECK(g.literal());
  CHECK(g.text() == "data/part-0.parquet");
  CHECK(g.matches("data/part-0.parquet"));
  CHECK_FALSE(g.matches("data/part-0.parquetx"));
  CHECK_FALSE(g.matches("xdata/part-0.parquet"));
  CHECK_FALSE(g.matches(""));
  CHECK(Glob("").matches(""));
  CHECK_FALSE(Glob("").matches("a"));
}

TEST_CASE("glob: * spans dots in a one-segment name but never a slash") {
  CHECK(Glob("model.*.weight").matches("model.layers.3.mlp.weight"));
  CHECK(Glob("*").matches(""));
  CHECK(Glob("*").matches("anything.at.all"));
  CHECK_FALSE(Glob("*").matches("a/b"));
  CHECK(Glob("a*").matches("a"));
  CHECK_FALSE(Glob("a*b").matches("a/b"));
  CHECK(Glob("*/*").matches("a/b"));
  CHECK_FALSE(Glob("*/*").matches("a/b/c"));
}

TEST_CASE("glob: ? is exactly one non-slash character") {
  CHECK(Glob("a?c").matches("abc"));
  CHECK_FALSE(Glob("a?c").matches("ac"));
  CHECK_FALSE(Glob("a?c").matches("abbc"));
  CHECK_FALSE(Glob("a?c").matches("a/c"));
  CHECK(Glob("??").matches("xy"));
  CHECK_FALSE(Glob("??").matches("x"));
}

TEST_CASE("glob: ** crosses segments, with or without a following slash") {
  CHECK(Glob("**").matches("a/b/c"));
  CHECK(Glob("**").matches(""));
  CHECK(Glob("a/**").matches("a/b/c.txt"));
  CHECK(Glob("a/**").matches("a/"));
  CHECK_FALSE(Glob("a/**").matches("b/c"));
  CHECK(Glob("**/c.txt").matches("c.txt"));  // no directory at all
  CHECK(Glob("**/c.txt").matches("a/b/c.txt"));
  CHECK_FALSE(Glob("**/c.txt").matches("a/bc.txt"));
  CHECK(Glob("a/**/b/**/c").matches("a/b/c"));
  CHECK(Glob("a/**/b/**/c").matches("a/x/y/b/z/c"));
  CHECK_FALSE(Glob("a/**/b/**/c").matches("a/x/c"));
  CHECK(Glob("***").matches("x/y"));  // three stars are still a globstar
  CHECK_FALSE(Glob("**").literal());
}

TEST_CASE("glob: character classes") {
  CHECK(Glob("[abc]").matches("b"));
  CHECK_FALSE(Glob("[abc]").matches("d"));
  CHECK_FALSE(Glob("[abc]").matches("ab"));
  CHECK(Glob("[^0-9]").matches("x"));  // ^ negates like !
  CHECK_FALSE(Glob("[^0-9]").matches("5"));
  CHECK(Glob("[]a]").matches("]"));  // a leading ] is a member
  CHECK(Glob("[]a]").matches("a"));
  CHECK_FALSE(Glob("[]a]").matches("b"));
  CHECK(Glob("[!]]").matches("x"));
  CHECK_FALSE(Glob("[!]]").matches("]"));
  CHECK(Glob("[a-cx-z]").matches("y"));
  CHECK_FALSE(Glob("[a-cx-z]").matches("m"));
  CHECK(Glob("[a-]").matches("-"));   // a trailing - is literal
  CHECK(Glob("[\\]]").matches("]"));  // an escaped ] inside a class
  CHECK(Glob("[\\-x]").matches("-"));
  CHECK_FALSE(Glob("[\\-x]").matches("a"));
  // A class never matches '/', not even negated.
  CHECK_FALSE(Glob("a[!x]b").matches("a/b"));
  CHECK_FALSE(Glob("[a-z]").literal());
}

TEST_CASE("glob: braces list alternatives, nest and multiply") {
  Glob g("{train,test}/*.{jpg,png}");
  CHECK_FALSE(g.literal());
  CHECK(g.matches("train/a.jpg"));
  CHECK(g.matches("test/b.png"));
  CHECK_FALSE(g.matches("val/a.jpg"));
  CHECK_FALSE(g.matches("train/a.gif"));
  CHECK(Glob("x{a,{b,c}d}").matches("xcd"));
  CHECK(Glob("x{a,{b,c}d}").matches("xa"));
  CHECK_FALSE(Glob("x{a,{b,c}d}").matches("xc"));
  CHECK(Glob("a{,b}").matches("a"));  // an empty alternative
  CHECK(Glob("a{,b}").matches("ab"));
  CHECK(Glob("{[ab],z}").matches("b"));  // classes inside braces
  CHECK(Glob("[{]x").matches("{x"));     // a brace inside a class is literal
}

TEST_CASE("glob: backslash makes the next character literal") {
  CHECK(Glob("a\\?").matches("a?"));
  CHECK_FALSE(Glob("a\\?").matches("ab"));
  CHECK(Glob("\\[x]").matches("[x]"));
  CHECK(Glob("\\{a,b}").matches("{a,b}"));
  CHECK_FALSE(Glob("\\{a,b}").matches("a"));
  CHECK(Glob("a\\\\").matches("a\\"));  // an escaped backslash at the end is fine
  CHECK(Glob("\\*").literal());
  CHECK(Glob("a\\{b").literal());
}

TEST_CASE("glob: malformed patterns are usage errors naming what and why") {
  auto message = [](std::string_view pattern) {
    try {
      Glob g(pattern, "--select");
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message("a[bc").find("--select 'a[bc'") != std::string::npos);
  CHECK(message("a[bc").find("']'") != std::string::npos);
  CHECK(message("{a,b").find("'}'") != std::string::npos);
  CHECK(message("ab\\").find("lone") != std::string::npos);
  CHECK(message("ab\\\\\\").find("lone") != std::string::npos);
  CHECK_THROWS_AS(Glob("{a,[b}"), UsageError);
  // 4^6 = 4096 alternatives is too many; 4^5 = 1024 is the limit.
  CHECK_NOTHROW(Glob("{a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b,c,d}"));
  CHECK(message("{a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b,c,d}").find("alternatives") !=
        std::string::npos);
}

TEST_CASE("glob: across_segments makes each lone * a ** and leaves the rest") {
  CHECK(Glob::across_segments("train/*.jpg") == "train/**.jpg");
  CHECK(Glob::across_segments("*/*.txt") == "**/**.txt");
  CHECK(Glob::across_segments("a/**.jpg") == "");                 // already crosses
  CHECK(Glob::across_segments("a/b.jpg") == "");                  // nothing to change
  CHECK(Glob::across_segments("a\\*b/[*]c*") == "a\\*b/[*]c**");  // escaped and class stars stay
  CHECK(Glob::across_segments("[abc") == "");                     // malformed: Glob(...) says why
  CHECK(Glob(Glob::across_segments("train/*.jpg")).matches("train/x/1.jpg"));
}
