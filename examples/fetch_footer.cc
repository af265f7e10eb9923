// An out-of-tree program that links the installed libsparseio: fetches the
// last 64 KiB and two ranges of a URL (or file) into a sparse file and
// prints the report. Built by examples/meson and examples/cmake against the
// installed tree (pkg-config sparseio); run by tests/e2e/library_test.py.
//   fetch_footer SRC DST
#include <sparseio/sparseio.h>

#include <cstdio>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: fetch_footer SRC DST\n";
    return 2;
  }
  sparseio::set_log_handler([](sparseio::LogLevel, std::string_view m) { std::cerr << m << '\n'; });
  try {
    std::vector<sparseio::RangeSpec> ranges = {sparseio::RangeSpec::last(64 << 10),
                                               sparseio::RangeSpec::span(0, 4096)};
    for (const sparseio::RangeSpec& r : sparseio::parse_ranges("1M+100K")) ranges.push_back(r);
    sparseio::AllocationReport rep = sparseio::fetch(argv[1], argv[2], ranges);
    std::printf("sparseio %s: %s: %llu of %llu bytes present in %llu ranges, %llu fetched\n",
                sparseio::version(), rep.path.c_str(), (unsigned long long)rep.present_bytes,
                (unsigned long long)rep.logical_size, (unsigned long long)rep.present_ranges,
                (unsigned long long)rep.transfer->fetched_bytes);
    return 0;
  } catch (const sparseio::Error& e) {
    std::cerr << "fetch_footer: " << e.what() << " [" << sparseio::error_kind_name(e.kind()) << "]\n";
    return 1;
  }
}
