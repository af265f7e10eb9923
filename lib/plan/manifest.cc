// Manifest JSON with nlohmann-json.
#include "plan/manifest.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "core/unique_fd.h"

namespace sparseio::plan {

std::string manifest_to_json(const Manifest& m) {
  nlohmann::ordered_json j;
  j["sparseio_plan"] = kManifestVersion;
  j["source"] = m.source;
  nlohmann::ordered_json id;
  id["size"] = m.identity.size;
  if (m.identity.mtime_ns) id["mtime_ns"] = m.identity.mtime_ns;
  if (!m.identity.etag.empty()) id["etag"] = m.identity.etag;
  if (!m.identity.last_modified.empty()) id["last_modified"] = m.identity.last_modified;
  j["identity"] = id;
  j["select"] = m.select;
  j["shard"] = m.shard ? nlohmann::ordered_json(fmt::format("{}/{}", m.shard->index, m.shard->count))
                       : nlohmann::ordered_json(nullptr);
  j["round_trips"] = m.round_trips;
  j["read_bytes"] = m.read_bytes;
  uint64_t total = 0;
  for (const ByteRange& r : coalesce([&] {
         std::vector<ByteRange> v;
         for (const PlanItem& it : m.items) v.push_back(it.range);
         return v;
       }()))
    total += r.size();
  j["total_bytes"] = total;
  nlohmann::ordered_json ranges = nlohmann::ordered_json::array();
  for (const PlanItem& it : m.items) {
    nlohmann::ordered_json r;
    r["offset"] = it.range.begin;
    r["length"] = it.range.size();
    r["what"] = it.label;
    r["metadata"] = it.metadata;
    if (it.present) r["present"] = *it.present;
    ranges.push_back(std::move(r));
  }
  j["ranges"] = std::move(ranges);
  return j.dump(1) + "\n";
}

Manifest manifest_from_json(const std::string& text, const std::string& name) {
  auto bad = [&](std::string_view why) -> UsageError {
    return UsageError(fmt::format("plan {}: {}", name, why));
  };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw bad("not a JSON object (expected a `sparseio plan --json` manifest)");
  auto v = j.find("sparseio_plan");
  if (v == j.end() || !v->is_number_integer()) throw bad("no \"sparseio_plan\" version: not a sparseio plan");
  if (v->get<int64_t>() != kManifestVersion)
    throw bad(fmt::format("version {} is not supported (this sparseio reads version {})", v->get<int64_t>(),
                          kManifestVersion));
  Manifest m;
  try {
    m.source = j.at("source").get<std::string>();
    const auto& id = j.at("identity");
    m.identity.size = id.at("size").get<uint64_t>();
    m.identity.mtime_ns = id.value("mtime_ns", int64_t{0});
    m.identity.etag = id.value("etag", std::string());
    m.identity.last_modified = id.value("last_modified", std::string());
    if (j.contains("select")) m.select = j["select"].get<std::vector<std::string>>();
    if (j.contains("shard") && j["shard"].is_string()) m.shard = parse_shard(j["shard"].get<std::string>());
    m.round_trips = j.value("round_trips", uint64_t{0});
    m.read_bytes = j.value("read_bytes", uint64_t{0});
    for (const auto& r : j.at("ranges")) {
      PlanItem it;
      const uint64_t off = r.at("offset").get<uint64_t>(), len = r.at("length").get<uint64_t>();
      if (len > m.identity.size || off > m.identity.size - len)
        throw bad(
            fmt::format("range {}+{} lies past the end of the object ({} bytes)", off, len, m.identity.size));
      it.range = {off, off + len};
      it.label = r.value("what", std::string());
      it.metadata = r.value("metadata", false);
      m.items.push_back(std::move(it));
    }
  } catch (const nlohmann::json::exception& e) {
    throw bad(fmt::format("malformed: {}", e.what()));
  }
  return m;
}

Manifest load_manifest(const std::string& path) {
  UniqueFd owned;
  int fd = STDIN_FILENO;
  if (path != "-") {
    owned.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!owned.valid()) throw UsageError(errno_message(fmt::format("cannot read plan {}", path), errno));
    fd = owned.get();
  }
  std::string text;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw UsageError(errno_message(fmt::format("cannot read plan {}", path), errno));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return manifest_from_json(text, path == "-" ? "(standard input)" : path);
}

bool same_object(const SourceIdentity& a, const SourceIdentity& b) {
  return a.size == b.size && a.mtime_ns == b.mtime_ns && a.etag == b.etag &&
         a.last_modified == b.last_modified;
}

}  // namespace sparseio::plan
