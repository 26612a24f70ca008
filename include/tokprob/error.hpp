// The one error type of tokprob: a message that names the file, flag or value at fault.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

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

// A bad value of one field of a task's options struct. `field` is the struct's own, neutral name
// ("top_p"); `requirement` says what is wrong without naming it ("must be in (0, 1]"). what() is
// "top_p must be in (0, 1]"; each front end prints the field in its own spelling instead
// (message_for("--top-p") on the command line, the JSON field name in an HTTP answer), so that no
// front end's spelling reaches another's users.
class OptionError : public Error {
 public:
  OptionError(std::string field, std::string requirement)
      : Error(field + " " + requirement, ErrorKind::usage), field_(std::move(field)), requirement_(std::move(requirement)) {}
  const std::string& field() const { return field_; }
  const std::string& requirement() const { return requirement_; }
  std::string message_for(const std::string& spelling) const { return spelling + " " + requirement_; }

 private:
  std::string field_, requirement_;
};

[[noreturn]] inline void fail(const std::string& message) { throw Error(message, ErrorKind::data); }
[[noreturn]] inline void usage_error(const std::string& message) {
  throw Error(message, ErrorKind::usage);
}
[[noreturn]] inline void option_error(const std::string& field, const std::string& requirement) {
  throw OptionError(field, requirement);
}

}  // namespace tokprob
