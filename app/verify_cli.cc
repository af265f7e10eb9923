#include "verify_cli.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "exit_status.h"

namespace sparseio::cli {

int run_verify_command(const VerifyCommand& cmd, bool json, bool quiet) {
  VerifyOutcome v = run_verify(cmd);
  const VerifyResult& r = v.result;
  if (v.source_changed)
    spdlog::warn("the source {} changed since {} was started; comparing its current bytes", cmd.source,
                 cmd.destination);
  if (!r.identical()) {
    std::string where;
    for (const ByteRange& d : r.first_differences)
      where += (where.empty() ? "" : ", ") +
               (d.size() == 1 ? fmt::format("{}", d.begin) : fmt::format("{}-{}", d.begin, d.end - 1));
    if (v.repaired.empty())
      fmt::print(stderr, "sparseio: {} differs from {} in {} bytes, first at offsets {}\n", cmd.destination,
                 cmd.source, r.differing_bytes, where);
    else
      spdlog::warn("{} differed from {} in {} bytes, first at offsets {}", cmd.destination, cmd.source,
                   r.differing_bytes, where);
    if (r.source_lacks_bytes > 0)
      fmt::print(stderr, "sparseio: {} holds {} bytes past the end of {}, which shrank\n", cmd.destination,
                 r.source_lacks_bytes, cmd.source);
  }
  if (!v.repaired.empty() && !v.after_repair.identical())
    fmt::print(stderr, "sparseio: {} still differs from {} after the repair in {} bytes\n", cmd.destination,
               cmd.source, v.after_repair.differing_bytes);
  if (json) {
    const std::string out = format_verify_json(cmd, v);
    std::fwrite(out.data(), 1, out.size(), stdout);
  } else if (!quiet) {
    std::string line =
        fmt::format("{}: {} bytes compared, {} differ, {} not present (not compared){}\n", cmd.destination,
                    r.compared_bytes, r.differing_bytes, r.missing_bytes,
                    r.source_lacks_bytes > 0
                        ? fmt::format(", {} no longer in the source (it shrank)", r.source_lacks_bytes)
                        : std::string());
    if (!v.repaired.empty()) {
      uint64_t bytes = 0;
      for (const ByteRange& b : v.repaired) bytes += b.size();
      line += fmt::format("{}: repaired {} bytes in {} block ranges ({} fetched in {} requests){}\n",
                          cmd.destination, bytes, v.repaired.size(), v.repair_stats.fetched_bytes,
                          v.repair_stats.requests, v.after_repair.identical() ? ": now identical" : "");
    }
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  return v.identical() ? kExitOk : kExitDiffer;
}

}  // namespace sparseio::cli
