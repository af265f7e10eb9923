// The handle scenario of scripts/bench --only handle (issue 20): N threads
// share one sparseio::Object and each does its share of the random 4 KiB
// reads listed in RANGES (lines "OFFSET+LENGTH"), through read_at. The bench
// times this program against `sparseio fetch SRC DST --ranges-from RANGES`
// of the same ranges: the handle's on-demand path (a block per miss, reads
// from 8 threads at once) should cost at most 1.3x the planned fetch.
//
//   handle_bench SRC DST RANGES THREADS
//
// Built by scripts/bench_lib/mount.py with g++ against build-bench's
// libsparseio.so; prints the bytes read (a check that every read was whole).
#include <sparseio/object.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s SRC DST RANGES THREADS\n", argv[0]);
    return 2;
  }
  std::vector<std::pair<uint64_t, uint64_t>> ranges;  // offset, length
  std::ifstream in(argv[3]);
  std::string line;
  while (std::getline(in, line)) {
    const auto plus = line.find('+');
    if (plus == std::string::npos) continue;
    ranges.emplace_back(std::stoull(line.substr(0, plus)), std::stoull(line.substr(plus + 1)));
  }
  const unsigned threads = static_cast<unsigned>(std::atoi(argv[4]));
  try {
    auto obj = sparseio::Object::open(argv[1], argv[2]);
    std::atomic<uint64_t> total{0};
    std::atomic<bool> failed{false};
    {
      std::vector<std::jthread> pool;  // joined before obj is destroyed
      for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
          std::vector<std::byte> buf;
          for (size_t i = t; i < ranges.size(); i += threads) {
            buf.resize(ranges[i].second);
            try {
              total += obj->read_at(ranges[i].first, buf);
            } catch (const std::exception& e) {
              std::fprintf(stderr, "handle_bench: read at %llu: %s\n",
                           static_cast<unsigned long long>(ranges[i].first), e.what());
              failed = true;
            }
          }
        });
      }
    }
    std::printf("%llu\n", static_cast<unsigned long long>(total.load()));
    return failed ? 1 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "handle_bench: %s\n", e.what());
    return 1;
  }
}
