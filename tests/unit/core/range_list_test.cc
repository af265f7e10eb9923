// Range-list grammar of SPEC.md: items, suffixes, separators, comments,
// errors that quote the offending item, clipping, and a randomized property
// test against a brute-force model.
#include "core/range_list.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/errors.h"

using sparseio::ByteRange;
using sparseio::parse_range_file;
using sparseio::parse_range_list;
using sparseio::parse_size;
using sparseio::RangeItem;
using sparseio::resolve_ranges;
using sparseio::UsageError;

namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

std::vector<ByteRange> list(std::string_view text, uint64_t size) {
  return resolve_ranges(parse_range_list(text), size);
}

// The UsageError message of f(), or "" when it did not throw UsageError.
template <typename F>
std::string usage_error_of(F&& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

void check_list_error(const std::string& text, uint64_t size, const std::string& quoted) {
  CAPTURE(text);
  std::string msg = usage_error_of([&] { list(text, size); });
  REQUIRE_MESSAGE(!msg.empty(), "no UsageError for \"" << text << "\"");
  CHECK_MESSAGE(msg.find("\"" + quoted + "\"") != std::string::npos, msg);
}

struct SuffixCase {
  const char* name;
  uint64_t mult;
};
constexpr uint64_t kKi = 1024;
const SuffixCase kSuffixes[] = {
    {"", 1},
    {"K", kKi},
    {"k", kKi},
    {"KiB", kKi},
    {"KB", 1000},
    {"kB", 1000},
    {"M", kKi* kKi},
    {"MiB", kKi* kKi},
    {"MB", 1000000},
    {"G", kKi* kKi* kKi},
    {"GiB", kKi* kKi* kKi},
    {"GB", 1000000000},
    {"T", kKi* kKi* kKi* kKi},
    {"TiB", kKi* kKi* kKi* kKi},
    {"TB", 1000000000000},
};
// Plausible-looking suffixes that SPEC does not define.
const char* const kUnknownSuffixes[] = {"X", "m", "Kb", "kiB", "KIB", "PiB", "P", "MiBs", "i", "KK"};

}  // namespace

TEST_CASE("the four item forms resolve as SPEC says") {
  const uint64_t size = 10000;
  CHECK(list("0-99", size) == std::vector<ByteRange>{{0, 100}});
  CHECK(list("5-5", size) == std::vector<ByteRange>{{5, 6}});
  CHECK(list("9000-", size) == std::vector<ByteRange>{{9000, size}});
  CHECK(list("-64", size) == std::vector<ByteRange>{{size - 64, size}});
  CHECK(list("100+50", size) == std::vector<ByteRange>{{100, 150}});
  CHECK(list("9999-9999", size) == std::vector<ByteRange>{{9999, 10000}});
  // Order is kept and nothing is merged at this level.
  CHECK(list("200-299,0-9,0-9", size) == std::vector<ByteRange>{{200, 300}, {0, 10}, {0, 10}});
  auto items = parse_range_list("1-2 3- -4 5+6");
  REQUIRE(items.size() == 4);
  CHECK(items[0] == RangeItem{RangeItem::Kind::kClosed, 1, 2, "1-2"});
  CHECK(items[1] == RangeItem{RangeItem::Kind::kFrom, 3, 0, "3-"});
  CHECK(items[2] == RangeItem{RangeItem::Kind::kSuffix, 4, 0, "-4"});
  CHECK(items[3] == RangeItem{RangeItem::Kind::kLength, 5, 6, "5+6"});
}

TEST_CASE("every SPEC suffix has its dd/GNU value, in every position") {
  for (const SuffixCase& s : kSuffixes) {
    CAPTURE(s.name);
    std::string n = std::string("3") + s.name;
    CHECK(parse_size(n) == 3 * s.mult);
    const uint64_t size = 50 * s.mult + 7;
    CHECK(list(n + "-", size) == std::vector<ByteRange>{{3 * s.mult, size}});
    CHECK(list("1-" + n, size) == std::vector<ByteRange>{{1, 3 * s.mult + 1}});
    CHECK(list("-" + n, size) == std::vector<ByteRange>{{size - 3 * s.mult, size}});
    CHECK(list("2+" + n, size) == std::vector<ByteRange>{{2, 2 + 3 * s.mult}});
  }
  CHECK(parse_size("64KiB") == 65536);
  CHECK(parse_size("1MB") == 1000000);
  CHECK(parse_size("0") == 0);
  CHECK(parse_size("007") == 7);
  CHECK(parse_size("18446744073709551615") == kMax);
  CHECK(parse_size("16777215T") == 16777215 * (kKi * kKi * kKi * kKi));
}

