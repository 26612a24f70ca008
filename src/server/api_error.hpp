// Errors as the OpenAI API returns them: an HTTP status and {"error": {"message", "type", "code"}}.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace tokprob {

struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";  // or "server_error"
  std::string code;                            // machine-readable reason, e.g. "invalid_field"
};

nlohmann::json to_json(const ApiError& e);

// What a caught exception becomes: tokprob::Error is the client's fault (400: a bad field or a
// text the model cannot take), anything else the server's (500). An OptionError names the task
// option by `field_name(its neutral field)`, the request's spelling (by default the same name).
ApiError api_error_from_current_exception(const std::function<std::string(const std::string&)>& field_name = {});

}  // namespace tokprob
