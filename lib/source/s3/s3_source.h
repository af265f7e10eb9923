// An s3://BUCKET/KEY object as a Source, on top of the HTTP wing: discovery
// (a signed HEAD: size, ETag, x-amz-version-id; the bucket's region followed
// once) is done here, then the ranged GETs, their checks and retries are the
// HttpSource's, with every request signed (SigV4) through the HttpClient's
// decorate hook. A versioned object is pinned: every GET names its versionId
// (and the next run asks for the version the sidecar recorded); an
// unversioned one sends If-Match: ETAG, so a 412 means it changed. S3's XML
// errors become one-line messages; 503 SlowDown lowers the parallelism.
// An object named by a listing (s3_list.h) is not discovered: the listing's
// size and ETag are its identity, and a NoSuchKey to its GET means it was
// deleted since the listing (a changed source).
#pragma once

#include <memory>
#include <string>

#include "source/http/http_options.h"
#include "source/s3/aws_config.h"
#include "source/s3/s3_options.h"
#include "source/source.h"

namespace sparseio {

class HttpClient;
class HttpSource;
namespace s3 {
struct Session;
struct S3Location;
struct S3Endpoint;
}  // namespace s3

class S3Source : public Source {
 public:
  // Resolves credentials, region and endpoint (from `env` and the AWS
  // files) and discovers the object (unless `s3.listed` gives its size and
  // ETag: then no request is made here); throws Error (of kind kSourceMissing or kAccessDenied
  // when it does not exist or access is denied).
  S3Source(const std::string& uri, const S3Options& s3, HttpOptions http,
           const s3::AwsEnvironment& env = s3::AwsEnvironment::process());
  ~S3Source() override;

  const std::string& name() const override { return name_; }
  uint64_t size() const override;
  SourceIdentity identity() const override;
  size_t read_at(uint64_t offset, std::span<std::byte> buf) override;
  using Source::fetch_into;
  void fetch_into(ByteRange r, ExtentWriter& out, LinkObserver& link) override;
  uint64_t default_chunk_size() const override { return kHttpDefaultChunkSize; }
  bool remote() const override { return true; }  // the scheduler adapts to the link, as for URLs
  double latency_hint_s() const override;        // the discovery HEAD's wait

 private:
  // The source of an object whose size and ETag a listing gave: no request.
  void from_listing(const s3::S3Location& loc, const s3::S3Endpoint& endpoint, const S3Listed& listed,
                    std::unique_ptr<HttpClient> client);

  std::string name_;
  std::string target_;
  // Credentials, signing region, throttle: shared with the client's hooks.
  std::shared_ptr<s3::Session> state_;
  std::unique_ptr<HttpSource> http_;
};

}  // namespace sparseio
