#include "chat/jinja_globals.hpp"

#include <ctime>

#include "chat/jinja_access.hpp"

namespace tokprob::jinja {
namespace {

ValueDict keywords_to_dict(const CallArgs& args, const char* function) {
  ValueDict d;
  for (const Value& p : args.positional) {
    if (!p.is_mapping()) render_error(std::string(function) + "() takes a mapping or keyword arguments");
    for (const auto& [k, v] : p.dict().entries) d.set(k, v);
  }
  for (const auto& [k, v] : args.keywords) d.set(k, v);
  return d;
}

}  // namespace

const Variables& template_globals() {
  static const Variables globals = [] {
    Variables g;
    g["raise_exception"] = Value::function("raise_exception", [](const CallArgs& args) -> Value {
      const Value* message = args.get(0, "message");
      throw TemplateRaised(message ? message->str() : "");
    });
    // datetime.now().strftime(format): local time, as Python's.
    g["strftime_now"] = Value::function("strftime_now", [](const CallArgs& args) -> Value {
      const Value* format = args.get(0, "format");
      if (!format || !format->is_string()) render_error("strftime_now() needs a format string");
      std::time_t now = std::time(nullptr);
      std::tm local{};
      localtime_r(&now, &local);
      char buf[512];
      size_t n = std::strftime(buf, sizeof buf, format->as_string().c_str(), &local);
      return std::string(buf, n);
    });
    g["namespace"] = Value::function("namespace", [](const CallArgs& args) -> Value {
      ValueDict attributes = keywords_to_dict(args, "namespace");
      for (const auto& entry : attributes.entries)
        if (!entry.first.empty() && entry.first[0] == '_')
          render_error("chat templates cannot store underscore-prefixed attributes on a namespace, but got '" +
                       entry.first + "'");
      return Value::make_namespace(std::move(attributes));
    });
    g["dict"] = Value::function("dict", [](const CallArgs& args) -> Value { return keywords_to_dict(args, "dict"); });
    g["range"] = Value::function("range", [](const CallArgs& args) -> Value {
      std::vector<int64_t> bounds;
      for (const Value& v : args.positional) {
        if (v.kind() != Value::Kind::integer && v.kind() != Value::Kind::boolean) render_error("range() takes integers");
        bounds.push_back(v.as_int());
      }
      if (bounds.empty() || bounds.size() > 3) render_error("range() takes 1 to 3 arguments");
      int64_t start = bounds.size() > 1 ? bounds[0] : 0, stop = bounds.size() > 1 ? bounds[1] : bounds[0];
      int64_t step = bounds.size() > 2 ? bounds[2] : 1;
      if (step == 0) render_error("range() arg 3 must not be zero");
      ValueList out;
      for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
        out.emplace_back(i);
        if (out.size() > 100000) render_error("range() too large for a chat template");
      }
      return out;
    });
    return g;
  }();
  return globals;
}

}  // namespace tokprob::jinja
