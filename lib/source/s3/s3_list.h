// Listing the keys below a prefix of a bucket (ListObjectsV2), for a SRC
// that names many objects (s3://BUCKET/PREFIX/ or a glob over keys: the
// glob itself is matched in api/s3_objects). The listing's size and ETag of
// each key are what the S3 source then takes as the object's identity
// (S3Options::listed), so no HEAD is sent per object.
//
// A page is GET /?list-type=2&prefix=P[&continuation-token=T], signed and
// retried like every request of the wing (s3_session.h); S3 answers up to
// 1,000 keys a page and says IsTruncated with a NextContinuationToken until
// the last. The page's XML is read by parse_list_page, a pure function
// (unit-tested and fuzzed), not by a general XML library: S3's answer is a
// flat, known document, and a malformed one must be an error naming the
// listing, never a crash or a silently short list.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "source/http/http_options.h"
#include "source/s3/aws_config.h"
#include "source/s3/s3_options.h"
#include "source/s3/s3_settings.h"

namespace sparseio::s3 {

struct ListedKey {
  std::string key;  // raw (XML entities decoded)
  uint64_t size = 0;
  std::string etag;  // as S3 spells it, quotes included ("\"9b2c...\"")

  friend bool operator==(const ListedKey&, const ListedKey&) = default;
};

struct ListPage {
  std::vector<ListedKey> keys;  // in S3's order (UTF-8 binary order of the keys)
  bool truncated = false;       // more pages follow
  std::string next_token;       // NextContinuationToken when truncated
};

// Pure: one ListObjectsV2 answer (<ListBucketResult>). Decodes XML's five
// named entities and numeric character references (&#38;, &#x26;). Throws
// Error naming `what` and why for anything else: not XML, unbalanced or
// unknown structure where the fields live, a <Contents> without <Key> or
// with a <Size> that is not a 64-bit decimal, an unknown entity or &#0;,
// IsTruncated true without a NextContinuationToken.
ListPage parse_list_page(std::string_view xml, const std::string& what);

// Pure: the URL of one page: the bucket's URL (path- or virtual-hosted
// style, as object_url) with list-type=2, the prefix and the token encoded.
std::string list_url(const S3Endpoint& e, const std::string& bucket, const std::string& prefix,
                     const std::string& token);

struct Listing {
  std::vector<ListedKey> keys;  // every page's, in order
  size_t pages = 0;
  // For the objects' sources: the region the bucket answered from when a
  // redirect was followed there (else empty: the configured one), and how
  // long the first page waited.
  std::string region;
  double latency_s = 0;
};

// Lists every key of `bucket` starting with `prefix` (may be empty), page
// after page; `name` (the SRC) names it in messages. S3's errors (no such
// bucket, access denied) are Errors of their kinds, as for an object.
Listing list_objects(const std::string& name, const std::string& bucket, const std::string& prefix,
                     const S3Options& o, HttpOptions http,
                     const AwsEnvironment& env = AwsEnvironment::process());

}  // namespace sparseio::s3
