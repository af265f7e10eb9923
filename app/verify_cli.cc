#include "verify_cli.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "api/many.h"
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

namespace {

struct VerifiedObject {
  ObjectJob job;
  std::string path;
  std::optional<VerifyOutcome> outcome;  // when it could be compared
  std::optional<ErrorKind> error_kind;
  std::string error;
};

std::string offsets(const std::vector<ByteRange>& v) {
  std::string out;
  for (const ByteRange& d : v)
    out += (out.empty() ? "" : ", ") +
           (d.size() == 1 ? fmt::format("{}", d.begin) : fmt::format("{}-{}", d.begin, d.end - 1));
  return out;
}

}  // namespace

int run_verify_many_command(const std::vector<std::string>& sources, const std::string& dir_arg,
                            const VerifyCommand& each, bool json, bool quiet) {
  const std::string dir =
      dir_arg.size() > 1 && dir_arg.ends_with('/') ? dir_arg.substr(0, dir_arg.size() - 1) : dir_arg;
  std::vector<VerifiedObject> objects;
  for (ObjectJob& j : plan_objects(sources)) objects.push_back({std::move(j), "", {}, {}, ""});
  size_t identical = 0, differ = 0, failed = 0;
  uint64_t compared = 0, differing = 0, repaired = 0;
  std::optional<ErrorKind> kind;  // the failures' shared kind, else kFailure
  for (VerifiedObject& o : objects) {
    o.path = dir + "/" + o.job.name;
    VerifyCommand cmd = each;
    cmd.source = o.job.source;
    cmd.destination = o.path;
    capture_failure(o.error_kind, o.error, [&] { o.outcome = run_verify(cmd); });
    if (o.error_kind) {
      ++failed;
      kind = kind && *kind != *o.error_kind ? ErrorKind::kFailure : *o.error_kind;
      continue;
    }
    const VerifyOutcome& v = *o.outcome;
    compared += v.result.compared_bytes;
    differing += v.result.differing_bytes;
    for (const ByteRange& b : v.repaired) repaired += b.size();
    ++(v.identical() ? identical : differ);
  }
  if (json) {
    nlohmann::ordered_json j;
    j["directory"] = dir;
    j["objects_total"] = objects.size();
    j["objects_identical"] = identical;
    j["objects_differ"] = differ;
    j["objects_failed"] = failed;
    j["compared_bytes"] = compared;
    j["differing_bytes"] = differing;
    j["repaired_bytes"] = repaired;
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const VerifiedObject& o : objects) {
      nlohmann::ordered_json e;
      e["name"] = o.job.name;
      e["source"] = o.job.source;
      e["path"] = o.path;
      VerifyCommand cmd = each;
      cmd.source = o.job.source;
      cmd.destination = o.path;
      if (o.outcome) e["report"] = nlohmann::ordered_json::parse(format_verify_json(cmd, *o.outcome));
      if (o.error_kind) e["error"] = {{"kind", error_kind_name(*o.error_kind)}, {"message", o.error}};
      list.push_back(std::move(e));
    }
    j["objects"] = std::move(list);
    const std::string out = j.dump() + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
  } else if (!quiet) {
    std::string out;
    for (const VerifiedObject& o : objects) {
      if (o.error_kind) {
        out += fmt::format("FAILED  {}: {}\n", o.job.name, o.error);
        continue;
      }
      const VerifyOutcome& v = *o.outcome;
      if (v.result.identical())
        out += fmt::format("ok      {}  {} bytes compared\n", o.job.name, v.result.compared_bytes);
      else
        out += fmt::format("{}{}  {} of {} bytes differ, first at offsets {}{}\n",
                           v.identical() ? "FIXED   " : "DIFFERS ", o.job.name, v.result.differing_bytes,
                           v.result.compared_bytes, offsets(v.result.first_differences),
                           v.identical() ? ": repaired, now identical" : "");
    }
    out += fmt::format("{:<16} {}\n", "directory", dir);
    out += fmt::format("{:<16} {} ({} identical, {} differ, {} failed)\n", "objects", objects.size(),
                       identical, differ, failed);
    out += fmt::format("{:<16} {}\n", "compared_bytes", compared);
    out += fmt::format("{:<16} {}\n", "differing_bytes", differing);
    if (each.repair) out += fmt::format("{:<16} {}\n", "repaired_bytes", repaired);
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  if (differ + failed == 0) return kExitOk;
  // Even with -q: it explains the exit code. Last on stderr, one line each.
  fmt::print(stderr, "sparseio: {} of {} objects differ or failed to verify:\n", differ + failed,
             objects.size());
  for (const VerifiedObject& o : objects) {
    if (o.error_kind)
      fmt::print(stderr, "sparseio:   {} ({}): {}\n", o.job.name, o.job.source, o.error);
    else if (!o.outcome->identical())
      fmt::print(stderr, "sparseio:   {} ({}): {} bytes differ, first at offsets {}\n", o.job.name,
                 o.job.source, o.outcome->result.differing_bytes,
                 offsets(o.outcome->result.first_differences));
  }
  if (failed == 0) return kExitDiffer;
  return differ == 0 ? exit_code_for(*kind) : kExitFailure;
}

}  // namespace sparseio::cli
