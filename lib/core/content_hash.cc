#include "core/content_hash.h"

#include <xxhash.h>

#include <new>

#if SPARSEIO_XXH_DISPATCH
#include <xxh_x86dispatch.h>
#define SPARSEIO_XXH3_64(p, n) XXH3_64bits_dispatch(p, n)
#define SPARSEIO_XXH3_UPDATE(s, p, n) XXH3_64bits_update_dispatch(s, p, n)
#else
#define SPARSEIO_XXH3_64(p, n) XXH3_64bits(p, n)
#define SPARSEIO_XXH3_UPDATE(s, p, n) XXH3_64bits_update(s, p, n)
#endif

namespace sparseio {

struct ContentHasher::State {
  XXH3_state_t* s = XXH3_createState();
  ~State() { XXH3_freeState(s); }
};

uint64_t content_hash(std::span<const std::byte> data) { return SPARSEIO_XXH3_64(data.data(), data.size()); }

ContentHasher::ContentHasher() : state_(std::make_unique<State>()) {
  if (state_->s == nullptr) throw std::bad_alloc();
  XXH3_64bits_reset(state_->s);
}

ContentHasher::~ContentHasher() = default;

void ContentHasher::update(std::span<const std::byte> data) {
  SPARSEIO_XXH3_UPDATE(state_->s, data.data(), data.size());
}

uint64_t ContentHasher::digest() const { return XXH3_64bits_digest(state_->s); }

}  // namespace sparseio
