#include "server/api_error.hpp"

#include <exception>
#include <new>

#include "tokprob/error.hpp"

namespace tokprob {

nlohmann::json to_json(const ApiError& e) {
  return {{"error", {{"message", e.message}, {"type", e.type}, {"code", e.code}}}};
}

ApiError api_error_from_current_exception(const std::function<std::string(const std::string&)>& field_name) {
  try {
    throw;
  } catch (const OptionError& e) {
    return {400, e.message_for(field_name ? field_name(e.field()) : e.field()), "invalid_request_error",
            "invalid_field"};
  } catch (const Error& e) {
    return {400, e.what(), "invalid_request_error", e.kind() == ErrorKind::usage ? "invalid_field" : "invalid_input"};
  } catch (const nlohmann::json::exception& e) {
    return {400, std::string("bad JSON value: ") + e.what(), "invalid_request_error", "invalid_field"};
  } catch (const std::bad_alloc&) {
    return {503, "out of memory", "server_error", "out_of_memory"};
  } catch (const std::exception& e) {
    return {500, e.what(), "server_error", "internal_error"};
  } catch (...) {
    return {500, "unknown error", "server_error", "internal_error"};
  }
}

}  // namespace tokprob
