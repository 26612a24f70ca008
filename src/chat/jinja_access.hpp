// How a template reaches into values: attributes, items, slices, the methods of str, dict and list
// that a sandboxed jinja2 allows, iteration and len(), all with Python's semantics.
#pragma once

#include <string>

#include "chat/jinja_value.hpp"
#include "tokprob/error.hpp"

namespace tokprob::jinja {

// An error while rendering (Python's TypeError, jinja2's UndefinedError, ...); the renderer adds
// the template line.
class RenderError : public Error {
 public:
  explicit RenderError(const std::string& message) : Error(message) {}
};
[[noreturn]] void render_error(const std::string& message);
// The error of using an undefined value where a value is needed; an undefined value's name is
// jinja2's hint ("'x' is undefined", "'dict object' has no attribute 'y'").
[[noreturn]] void undefined_error(const Value& undefined);

// `obj.name`: Python's attribute first (methods of str, dict and list), then the item.
Value get_attribute(const Value& obj, const std::string& name);
// `obj[key]`: the item first, then the attribute.
Value get_item(const Value& obj, const Value& key);
// `obj[start:stop:step]`; absent bounds are undefined values.
Value get_slice(const Value& obj, const Value& start, const Value& stop, const Value& step);
// What `for x in value` walks: a list's items, a dict's keys, a str's characters, nothing for an
// undefined value.
ValueList iterate(const Value& value);
int64_t length(const Value& value);
// Python's `needle in haystack`.
bool contains(const Value& haystack, const Value& needle);
// Python's `<` on numbers, strings or lists.
bool less_than(const Value& a, const Value& b);

}  // namespace tokprob::jinja
