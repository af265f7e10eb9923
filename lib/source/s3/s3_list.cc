// ListObjectsV2: the page parser, the page URL, and the paginated listing.
#include "source/s3/s3_list.h"

#include <fmt/format.h>

#include <optional>

#include "core/errors.h"
#include "core/log.h"
#include "source/http/http_attempt.h"
#include "source/http/http_client.h"
#include "source/http/http_headers.h"
#include "source/http/http_response.h"
#include "source/s3/s3_error.h"
#include "source/s3/s3_session.h"
#include "source/s3/sigv4.h"

namespace sparseio::s3 {
namespace {

// A page of 1,000 keys of 1,024 bytes each is about 1.5 MB of XML: a body
// far larger is not a listing, and holding it would only cost memory.
constexpr size_t kMaxPageBytes = 32u << 20;

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class PageParser {
 public:
  PageParser(std::string_view xml, const std::string& what) : xml_(xml), what_(what) {}

  ListPage parse() {
    while (at_ < xml_.size()) {
      if (xml_[at_] != '<') {
        const size_t lt = std::min(xml_.find('<', at_), xml_.size());
        text(xml_.substr(at_, lt - at_));
        at_ = lt;
      } else if (starts("<?")) {
        skip_past("?>", "a processing instruction is not closed");
      } else if (starts("<!--")) {
        skip_past("-->", "a comment is not closed");
      } else if (starts("<!")) {
        throw fail("it has a DTD or CDATA section, which S3 does not send");
      } else {
        tag();
      }
    }
    if (!root_seen_) throw fail("it is not a <ListBucketResult> document (empty, or not XML)");
    if (!stack_.empty()) throw fail(fmt::format("it ends inside <{}>", stack_.back()));
    if (!truncated_) throw fail("it has no <IsTruncated>");
    page_.truncated = *truncated_;
    if (page_.truncated && page_.next_token.empty())
      throw fail("it says IsTruncated but gives no NextContinuationToken");
    return std::move(page_);
  }

 private:
  Error fail(const std::string& why) const {
    return Error(fmt::format("{}: the listing's answer (ListObjectsV2) is malformed: {}", what_, why));
  }

  bool starts(std::string_view s) const { return xml_.substr(at_).starts_with(s); }

  void skip_past(std::string_view end, const char* why) {
    const size_t e = xml_.find(end, at_);
    if (e == std::string_view::npos) throw fail(why);
    at_ = e + end.size();
  }

  // Character data: kept for the element it is in, entities decoded.
  void text(std::string_view raw) {
    const bool blank = raw.find_first_not_of(" \t\r\n") == std::string_view::npos;
    if (stack_.empty()) {
      if (!blank) throw fail(root_seen_ ? "text after the document's end" : "text before the document");
      return;
    }
    // XML cannot carry a NUL, and a key holding one would name a different
    // file than S3 does (found by the s3_list fuzzer).
    if (raw.find('\0') != std::string_view::npos) throw fail("a NUL byte, which XML cannot carry");
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        text_ += raw[i];
        continue;
      }
      const size_t semi = raw.find(';', i);
      if (semi == std::string_view::npos || semi - i > 12)
        throw fail(fmt::format("a bare '&' in <{}>", stack_.back()));
      const std::string_view ent = raw.substr(i + 1, semi - i - 1);
      i = semi;
      if (ent == "amp")
        text_ += '&';
      else if (ent == "lt")
        text_ += '<';
      else if (ent == "gt")
        text_ += '>';
      else if (ent == "quot")
        text_ += '"';
      else if (ent == "apos")
        text_ += '\'';
      else if (ent.starts_with('#'))
        text_ += char_ref(ent.substr(1));
      else
        throw fail(fmt::format("an unknown entity &{};", message_excerpt(std::string(ent))));
    }
  }

  std::string char_ref(std::string_view digits) const {
    const bool hex = digits.starts_with('x') || digits.starts_with('X');
    if (hex) digits.remove_prefix(1);
    uint32_t cp = 0;
    if (digits.empty() || digits.size() > 8) throw fail("a malformed character reference");
    for (char c : digits) {
      int v = c >= '0' && c <= '9'          ? c - '0'
              : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
              : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                            : -1;
      if (v < 0) throw fail("a malformed character reference");
      cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
    }
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      throw fail(fmt::format("a character reference to U+{:X}, which XML cannot carry", cp));
    std::string out;
    append_utf8(out, cp);
    return out;
  }

  void tag() {
    const size_t gt = xml_.find('>', at_);
    if (gt == std::string_view::npos) throw fail("a tag is not closed");
    std::string_view body = xml_.substr(at_ + 1, gt - at_ - 1);
    at_ = gt + 1;
    const bool closing = body.starts_with('/');
    if (closing) body.remove_prefix(1);
    const bool empty_element = !closing && body.ends_with('/');
    std::string_view name = body.substr(0, body.find_first_of(" \t\r\n/"));
    if (const size_t colon = name.find(':'); colon != std::string_view::npos) name.remove_prefix(colon + 1);
    if (name.empty()) throw fail("a tag without a name");
    if (closing) {
      if (stack_.empty() || stack_.back() != name)
        throw fail(fmt::format("</{}> closes {}", message_excerpt(std::string(name)),
                               stack_.empty() ? "nothing" : "<" + stack_.back() + ">"));
      close();
      return;
    }
    if (stack_.empty()) {
      if (root_seen_) throw fail("a second document element");
      if (name != "ListBucketResult")
        throw fail(
            fmt::format("the document is <{}>, not <ListBucketResult>", message_excerpt(std::string(name))));
      root_seen_ = true;
    }
    stack_.emplace_back(name);
    text_.clear();
    if (stack_.size() == 2 && name == "Contents") current_ = ListedKey{};
    if (empty_element) close();
  }

