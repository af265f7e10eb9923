// Shell-style glob patterns for --select: what users already type to name
// files. `*` and `?` stay within one path segment (they never match `/`),
// `**` crosses segments (and `**/` also matches no directory at all, as in
// bash's globstar), `[a-z]`, `[!0-9]` / `[^0-9]` are character classes,
// `{a,b}` lists alternatives and `\` makes the next character literal.
// Names without `/` (tensor names, Parquet columns) are one segment, so `*`
// matches across their dots.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sparseio::plan {

class Glob {
 public:
  // Throws UsageError naming `what` for a malformed pattern (unclosed [ or {,
  // trailing \, more than 1024 alternatives).
  explicit Glob(std::string_view pattern, std::string_view what = "pattern");
  bool matches(std::string_view name) const;
  const std::string& text() const { return text_; }
  // True when the pattern has no wildcards: it names one thing exactly.
  bool literal() const { return literal_; }

  // `pattern` with every lone `*` (not escaped, not in [...], not part of
  // `**`) made `**`: what a user who wrote "train/*.jpg" for members in
  // subfolders meant. "" when there is none to change.
  static std::string across_segments(std::string_view pattern);

 private:
  std::string text_;
  std::vector<std::string> alternatives_;  // after {a,b} expansion
  bool literal_ = true;
};

}  // namespace sparseio::plan
