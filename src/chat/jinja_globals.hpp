// The global functions transformers gives chat templates (raise_exception, strftime_now,
// namespace, dict) and jinja2's own (range).
#pragma once

#include "chat/jinja_renderer.hpp"
#include "tokprob/error.hpp"

namespace tokprob::jinja {

// The error raise_exception(message) throws: the template's own words, passed on unchanged.
class TemplateRaised : public Error {
 public:
  explicit TemplateRaised(const std::string& message) : Error("chat template raised an exception: " + message) {}
};

const Variables& template_globals();

}  // namespace tokprob::jinja
