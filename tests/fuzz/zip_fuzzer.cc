// libFuzzer target for the zip parser: the input is a whole (tiny) file. It
// is parsed as the driver does (tail, zip64 record, central directory, plan),
// then each selected member's local header.
//
// Bugs: any exception other than FormatError; a planned range outside the
// file; a member's range that does not hold its local header and data.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "plan/zip.h"

using namespace sparseio::plan;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);
  static const std::vector<Selector> all = {parse_selector("zip:")};
  try {
    ZipTailResult t = parse_zip_tail(file, 0, size);
    if (!t.dir) {  // the zip64 record lies outside the "tail": give it separately
      if (t.need.end > size || t.need.begin >= t.need.end) abort();
      t = parse_zip_tail(file, 0, size, file.subspan(t.need.begin, t.need.size()), t.need.begin);
      if (!t.dir) return 0;
    }
    const ZipDirectory& d = *t.dir;
    if (d.cd_offset + d.cd_size > size) abort();
    std::vector<ZipEntry> entries =
        parse_zip_central_directory(file.subspan(d.cd_offset, d.cd_size), d, size);
    for (const PlanItem& it : plan_zip(entries, d, size, all)) {
      if (it.range.begin > it.range.end || it.range.end > size) abort();
      if (!it.payload_after_local_header) continue;
      if (it.range.end - it.range.begin < 30 + it.payload.size()) abort();
      try {
        sparseio::ByteRange r =
            zip_member_data(file.subspan(it.payload.begin, 30), it.payload.begin, it.payload.size(), size);
        if (r.end > size) abort();
      } catch (const FormatError&) {
      }
    }
  } catch (const FormatError&) {
  }
  return 0;
}
