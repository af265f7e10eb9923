// Manifest JSON with nlohmann-json. The reader walks the JSON by hand, field
// by field, so that a bad manifest's error names the field at fault
// ("objects[3].ranges[0].length: missing") instead of the JSON library's
// internal wording.
#include "plan/manifest.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <set>

#include "core/relative_name.h"
#include "core/unique_fd.h"

namespace sparseio::plan {
namespace {

using ojson = nlohmann::ordered_json;

uint64_t total_of(const Manifest& m) {
  std::vector<ByteRange> v;
  for (const PlanItem& it : m.items) v.push_back(it.range);
  uint64_t total = 0;
  for (const ByteRange& r : coalesce(std::move(v))) total += r.size();
  return total;
}

ojson shard_json(const std::optional<ShardSpec>& s) {
  return s ? ojson(fmt::format("{}/{}", s->index, s->count)) : ojson(nullptr);
}

// The fields of one object: identity, counts and ranges (both versions).
void put_object(ojson& j, const Manifest& m) {
  ojson id;
  id["size"] = m.identity.size;
  if (m.identity.mtime_ns) id["mtime_ns"] = m.identity.mtime_ns;
  if (!m.identity.etag.empty()) id["etag"] = m.identity.etag;
  if (!m.identity.last_modified.empty()) id["last_modified"] = m.identity.last_modified;
  j["identity"] = id;
  j["round_trips"] = m.round_trips;
  j["read_bytes"] = m.read_bytes;
  j["total_bytes"] = total_of(m);
  ojson ranges = ojson::array();
  for (const PlanItem& it : m.items) {
    ojson r;
    r["offset"] = it.range.begin;
    r["length"] = it.range.size();
    r["what"] = it.label;
    r["metadata"] = it.metadata;
    if (it.present) r["present"] = *it.present;
    ranges.push_back(std::move(r));
  }
  j["ranges"] = std::move(ranges);
}

// Reads fields of one manifest file, naming the file and the field's path in
// every error.
class FieldReader {
 public:
  explicit FieldReader(const std::string& file) : file_(file) {}

  [[noreturn]] void bad(const std::string& path, std::string_view why) const {
    throw UsageError(fmt::format("plan {}: malformed: {}: {}", file_, path, why));
  }
  // nullptr when absent and not required.
  const nlohmann::json* get(const nlohmann::json& obj, const std::string& path, const char* key,
                            bool required) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required) bad(join(path, key), "missing");
      return nullptr;
    }
    return &*it;
  }
  const nlohmann::json& object(const nlohmann::json& obj, const std::string& path, const char* key) const {
    const nlohmann::json& v = *get(obj, path, key, true);
    if (!v.is_object()) bad(join(path, key), "must be a JSON object");
    return v;
  }
  const nlohmann::json& array(const nlohmann::json& obj, const std::string& path, const char* key) const {
    const nlohmann::json& v = *get(obj, path, key, true);
    if (!v.is_array()) bad(join(path, key), "must be a JSON array");
    return v;
  }
  std::optional<uint64_t> number(const nlohmann::json& obj, const std::string& path, const char* key,
                                 bool required) const {
    const nlohmann::json* v = get(obj, path, key, required);
    if (!v) return std::nullopt;
    if (!v->is_number_unsigned()) bad(join(path, key), "must be a non-negative integer");
    return v->get<uint64_t>();
  }
  std::optional<std::string> text(const nlohmann::json& obj, const std::string& path, const char* key,
                                  bool required) const {
    const nlohmann::json* v = get(obj, path, key, required);
    if (!v) return std::nullopt;
    if (!v->is_string()) bad(join(path, key), "must be a string");
    return v->get<std::string>();
  }
  std::optional<bool> flag(const nlohmann::json& obj, const std::string& path, const char* key) const {
    const nlohmann::json* v = get(obj, path, key, false);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) bad(join(path, key), "must be true or false");
    return v->get<bool>();
  }
  static std::string join(const std::string& path, const char* key) {
    return path.empty() ? key : path + "." + key;
  }

 private:
  const std::string& file_;
};

// select and shard: top-level in both versions.
void read_common(const FieldReader& f, const nlohmann::json& j, Manifest& m) {
  if (const nlohmann::json* s = f.get(j, "", "select", false)) {
    if (!s->is_array()) f.bad("select", "must be an array of FORMAT:WHAT strings");
    for (size_t i = 0; i < s->size(); ++i) {
      if (!(*s)[i].is_string()) f.bad(fmt::format("select[{}]", i), "must be a string");
      m.select.push_back((*s)[i].get<std::string>());
    }
  }
  if (auto s = f.text(j, "", "shard", false)) {
    try {
      m.shard = parse_shard(*s);
    } catch (const UsageError& e) {
      f.bad("shard", e.what());
    }
  }
}

