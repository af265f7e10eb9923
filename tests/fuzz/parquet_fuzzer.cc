// libFuzzer target for the Parquet footer and our Thrift compact reader: the
// input is a whole (tiny) file.
//
// Bugs: any exception other than FormatError/UsageError; a column chunk or
// planned range outside the file; a crash or stack overflow on nesting.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "plan/parquet.h"

using namespace sparseio::plan;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);
  static const std::vector<Selector> all = {parse_selector("parquet:")};
  try {
    const uint64_t len = parquet_footer_length(file, size);
    const uint64_t at = size - 8 - len;
    ParquetMetadata md = parse_parquet_metadata(file.subspan(at, len), at, size);
    for (const auto& g : md.row_groups)
      for (const ParquetChunk& c : g)
        if (c.start > at || c.size > at - c.start) abort();
    for (const PlanItem& it : plan_parquet(md, at, size, all))
      if (it.range.begin > it.range.end || it.range.end > size) abort();
  } catch (const sparseio::Error&) {  // FormatError; UsageError
  }
  return 0;
}
