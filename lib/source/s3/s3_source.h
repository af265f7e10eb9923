// An s3://BUCKET/KEY object as a Source, on top of the HTTP wing: discovery
// (a signed HEAD: size, ETag, x-amz-version-id; the bucket's region followed
// once) is done here, then the ranged GETs, their checks and retries are the
// HttpSource's, with every request signed (SigV4) through the HttpClient's
// decorate hook. A versioned object is pinned: every GET names its versionId
// (and the next run asks for the version the sidecar recorded); an
// unversioned one sends If-Match: ETAG, so a 412 means it changed. S3's XML
// errors become one-line messages; 503 SlowDown lowers the parallelism.
#pragma once

#include <memory>
#include <string>

#include "source/http/http_options.h"
#include "source/s3/aws_config.h"
#include "source/s3/s3_options.h"
#include "source/source.h"

namespace sparseio {

class HttpSource;

class S3Source : public Source {
 public:
  // Resolves credentials, region and endpoint (from `env` and the AWS
  // files) and discovers the object; throws Error (of kind kSourceMissing or kAccessDenied
  // when it does not exist or access is denied).
  S3Source(const std::string& uri, const S3Options& s3, HttpOptions http,
           const s3::AwsEnvironment& env = s3::AwsEnvironment::process());
  ~S3Source() override;

  const std::string& name() const override { return name_; }
  uint64_t size() const override;
  SourceIdentity identity() const override;
  size_t read_at(uint64_t offset, std::span<std::byte> buf) override;
  void fetch_into(ByteRange r, ExtentWriter& out) override;
  uint64_t default_chunk_size() const override { return kHttpDefaultChunkSize; }
  bool remote() const override { return true; }  // the scheduler adapts to the link, as for URLs
  double latency_hint_s() const override;        // the discovery HEAD's wait

  struct State;  // credentials, signing region, throttle: shared with the client's hooks

 private:
  std::string name_;
  std::string target_;
  std::shared_ptr<State> state_;
  std::unique_ptr<HttpSource> http_;
};

}  // namespace sparseio
