// The Parquet planner: the footer (FileMetaData in the Thrift compact
// protocol, its length, "PAR1") and then the column chunks of the selected
// columns and row groups, each from its dictionary page (or first data page)
// for total_compressed_size bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "plan/plan_types.h"
#include "plan/selector.h"

namespace sparseio::plan {

// The first read: the footer of most files (a few hundred columns by a few
// dozen row groups) fits in 64 KiB, as fsspec and DuckDB also assume.
constexpr uint64_t kParquetTailRead = 64 * 1024;

struct ParquetChunk {
  std::string path;  // dotted path_in_schema
  uint64_t start = 0, size = 0;
  // Optional structures a reader may consult for this chunk: its offset index,
  // column index and bloom filter ("offset index", ...). Planned with it.
  std::vector<std::pair<ByteRange, std::string>> extras;
};

struct ParquetMetadata {
  std::vector<std::vector<ParquetChunk>> row_groups;
};

// The metadata length from the last bytes of the file (`tail`, ending at the
// end of the file): checks "PAR1" and that the length fits. Throws FormatError.
uint64_t parquet_footer_length(std::span<const std::byte> tail, uint64_t file_size);

// Parses the FileMetaData (meta = its bytes, at meta_offset).
ParquetMetadata parse_parquet_metadata(std::span<const std::byte> meta, uint64_t meta_offset,
                                       uint64_t file_size);

std::vector<PlanItem> plan_parquet(const ParquetMetadata& md, uint64_t meta_offset, uint64_t file_size,
                                   const std::vector<Selector>& selectors);

}  // namespace sparseio::plan