TEST_CASE("separators: commas, whitespace, newlines, in any mix") {
  const std::vector<ByteRange> want{{0, 2}, {10, 12}, {20, 22}, {30, 32}};
  for (const char* text :
       {"0-1,10-11,20-21,30-31", "0-1 10-11 20-21 30-31", "0-1\n10-11\n20-21\n30-31\n",
        " \t0-1 ,\t10-11\r\n20-21 ,\n30-31  ", "0-1, 10-11 20-21,\n30-31", "0-1\n,10-11,\n20-21\n\n30-31"}) {
    CAPTURE(text);
    CHECK(list(text, 100) == want);
  }
}

TEST_CASE("comments are allowed in range files only") {
  const std::string file = "# footer and two column chunks\n-64KiB   # footer\n\n  4K+4K,0-9 # two\n# end";
  auto items = parse_range_file(file);
  CHECK(resolve_ranges(items, 1 << 20) ==
        std::vector<ByteRange>{{(1 << 20) - 65536, 1 << 20}, {4096, 8192}, {0, 10}});
  CHECK(parse_range_file("").empty());
  CHECK(parse_range_file("# nothing\n\n   \n").empty());
  // A comma inside a comment does not count as an empty item.
  CHECK(parse_range_file("0-1 # a,,b,\n2-3").size() == 2);
  // On the command line '#' is not a comment marker.
  CHECK(!usage_error_of([] { parse_range_list("0-1 # c"); }).empty());
  CHECK(!usage_error_of([] { parse_range_list("0-1#c"); }).empty());
  CHECK(!usage_error_of([] { parse_range_list(""); }).empty());
  CHECK(!usage_error_of([] { parse_range_list(" \n "); }).empty());
}

TEST_CASE("ends past the object are clipped, as HTTP does") {
  CHECK(list("0-999999", 1000) == std::vector<ByteRange>{{0, 1000}});
  CHECK(list("990+100", 1000) == std::vector<ByteRange>{{990, 1000}});
  CHECK(list("-5000", 1000) == std::vector<ByteRange>{{0, 1000}});
  CHECK(list("0-18446744073709551615", 1000) == std::vector<ByteRange>{{0, 1000}});
  CHECK(list("1+18446744073709551615", 1000) == std::vector<ByteRange>{{1, 1000}});
  CHECK(list("999-", 1000) == std::vector<ByteRange>{{999, 1000}});
  CHECK(list("0-", kMax) == std::vector<ByteRange>{{0, kMax}});
}

TEST_CASE("each error of SPEC is a UsageError quoting the item") {
  // Start at or past the end of the object.
  check_list_error("0-9,1000-1005", 1000, "1000-1005");
  check_list_error("1000-", 1000, "1000-");
  check_list_error("2000+1", 1000, "2000+1");
  check_list_error("1K-", 1000, "1K-");
  check_list_error("-1", 0, "-1");
  check_list_error("0-0", 0, "0-0");
  // B < A.
  check_list_error("0-1 10-9", 1000, "10-9");
  check_list_error("2K-1K", 10000, "2K-1K");
  // Unknown suffix.
  for (const char* bad : kUnknownSuffixes)
    check_list_error(std::string("1") + bad + "-", 1 << 30, std::string("1") + bad + "-");
  check_list_error("0-5X", 1000, "0-5X");
  check_list_error("-5q", 1000, "-5q");
  check_list_error("1+2z", 1000, "1+2z");
  // A number that does not fit in 64 bits, directly or through its suffix.
  check_list_error("18446744073709551616-", kMax, "18446744073709551616-");
  check_list_error("0-99999999999999999999999", kMax, "0-99999999999999999999999");
  check_list_error("16777216T-", kMax, "16777216T-");
  check_list_error("0+18446744073709552KB", kMax, "0+18446744073709552KB");
  check_list_error("-17592186044416M", kMax, "-17592186044416M");
  // Zero length.
  check_list_error("5+0", 1000, "5+0");
  check_list_error("-0", 1000, "-0");
  check_list_error("-0K", 1000, "-0K");
  // Not an item at all.
  check_list_error("0-1 hello", 1000, "hello");
  check_list_error("42", 1000, "42");
  check_list_error("+5", 1000, "+5");
  check_list_error("-", 1000, "-");
  check_list_error("1-2-3", 1000, "1-2-3");
  check_list_error("1+2+3", 1000, "1+2+3");
  // The error is the first bad item in order, even when a later one is bad too.
  check_list_error("0-1,5X-,7-6", 1000, "5X-");
}

