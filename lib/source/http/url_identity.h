// The part of an HTTP(S) URL that names the object, for the source identity
// recorded in the sidecar: two URLs with the same identity are the same
// object, so bytes fetched through one may be completed through the other.
//
// The rule (documented in README.md, "HTTP and HTTPS sources"):
//  - the scheme and host are compared in lower case, a default port (80 for
//    http, 443 for https) is dropped, and so are the user-info (credentials
//    are not the object) and the fragment (never sent);
//  - the path is kept exactly;
//  - query parameters that sign a URL or limit its lifetime are dropped, so
//    that a freshly presigned URL of the same object is the same source:
//      * any name starting with "X-Amz-" (AWS SigV4) or "X-Goog-" (GCS V4);
//      * AWSAccessKeyId, Signature, Expires (S3 V2, CloudFront), GoogleAccessId
//        (GCS V2), Key-Pair-Id and Policy (CloudFront), token and access_token;
//      * when the query carries "sig" (an Azure shared access signature), its
//        SAS fields too: sig, sv, ss, srt, sp, se, st, spr, sip, si, sr, sdd,
//        ses, skoid, sktid, skt, ske, sks, skv, saoid, suoid, scid;
//    names are compared without regard to case; every other parameter is kept,
//    in its order, byte for byte.
#pragma once

#include <string>
#include <string_view>

namespace sparseio {

// The identity of `url` by the rule above. A URL it cannot split (no "://")
// comes back unchanged.
std::string url_identity(std::string_view url);

// True when query parameter `name` is dropped from the identity; `azure_sas`
// says whether the query carries "sig".
bool is_signature_parameter(std::string_view name, bool azure_sas);

}  // namespace sparseio
