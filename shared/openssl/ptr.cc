#include "shared/openssl/ptr.h"

#include <openssl/err.h>

#include <string>

namespace keyward::openssl {

std::string DrainErrors() {
  unsigned long first = ERR_get_error();
  std::string text;
  if (first != 0) {
    char buf[256];
    ERR_error_string_n(first, buf, sizeof(buf));
    text = buf;
  }
  ERR_clear_error();
  return text;
}

}  // namespace keyward::openssl
