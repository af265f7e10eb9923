// libFuzzer target for the ListObjectsV2 page parser (source/s3/s3_list.h):
// the XML a server answers to a LIST, which names every object a prefix or
// glob fetches, so a misread page could fetch the wrong keys or too few.
//
// Input: the whole input is one page.
//
// Bugs: any exception but sparseio::Error, or a crash; an error message that
// is not one line or does not start with the listing's name; a page that
// says it is truncated without a token; a key with a NUL byte (XML cannot
// carry one: only a decoding bug makes it).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/errors.h"
#include "source/s3/s3_list.h"

namespace {

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "s3_list_fuzzer: BUG: %s %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  const std::string name = "s3://fuzz/prefix/";
  try {
    const sparseio::s3::ListPage page = sparseio::s3::parse_list_page(xml, name);
    if (page.truncated && page.next_token.empty()) fail("truncated without a token");
    for (const sparseio::s3::ListedKey& k : page.keys)
      if (k.key.find('\0') != std::string::npos) fail("a key with a NUL", k.key);
  } catch (const sparseio::Error& e) {
    const std::string_view msg = e.what();
    if (!msg.starts_with(name)) fail("an error without the listing's name:", msg);
    if (msg.find('\n') != std::string_view::npos || msg.find('\r') != std::string_view::npos)
      fail("an error of more than one line:", msg);
  }
  return 0;
}
