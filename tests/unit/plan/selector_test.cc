// Selector grammar and glob semantics.
#include "plan/selector.h"

#include <doctest/doctest.h>

#include "core/errors.h"

using namespace sparseio;
using namespace sparseio::plan;

TEST_CASE("glob: shell semantics") {
  CHECK(Glob("train/*.jpg").matches("train/a.jpg"));
  CHECK_FALSE(Glob("train/*.jpg").matches("train/sub/a.jpg"));  // * stays in a segment
  CHECK(Glob("docs/**.md").matches("docs/a/b/c.md"));
  CHECK(Glob("docs/**/x.md").matches("docs/x.md"));  // **/ may be no directory
  CHECK(Glob("docs/**/x.md").matches("docs/a/b/x.md"));
  CHECK_FALSE(Glob("docs/**/x.md").matches("docs/ax.md"));
  CHECK(Glob("model.layers.[0-5].*").matches("model.layers.3.mlp.weight"));
  CHECK_FALSE(Glob("model.layers.[0-5].*").matches("model.layers.7.mlp.weight"));
  CHECK_FALSE(Glob("model.layers.[0-5].*").matches("model.layers.10.mlp.weight"));
  CHECK(Glob("f[!a-c]").matches("fd"));
  CHECK_FALSE(Glob("f[!a-c]").matches("fb"));
  CHECK(Glob("{a,b/c}.txt").matches("b/c.txt"));
  CHECK(Glob("a\\*b").matches("a*b"));
  CHECK_FALSE(Glob("a\\*b").matches("axb"));
  CHECK(Glob("?.c").matches("x.c"));
  CHECK_FALSE(Glob("?.c").matches("/.c"));
  CHECK(Glob("exact").literal());
  CHECK_FALSE(Glob("ex*").literal());
  // Many stars: polynomial, not exponential.
  CHECK_FALSE(Glob("*a*a*a*a*a*a*a*a*a*a*b").matches(std::string(5000, 'a')));
  CHECK_THROWS_AS(Glob("[abc"), UsageError);
  CHECK_THROWS_AS(Glob("{a,b"), UsageError);
  CHECK_THROWS_AS(Glob("a\\"), UsageError);
}

TEST_CASE("selector: formats, parquet keys, errors") {
  Selector z = parse_selector("zip:train/*.jpg");
  CHECK(z.format == Format::kZip);
  CHECK(z.matches_name("train/x.jpg"));
  CHECK(parse_selector("tar:").matches_name("anything/at/all"));
  Selector p = parse_selector("parquet:columns=price,user.address;row_groups=0-3,7");
  CHECK(p.format == Format::kParquet);
  CHECK(p.matches_column("price"));
  CHECK(p.matches_column("user.address.city"));  // a prefix takes the leaves below
  CHECK_FALSE(p.matches_column("user.name"));
  CHECK_FALSE(p.matches_column("prices"));
  CHECK(p.matches_row_group(3));
  CHECK(p.matches_row_group(7));
  CHECK_FALSE(p.matches_row_group(5));
  CHECK(parse_selector("parquet:").matches_column("x"));
  CHECK_THROWS_WITH_AS(parse_selector("rar:x"), doctest::Contains("unknown format 'rar'"), UsageError);
  CHECK_THROWS_WITH_AS(parse_selector("zip"), doctest::Contains("expected FORMAT:WHAT"), UsageError);
  CHECK_THROWS_WITH_AS(parse_selector("parquet:row_groups=3-1"), doctest::Contains("before the start"),
                       UsageError);
  CHECK_THROWS_WITH_AS(parse_selector("parquet:rows=1"), doctest::Contains("unknown key 'rows'"), UsageError);
  CHECK_THROWS_WITH_AS(parse_selectors({"zip:a", "tar:b"}), doctest::Contains("different formats"),
                       UsageError);
}
