// Glob matching by dynamic programming over (pattern position, name
// position): O(|pattern| x |name|) whatever the pattern, so a hostile
// "*a*a*a*b" cannot make matching exponential.
#include "plan/glob.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace sparseio::plan {
namespace {

// More alternatives than this is a typo, not a selection ({a,b}{c,d}... grows
// as a product).
constexpr size_t kMaxAlternatives = 1024;

[[noreturn]] void bad(std::string_view what, std::string_view pattern, std::string_view why) {
  throw UsageError(fmt::format("{} '{}': {}", what, pattern, why));
}

// Index just past the ']' closing the class that starts at p[i] == '[', or npos.
size_t class_end(std::string_view p, size_t i) {
  size_t j = i + 1;
  if (j < p.size() && (p[j] == '!' || p[j] == '^')) ++j;
  if (j < p.size() && p[j] == ']') ++j;  // a leading ] is literal
  for (; j < p.size(); ++j) {
    if (p[j] == '\\') {
      ++j;
      continue;
    }
    if (p[j] == ']') return j + 1;
  }
  return std::string_view::npos;
}

// Expands the first top-level {a,b,...} of p (recursively), appending to out.
void expand(std::string_view p, std::string_view what, std::string_view whole,
            std::vector<std::string>& out) {
  size_t open = std::string_view::npos;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
    } else if (p[i] == '[') {
      size_t e = class_end(p, i);
      if (e == std::string_view::npos) bad(what, whole, "'[' without a closing ']'");
      i = e - 1;
    } else if (p[i] == '{') {
      open = i;
      break;
    }
  }
  if (open == std::string_view::npos) {
    out.emplace_back(p);
    return;
  }
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t start = open + 1, close = std::string_view::npos;
  for (size_t i = open + 1; i < p.size() && close == std::string_view::npos; ++i) {
    if (p[i] == '\\') {
      ++i;
    } else if (p[i] == '{') {
      ++depth;
    } else if (p[i] == '}' && depth > 0) {
      --depth;
    } else if (p[i] == '}') {
      parts.push_back(p.substr(start, i - start));
      close = i;
    } else if (p[i] == ',' && depth == 0) {
      parts.push_back(p.substr(start, i - start));
      start = i + 1;
    }
  }
  if (close == std::string_view::npos) bad(what, whole, "'{' without a closing '}'");
  for (std::string_view part : parts) {
    std::string next = std::string(p.substr(0, open)) + std::string(part) + std::string(p.substr(close + 1));
    expand(next, what, whole, out);
    if (out.size() > kMaxAlternatives)
      bad(what, whole, fmt::format("more than {} alternatives", kMaxAlternatives));
  }
}

// Does class p[i, end) (p[i] == '[', p[end-1] == ']') match c? Never '/'.
bool class_matches(std::string_view p, size_t i, size_t end, char c) {
  size_t j = i + 1;
  const size_t last = end - 1;  // the closing ']'
  bool negate = false;
  if (p[j] == '!' || p[j] == '^') {
    negate = true;
    ++j;
  }
  auto take = [&]() {  // next class character, honouring backslash
    if (p[j] == '\\' && j + 1 < last) ++j;
    return static_cast<unsigned char>(p[j++]);
  };
  const auto uc = static_cast<unsigned char>(c);
  bool hit = false;
  while (j < last) {
    unsigned char lo = take(), hi = lo;
    if (j + 1 < last && p[j] == '-') {
      ++j;
      hi = take();
    }
    if (uc >= lo && uc <= hi) hit = true;
  }
  return hit != negate && c != '/';
}

