#include "responder/warm_resp.h"

#include <algorithm>
#include <cstring>

namespace keyward::responder {

RespReader::RespReader(ReadFn read, size_t initial_capacity)
    : read_(std::move(read)), buf_(initial_capacity < 64 ? 64 : initial_capacity) {}

bool RespReader::Ensure(size_t n) {
  if (end_ - start_ >= n) return true;
  if (buf_.size() - start_ < n) {
    // Move the unread tail (less than one value) to the front; grow only for
    // a value larger than the whole buffer.
    std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
    if (buf_.size() < n) buf_.resize(std::max(n, buf_.size() * 2));
  }
  while (end_ - start_ < n) {
    ssize_t got = read_(buf_.data() + end_, buf_.size() - end_);
    if (got <= 0) return false;
    end_ += static_cast<size_t>(got);
  }
  return true;
}

bool RespReader::ReadLine(std::string_view* line) {
  size_t scanned = 0;
  for (;;) {
    const uint8_t* begin = buf_.data() + start_;
    const void* nl = std::memchr(begin + scanned, '\n', end_ - start_ - scanned);
    if (nl != nullptr) {
      size_t len = static_cast<size_t>(static_cast<const uint8_t*>(nl) - begin);
      if (len == 0 || begin[len - 1] != '\r') return false;
      *line = std::string_view(reinterpret_cast<const char*>(begin), len - 1);
      start_ += len + 1;
      return true;
    }
    scanned = end_ - start_;
    if (scanned >= kMaxLineBytes) return false;
    if (!Ensure(scanned + 1)) return false;
  }
}

RespReader::Result RespReader::ReadHeader(char kind, int64_t* n) {
  std::string_view line;
  if (!ReadLine(&line) || line.empty()) return Result::kBroken;
  if (line[0] == '-') {
    error_text_.assign(line.substr(1));
    return Result::kErrorReply;
  }
  if (line[0] != kind) return Result::kBroken;
  std::string_view digits = line.substr(1);
  if (digits == "-1") {
    *n = -1;
    return Result::kOk;
  }
  // Nothing we read is longer than 19 digits; that also rules out overflow.
  if (digits.empty() || digits.size() > 18) return Result::kBroken;
  int64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return Result::kBroken;
    v = v * 10 + (c - '0');
  }
  *n = v;
  return Result::kOk;
}

RespReader::Result RespReader::ReadArrayHeader(int64_t* n) {
  Result r = ReadHeader('*', n);
  if (r == Result::kOk && *n > kMaxArrayElements) return Result::kBroken;
  return r;
}

bool RespReader::Discard(size_t n) {
  while (n > 0) {
    if (end_ == start_) {
      start_ = end_ = 0;
      if (!Ensure(1)) return false;
    }
    size_t take = end_ - start_ < n ? end_ - start_ : n;
    start_ += take;
    n -= take;
  }
  return true;
}

RespReader::Result RespReader::ReadBulk(size_t max_len, Bulk* out) {
  *out = Bulk{};
  int64_t len = 0;
  Result r = ReadHeader('$', &len);
  if (r != Result::kOk) return r;
  if (len == -1) {
    out->nil = true;
    return Result::kOk;
  }
  size_t body = static_cast<size_t>(len);
  if (body > max_len) {
    out->skipped = true;
    if (!Discard(body) || !Ensure(2)) return Result::kBroken;
  } else if (!Ensure(body + 2)) {
    return Result::kBroken;
  }
  const uint8_t* p = buf_.data() + start_;
  size_t at = out->skipped ? 0 : body;
  if (p[at] != '\r' || p[at + 1] != '\n') return Result::kBroken;
  if (!out->skipped) out->value = std::string_view(reinterpret_cast<const char*>(p), body);
  start_ += at + 2;
  return Result::kOk;
}

void AppendArrayHeader(std::string* out, size_t n) {
  out->push_back('*');
  out->append(std::to_string(n));
  out->append("\r\n");
}

void AppendBulk(std::string* out, std::string_view arg) {
  out->push_back('$');
  out->append(std::to_string(arg.size()));
  out->append("\r\n");
  out->append(arg);
  out->append("\r\n");
}

void AppendCommand(std::string* out, std::initializer_list<std::string_view> args) {
  AppendArrayHeader(out, args.size());
  for (std::string_view a : args) AppendBulk(out, a);
}

}  // namespace keyward::responder
