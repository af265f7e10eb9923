// The 64-bit XXH3 hash that sidecar claims carry for their bytes, computed
// with the fastest code the CPU has: libxxhash's runtime-dispatched entry
// points (AVX2/AVX-512) where the library has them, which hash the same
// values about twice as fast as its baseline SSE2 build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace sparseio {

// XXH3-64 of `data`, seed 0.
uint64_t content_hash(std::span<const std::byte> data);

// The same hash over bytes that arrive in pieces.
class ContentHasher {
 public:
  ContentHasher();
  ~ContentHasher();
  ContentHasher(const ContentHasher&) = delete;
  ContentHasher& operator=(const ContentHasher&) = delete;

  void update(std::span<const std::byte> data);
  uint64_t digest() const;  // of everything so far; update() may go on

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sparseio