bool match_one(std::string_view p, std::string_view s) {
  const size_t P = p.size(), S = s.size();
  // Tokenize once so the DP can step token by token.
  struct Tok {
    enum { kLit, kAny, kStar, kGlobstar, kGlobstarSlash, kClass } kind;
    size_t begin, end;  // in p
    char lit;
  };
  std::vector<Tok> toks;
  for (size_t i = 0; i < P;) {
    if (p[i] == '\\' && i + 1 < P) {
      toks.push_back({Tok::kLit, i, i + 2, p[i + 1]});
      i += 2;
    } else if (p[i] == '*') {
      size_t j = i;
      while (j < P && p[j] == '*') ++j;
      if (j - i >= 2 && j < P && p[j] == '/') {
        toks.push_back({Tok::kGlobstarSlash, i, j + 1, 0});
        i = j + 1;
      } else {
        toks.push_back({j - i >= 2 ? Tok::kGlobstar : Tok::kStar, i, j, 0});
        i = j;
      }
    } else if (p[i] == '?') {
      toks.push_back({Tok::kAny, i, i + 1, 0});
      ++i;
    } else if (p[i] == '[') {
      size_t e = class_end(p, i);  // closed: the constructor checked
      if (e == std::string_view::npos) e = P;
      toks.push_back({Tok::kClass, i, e, 0});
      i = e;
    } else {
      toks.push_back({Tok::kLit, i, i + 1, p[i]});
      ++i;
    }
  }
  const size_t T = toks.size();
  std::vector<char> m((T + 1) * (S + 1), 0);
  auto M = [&](size_t t, size_t j) -> char& { return m[t * (S + 1) + j]; };
  M(T, S) = 1;
  for (size_t t = T; t-- > 0;) {
    const Tok& k = toks[t];
    bool inside = false;  // "**/" only: s[j+1..] is "dirs/" then the rest
    for (size_t j = S + 1; j-- > 0;) {
      bool r = false;
      switch (k.kind) {
        case Tok::kLit:
          r = j < S && s[j] == k.lit && M(t + 1, j + 1);
          break;
        case Tok::kAny:
          r = j < S && s[j] != '/' && M(t + 1, j + 1);
          break;
        case Tok::kClass:
          r = j < S && class_matches(p, k.begin, k.end, s[j]) && M(t + 1, j + 1);
          break;
        case Tok::kStar:  // empty, or one non-slash char and still in the star
          r = M(t + 1, j) || (j < S && s[j] != '/' && M(t, j + 1));
          break;
        case Tok::kGlobstar:
          r = M(t + 1, j) || (j < S && M(t, j + 1));
          break;
        case Tok::kGlobstarSlash: {  // "**/": no directory, or anything ending in '/'
          inside = j < S && ((s[j] == '/' && M(t + 1, j + 1)) || inside);
          r = M(t + 1, j) || inside;
          break;
        }
      }
      M(t, j) = r;
    }
  }
  return M(0, 0);
}

}  // namespace

Glob::Glob(std::string_view pattern, std::string_view what) : text_(pattern) {
  if (!pattern.empty() && pattern.back() == '\\') {
    size_t n = 0;
    for (size_t i = pattern.size(); i-- > 0 && pattern[i] == '\\';) ++n;
    if (n % 2) bad(what, pattern, "ends with a lone '\\'");
  }
  expand(pattern, what, pattern, alternatives_);
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      ++i;
    } else if (pattern[i] == '*' || pattern[i] == '?' || pattern[i] == '[' || pattern[i] == '{') {
      literal_ = false;
    }
  }
}

bool Glob::matches(std::string_view name) const {
  for (const std::string& alt : alternatives_)
    if (match_one(alt, name)) return true;
  return false;
}

std::string Glob::across_segments(std::string_view p) {
  std::string out;
  bool changed = false;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\' && i + 1 < p.size()) {
      out += p.substr(i, 2);
      ++i;
    } else if (p[i] == '[') {
      const size_t e = class_end(p, i);
      if (e == std::string_view::npos) return "";  // malformed: Glob says why
      out += p.substr(i, e - i);
      i = e - 1;
    } else if (p[i] == '*') {
      size_t run = 1;
      while (i + run < p.size() && p[i + run] == '*') ++run;
      out += run == 1 ? "**" : std::string(run, '*');
      changed = changed || run == 1;
      i += run - 1;
    } else {
      out += p[i];
    }
  }
  return changed ? out : "";
}

}  // namespace sparseio::plan
