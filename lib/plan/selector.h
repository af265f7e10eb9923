// --select FORMAT:WHAT: which parts of a container file a user wants, in the
// words they know (member names, tensor names, column names), not offsets.
//
//   zip:GLOB  tar:GLOB  safetensors:GLOB      members / tensors whose name matches
//   zip:  tar:  safetensors:                  everything (an empty WHAT)
//   parquet:columns=a,b.c;row_groups=0-3,7    columns (dotted paths; a prefix
//                                             takes the leaves below it; globs)
//                                             of row groups (inclusive ranges)
//
// Repeated --select options (same format) add up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plan/glob.h"

namespace sparseio::plan {

enum class Format { kZip, kTar, kParquet, kSafetensors };

std::string_view format_name(Format f);

struct Selector {
  Format format = Format::kZip;
  std::string text;            // as written, for messages and manifests
  std::vector<Glob> patterns;  // names (zip/tar/safetensors) or columns (parquet); empty: all
  // Parquet row groups as inclusive [first, last] pairs; empty: all.
  std::vector<std::pair<uint64_t, uint64_t>> row_groups;

  bool matches_name(std::string_view name) const;
  // A Parquet column path "a.b.c" is taken when a pattern matches it or one of
  // its dotted prefixes ("a", "a.b").
  bool matches_column(std::string_view dotted_path) const;
  bool matches_row_group(uint64_t index) const;
};

// Parses one --select value. Throws UsageError quoting it and saying why.
Selector parse_selector(std::string_view text);

// Parses several; they must all name the same format.
std::vector<Selector> parse_selectors(const std::vector<std::string>& texts);

}  // namespace sparseio::plan
