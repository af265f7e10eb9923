#include "core/range_list.h"

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <functional>
#include <limits>
#include <utility>

#include "core/errors.h"

namespace sparseio {
namespace {

struct Suffix {
  std::string_view name;
  uint64_t multiplier;
};

constexpr uint64_t kKi = 1024, kK = 1000;
// dd/GNU convention: K = KiB = 1024, KB = 1000 (dd also spells it kB).
constexpr std::array<Suffix, 14> kSuffixes{{
    {"K", kKi},
    {"k", kKi},
    {"KiB", kKi},
    {"KB", kK},
    {"kB", kK},
    {"M", kKi* kKi},
    {"MiB", kKi* kKi},
    {"MB", kK* kK},
    {"G", kKi* kKi* kKi},
    {"GiB", kKi* kKi* kKi},
    {"GB", kK* kK* kK},
    {"T", kKi* kKi* kKi* kKi},
    {"TiB", kKi* kKi* kKi* kKi},
    {"TB", kK* kK* kK* kK},
}};

// "bad LABEL "ITEM": WHY"; user text in `why` must be excerpted by the caller.
[[noreturn]] void bad_item(std::string_view item, std::string_view why,
                           std::string_view label = "range item") {
  throw UsageError(fmt::format("bad {} \"{}\": {}", label, message_excerpt(item), why));
}

// Parses a SIZE inside range item `item`; reports errors against the item
// as a `label` ("range item", or an option name).
uint64_t parse_size_in(std::string_view text, std::string_view item, std::string_view label = "range item") {
  auto bad = [&](std::string_view why) { bad_item(item, why, label); };
  if (text.empty()) bad("missing number");
  // 0x1000: offsets pasted from hex dumps and format specifications.
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const uint64_t base = hex ? 16 : 10;
  auto digit = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (hex && c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (hex && c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  size_t digits = hex ? 2 : 0;
  uint64_t value = 0;
  bool overflow = false;
  while (digits < text.size() && digit(text[digits]) >= 0) {
    uint64_t d = static_cast<uint64_t>(digit(text[digits]));
    if (value > (std::numeric_limits<uint64_t>::max() - d) / base) overflow = true;
    value = value * base + d;
    ++digits;
  }
  if (digits == (hex ? 2u : 0u)) bad(fmt::format("\"{}\" is not a number", message_excerpt(text, 40)));
  if (overflow) bad(fmt::format("{} does not fit in 64 bits", message_excerpt(text.substr(0, digits), 40)));
  std::string_view suffix = text.substr(digits);
  if (suffix.empty()) return value;
  for (const Suffix& s : kSuffixes) {
    if (s.name != suffix) continue;
    if (value > std::numeric_limits<uint64_t>::max() / s.multiplier)
      bad(fmt::format("{} does not fit in 64 bits", message_excerpt(text, 40)));
    return value * s.multiplier;
  }
  bad(fmt::format("unknown size suffix \"{}\" (use K, M, G, T, KiB..., KB...)", message_excerpt(suffix, 40)));
  std::abort();  // not reached: bad() throws
}

RangeItem parse_item(std::string_view item) {
  RangeItem r;
  r.text = std::string(item);
  if (size_t plus = item.find('+'); plus != std::string_view::npos) {
    r.kind = RangeItem::Kind::kLength;
    r.a = parse_size_in(item.substr(0, plus), item);
    r.b = parse_size_in(item.substr(plus + 1), item);
    if (r.b == 0) bad_item(item, "length is zero");
    return r;
  }
  size_t dash = item.find('-');
  if (dash == std::string_view::npos) bad_item(item, "expected A-B, A-, -N or A+N");
  if (dash == 0) {
    r.kind = RangeItem::Kind::kSuffix;
    r.a = parse_size_in(item.substr(1), item);
    if (r.a == 0) bad_item(item, "suffix length is zero");
    return r;
  }
  r.a = parse_size_in(item.substr(0, dash), item);
  if (dash + 1 == item.size()) {
    r.kind = RangeItem::Kind::kFrom;
    return r;
  }
  r.kind = RangeItem::Kind::kClosed;
  r.b = parse_size_in(item.substr(dash + 1), item);
  if (r.b < r.a) bad_item(item, fmt::format("end {} is before start {}", r.b, r.a));
  return r;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// The list as quoted in an error message, which must stay on one line.
std::string one_line(std::string_view text) { return message_excerpt(text); }

// Maps an offset in a logical line to the line number of the range file it
// came from (nullptr on the command line, where there are no lines).
using LineOf = std::function<size_t(size_t offset)>;

// Splits on commas; each comma-separated field must hold at least one
// whitespace-separated item, so "1-2,,3-4" and a trailing comma are errors.
void parse_line(std::string_view text, std::vector<RangeItem>& out, const LineOf& line_of = nullptr) {
  auto at_line = [&](size_t offset, const UsageError& e) -> UsageError {
    if (!line_of) return e;
    return UsageError(fmt::format("{}: {}", line_of(offset), e.what()));
  };
  size_t field_start = 0;
  while (true) {
    size_t comma = text.find(',', field_start);
    std::string_view field = text.substr(
        field_start, comma == std::string_view::npos ? std::string_view::npos : comma - field_start);
    bool any = false;
    size_t i = 0;
    while (i < field.size()) {
      while (i < field.size() && is_space(field[i])) ++i;
      size_t start = i;
      while (i < field.size() && !is_space(field[i])) ++i;
      if (i > start) {
        try {
          out.push_back(parse_item(field.substr(start, i - start)));
        } catch (const UsageError& e) {
          throw at_line(field_start + start, e);
        }
        any = true;
      }
    }
    bool only_field = field_start == 0 && comma == std::string_view::npos;
    if (!any && !only_field) {
      throw at_line(comma == std::string_view::npos ? field_start : comma,
                    UsageError(fmt::format("bad range list \"{}\": empty list item", one_line(text))));
    }
    if (comma == std::string_view::npos) break;
    field_start = comma + 1;
  }
}

}  // namespace

uint64_t parse_size(std::string_view text, std::string_view what) { return parse_size_in(text, text, what); }

std::vector<RangeItem> parse_range_list(std::string_view text) {
  std::vector<RangeItem> out;
  parse_line(text, out);
  if (out.empty()) throw UsageError(fmt::format("bad range list \"{}\": no ranges in it", one_line(text)));
  return out;
}

std::vector<RangeItem> parse_range_file(std::string_view text) {
  std::vector<RangeItem> out;
  // A comma at a line break separates like anywhere else ("0-9,\n20-29"), so
  // lines that meet at a comma are parsed as one (joined with a space, which
  // keeps error messages on one line).
  std::string logical;
  // Where each physical line starts in `logical`, and its number (1-based).
  std::vector<std::pair<size_t, size_t>> starts;
  auto line_of = [&](size_t offset) {
    size_t line = starts.empty() ? 1 : starts.front().second;
    for (const auto& [at, number] : starts)
      if (at <= offset) line = number;
    return line;
  };
  size_t pos = 0, number = 0;
  while (pos <= text.size()) {
    ++number;
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
    if (!line.empty()) {
      if (!logical.empty() && (logical.back() == ',' || line.front() == ',')) {
        logical += ' ';
        starts.emplace_back(logical.size(), number);
        logical += line;
      } else {
        if (!logical.empty()) parse_line(logical, out, line_of);
        logical = line;
        starts.assign(1, {0, number});
      }
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  if (!logical.empty()) parse_line(logical, out, line_of);
  return out;
}

std::vector<ByteRange> resolve_ranges(const std::vector<RangeItem>& items, uint64_t object_size) {
  std::vector<ByteRange> out;
  out.reserve(items.size());
  for (const RangeItem& item : items) {
    uint64_t begin = 0, end = 0;  // end exclusive, may exceed object_size before clipping
    switch (item.kind) {
      case RangeItem::Kind::kClosed:
        begin = item.a;
        end = item.b == std::numeric_limits<uint64_t>::max() ? item.b : item.b + 1;
        break;
      case RangeItem::Kind::kFrom:
        begin = item.a;
        end = object_size;
        break;
      case RangeItem::Kind::kSuffix:
        begin = item.a >= object_size ? 0 : object_size - item.a;
        end = object_size;
        if (object_size == 0) bad_item(item.text, "the object is empty");
        break;
      case RangeItem::Kind::kLength:
        begin = item.a;
        end = item.b > std::numeric_limits<uint64_t>::max() - item.a ? std::numeric_limits<uint64_t>::max()
                                                                     : item.a + item.b;
        break;
    }
    if (begin >= object_size)
      bad_item(item.text,
               fmt::format("start {} is at or past the end of the object ({} bytes)", begin, object_size));
    out.push_back({begin, std::min(end, object_size)});
  }
  return out;
}

}  // namespace sparseio
