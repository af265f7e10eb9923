// Helpers for the format planner tests: test files come from independent
// writers (python's zipfile and tarfile, hyparquet-writer), which also write
// what they know about the file ("NAME DATA_OFFSET SIZE" lines) for the test
// to compare with what our parsers found.
#pragma once

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>

#include "plan/read_plan.h"
#include "plan/selector.h"
#include "source/file_source.h"
#include "test_util.h"

namespace sparseio::test {

// Runs `script` with python3 in `dir` (as argv[1]); true on exit 0.
inline bool run_python(const TempDir& dir, const std::string& script) {
  std::ofstream(dir.file("gen.py")) << script;
  std::string cmd = "python3 '" + dir.file("gen.py") + "' '" + dir.path() + "'";
  return std::system(cmd.c_str()) == 0;
}

// "NAME OFFSET SIZE" lines (NAME without spaces) -> {OFFSET, SIZE}.
inline std::map<std::string, std::pair<uint64_t, uint64_t>> read_expected(const std::string& path) {
  std::map<std::string, std::pair<uint64_t, uint64_t>> out;
  std::ifstream in(path);
  std::string name;
  uint64_t off = 0, size = 0;
  while (in >> name >> off >> size) out[name] = {off, size};
  return out;
}

// Plans `file` with `selectors` through a counted reader over a FileSource.
inline plan::Plan plan_file(const std::string& file, const std::vector<std::string>& selectors,
                            bool resolve_payloads = false) {
  FileSource src(file);
  plan::RoundReader rd(src);
  plan::Plan p = plan::plan_source(rd, plan::parse_selectors(selectors));
  if (resolve_payloads) plan::resolve_zip_payloads(rd, p.items);
  return p;
}

}  // namespace sparseio::test
