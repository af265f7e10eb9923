// Every pattern of every --select must match something; the message names it
// and the closest names the file has.
#include "plan/selector_match.h"

#include <doctest/doctest.h>

#include "core/errors.h"

using namespace sparseio;
using namespace sparseio::plan;

TEST_CASE("edit distance: insertions, deletions, substitutions") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("qty", "quantity") == 5);
  CHECK(edit_distance("price", "prices") == 1);
  CHECK(edit_distance("flaw", "lawn") == 2);
  CHECK(edit_distance("fecth", "fetch") == 2);  // a swap is two edits (the CLI's typo suggestions)
  CHECK(edit_distance("same", "same") == 0);
}

TEST_CASE("closest names: nearest first, ties by name, no duplicates") {
  const std::vector<std::string> names{"id", "price", "qty", "name", "prices", "price"};
  CHECK(closest_names("pricee", names, 2) == std::vector<std::string>{"price", "prices"});
  CHECK(closest_names("x", {}, 3).empty());
  // A glob: its literal start against the names' starts.
  const std::vector<std::string> members{"README.txt", "val/img000.jpg", "train/img000.jpg",
                                         "train/img001.jpg"};
  CHECK(closest_names("trian/**", members, 2) ==
        std::vector<std::string>{"train/img000.jpg", "train/img001.jpg"});
  CHECK(closest_names("a", {"b", "c", "d", "e"}, 3) == std::vector<std::string>{"b", "c", "d"});
}

TEST_CASE("a column that the file does not have is a usage error naming it and the closest") {
  const std::vector<std::string> cols{"id", "price", "qty", "name"};
  check_selectors_match({parse_selector("parquet:columns=price,qty")}, cols, NameKind::kColumn);
  CHECK_THROWS_WITH_AS(
      check_selectors_match({parse_selector("parquet:columns=price,quantity")}, cols, NameKind::kColumn),
      "--select 'parquet:columns=price,quantity': no column matches 'quantity' (closest columns: qty, id, "
      "name)",
      UsageError);
  // A dotted prefix takes the leaves below it; a glob counts when it matches one.
  check_selectors_match({parse_selector("parquet:columns=user;row_groups=0")}, {"user.name", "id"},
                        NameKind::kColumn);
  check_selectors_match({parse_selector("parquet:columns=p*")}, cols, NameKind::kColumn);
  CHECK_THROWS_AS(check_selectors_match({parse_selector("parquet:columns=z*")}, cols, NameKind::kColumn),
                  UsageError);
}

TEST_CASE("a * glob that misses members in subfolders suggests **, only when that matches") {
  const std::vector<std::string> members{"train/x/1.jpg", "top.jpg"};
  CHECK_THROWS_WITH_AS(
      check_selectors_match({parse_selector("zip:train/*.jpg")}, members, NameKind::kMember),
      "--select 'zip:train/*.jpg': no member matches 'train/*.jpg'; `*` does not cross `/`: did you mean "
      "'zip:train/**.jpg'?",
      UsageError);
  CHECK_THROWS_WITH_AS(
      check_selectors_match({parse_selector("tar:nosuch/*.jpg")}, members, NameKind::kMember),
      doctest::Contains("(closest members:"), UsageError);
}

TEST_CASE("a comma before row_groups= is caught and ';' suggested") {
  const std::vector<std::string> cols{"price", "qty"};
  CHECK_THROWS_WITH_AS(check_selectors_match({parse_selector("parquet:columns=price,qty,row_groups=1")}, cols,
                                             NameKind::kColumn),
                       doctest::Contains("'row_groups=1' is not a column: separate keys with ';'"),
                       UsageError);
}

TEST_CASE("every --select must match: a second one naming nothing is an error") {
  const std::vector<std::string> members{"train/a.jpg", "val/b.jpg"};
  check_selectors_match({parse_selector("zip:train/**"), parse_selector("zip:val/*")}, members,
                        NameKind::kMember);
  CHECK_THROWS_WITH_AS(
      check_selectors_match({parse_selector("zip:train/**"), parse_selector("zip:nosuch/**")}, members,
                            NameKind::kMember),
      doctest::Contains("--select 'zip:nosuch/**': no member matches 'nosuch/**'"), UsageError);
  // An empty WHAT takes everything and needs nothing to match.
  check_selectors_match({parse_selector("tar:")}, {}, NameKind::kMember);
  CHECK_THROWS_WITH_AS(check_selectors_match({parse_selector("safetensors:w")}, {}, NameKind::kTensor),
                       doctest::Contains("the file has no tensors"), UsageError);
  // Tensor names are one segment: '*' crosses their dots.
  check_selectors_match({parse_selector("safetensors:model.*.w")}, {"model.layers.0.w"}, NameKind::kTensor);
}
