// The Parquet planner (footer + our Thrift compact reader) against a file
// written by hyparquet-writer (tests/e2e/parquet_tool.mjs), compared with the
// column chunk offsets hyparquet's own metadata reader reports.
#include "plan/parquet.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "plan/thrift_compact.h"
#include "plan_test_util.h"

using namespace sparseio;
using namespace sparseio::plan;
using sparseio::test::TempDir;

namespace {

// Writes t.parquet with the e2e tool, then lists every column chunk as
// "rgROW.COLUMN START SIZE" from hyparquet's parquetMetadata.
bool write_parquet(const TempDir& dir, int rows, int per_group) {
  const std::string tool = std::string(SPARSEIO_SOURCE_DIR) + "/tests/e2e/parquet_tool.mjs";
  std::string cmd = "node '" + tool + "' write '" + dir.file("t.parquet") + "' " + std::to_string(rows) +
                    " " + std::to_string(per_group);
  if (std::system(cmd.c_str()) != 0) return false;
  std::ofstream(dir.file("meta.mjs")) << R"(
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
const [file, modules, out] = process.argv.slice(2)
const h = await import(pathToFileURL(createRequire(path.join(modules, 'x.js')).resolve('hyparquet')).href)
const buf = fs.readFileSync(file)
const md = h.parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length))
let s = ''
md.row_groups.forEach((g, i) => g.columns.forEach(c => {
  const m = c.meta_data
  const start = m.dictionary_page_offset !== undefined && Number(m.dictionary_page_offset) > 0 &&
    Number(m.dictionary_page_offset) < Number(m.data_page_offset) ? m.dictionary_page_offset : m.data_page_offset
  s += `rg${i}.${m.path_in_schema.join('.')} ${Number(start)} ${Number(m.total_compressed_size)}\n`
}))
fs.writeFileSync(out, s)
)";
  const char* env = std::getenv("SPARSEIO_NPM_DIR");
  std::string modules = env ? env : std::string(SPARSEIO_SOURCE_DIR) + "/tests/.npm";
  cmd = "node '" + dir.file("meta.mjs") + "' '" + dir.file("t.parquet") + "' '" + modules + "' '" +
        dir.file("expected.txt") + "'";
  return std::system(cmd.c_str()) == 0;
}

}  // namespace

TEST_CASE("parquet: column chunks of selected columns and row groups, footer in one round trip") {
  TempDir dir;
  if (!write_parquet(dir, 4000, 1000)) {
    MESSAGE("node or hyparquet missing (scripts/install-deps test): skipped");
    return;
  }
  auto expected = sparseio::test::read_expected(dir.file("expected.txt"));
  REQUIRE(expected.size() == 16);  // 4 row groups x 4 columns
  Plan p = sparseio::test::plan_file(dir.file("t.parquet"), {"parquet:columns=price,qty;row_groups=1-2"});
  CHECK(p.round_trips == 1);
  size_t n = 0;
  for (const PlanItem& it : p.items) {
    if (it.payload.empty()) continue;
    // "parquet row group G column C"
    std::string rest = it.label.substr(std::string("parquet row group ").size());
    std::string key = "rg" + rest.substr(0, rest.find(' ')) + "." + rest.substr(rest.rfind(' ') + 1);
    REQUIRE(expected.count(key));
    CHECK(it.range.begin == expected[key].first);
    CHECK(it.range.size() == expected[key].second);
    CHECK((key.find(".price") != std::string::npos || key.find(".qty") != std::string::npos));
    CHECK((key.rfind("rg1.", 0) == 0 || key.rfind("rg2.", 0) == 0));
    ++n;
  }
  CHECK(n == 4);
  CHECK_THROWS_WITH_AS(sparseio::test::plan_file(dir.file("t.parquet"), {"parquet:row_groups=9"}),
                       doctest::Contains("row group 9 does not exist"), UsageError);
}

TEST_CASE("parquet: a footer larger than the first read takes exactly two round trips") {
  TempDir dir;
  // 300 row groups of 4 columns: a footer well over 64 KiB.
  if (!write_parquet(dir, 3000, 10)) {
    MESSAGE("node or hyparquet missing (scripts/install-deps test): skipped");
    return;
  }
  Plan p = sparseio::test::plan_file(dir.file("t.parquet"), {"parquet:columns=id"});
  CHECK(p.round_trips == 2);
  CHECK(p.items.size() == 302);  // magic + 300 chunks + footer
}

TEST_CASE("parquet: malformed footers and metadata name the offset") {
  std::string tail = "xxxxxxxxPAR2";
  std::span<const std::byte> t(reinterpret_cast<const std::byte*>(tail.data()), tail.size());
  CHECK_THROWS_WITH_AS(parquet_footer_length(t, 1000), doctest::Contains("offset 996: the magic"),
                       FormatError);
  // A struct field header that promises a string longer than the footer.
  const unsigned char meta[] = {0x48, 0x7f};  // field 4, type binary... then length 127
  CHECK_THROWS_WITH_AS(parse_parquet_metadata(std::as_bytes(std::span(meta)), 500, 1000),
                       doctest::Contains("parquet: at offset 502: expected a string of 127 bytes"),
                       FormatError);
  // Deep nesting is bounded.
  std::vector<unsigned char> deep(200, 0x1c);  // field +1, type struct, nested 200 deep
  CHECK_THROWS_WITH_AS(parse_parquet_metadata(std::as_bytes(std::span(deep)), 0, 1000),
                       doctest::Contains("nesting"), FormatError);
}