TEST_CASE("an empty list item is a UsageError that quotes the list") {
  for (const char* text : {"1-2,,3-4", "1-2,", ",1-2", "1-2, ,3-4", "1-2,\t,\n3-4", ",", "1-2 ,"}) {
    CAPTURE(text);
    std::string msg = usage_error_of([&] { parse_range_list(text); });
    REQUIRE(!msg.empty());
    CHECK(msg.find("empty") != std::string::npos);
    std::string quoted = std::string("\"") + text + "\"";
    for (char& ch : quoted)
      if (ch == '\n') ch = ' ';  // SPEC: every error is one line
    CHECK_MESSAGE(msg.find(quoted) != std::string::npos, msg);
    CHECK(msg.find('\n') == std::string::npos);
  }
  std::string msg = usage_error_of([] { parse_range_file("0-1\n5-6,,7-8 # x\n"); });
  CHECK(msg.find("empty") != std::string::npos);
  CHECK(msg.find("5-6,,7-8") != std::string::npos);
  CHECK(usage_error_of([] { parse_range_list("\n\n"); }).find('\n') == std::string::npos);
}

TEST_CASE("a range file follows the same grammar as a list: commas may meet line breaks") {
  const std::vector<ByteRange> want{{0, 10}, {20, 30}};
  for (std::string text : {"0-9,\n20-29", "0-9\n,20-29", "0-9\n,\n20-29", "0-9 ,\r\n20-29\r\n"}) {
    CAPTURE(text);
    CHECK(resolve_ranges(parse_range_file(text), 100) == want);
    CHECK(resolve_ranges(parse_range_list(text), 100) == want);
  }
  CHECK(resolve_ranges(parse_range_file("0-9,  # first\n\n# gap\n  20-29\n"), 100) == want);
  for (std::string text : {"0-9,\n", ",0-9", "0-9,\n# only a comment\n", "0-9,\n,20-29", "0-9\n,,20-29"}) {
    CAPTURE(text);
    std::string msg = usage_error_of([&] { parse_range_file(text); });
    CHECK(msg.find("empty") != std::string::npos);
    CHECK(msg.find('\n') == std::string::npos);
  }
}

TEST_CASE("parse_size errors name what is being parsed") {
  std::string msg = usage_error_of([] { parse_size("12Q", "--chunk-size"); });
  CHECK(msg.find("--chunk-size") != std::string::npos);
  CHECK(msg.find("\"12Q\"") != std::string::npos);
  CHECK(!usage_error_of([] { parse_size(""); }).empty());
  CHECK(!usage_error_of([] { parse_size("K"); }).empty());
  CHECK(!usage_error_of([] { parse_size("18446744073709551616"); }).empty());
  CHECK(!usage_error_of([] { parse_size("17179869184G"); }).empty());
}

// ---------------------------------------------------------------------------
// Property test: random lists in random syntax against a brute-force model.

namespace {

struct GenNumber {
  std::string text;
  bool bad = false;  // unknown suffix or does not fit in 64 bits
  uint64_t value = 0;
};

struct Gen {
  std::mt19937_64 rng;
  explicit Gen(uint64_t seed) : rng(seed) {}
  uint64_t below(uint64_t n) { return n == 0 ? 0 : std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); }
  bool chance(unsigned percent) { return below(100) < percent; }

