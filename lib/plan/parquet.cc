// Parquet FileMetaData after parquet-format's parquet.thrift: FileMetaData
// 4: row_groups; RowGroup 1: columns; ColumnChunk 1: file_path, 3: meta_data;
// ColumnMetaData 3: path_in_schema, 7: total_compressed_size,
// 9: data_page_offset, 11: dictionary_page_offset. Everything else is skipped.
#include "plan/parquet.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "plan/selector_match.h"
#include "plan/thrift_compact.h"

namespace sparseio::plan {
namespace {

using R = CompactReader;

[[noreturn]] void fail(uint64_t offset, std::string_view what) {
  throw FormatError(fmt::format("parquet: at offset {}: {}", offset, what));
}

struct ChunkMeta {
  std::string path;
  std::optional<int64_t> compressed, data_page, dict_page, bloom_offset, bloom_length;
};

// An optional structure (offset/column index, bloom filter) at `off` of `len`
// bytes: kept when both are known and it lies before the footer.
void add_extra(ParquetChunk& c, const std::optional<int64_t>& off, const std::optional<int64_t>& len,
               uint64_t meta_offset, uint64_t at, const char* what) {
  if (!off || !len) return;
  if (*off < 4 || *len < 0 || static_cast<uint64_t>(*off) > meta_offset ||
      meta_offset - static_cast<uint64_t>(*off) < static_cast<uint64_t>(*len))
    fail(at, fmt::format("column '{}': its {} ({} bytes at {}) does not lie before the footer at {}", c.path,
                         what, *len, *off, meta_offset));
  if (*len > 0) c.extras.push_back({{static_cast<uint64_t>(*off), static_cast<uint64_t>(*off + *len)}, what});
}

void read_column_meta(R& r, ChunkMeta& m) {
  int16_t last = 0;
  for (;;) {
    R::Field f = r.field(last);
    if (f.type == R::kStop) return;
    if (f.id == 3 && f.type == R::kList) {
      R::ListHeader h = r.list();
      if (h.elem != R::kBinary) r.fail("path_in_schema as a list of strings");
      for (uint64_t i = 0; i < h.size; ++i) m.path += (i ? "." : "") + r.binary();
    } else if ((f.id == 7 || f.id == 9 || f.id == 11 || f.id == 14) && f.type == R::kI64) {
      int64_t v = r.integer(f.type);
      (f.id == 7 ? m.compressed : f.id == 9 ? m.data_page : f.id == 11 ? m.dict_page : m.bloom_offset) = v;
    } else if (f.id == 15 && f.type == R::kI32) {
      m.bloom_length = r.integer(f.type);
    } else {
      r.skip(f.type);
    }
  }
}

ParquetChunk read_column_chunk(R& r, uint64_t meta_offset) {
  const uint64_t at = r.offset();
  int16_t last = 0;
  ChunkMeta m;
  bool has_meta = false;
  std::optional<int64_t> oi_off, oi_len, ci_off, ci_len;
  for (;;) {
    R::Field f = r.field(last);
    if (f.type == R::kStop) break;
    if (f.id == 1 && f.type == R::kBinary) {
      std::string path = r.binary();
      if (!path.empty()) fail(at, fmt::format("a column chunk stored in another file ('{}')", path));
    } else if (f.id == 3 && f.type == R::kStruct) {
      read_column_meta(r, m);
      has_meta = true;
    } else if ((f.id == 4 || f.id == 6) && f.type == R::kI64) {
      (f.id == 4 ? oi_off : ci_off) = r.integer(f.type);
    } else if ((f.id == 5 || f.id == 7) && f.type == R::kI32) {
      (f.id == 5 ? oi_len : ci_len) = r.integer(f.type);
    } else {
      r.skip(f.type);
    }
  }
  if (!has_meta || !m.compressed || !m.data_page)
    fail(at, "a column chunk with meta_data (total_compressed_size, data_page_offset)");
  int64_t start = *m.data_page;
  // Some writers record a dictionary_page_offset of 0 for no dictionary: only
  // a dictionary page before the first data page counts.
  if (m.dict_page && *m.dict_page >= 4 && *m.dict_page < start) start = *m.dict_page;
  if (start < 4 || *m.compressed < 0 || static_cast<uint64_t>(start) > meta_offset ||
      meta_offset - static_cast<uint64_t>(start) < static_cast<uint64_t>(*m.compressed))
    fail(at, fmt::format("column '{}': {} bytes at {} do not lie between the header and the footer at {}",
                         m.path, *m.compressed, start, meta_offset));
  ParquetChunk c{m.path, static_cast<uint64_t>(start), static_cast<uint64_t>(*m.compressed), {}};
  add_extra(c, oi_off, oi_len, meta_offset, at, "offset index");
  add_extra(c, ci_off, ci_len, meta_offset, at, "column index");
  add_extra(c, m.bloom_offset, m.bloom_length, meta_offset, at, "bloom filter");
  return c;
}

}  // namespace

uint64_t parquet_footer_length(std::span<const std::byte> tail, uint64_t file_size) {
  if (tail.size() < 8 || file_size < 12)
    fail(0, fmt::format("expected a Parquet file of at least 12 bytes, found {}", file_size));
  std::string_view magic(reinterpret_cast<const char*>(tail.data() + tail.size() - 4), 4);
  if (magic == "PARE")
    fail(file_size - 4, "a plaintext footer, found an encrypted one (PARE): not supported");
  if (magic != "PAR1") fail(file_size - 4, "the magic \"PAR1\" at the end: not a Parquet file");
  const uint64_t len = load_le(tail, tail.size() - 8, 4);
  if (len > file_size - 12)
    fail(file_size - 8,
         fmt::format("a footer length that fits the file, found {} in {} bytes", len, file_size));
  return len;
}

ParquetMetadata parse_parquet_metadata(std::span<const std::byte> meta, uint64_t meta_offset,
                                       uint64_t file_size) {
  (void)file_size;
  R r(meta, meta_offset);
  ParquetMetadata md;
  int16_t last = 0;
  bool has_row_groups = false;
  for (;;) {
    R::Field f = r.field(last);
    if (f.type == R::kStop) break;
    if (f.id == 4 && f.type == R::kList) {
      has_row_groups = true;
      R::ListHeader h = r.list();
      if (h.elem != R::kStruct) r.fail("row_groups as a list of structs");
      for (uint64_t g = 0; g < h.size; ++g) {
        std::vector<ParquetChunk> chunks;
        int16_t glast = 0;
        for (;;) {
          R::Field gf = r.field(glast);
          if (gf.type == R::kStop) break;
          if (gf.id == 1 && gf.type == R::kList) {
            R::ListHeader ch = r.list();
            if (ch.elem != R::kStruct) r.fail("columns as a list of structs");
            for (uint64_t c = 0; c < ch.size; ++c) chunks.push_back(read_column_chunk(r, meta_offset));
          } else {
            r.skip(gf.type);
          }
        }
        md.row_groups.push_back(std::move(chunks));
      }
    } else {
      r.skip(f.type);
    }
  }
  if (!has_row_groups) r.fail("FileMetaData with row_groups (field 4)");
  return md;
}

std::vector<PlanItem> plan_parquet(const ParquetMetadata& md, uint64_t meta_offset, uint64_t file_size,
                                   const std::vector<Selector>& selectors) {
  std::vector<PlanItem> items;
  items.push_back({{0, 4}, "parquet magic", {}, false, true});
  for (const Selector& s : selectors)
    for (auto [a, b] : s.row_groups)
      if (b >= md.row_groups.size())
        throw md.row_groups.empty()
            ? UsageError(fmt::format("--select '{}': the file has no row groups", s.text))
            : UsageError(fmt::format("--select '{}': row group {} does not exist (the file has {}: 0-{})",
                                     s.text, b, md.row_groups.size(), md.row_groups.size() - 1));
  std::vector<std::string> columns;  // distinct, in schema order
  for (const auto& group : md.row_groups)
    for (const ParquetChunk& c : group)
      if (std::find(columns.begin(), columns.end(), c.path) == columns.end()) columns.push_back(c.path);
  check_selectors_match(selectors, columns, NameKind::kColumn);
  for (size_t g = 0; g < md.row_groups.size(); ++g) {
    for (const ParquetChunk& c : md.row_groups[g]) {
      bool take = false;
      for (const Selector& s : selectors) take = take || (s.matches_row_group(g) && s.matches_column(c.path));
      if (!take) continue;
      items.push_back({{c.start, c.start + c.size},
                       fmt::format("parquet row group {} column {}", g, c.path),
                       {c.start, c.start + c.size},
                       false});
      for (const auto& [range, what] : c.extras)
        items.push_back(
            {range, fmt::format("parquet row group {} column {} {}", g, c.path, what), {}, false, true});
    }
  }
  items.push_back({{meta_offset, file_size}, "parquet footer", {}, false, true});
  return items;
}

}  // namespace sparseio::plan
