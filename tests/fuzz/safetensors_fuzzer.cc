// libFuzzer target for the safetensors header parser: the input is a whole
// (tiny) file.
//
// Bugs: any exception other than FormatError; a tensor range outside the
// file or overlapping the header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "plan/safetensors.h"

using namespace sparseio::plan;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);
  static const std::vector<Selector> all = {parse_selector("safetensors:")};
  try {
    const uint64_t n = safetensors_header_length(file, size);
    std::vector<SafetensorsTensor> ts = parse_safetensors_header(file.subspan(8, n), size);
    for (const SafetensorsTensor& t : ts)
      if (t.range.begin < 8 + n || t.range.end > size || t.range.begin > t.range.end) abort();
    for (const PlanItem& it : plan_safetensors(ts, n, all))
      if (it.range.end > size) abort();
  } catch (const FormatError&) {
  }
  return 0;
}