  // A number around [0, hint], sometimes with a suffix, rarely invalid.
  GenNumber number(uint64_t hint) {
    GenNumber n;
    if (chance(2)) {  // too many digits
      n.text = std::to_string(below(9) + 1) + std::to_string(kMax) + std::to_string(below(10));
      n.bad = true;
      return n;
    }
    const SuffixCase& s = chance(55) ? kSuffixes[0] : kSuffixes[below(std::size(kSuffixes))];
    uint64_t base;
    if (s.mult > 1 && chance(3)) {  // the suffix pushes it past 64 bits
      base = kMax / s.mult + 1 + below(1000);
      n.bad = true;
    } else if (chance(3)) {
      base = kMax / s.mult - below(3);
    } else {
      base = below(hint / s.mult + 2);
    }
    n.text = (chance(5) ? "0" : "") + std::to_string(base) + s.name;
    if (chance(3)) {
      n.text = std::to_string(base) + kUnknownSuffixes[below(std::size(kUnknownSuffixes))];
      n.bad = true;
    }
    if (!n.bad) n.value = base * s.mult;
    return n;
  }
};

struct Expected {
  std::optional<std::string> error_item;  // the item to quote; "" for an empty list item
  std::vector<ByteRange> ranges;
};

struct Case {
  std::string text;
  uint64_t size = 0;
  Expected want;
};

// Builds one item, appends its text, and updates the model.
void add_item(Gen& g, uint64_t size, std::string& text, Expected& want, bool& parse_failed,
              std::optional<std::string>& resolve_error) {
  const uint64_t hint = size + size / 4 + 16;
  const int kind = static_cast<int>(g.below(4));
  std::string item;
  bool bad = false;
  unsigned __int128 begin = 0, end = 0;  // end exclusive, before clipping
  if (kind == 0) {                       // A-B
    GenNumber a = g.number(hint);
    GenNumber b = g.number(hint);
    if (!a.bad && !b.bad && b.value < a.value && g.chance(70)) std::swap(a, b);
    item = a.text + "-" + b.text;
    bad = a.bad || b.bad || b.value < a.value;
    begin = a.value;
    end = static_cast<unsigned __int128>(b.value) + 1;
  } else if (kind == 1) {  // A-
    GenNumber a = g.number(hint);
    item = a.text + "-";
    bad = a.bad;
    begin = a.value;
    end = size;
  } else if (kind == 2) {  // -N
    GenNumber n = g.number(hint);
    item = "-" + n.text;
    bad = n.bad || n.value == 0;
    begin = n.value >= size ? 0 : size - n.value;
    end = size;
  } else {  // A+N
    GenNumber a = g.number(hint);
    GenNumber n = g.number(hint / 2 + 1);
    item = a.text + "+" + n.text;
    bad = a.bad || n.bad || n.value == 0;
    begin = a.value;
    end = static_cast<unsigned __int128>(a.value) + n.value;
  }
  text += item;
  if (parse_failed) return;
  if (bad) {
    parse_failed = true;
    want.error_item = item;
    return;
  }
  if (begin >= size) {
    if (!resolve_error) resolve_error = item;
    return;
  }
  want.ranges.push_back(
      {static_cast<uint64_t>(begin), static_cast<uint64_t>(std::min<unsigned __int128>(end, size))});
}

