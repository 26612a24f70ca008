// The one error type of tokprob: a message that names the file, flag or value at fault.
#pragma once

#include <stdexcept>
#include <string>

namespace tokprob {

// What went wrong decides the command-line exit status: usage errors (a bad flag or argument)
// exit 2, data errors (a missing or corrupt file, text the model cannot take) exit 1.
enum class ErrorKind { usage, data };

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorKind kind = ErrorKind::data)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  int exit_code() const { return kind_ == ErrorKind::usage ? 2 : 1; }

 private:
  ErrorKind kind_;
};

[[noreturn]] inline void fail(const std::string& message) { throw Error(message, ErrorKind::data); }
[[noreturn]] inline void usage_error(const std::string& message) {
  throw Error(message, ErrorKind::usage);
}

}  // namespace tokprob
