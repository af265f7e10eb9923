// libFuzzer target for the tar header walker. The input is a whole (tiny)
// archive, fed in windows of the size given by its first byte (1 to 256
// blocks, so that headers straddle windows), as the driver does.
//
// Bugs: any exception other than FormatError; a walk that does not advance;
// a member or planned range outside the archive.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "plan/tar.h"

using namespace sparseio::plan;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint64_t window = (1 + static_cast<uint64_t>(data[0])) * 512;
  std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  static const std::vector<Selector> all = {parse_selector("tar:")};
  try {
    TarWalker w(file.size());
    uint64_t last = UINT64_MAX;
    int rounds = 0;
    while (!w.done()) {
      sparseio::ByteRange need = w.need();
      if (need.begin == last && ++rounds > 2) abort();  // stuck
      if (need.begin != last) rounds = 0;
      last = need.begin;
      if (need.begin >= file.size() || need.end > file.size() || need.empty()) abort();
      const uint64_t end = std::min<uint64_t>(file.size(), need.begin + std::max(need.size(), window));
      w.feed(need.begin, file.subspan(need.begin, end - need.begin));
    }
    for (const TarMember& m : w.members())
      if (m.data_offset > file.size() || m.size > file.size() - m.data_offset) abort();
    for (const PlanItem& it : plan_tar(w, all))
      if (it.range.begin > it.range.end || it.range.end > file.size()) abort();
  } catch (const FormatError&) {
  }
  return 0;
}
