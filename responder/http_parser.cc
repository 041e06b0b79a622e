#include "responder/http_parser.h"

#include <strings.h>

#include <cstring>

namespace keyward::responder {
namespace {

HttpRequestParser* Self(llhttp_t* p) { return static_cast<HttpRequestParser*>(p->data); }

// Every request field or value costs this much on top of its bytes (": ",
// CRLF) when checking max_header_bytes.
constexpr size_t kHeaderLineOverhead = 4;

bool ValueIsOcspRequest(std::string_view v) {
  // "application/ocsp-request", optionally followed by parameters.
  constexpr std::string_view kType = "application/ocsp-request";
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  if (v.size() < kType.size()) return false;
  if (strncasecmp(v.data(), kType.data(), kType.size()) != 0) return false;
  std::string_view rest = v.substr(kType.size());
  return rest.empty() || rest.front() == ';' || rest.front() == ' ' || rest.front() == '\t';
}

}  // namespace

HttpRequestParser::HttpRequestParser(const HttpLimits& limits, RequestSink* sink)
    : limits_(limits), sink_(sink) {
  llhttp_settings_init(&settings_);
  settings_.on_message_begin = OnMessageBeginCb;
  settings_.on_url = OnUrlCb;
  settings_.on_header_field = OnHeaderFieldCb;
  settings_.on_header_value = OnHeaderValueCb;
  settings_.on_header_value_complete = OnHeaderValueCompleteCb;
  settings_.on_headers_complete = OnHeadersCompleteCb;
  settings_.on_body = OnBodyCb;
  settings_.on_message_complete = OnMessageCompleteCb;
  llhttp_init(&parser_, HTTP_REQUEST, &settings_);
  parser_.data = this;
  // Reserve once per connection so later requests reuse the capacity.
  url_.reserve(limits_.max_url_bytes < 1024 ? limits_.max_url_bytes : 1024);
  body_.reserve(limits_.max_body_bytes < 1024 ? limits_.max_body_bytes : 1024);
}

int HttpRequestParser::Fail(int status) {
  error_status_ = status;
  refused_ = true;
  return -1;
}

bool HttpRequestParser::CountHeader(size_t len) {
  header_bytes_ += len;
  return header_bytes_ <= limits_.max_header_bytes;
}

int HttpRequestParser::OnMessageBeginCb(llhttp_t* p) {
  HttpRequestParser* self = Self(p);
  self->in_message_ = true;
  self->url_.clear();
  self->body_.clear();
  self->header_bytes_ = 0;
  self->field_len_ = 0;
  self->field_overflow_ = false;
  self->field_done_ = true;
  self->value_len_ = 0;
  self->content_type_present_ = false;
  self->content_type_ocsp_ = false;
  self->sink_->OnMessageBegin();
  return 0;
}

int HttpRequestParser::OnUrlCb(llhttp_t* p, const char* at, size_t len) {
  HttpRequestParser* self = Self(p);
  if (self->url_.size() + len > self->limits_.max_url_bytes) return self->Fail(414);
  self->url_.insert(self->url_.end(), at, at + len);
  return 0;
}

int HttpRequestParser::OnHeaderFieldCb(llhttp_t* p, const char* at, size_t len) {
  HttpRequestParser* self = Self(p);
  if (!self->CountHeader(len + (self->field_done_ ? kHeaderLineOverhead : 0))) {
    return self->Fail(431);
  }
  if (self->field_done_) {  // a new header line starts
    self->field_len_ = 0;
    self->field_overflow_ = false;
    self->value_len_ = 0;
    self->field_done_ = false;
  }
  if (self->field_len_ + len > kFieldCap) {
    self->field_overflow_ = true;
  } else {
    std::memcpy(self->field_ + self->field_len_, at, len);
    self->field_len_ += len;
  }
  return 0;
}

int HttpRequestParser::OnHeaderValueCb(llhttp_t* p, const char* at, size_t len) {
  HttpRequestParser* self = Self(p);
  if (!self->CountHeader(len)) return self->Fail(431);
  self->field_done_ = true;
  size_t room = kValueCap - self->value_len_;
  size_t n = len < room ? len : room;
  std::memcpy(self->value_ + self->value_len_, at, n);
  self->value_len_ += n;
  return 0;
}

int HttpRequestParser::OnHeaderValueCompleteCb(llhttp_t* p) {
  HttpRequestParser* self = Self(p);
  self->field_done_ = true;
  constexpr std::string_view kContentType = "content-type";
  if (!self->field_overflow_ && self->field_len_ == kContentType.size() &&
      strncasecmp(self->field_, kContentType.data(), kContentType.size()) == 0) {
    self->content_type_present_ = true;
    self->content_type_ocsp_ = ValueIsOcspRequest(std::string_view(self->value_, self->value_len_));
  }
  self->value_len_ = 0;
  return 0;
}

int HttpRequestParser::OnHeadersCompleteCb(llhttp_t* p) {
  HttpRequestParser* self = Self(p);
  // Refuse an announced body that cannot fit before reading any of it.
  if ((p->flags & F_CONTENT_LENGTH) && p->content_length > self->limits_.max_body_bytes) {
    return self->Fail(413);
  }
  return 0;
}

int HttpRequestParser::OnBodyCb(llhttp_t* p, const char* at, size_t len) {
  HttpRequestParser* self = Self(p);
  if (self->body_.size() + len > self->limits_.max_body_bytes) return self->Fail(413);
  self->body_.insert(self->body_.end(), at, at + len);
  return 0;
}

int HttpRequestParser::OnMessageCompleteCb(llhttp_t* p) {
  HttpRequestParser* self = Self(p);
  self->in_message_ = false;
  HttpRequest req;
  req.method = llhttp_get_method(p);
  req.http_major = llhttp_get_http_major(p);
  req.http_minor = llhttp_get_http_minor(p);
  req.keep_alive = llhttp_should_keep_alive(p) != 0;
  req.content_type_present = self->content_type_present_;
  req.content_type_ocsp = self->content_type_ocsp_;
  req.target = std::string_view(self->url_.data(), self->url_.size());
  req.body = der::Bytes(self->body_.data(), self->body_.size());
  if (self->sink_->OnRequest(req) == SinkAction::kPause) return HPE_PAUSED;
  // A request that ends the connection ends parsing too; what follows it on
  // the wire is not answered.
  if (!req.keep_alive) return HPE_PAUSED;
  return 0;
}

HttpRequestParser::Status HttpRequestParser::Feed(const char* data, size_t len, size_t* consumed) {
  llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  if (err == HPE_OK) {
    *consumed = len;
    return Status::kConsumed;
  }
  if (err == HPE_PAUSED) {
    const char* pos = llhttp_get_error_pos(&parser_);
    *consumed =
        pos != nullptr && pos >= data && pos <= data + len ? static_cast<size_t>(pos - data) : len;
    return Status::kPaused;
  }
  // A refusal from one of our callbacks chose its status (413, 414, 431);
  // anything llhttp itself rejects is a 400.
  if (!refused_) error_status_ = 400;
  *consumed = len;
  return Status::kError;
}

void HttpRequestParser::Resume() {
  if (llhttp_get_errno(&parser_) == HPE_PAUSED) llhttp_resume(&parser_);
}

}  // namespace keyward::responder
