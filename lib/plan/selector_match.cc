// See selector_match.h.
#include "plan/selector_match.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "core/errors.h"

namespace sparseio::plan {
namespace {

std::string_view kind_name(NameKind k) {
  switch (k) {
    case NameKind::kMember:
      return "member";
    case NameKind::kTensor:
      return "tensor";
    case NameKind::kColumn:
      return "column";
  }
  return "name";
}

bool pattern_matches(const Glob& g, std::string_view name, NameKind kind) {
  if (kind != NameKind::kColumn) return g.matches(name);
  for (size_t pos = 0;;) {  // the column path or one of its dotted prefixes
    size_t dot = name.find('.', pos);
    if (g.matches(name.substr(0, dot))) return true;
    if (dot == std::string_view::npos) return false;
    pos = dot + 1;
  }
}

// "row_groups=1" or "columns=x" read as a column name: the user separated
// keys with ',' instead of ';'.
bool looks_like_a_key(std::string_view pattern) {
  const size_t eq = pattern.find('=');
  if (eq == std::string_view::npos) return false;
  const std::string_view key = pattern.substr(0, eq);
  return key == "row_groups" || key == "row_group" || key == "rowgroups" || key == "columns" ||
         key == "column";
}

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];  // row[i-1][j-1]
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::vector<std::string> closest_names(std::string_view want, const std::vector<std::string>& names,
                                       size_t max) {
  std::vector<std::pair<size_t, std::string_view>> scored;
  scored.reserve(names.size());
  // A glob's literal part is compared with the names' starts as well:
  // "trian/**" is near "train/img000.jpg" by its "trian/" (2 edits), not by
  // the whole (13), which made README.txt look closer.
  const std::string_view literal = want.substr(0, want.find_first_of("*?[{\\"));
  for (const std::string& n : names) {
    size_t d = edit_distance(want, n);
    if (literal.size() < want.size() && !literal.empty())
      for (size_t len : {literal.size() - 1, literal.size(), literal.size() + 1})
        d = std::min(d, edit_distance(literal, std::string_view(n).substr(0, len)));
    scored.emplace_back(d, n);
  }
  std::sort(scored.begin(), scored.end());
  scored.erase(std::unique(scored.begin(), scored.end()), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && out.size() < max; ++i) out.emplace_back(scored[i].second);
  return out;
}

void check_selectors_match(const std::vector<Selector>& selectors, const std::vector<std::string>& names,
                           NameKind kind) {
  for (const Selector& s : selectors) {
    for (const Glob& g : s.patterns) {
      const bool found = std::any_of(names.begin(), names.end(),
                                     [&](const std::string& n) { return pattern_matches(g, n, kind); });
      if (found) continue;
      const std::string_view what = kind_name(kind);
      if (kind == NameKind::kColumn && looks_like_a_key(g.text()))
        throw UsageError(
            fmt::format("--select '{}': '{}' is not a column: separate keys with ';', as in "
                        "parquet:columns=a,b;row_groups=0-3",
                        s.text, g.text()));
      // "train/*.jpg" for members in train/x/: `*` stays within one path
      // segment; hint at the `**` version, but only when it would match.
      if (kind == NameKind::kMember) {
        const std::string across = Glob::across_segments(g.text());
        if (!across.empty()) {
          const Glob wide(across, "--select pattern");
          if (std::any_of(names.begin(), names.end(), [&](const std::string& n) { return wide.matches(n); }))
            throw UsageError(
                fmt::format("--select '{}': no member matches '{}'; `*` does not cross `/`: did you "
                            "mean '{}:{}'?",
                            s.text, g.text(), format_name(s.format), across));
        }
      }
      if (names.empty())
        throw UsageError(fmt::format("--select '{}': no {} matches '{}': the file has no {}s", s.text, what,
                                     g.text(), what));
      throw UsageError(fmt::format("--select '{}': no {} matches '{}' (closest {}s: {})", s.text, what,
                                   g.text(), what, fmt::join(closest_names(g.text(), names), ", ")));
    }
  }
}

}  // namespace sparseio::plan
