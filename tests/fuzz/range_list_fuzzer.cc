// libFuzzer target for the range-list grammar (SPEC.md "Range lists").
//
// Input: the first line is the object size (parsed with parse_size; when
// that fails, the length of the line is used), the rest is a range list.
// The rest is parsed both as a command-line list and as a --ranges-from
// file, and every successful parse is resolved against the object size.
//
// Bugs: any exception other than sparseio::UsageError; an item that
// breaks the grammar's invariants; a resolved range that is empty, starts
// at or past the end of the object, ends past it (not clipped) or differs
// from an independent 128-bit reference computation; a start past the end
// that is not rejected.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.h"
#include "core/range_list.h"

namespace {

using sparseio::ByteRange;
using sparseio::RangeItem;
using u128 = unsigned __int128;

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "range_list_fuzzer: BUG: %s %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

// Runs f; returns false on UsageError, aborts on any other exception.
template <typename F>
bool only_usage_errors(const char* what, F&& f) {
  try {
    f();
    return true;
  } catch (const sparseio::UsageError& e) {
    if (std::string_view(e.what()).empty()) fail("empty UsageError message from", what);
    return false;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "range_list_fuzzer: %s threw a non-usage exception: %s\n", what, e.what());
    std::abort();
  } catch (...) {
    fail("unknown exception type from", what);
  }
}

void check_items(const std::vector<RangeItem>& items, std::string_view text) {
  for (const RangeItem& it : items) {
    if (it.text.empty()) fail("item with empty text");
    if (text.find(it.text) == std::string_view::npos) fail("item text not in input:", it.text);
    switch (it.kind) {
      case RangeItem::Kind::kClosed:
        if (it.b < it.a) fail("closed item with end before start:", it.text);
        break;
      case RangeItem::Kind::kFrom:
        break;
      case RangeItem::Kind::kSuffix:
        if (it.a == 0) fail("zero-length suffix item:", it.text);
        break;
      case RangeItem::Kind::kLength:
        if (it.b == 0) fail("zero-length item:", it.text);
        break;
    }
  }
}

// The reference: [begin, end) in 128 bits, before clipping.
void reference(const RangeItem& it, uint64_t size, u128& begin, u128& end) {
  switch (it.kind) {
    case RangeItem::Kind::kClosed:
      begin = it.a;
      end = u128(it.b) + 1;
      break;
    case RangeItem::Kind::kFrom:
      begin = it.a;
      end = size;
      break;
    case RangeItem::Kind::kSuffix:
      begin = it.a >= size ? 0 : size - it.a;
      end = size;
      break;
    case RangeItem::Kind::kLength:
      begin = it.a;
      end = u128(it.a) + it.b;
      break;
  }
}

void check_resolve(const std::vector<RangeItem>& items, uint64_t size) {
  bool any_bad_start = false;
  for (const RangeItem& it : items) {
    u128 begin = 0, end = 0;
    reference(it, size, begin, end);
    if (begin >= size) any_bad_start = true;
  }
  std::vector<ByteRange> ranges;
  bool ok = only_usage_errors("resolve_ranges", [&] { ranges = sparseio::resolve_ranges(items, size); });
  if (!ok) {
    if (!any_bad_start) fail("resolve_ranges rejected items that all start inside the object");
    return;
  }
  if (any_bad_start) fail("resolve_ranges accepted an item starting at or past the end");
  if (ranges.size() != items.size()) fail("resolve_ranges returned a different number of ranges");
  for (size_t i = 0; i < items.size(); ++i) {
    const ByteRange& r = ranges[i];
    if (r.empty()) fail("empty resolved range for", items[i].text);
    if (r.begin >= size || r.end > size) fail("resolved range outside the object for", items[i].text);
    u128 begin = 0, end = 0;
    reference(items[i], size, begin, end);
    if (end > size) end = size;
    if (r.begin != begin || r.end != end)
      fail("resolved range differs from the reference for", items[i].text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string_view size_line = input.substr(0, nl);
  std::string_view text = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);

  uint64_t object_size = size_line.size();
  only_usage_errors("parse_size", [&] { object_size = sparseio::parse_size(size_line); });

  std::optional<std::vector<RangeItem>> list, file;
  only_usage_errors("parse_range_list", [&] { list = sparseio::parse_range_list(text); });
  only_usage_errors("parse_range_file", [&] { file = sparseio::parse_range_file(text); });

  if (list) {
    if (list->empty()) fail("parse_range_list returned no items");
    check_items(*list, text);
    check_resolve(*list, object_size);
  }
  if (file) {
    check_items(*file, text);
    if (!file->empty()) check_resolve(*file, object_size);
  }
  // Without comments or newlines, a file is a one-line list.
  if (text.find_first_of("#\n") == std::string_view::npos) {
    if (list && (!file || *file != *list)) fail("parse_range_file disagrees with parse_range_list");
    if (!list && file && !file->empty()) fail("parse_range_file accepted what parse_range_list rejected");
  }
  return 0;
}
