#include "source/source.h"

namespace sparseio {

LinkObserver& LinkObserver::none() {
  static LinkObserver nobody;  // stateless: shared by every thread
  return nobody;
}

void Source::fetch_into(ByteRange r, ExtentWriter& out, LinkObserver&) {
  copy_through_buffer(
      r, [&](uint64_t pos, std::span<std::byte> buf) { return read_at(pos, buf); }, name(), out);
}

}  // namespace sparseio
