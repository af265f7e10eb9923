// S3 prefixes and globs as objects: the split, the naming, the listing.
#include "api/s3_objects.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"
#include "plan/glob.h"
#include "source/s3/s3_settings.h"

namespace sparseio {

std::optional<S3Collection> s3_collection(const std::string& src) {
  if (!s3::is_s3_uri(src)) return std::nullopt;
  const std::string rest = src.substr(5);
  const size_t slash = rest.find('/');
  S3Collection c;
  c.bucket = rest.substr(0, slash);
  const std::string key = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (c.bucket.empty()) return std::nullopt;  // parse_s3_uri's message says it
  size_t wild = std::string::npos;
  std::string literal;
  for (size_t i = 0; i < key.size(); ++i) {
    if (key[i] == '\\' && i + 1 < key.size()) {
      literal += key[++i];
    } else if (key[i] == '*' || key[i] == '?' || key[i] == '[' || key[i] == '{') {
      wild = i;
      break;
    } else {
      literal += key[i];
    }
  }
  if (wild == std::string::npos) {
    if (!key.empty() && !key.ends_with('/')) return std::nullopt;  // one object
    c.prefix = c.name_base = key;
    return c;
  }
  c.prefix = literal;
  c.name_base = literal.substr(0, literal.rfind('/') + 1);  // npos + 1 == 0: no folder
  c.glob = key;
  return c;
}

std::vector<ObjectJob> jobs_from_listing(const std::string& src, const S3Collection& c,
                                         const s3::Listing& listing) {
  std::optional<plan::Glob> glob;
  if (c.glob) glob.emplace(*c.glob, "the key pattern of " + src);
  std::vector<ObjectJob> jobs;
  for (const s3::ListedKey& k : listing.keys) {
    if (!k.key.starts_with(c.prefix)) continue;  // S3 only answers these; a server that does not is ignored
    if (glob && !glob->matches(k.key)) continue;
    if (k.key.ends_with('/')) {
      log::debug("{}: skipping {}: a folder marker, not an object", src, k.key);
      continue;
    }
    ObjectJob j;
    j.source = fmt::format("s3://{}/{}", c.bucket, k.key);
    j.name = k.key.substr(c.name_base.size());
    j.listed = S3Listed{k.size, k.etag, listing.latency_s, listing.region};
    jobs.push_back(std::move(j));
  }
  return jobs;
}

std::vector<ObjectJob> list_s3_objects(const std::string& src, const S3Collection& c, const HttpOptions& http,
                                       const S3Options& s3) {
  const s3::Listing listing = s3::list_objects(src, c.bucket, c.prefix, s3, http);
  std::vector<ObjectJob> jobs = jobs_from_listing(src, c, listing);
  log::info("{}: {} keys listed in {} page(s), {} object(s) to fetch", src, listing.keys.size(),
            listing.pages, jobs.size());
  if (jobs.empty())
    throw Error(c.glob ? fmt::format("{}: no key matches the pattern ({} keys listed under \"{}\")", src,
                                     listing.keys.size(), c.prefix)
                       : fmt::format("{}: no objects under this prefix", src),
                ErrorKind::kSourceMissing);
  return jobs;
}

}  // namespace sparseio
