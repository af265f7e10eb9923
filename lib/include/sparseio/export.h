// SPARSEIO_API marks what libsparseio.so exports. The library is compiled
// with hidden visibility, so everything else stays internal (the check in
// tests/unit/api/exported_symbols_test.py compares the .so's dynamic symbols
// with lib/exported_symbols.txt).
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define SPARSEIO_API __attribute__((visibility("default")))
#else
#define SPARSEIO_API
#endif
