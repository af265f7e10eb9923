// Parsing of --select values; see selector.h for the grammar.
#include "plan/selector.h"

#include <fmt/format.h>

#include <charconv>

#include "core/errors.h"

namespace sparseio::plan {
namespace {

[[noreturn]] void bad(std::string_view text, std::string_view why) {
  throw UsageError(fmt::format("bad --select '{}': {}", text, why));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

uint64_t parse_index(std::string_view text, std::string_view item) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
  if (item.empty() || ec != std::errc() || p != item.data() + item.size())
    bad(text, fmt::format("row group '{}' is not a number", item));
  return v;
}

// Splits on `sep` outside [...] and {...}, so "{a,b}" stays one column pattern.
std::vector<std::string_view> split_top(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  int depth = 0;
  bool in_class = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\') {
      ++i;
    } else if (in_class) {
      if (c == ']') in_class = false;
    } else if (c == '[') {
      in_class = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && depth > 0) {
      --depth;
    } else if (c == sep && depth == 0) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

void parse_parquet(Selector& sel, std::string_view what) {
  for (std::string_view part : split_top(what, ';')) {
    part = trim(part);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos)
      bad(sel.text, fmt::format("'{}': expected columns=... or row_groups=...", part));
    std::string_view key = trim(part.substr(0, eq)), value = trim(part.substr(eq + 1));
    if (key == "columns" || key == "column") {
      for (std::string_view c : split_top(value, ',')) {
        c = trim(c);
        if (c.empty()) bad(sel.text, "an empty column name");
        sel.patterns.emplace_back(c, "--select column");
      }
    } else if (key == "row_groups" || key == "row_group" || key == "rowgroups") {
      for (std::string_view item : split_top(value, ',')) {
        item = trim(item);
        size_t dash = item.find('-');
        uint64_t a = parse_index(sel.text, dash == std::string_view::npos ? item : item.substr(0, dash));
        uint64_t b = dash == std::string_view::npos ? a : parse_index(sel.text, item.substr(dash + 1));
        if (b < a) bad(sel.text, fmt::format("row groups '{}': the end is before the start", item));
        sel.row_groups.emplace_back(a, b);
      }
    } else {
      bad(sel.text, fmt::format("unknown key '{}' (have: columns, row_groups)", key));
    }
  }
}

}  // namespace

std::string_view format_name(Format f) {
  switch (f) {
    case Format::kZip:
      return "zip";
    case Format::kTar:
      return "tar";
    case Format::kParquet:
      return "parquet";
    case Format::kSafetensors:
      return "safetensors";
  }
  return "?";
}

bool Selector::matches_name(std::string_view name) const {
  if (patterns.empty()) return true;
  for (const Glob& g : patterns)
    if (g.matches(name)) return true;
  return false;
}

bool Selector::matches_column(std::string_view path) const {
  if (patterns.empty()) return true;
  for (size_t pos = 0;;) {
    size_t dot = path.find('.', pos);
    if (matches_name(path.substr(0, dot))) return true;
    if (dot == std::string_view::npos) return false;
    pos = dot + 1;
  }
}

bool Selector::matches_row_group(uint64_t index) const {
  if (row_groups.empty()) return true;
  for (auto [a, b] : row_groups)
    if (index >= a && index <= b) return true;
  return false;
}

Selector parse_selector(std::string_view text) {
  Selector sel;
  sel.text = std::string(text);
  size_t colon = text.find(':');
  if (colon == std::string_view::npos)
    bad(text, "expected FORMAT:WHAT, e.g. zip:'train/*.jpg' (formats: zip, tar, parquet, safetensors)");
  std::string_view name = text.substr(0, colon), what = text.substr(colon + 1);
  if (name == "zip") {
    sel.format = Format::kZip;
  } else if (name == "tar") {
    sel.format = Format::kTar;
  } else if (name == "parquet") {
    sel.format = Format::kParquet;
  } else if (name == "safetensors") {
    sel.format = Format::kSafetensors;
  } else {
    bad(text, fmt::format("unknown format '{}' (have: zip, tar, parquet, safetensors)", name));
  }
  if (sel.format == Format::kParquet) {
    parse_parquet(sel, what);
  } else if (!what.empty()) {
    sel.patterns.emplace_back(what, "--select pattern");
  }
  return sel;
}

std::vector<Selector> parse_selectors(const std::vector<std::string>& texts) {
  std::vector<Selector> out;
  for (const std::string& t : texts) {
    out.push_back(parse_selector(t));
    if (out.back().format != out.front().format)
      throw UsageError(fmt::format("--select '{}' and '{}' name different formats; a file has one",
                                   out.front().text, out.back().text));
  }
  return out;
}

}  // namespace sparseio::plan
