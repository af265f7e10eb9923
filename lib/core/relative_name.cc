#include "core/relative_name.h"

namespace sparseio {

std::optional<std::string> relative_name_problem(std::string_view name) {
  if (name.empty()) return "the name is empty";
  if (name.find('\0') != std::string_view::npos) return "the name contains a NUL byte";
  if (name.front() == '/') return "the name is an absolute path";
  size_t begin = 0;
  bool first = true;
  for (;;) {
    const size_t end = name.find('/', begin);
    const std::string_view seg = name.substr(begin, end == std::string_view::npos ? end : end - begin);
    if (seg.empty()) return "the name has an empty segment (\"//\" or a trailing \"/\")";
    if (seg == "..") return "the name has a \"..\" segment";
    if (seg == ".") return "the name has a \".\" segment";
    if (first && seg == kSidecarDir) return "the name is inside .sparseio/, where the sidecars live";
    first = false;
    if (end == std::string_view::npos) return std::nullopt;
    begin = end + 1;
  }
}

std::vector<std::string> name_segments(std::string_view name) {
  std::vector<std::string> out;
  size_t begin = 0;
  for (;;) {
    const size_t end = name.find('/', begin);
    out.emplace_back(name.substr(begin, end == std::string_view::npos ? end : end - begin));
    if (end == std::string_view::npos) return out;
    begin = end + 1;
  }
}

}  // namespace sparseio