  // An element ends: a field of the page or of a <Contents> is complete.
  void close() {
    const std::string& name = stack_.back();
    if (stack_.size() == 2) {
      if (name == "IsTruncated") {
        if (text_ != "true" && text_ != "false")
          throw fail(fmt::format("IsTruncated is \"{}\", not true or false", message_excerpt(text_)));
        truncated_ = text_ == "true";
      } else if (name == "NextContinuationToken") {
        page_.next_token = text_;
      } else if (name == "Contents") {
        if (!has_key_) throw fail("a <Contents> without a <Key>");
        if (!has_size_)
          throw fail(fmt::format("the key \"{}\" has no <Size>", message_excerpt(current_.key)));
        page_.keys.push_back(std::move(current_));
        has_key_ = has_size_ = false;
      }
    } else if (stack_.size() == 3 && stack_[1] == "Contents") {
      if (name == "Key") {
        current_.key = text_;
        has_key_ = true;
      } else if (name == "Size") {
        const std::optional<uint64_t> size = parse_decimal(text_);
        if (!size) throw fail(fmt::format("the size \"{}\" is not a byte count", message_excerpt(text_)));
        current_.size = *size;
        has_size_ = true;
      } else if (name == "ETag") {
        current_.etag = text_;
      }
    }
    stack_.pop_back();
    text_.clear();
  }

  std::string_view xml_;
  const std::string& what_;
  size_t at_ = 0;
  std::vector<std::string> stack_;  // the open elements, names without a namespace prefix
  std::string text_;                // character data of the innermost open element
  bool root_seen_ = false;
  std::optional<bool> truncated_;
  ListedKey current_;  // the <Contents> being read
  bool has_key_ = false, has_size_ = false;
  ListPage page_;
};

// Keeps the body of a 2xx answer (other answers' bodies go to the session's
// on_response hook, which throws S3's explanation).
class Collect : public ResponseSink {
 public:
  explicit Collect(const std::string& name) : name_(name) {}
  Action on_headers(const HttpResponse& r) override {
    body_.clear();
    return is_success(r.status()) ? Action::kBody : Action::kDiscard;
  }
  bool on_body(std::span<const std::byte> data) override {
    if (body_.size() + data.size() > kMaxPageBytes)
      throw Error(fmt::format("{}: a page of the listing is larger than {} MiB: not a listing", name_,
                              kMaxPageBytes >> 20));
    body_.append(reinterpret_cast<const char*>(data.data()), data.size());
    return true;
  }
  const std::string& body() const { return body_; }

 private:
  const std::string& name_;
  std::string body_;
};

}  // namespace

ListPage parse_list_page(std::string_view xml, const std::string& what) {
  return PageParser(xml, what).parse();
}

std::string list_url(const S3Endpoint& e, const std::string& bucket, const std::string& prefix,
                     const std::string& token) {
  // The bucket's URL as botocore writes it: https://B.host/ virtual-hosted,
  // https://host/B path-style.
  std::string url = object_url(e, S3Location{bucket, ""});
  if (e.path_style) url.pop_back();
  url += "?list-type=2&prefix=" + uri_encode(prefix, false);
  if (!token.empty()) url += "&continuation-token=" + uri_encode(token, false);
  return url;
}

Listing list_objects(const std::string& name, const std::string& bucket, const std::string& prefix,
                     const S3Options& o, HttpOptions http, const AwsEnvironment& env) {
  http.jobs = 1;  // pages follow one another: one connection
  OpenedSession opened = open_session(name, bucket, o, std::move(http), env);
  Session& st = *opened.session;
  st.what = "LIST";
  Listing out;
  bool region_followed = false;
  std::string token;
  for (;;) {
    const std::string url = list_url(opened.endpoint, bucket, prefix, token);
    HttpRequest req;
    req.url = url;
    Collect sink(name);
    const std::string what = fmt::format("LIST page {}", out.pages + 1);
    HttpResult r = perform_with_retries(*opened.client, req, sink, name, what);
    if (r.code != CURLE_OK)
      throw Error(fmt::format("{}: {}: {}", name, redact_url(url), r.cause()), curl_kind(r.code));
    const long status = r.response.status();
    if (!is_success(status)) {
      if (out.pages == 0 && follow_bucket_region(st, opened.endpoint, r.response, region_followed)) continue;
      std::rethrow_exception(
          s3_error(name, what, status, std::nullopt, st.credential_source, st.secret_source));
    }
    if (out.pages == 0) out.latency_s = r.wait_s;
    ListPage page = parse_list_page(sink.body(), fmt::format("{} ({})", name, what));
    ++out.pages;
    log::debug("{}: {}: {} keys{}", name, what, page.keys.size(), page.truncated ? ", more follow" : "");
    out.keys.insert(out.keys.end(), std::make_move_iterator(page.keys.begin()),
                    std::make_move_iterator(page.keys.end()));
    if (!page.truncated) break;
    if (page.next_token == token)
      throw Error(
          fmt::format("{}: the listing repeats its continuation token after {} pages", name, out.pages));
    token = std::move(page.next_token);
  }
  if (region_followed) out.region = st.region;
  return out;
}

}  // namespace sparseio::s3