// One object's fields below `path` ("" in version 1, "objects[i]" in 2).
void read_object(const FieldReader& f, const nlohmann::json& j, const std::string& path, Manifest& m) {
  m.source = *f.text(j, path, "source", true);
  const std::string id_path = FieldReader::join(path, "identity");
  const nlohmann::json& id = f.object(j, path, "identity");
  m.identity.size = *f.number(id, id_path, "size", true);
  if (const nlohmann::json* t = f.get(id, id_path, "mtime_ns", false)) {
    if (!t->is_number_integer()) f.bad(id_path + ".mtime_ns", "must be an integer");
    m.identity.mtime_ns = t->get<int64_t>();
  }
  m.identity.etag = f.text(id, id_path, "etag", false).value_or("");
  m.identity.last_modified = f.text(id, id_path, "last_modified", false).value_or("");
  m.round_trips = f.number(j, path, "round_trips", false).value_or(0);
  m.read_bytes = f.number(j, path, "read_bytes", false).value_or(0);
  const nlohmann::json& ranges = f.array(j, path, "ranges");
  for (size_t i = 0; i < ranges.size(); ++i) {
    const std::string at = fmt::format("{}[{}]", FieldReader::join(path, "ranges"), i);
    const nlohmann::json& r = ranges[i];
    if (!r.is_object()) f.bad(at, "must be a JSON object {\"offset\": N, \"length\": N}");
    const uint64_t off = *f.number(r, at, "offset", true), len = *f.number(r, at, "length", true);
    if (len > m.identity.size || off > m.identity.size - len)
      f.bad(at,
            fmt::format("range {}+{} lies past the end of the object ({} bytes)", off, len, m.identity.size));
    PlanItem it;
    it.range = {off, off + len};
    it.label = f.text(r, at, "what", false).value_or("");
    it.metadata = f.flag(r, at, "metadata").value_or(false);
    m.items.push_back(std::move(it));
  }
}

}  // namespace

std::string manifest_to_json(const Manifest& m) {
  ojson j;
  j["sparseio_plan"] = kManifestVersion;
  j["source"] = m.source;
  j["select"] = m.select;
  j["shard"] = shard_json(m.shard);
  put_object(j, m);
  // The v1 order of keys (identity before select) as written before v2.
  ojson out;
  for (const char* k : {"sparseio_plan", "source", "identity", "select", "shard", "round_trips", "read_bytes",
                        "total_bytes", "ranges"})
    out[k] = std::move(j[k]);
  return out.dump(1) + "\n";
}

std::string plan_file_to_json(const PlanFile& f) {
  if (f.version == kManifestVersion) {
    if (f.objects.size() != 1)
      throw Error(fmt::format("a version 1 plan holds one object, not {}", f.objects.size()));
    return manifest_to_json(f.objects.front());
  }
  ojson j;
  j["sparseio_plan"] = kManyManifestVersion;
  j["select"] = f.objects.empty() ? std::vector<std::string>() : f.objects.front().select;
  j["shard"] = shard_json(f.objects.empty() ? std::nullopt : f.objects.front().shard);
  uint64_t trips = 0, read = 0, total = 0;
  for (const Manifest& m : f.objects) {
    trips += m.round_trips;
    read += m.read_bytes;
    total += total_of(m);
  }
  j["round_trips"] = trips;
  j["read_bytes"] = read;
  j["total_bytes"] = total;
  ojson objects = ojson::array();
  for (const Manifest& m : f.objects) {
    ojson o;
    o["name"] = m.name;
    o["source"] = m.source;
    put_object(o, m);
    objects.push_back(std::move(o));
  }
  j["objects"] = std::move(objects);
  return j.dump(1) + "\n";
}

PlanFile plan_file_from_json(const std::string& text, const std::string& name) {
  auto bad = [&](std::string_view why) -> UsageError {
    return UsageError(fmt::format("plan {}: {}", name, why));
  };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw bad("not a JSON object (expected a `sparseio plan --json` manifest)");
  auto v = j.find("sparseio_plan");
  if (v == j.end() || !v->is_number_integer()) throw bad("no \"sparseio_plan\" version: not a sparseio plan");
  const int64_t version = v->get<int64_t>();
  if (version != kManifestVersion && version != kManyManifestVersion)
    throw bad(fmt::format("version {} is not supported (this sparseio reads versions {} and {})", version,
                          kManifestVersion, kManyManifestVersion));
  const FieldReader f(name);
  PlanFile out;
  out.version = static_cast<int>(version);
  Manifest common;
  read_common(f, j, common);
  if (version == kManifestVersion) {
    read_object(f, j, "", common);
    out.objects.push_back(std::move(common));
    return out;
  }
  const nlohmann::json& objects = f.array(j, "", "objects");
  std::set<std::string> names;
  for (size_t i = 0; i < objects.size(); ++i) {
    const std::string at = fmt::format("objects[{}]", i);
    if (!objects[i].is_object()) f.bad(at, "must be a JSON object");
    Manifest m = common;
    m.name = *f.text(objects[i], at, "name", true);
    // A manifest is input from elsewhere: its names are as hostile as a list's.
    if (auto why = relative_name_problem(m.name))
      f.bad(at + ".name", fmt::format("refusing \"{}\": {}", message_excerpt(m.name), *why));
    if (!names.insert(m.name).second)
      f.bad(at + ".name", fmt::format("\"{}\" is named twice", message_excerpt(m.name)));
    read_object(f, objects[i], at, m);
    out.objects.push_back(std::move(m));
  }
  return out;
}

Manifest manifest_from_json(const std::string& text, const std::string& name) {
  PlanFile f = plan_file_from_json(text, name);
  if (f.version != kManifestVersion)
    throw UsageError(fmt::format("plan {}: a plan of {} objects (version {}): fetch it into a directory DST",
                                 name, f.objects.size(), f.version));
  return std::move(f.objects.front());
}

PlanFile load_plan_file(const std::string& path) {
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
  return plan_file_from_json(text, path == "-" ? "(standard input)" : path);
}

Manifest load_manifest(const std::string& path) {
  PlanFile f = load_plan_file(path);
  if (f.version != kManifestVersion)
    throw UsageError(fmt::format("plan {}: a plan of {} objects (version {}): fetch it into a directory DST",
                                 path, f.objects.size(), f.version));
  return std::move(f.objects.front());
}

bool same_object(const SourceIdentity& a, const SourceIdentity& b) {
  return a.size == b.size && a.mtime_ns == b.mtime_ns && a.etag == b.etag &&
         a.last_modified == b.last_modified;
}

}  // namespace sparseio::plan
