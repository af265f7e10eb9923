#include "source/source.h"

namespace sparseio {

void Source::fetch_into(ByteRange r, ExtentWriter& out) {
  copy_through_buffer(
      r, [&](uint64_t pos, std::span<std::byte> buf) { return read_at(pos, buf); }, name(), out);
}

}  // namespace sparseio
