// S3's XML error bodies (<Error><Code>NoSuchKey</Code><Message>...) turned
// into one-line messages with the right error kind: kSourceMissing or kAccessDenied
// (NoSuchKey, NoSuchBucket, AccessDenied, a bad signature or
// keys), or a plain failure (a clock to fix, the rest).
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "core/errors.h"

namespace sparseio {

namespace s3 {

struct S3ErrorBody {
  std::string code;     // "NoSuchKey"
  std::string message;  // S3's own sentence
  std::string region;   // <Region> of a PermanentRedirect / AuthorizationHeaderMalformed
};

// The fields of an <Error> document; nullopt when `xml` is not one.
std::optional<S3ErrorBody> parse_s3_error(std::string_view xml);

// The exception for an error answer with HTTP `status` to a request for
// `what` (e.g. "HEAD", "bytes 0-99") of `name`. `body` may be empty (HEAD
// answers have none): the status alone then decides. `credentials` says
// where the keys came from, for the messages about them; `secret_from` where
// the secret key came from, for a refused signature.
std::exception_ptr s3_error(const std::string& name, const std::string& what, long status,
                            const std::optional<S3ErrorBody>& body, const std::string& credentials,
                            const std::string& secret_from);

}  // namespace s3
}  // namespace sparseio