Case make_case(Gen& g, bool file_mode) {
  static const char* const kSeps[] = {",",   " ",    "\n",   "\t",   ", ", " , ",
                                      ",\n", "\n\n", " \t ", "\r\n", "\n,"};
  static const char* const kEmpty[] = {",,", ", ,", ",\t,", " ,, "};
  Case c;
  uint64_t& size = c.size;
  switch (g.below(5)) {
    case 0:
      size = g.below(3);
      break;
    case 1:
      size = g.below(5000);
      break;
    case 2:
      size = g.below(uint64_t{1} << 42);
      break;
    case 3:
      size = kMax - g.below(5);
      break;
    default:
      size = g.below(1 << 20);
      break;
  }
  bool parse_failed = false;
  std::optional<std::string> resolve_error;
  auto empty_item = [&] {
    if (!parse_failed) {
      parse_failed = true;
      c.want.error_item = "";
    }
  };
  if (g.chance(20)) c.text += g.chance(50) ? " " : "\n ";
  if (g.chance(2)) {
    c.text += ",";
    empty_item();
  }
  const uint64_t n = 1 + g.below(6);
  for (uint64_t i = 0; i < n; ++i) {
    add_item(g, size, c.text, c.want, parse_failed, resolve_error);
    if (i + 1 == n) break;
    if (g.chance(3)) {
      c.text += kEmpty[g.below(std::size(kEmpty))];
      empty_item();
    } else if (file_mode && g.chance(15)) {
      c.text += g.chance(50) ? " # note, with,, commas 5X-\n" : "  #\n# whole line\n";
    } else {
      c.text += kSeps[g.below(std::size(kSeps))];
    }
  }
  if (g.chance(3)) {
    c.text += ",";
    empty_item();
  } else if (g.chance(20)) {
    c.text += file_mode && g.chance(50) ? "  # trailing comment" : "\n";
  }
  if (!parse_failed && resolve_error) c.want.error_item = resolve_error;
  if (c.want.error_item) c.want.ranges.clear();
  return c;
}

void run_property(uint64_t seed, bool file_mode, int cases) {
  Gen g(seed);
  int errors = 0, oks = 0;
  for (int i = 0; i < cases; ++i) {
    const Case c = make_case(g, file_mode);
    std::optional<std::string> error;
    std::vector<ByteRange> got;
    try {
      got = resolve_ranges(file_mode ? parse_range_file(c.text) : parse_range_list(c.text), c.size);
    } catch (const UsageError& e) {
      error = e.what();
    }
    INFO("seed ", seed, " case ", i, " size ", c.size, " text \"", c.text, "\"");
    if (c.want.error_item) {
      ++errors;
      REQUIRE_MESSAGE(error.has_value(), "expected a UsageError about \"" << *c.want.error_item << "\"");
      CHECK(error->find('\n') == std::string::npos);
      if (c.want.error_item->empty()) {
        CHECK_MESSAGE(error->find("empty list item") != std::string::npos, *error);
      } else {
        CHECK_MESSAGE(error->find("\"" + *c.want.error_item + "\"") != std::string::npos, *error);
      }
    } else {
      ++oks;
      REQUIRE_MESSAGE(!error.has_value(), *error);
      CHECK(got == c.want.ranges);
    }
  }
  // The generator must exercise both outcomes substantially.
  CHECK(errors > cases / 10);
  CHECK(oks > cases / 4);
}

}  // namespace

TEST_CASE("property: random command-line lists match the brute-force model") {
  for (uint64_t seed : {1, 2, 3}) run_property(seed, false, 2000);
}

TEST_CASE("property: random range files match the brute-force model") {
  for (uint64_t seed : {11, 12, 13}) run_property(seed, true, 2000);
}

TEST_CASE("numbers may be hexadecimal, with or without a size suffix") {
  CHECK(list("0x1000+4K", 1 << 20) == std::vector<ByteRange>{{0x1000, 0x1000 + 4096}});
  CHECK(list("0X10-0x1f", 100) == std::vector<ByteRange>{{16, 32}});
  CHECK(list("0xAbC-", 5000) == std::vector<ByteRange>{{0xabc, 5000}});
  CHECK(parse_size("0x10K") == 16 * 1024);
  CHECK(usage_error_of([] { parse_range_list("0x-5"); }).find("0x") != std::string::npos);
  CHECK(usage_error_of([] { parse_range_list("0x1g-5"); }).find("suffix") != std::string::npos);
  CHECK(usage_error_of([] { parse_range_list("0x10000000000000000-"); }).find("64 bits") !=
        std::string::npos);
}

TEST_CASE("a range file error names the line of the bad item") {
  CHECK(usage_error_of([] {
          parse_range_file("0-1\n# c\n\n2-3 foo\n");
        }).starts_with("4: bad range item \"foo\""));
  CHECK(usage_error_of([] { parse_range_file("bad\n"); }).starts_with("1: "));
  // Lines joined by a comma: the item's own line, not the first one.
  CHECK(usage_error_of([] { parse_range_file("0-1,\n2-3,\nzz\n"); }).starts_with("3: "));
  CHECK(usage_error_of([] { parse_range_list("zz"); }).starts_with("bad range item"));
}
