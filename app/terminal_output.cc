#include "terminal_output.h"

#include <algorithm>

namespace sparseio::cli {

bool looks_binary(std::span<const std::byte> first) {
  return std::any_of(first.begin(), first.end(), [](std::byte b) {
    const auto c = static_cast<unsigned char>(b);
    if (c >= 0x20) return false;
    switch (c) {
      case '\t':
      case '\n':
      case '\v':
      case '\f':
      case '\r':
      case '\b':
      case '\a':
      case 0x1b:
        return false;
      default:
        return true;
    }
  });
}

}  // namespace sparseio::cli
