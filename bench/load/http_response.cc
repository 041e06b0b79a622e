#include "bench/load/http_response.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace keyward::bench {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

void HttpResponseReader::Reset() {
  state_ = State::kHeaders;
  head_.clear();
  body_.clear();
  content_type_.clear();
  status_ = 0;
  keep_alive_ = false;
  has_length_ = false;
  chunked_ = false;
  raw_.clear();
  content_length_ = 0;
}

void HttpResponseReader::TryDechunk() {
  std::string_view in(raw_);
  std::string out;
  while (true) {
    size_t eol = in.find("\r\n");
    if (eol == std::string_view::npos) return;  // size line not complete yet
    size_t size = 0;
    auto [p, e] = std::from_chars(in.data(), in.data() + eol, size, 16);
    if (e != std::errc() || p == in.data() || size > kMaxBodyBytes) {
      state_ = State::kError;
      return;
    }
    if (size == 0) {
      // Last chunk; trailers (none expected) end with an empty line.
      if (in.substr(eol + 2).find("\r\n") == std::string_view::npos) return;
      body_ = std::move(out);
      state_ = State::kDone;
      return;
    }
    if (in.size() < eol + 2 + size + 2) return;
    out.append(in.substr(eol + 2, size));
    if (out.size() > kMaxBodyBytes) {
      state_ = State::kError;
      return;
    }
    in.remove_prefix(eol + 2 + size + 2);
  }
}

bool HttpResponseReader::ParseHeaders() {
  std::string_view all(head_);
  size_t eol = all.find("\r\n");
  std::string_view status_line = all.substr(0, eol);
  // "HTTP/1.1 200 OK"
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") return false;
  bool http11 = status_line.substr(5, 3) == "1.1";
  keep_alive_ = http11;
  auto [ptr, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, status_);
  if (ec != std::errc()) return false;
  std::string_view rest = all.substr(eol + 2);
  while (!rest.empty()) {
    size_t end = rest.find("\r\n");
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (IEquals(name, "content-length")) {
      auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), content_length_);
      if (e != std::errc() || content_length_ > kMaxBodyBytes) return false;
      has_length_ = true;
    } else if (IEquals(name, "connection")) {
      if (IEquals(value, "close")) keep_alive_ = false;
      if (IEquals(value, "keep-alive")) keep_alive_ = true;
    } else if (IEquals(name, "transfer-encoding")) {
      if (IEquals(value, "chunked")) chunked_ = true;
    } else if (IEquals(name, "content-type")) {
      content_type_.assign(value);
    }
  }
  if (chunked_) has_length_ = false;
  // Without a length or chunks the body runs to the close.
  if (!has_length_ && !chunked_) keep_alive_ = false;
  return true;
}

size_t HttpResponseReader::Feed(const char* data, size_t len) {
  size_t used = 0;
  if (state_ == State::kHeaders) {
    // Look for the blank line, allowing it to straddle two reads.
    size_t old = head_.size();
    head_.append(data, std::min(len, kMaxHeaderBytes));
    size_t start = old >= 3 ? old - 3 : 0;
    size_t end = head_.find("\r\n\r\n", start);
    if (end == std::string::npos) {
      if (head_.size() >= kMaxHeaderBytes) state_ = State::kError;
      return len;
    }
    used = end + 4 - old;
    head_.resize(end + 2);
    if (!ParseHeaders()) {
      state_ = State::kError;
      return len;
    }
    state_ = State::kBody;
    if (has_length_ && content_length_ == 0) {
      state_ = State::kDone;
      return used;
    }
  }
  if (state_ == State::kBody && chunked_) {
    if (raw_.size() + (len - used) > kMaxBodyBytes * 2) {
      state_ = State::kError;
      return len;
    }
    raw_.append(data + used, len - used);
    TryDechunk();
    return len;
  }
  if (state_ == State::kBody) {
    size_t take = len - used;
    if (has_length_) take = std::min(take, content_length_ - body_.size());
    if (body_.size() + take > kMaxBodyBytes) {
      state_ = State::kError;
      return len;
    }
    body_.append(data + used, take);
    used += take;
    if (has_length_ && body_.size() == content_length_) state_ = State::kDone;
  }
  return used;
}

void HttpResponseReader::OnEof() {
  if (state_ == State::kBody && !has_length_ && !chunked_) {
    state_ = State::kDone;
    return;
  }
  if (state_ != State::kDone) state_ = State::kError;
}

}  // namespace keyward::bench
