#pragma once
// RESP2 on the warm-up's raw connections: a pull parser over one buffer that
// hands out bulk strings as views into that buffer, and the command encoder.
//
// The warm-up reads about 1.5 GB of responses for a million certificates.
// hiredis would allocate a reply object and copy every value before the cache
// copies it again; here a value goes from the socket buffer straight into its
// cache entry.
//
// Every length on the wire is capped (the habit of Redis's networking.c): a
// line longer than kMaxLineBytes, an array longer than kMaxArrayElements or a
// negative length other than nil breaks the stream; a bulk string longer than
// the caller's limit is read and dropped.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace keyward::responder {

class RespReader {
 public:
  static constexpr size_t kMaxLineBytes = 4096;
  static constexpr int64_t kMaxArrayElements = int64_t{1} << 24;

  // ReadFn reads up to `len` bytes into `buf`: the count, 0 at end of stream,
  // or -1 on an error (a timeout included).
  using ReadFn = std::function<ssize_t(uint8_t* buf, size_t len)>;

  enum class Result {
    kOk,
    kErrorReply,  // Redis answered "-..."; error_text() has it. The stream stays usable.
    kBroken,      // I/O failure, end of stream or a protocol violation: drop the connection
  };

  explicit RespReader(ReadFn read, size_t initial_capacity = 256 * 1024);

  // ReadArrayHeader reads "*<n>"; *n is -1 for a nil array.
  [[nodiscard]] Result ReadArrayHeader(int64_t* n);
  // ReadBulk reads "$<len>" and its bytes. *value views the reader's buffer and
  // is valid only until the next call on this reader. *nil is set for "$-1".
  // A string longer than `max_len` is consumed and reported as *skipped (with
  // an empty *value) so one odd value cannot stall a whole warm-up.
  struct Bulk {
    std::string_view value;
    bool nil = false;
    bool skipped = false;
  };
  [[nodiscard]] Result ReadBulk(size_t max_len, Bulk* out);

  const std::string& error_text() const { return error_text_; }

 private:
  // Ensure makes at least `n` unread bytes available, reading as needed.
  bool Ensure(size_t n);
  // ReadLine returns the next CRLF-terminated line without its CRLF.
  bool ReadLine(std::string_view* line);
  // ReadHeader reads a line that starts with `kind` and a decimal length, or
  // an error reply.
  Result ReadHeader(char kind, int64_t* n);
  bool Discard(size_t n);

  ReadFn read_;
  std::vector<uint8_t> buf_;
  size_t start_ = 0;  // first unread byte
  size_t end_ = 0;    // one past the last byte read
  std::string error_text_;
};

// AppendCommand encodes one command as a RESP array of bulk strings.
void AppendCommand(std::string* out, std::initializer_list<std::string_view> args);
// AppendArrayHeader / AppendBulk encode the parts, for commands whose
// argument count is known only after the arguments are chosen.
void AppendArrayHeader(std::string* out, size_t n);
void AppendBulk(std::string* out, std::string_view arg);

}  // namespace keyward::responder
