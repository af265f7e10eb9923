// Every name, glob and key a user writes in --select must match something in
// the file: a typo ("quantity" for "qty"), a comma where ';' separates keys
// ("columns=a,row_groups=1"), or a second --select that names nothing must be
// a usage error, not a silently smaller fetch. The planners call
// check_selectors_match() with the names the file has; the message names the
// pattern and the closest names (by edit distance), so the fix is one look.
// Pure functions: no I/O, unit-tested in tests/unit/plan/selector_match_test.cc.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "plan/selector.h"

namespace sparseio::plan {

// Levenshtein distance (insertions, deletions and substitutions cost 1), in
// O(|a|*|b|) time and O(|b|) memory.
size_t edit_distance(std::string_view a, std::string_view b);

// Up to `max` of `names` nearest to `want` by edit distance (ties in name
// order), duplicates dropped. A glob's literal start (before its first
// `*?[{\`) is also compared with the names' starts, and the nearer counts.
std::vector<std::string> closest_names(std::string_view want, const std::vector<std::string>& names,
                                       size_t max = 3);

// What the names are, for messages: "member" (zip, tar), "tensor"
// (safetensors) or "column" (Parquet, where a pattern may also match a dotted
// prefix of a column path: "user" takes "user.name").
enum class NameKind { kMember, kTensor, kColumn };

// Throws UsageError for the first pattern of any selector that matches none
// of `names`: it quotes the --select value and the pattern, and lists the
// closest names; a Parquet "row_groups=..." taken as a column (a comma
// before it instead of ';') gets the hint to use ';'.
void check_selectors_match(const std::vector<Selector>& selectors, const std::vector<std::string>& names,
                           NameKind kind);

}  // namespace sparseio::plan
