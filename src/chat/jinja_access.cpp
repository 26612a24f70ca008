#include "chat/jinja_access.hpp"

#include <algorithm>

#include "chat/jinja_text.hpp"

namespace tokprob::jinja {

void render_error(const std::string& message) { throw RenderError(message); }

void undefined_error(const Value& undefined) {
  render_error(undefined.name().empty() ? "a value is undefined" : undefined.name());
}

namespace {

const std::string& string_arg(const CallArgs& args, size_t index, const char* name, const std::string& method) {
  const Value* v = args.get(index, name);
  if (!v || !v->is_string()) render_error(method + "() needs a str argument '" + name + "'");
  return v->as_string();
}

std::optional<std::string> optional_string_arg(const CallArgs& args, size_t index, const char* name) {
  const Value* v = args.get(index, name);
  if (!v || v->is_none()) return std::nullopt;
  if (!v->is_string()) render_error(std::string("argument '") + name + "' must be str or None, not " + v->type_name());
  return v->as_string();
}

int64_t int_arg(const CallArgs& args, size_t index, const char* name, int64_t fallback) {
  const Value* v = args.get(index, name);
  if (!v || v->is_none()) return fallback;
  if (v->kind() != Value::Kind::integer && v->kind() != Value::Kind::boolean)
    render_error(std::string("argument '") + name + "' must be int, not " + v->type_name());
  return v->as_int();
}

// str.startswith / endswith accept one prefix or a tuple of them.
bool affix_match(const std::string& text, const Value& affixes, bool prefix) {
  auto one = [&](const Value& a) {
    if (!a.is_string()) render_error(std::string(prefix ? "startswith" : "endswith") + " first arg must be str or a tuple of str");
    const std::string& s = a.as_string();
    if (s.size() > text.size()) return false;
    return prefix ? text.compare(0, s.size(), s) == 0 : text.compare(text.size() - s.size(), s.size(), s) == 0;
  };
  if (affixes.is_list()) return std::any_of(affixes.list().begin(), affixes.list().end(), one);
  return one(affixes);
}

ValueList strings_to_values(const std::vector<std::string>& parts) {
  ValueList out;
  for (const auto& p : parts) out.emplace_back(p);
  return out;
}

Value call_string_method(const std::string& s, const std::string& name, const CallArgs& args) {
  if (name == "strip" || name == "lstrip" || name == "rstrip")
    return python_strip(s, optional_string_arg(args, 0, "chars"), name != "rstrip", name != "lstrip");
  if (name == "split") return strings_to_values(python_split(s, optional_string_arg(args, 0, "sep"), int_arg(args, 1, "maxsplit", -1)));
  if (name == "startswith" || name == "endswith") {
    const Value* a = args.get(0, "prefix");
    if (!a) render_error(name + "() takes at least 1 argument");
    return affix_match(s, *a, name == "startswith");
  }
  if (name == "replace")
    return python_replace(s, string_arg(args, 0, "old", name), string_arg(args, 1, "new", name), int_arg(args, 2, "count", -1));
  if (name == "upper") return python_upper(s);
  if (name == "lower") return python_lower(s);
  if (name == "title") return python_title(s);
  if (name == "capitalize") return python_capitalize(s);
  if (name == "find") {
    size_t hit = s.find(string_arg(args, 0, "sub", name));
    if (hit == std::string::npos) return Value(int64_t{-1});
    return Value(static_cast<int64_t>(utf8_to_code_points(s.substr(0, hit)).size()));
  }
  if (name == "count") {
    const std::string& sub = string_arg(args, 0, "sub", name);
    if (sub.empty()) return Value(static_cast<int64_t>(utf8_to_code_points(s).size() + 1));
    int64_t n = 0;
    for (size_t pos = s.find(sub); pos != std::string::npos; pos = s.find(sub, pos + sub.size())) ++n;
    return Value(n);
  }
  if (name == "join") {
    const Value* items = args.get(0, "iterable");
    if (!items) render_error("join() takes exactly one argument");
    std::string out;
    bool first = true;
    for (const Value& v : iterate(*items)) {
      if (!v.is_string()) render_error("sequence item: expected str instance, " + v.type_name() + " found");
      out += (first ? "" : s) + v.as_string();
      first = false;
    }
    return out;
  }
  if (name == "isspace" || name == "isdigit" || name == "isalpha" || name == "isupper" || name == "islower") {
    std::u32string cps = utf8_to_code_points(s);
    if (cps.empty()) return false;
    if (name == "isspace") return std::all_of(cps.begin(), cps.end(), [](char32_t c) { return is_python_space(c); });
    if (name == "isdigit") return std::all_of(cps.begin(), cps.end(), [](char32_t c) { return c >= '0' && c <= '9'; });
    if (name == "isalpha")
      return std::all_of(cps.begin(), cps.end(), [](char32_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; });
    return name == "isupper" ? python_upper(s) == s && python_lower(s) != s : python_lower(s) == s && python_upper(s) != s;
  }
  render_error("'str object' has no attribute '" + name + "'");
}

Value call_dict_method(const Value& d, const std::string& name, const CallArgs& args) {
  const ValueDict& dict = d.dict();
  if (name == "items") {
    ValueList out;
    for (const auto& [k, v] : dict.entries) out.emplace_back(ValueList{Value(k), v});
    return out;
  }
  if (name == "keys") {
    ValueList out;
    for (const auto& entry : dict.entries) out.emplace_back(entry.first);
    return out;
  }
  if (name == "values") {
    ValueList out;
    for (const auto& entry : dict.entries) out.push_back(entry.second);
    return out;
  }
  if (name == "get") {
    const Value* key = args.get(0, "key");
    if (!key) render_error("get expected at least 1 argument, got 0");
    const Value* found = key->is_string() ? dict.find(key->as_string()) : nullptr;
    if (found) return *found;
    const Value* fallback = args.get(1, "default");
    return fallback ? *fallback : Value::none();
  }
  render_error("'dict object' has no attribute '" + name + "'");
}

Value call_list_method(const Value& l, const std::string& name, const CallArgs& args) {
  const Value* x = args.get(0, "value");
  if (!x) render_error(name + "() takes exactly one argument (0 given)");
  if (name == "count") return Value(static_cast<int64_t>(std::count_if(l.list().begin(), l.list().end(), [&](const Value& v) { return v.equals(*x); })));
  for (size_t i = 0; i < l.list().size(); ++i)
    if (l.list()[i].equals(*x)) return Value(static_cast<int64_t>(i));
  render_error(x->repr() + " is not in list");
}

bool is_method(const Value& obj, const std::string& name) {
  static const char* const kString[] = {"strip", "lstrip", "rstrip", "split", "startswith", "endswith", "replace",
                                         "upper", "lower", "title", "capitalize", "find", "count", "join",
                                         "isspace", "isdigit", "isalpha", "isupper", "islower"};
  static const char* const kDict[] = {"items", "keys", "values", "get"};
  static const char* const kList[] = {"index", "count"};
  auto in = [&](const auto& names) { return std::find(std::begin(names), std::end(names), name) != std::end(names); };
  if (obj.is_string()) return in(kString);
  if (obj.is_mapping()) return in(kDict);
  if (obj.is_list()) return in(kList);
  return false;
}

// The sandbox refuses methods that change a value (ImmutableSandboxedEnvironment).
bool is_mutating_method(const Value& obj, const std::string& name) {
  static const char* const kMutating[] = {"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
                                          "update", "setdefault", "popitem", "add", "discard"};
  return (obj.is_list() || obj.is_mapping()) &&
         std::find(std::begin(kMutating), std::end(kMutating), name) != std::end(kMutating);
}

Value bound_method(const Value& obj, const std::string& name) {
  return Value::function(name, [obj, name](const CallArgs& args) -> Value {
    if (obj.is_string()) return call_string_method(obj.as_string(), name, args);
    if (obj.is_mapping()) return call_dict_method(obj, name, args);
    return call_list_method(obj, name, args);
  });
}

// Python's slice.indices(): the clamped start, stop and step for a sequence of `len` items.
void slice_indices(const Value& start_v, const Value& stop_v, const Value& step_v, int64_t len, int64_t& start,
                   int64_t& stop, int64_t& step) {
  auto bound = [](const Value& v) -> std::optional<int64_t> {
    if (v.is_undefined() || v.is_none()) return std::nullopt;
    if (v.kind() != Value::Kind::integer && v.kind() != Value::Kind::boolean)
      render_error("slice indices must be integers or None");
    return v.as_int();
  };
  step = bound(step_v).value_or(1);
  if (step == 0) render_error("slice step cannot be zero");
  auto adjust = [&](std::optional<int64_t> i, int64_t fallback) {
    if (!i) return fallback;
    int64_t v = *i;
    if (v < 0) {
      v += len;
      if (v < 0) v = step < 0 ? -1 : 0;
    } else if (v >= len) {
      v = step < 0 ? len - 1 : len;
    }
    return v;
  };
  start = adjust(bound(start_v), step < 0 ? len - 1 : 0);
  stop = adjust(bound(stop_v), step < 0 ? -1 : len);
}

std::string object_name(const Value& obj) {
  std::string name = "'";
  name += obj.type_name();
  name += " object'";
  return name;
}

}  // namespace

Value get_attribute(const Value& obj, const std::string& name) {
  if (obj.is_undefined()) undefined_error(obj);
  if (is_method(obj, name)) return bound_method(obj, name);
  if (is_mutating_method(obj, name))
    render_error("access to attribute '" + name + "' of " + object_name(obj) + " is unsafe");
  if (obj.is_mapping() || obj.kind() == Value::Kind::namespace_) {
    if (const Value* v = obj.dict().find(name)) return *v;
  }
  return Value::undefined(object_name(obj) + " has no attribute '" + name + "'");
}

Value get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) undefined_error(obj);
  if (obj.is_mapping() && key.is_string()) {
    if (const Value* v = obj.dict().find(key.as_string())) return *v;
  }
  if ((obj.is_list() || obj.is_string()) && (key.kind() == Value::Kind::integer || key.kind() == Value::Kind::boolean)) {
    if (obj.is_list()) {
      int64_t n = static_cast<int64_t>(obj.list().size());
      int64_t i = key.as_int() < 0 ? key.as_int() + n : key.as_int();
      if (i >= 0 && i < n) return obj.list()[static_cast<size_t>(i)];
    } else {
      std::u32string cps = utf8_to_code_points(obj.as_string());
      int64_t n = static_cast<int64_t>(cps.size());
      int64_t i = key.as_int() < 0 ? key.as_int() + n : key.as_int();
      if (i >= 0 && i < n) return code_points_to_utf8(std::u32string(1, cps[static_cast<size_t>(i)]));
    }
    return Value::undefined(object_name(obj) + " has no element " + key.repr());
  }
  if (key.is_string()) {
    if (is_method(obj, key.as_string())) return bound_method(obj, key.as_string());
    if (obj.kind() == Value::Kind::namespace_) {
      if (const Value* v = obj.dict().find(key.as_string())) return *v;
    }
  }
  return Value::undefined(object_name(obj) + " has no element " + key.repr());
}

Value get_slice(const Value& obj, const Value& start_v, const Value& stop_v, const Value& step_v) {
  if (obj.is_undefined()) undefined_error(obj);
  if (!obj.is_list() && !obj.is_string()) render_error(object_name(obj) + " is not subscriptable");
  std::u32string cps = obj.is_string() ? utf8_to_code_points(obj.as_string()) : std::u32string();
  int64_t len = obj.is_list() ? static_cast<int64_t>(obj.list().size()) : static_cast<int64_t>(cps.size());
  int64_t start, stop, step;
  slice_indices(start_v, stop_v, step_v, len, start, stop, step);
  ValueList items;
  std::u32string chars;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (obj.is_list()) items.push_back(obj.list()[static_cast<size_t>(i)]);
    else chars += cps[static_cast<size_t>(i)];
  }
  if (obj.is_list()) return items;
  return code_points_to_utf8(chars);
}

ValueList iterate(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::undefined: return {};
    case Value::Kind::list: return value.list();
    case Value::Kind::dict: {
      ValueList keys;
      for (const auto& entry : value.dict().entries) keys.emplace_back(entry.first);
      return keys;
    }
    case Value::Kind::string: {
      ValueList chars;
      for (char32_t c : utf8_to_code_points(value.as_string())) chars.emplace_back(code_points_to_utf8(std::u32string(1, c)));
      return chars;
    }
    default: render_error(object_name(value) + " is not iterable");
  }
}

int64_t length(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::undefined: return 0;
    case Value::Kind::list: return static_cast<int64_t>(value.list().size());
    case Value::Kind::dict: return static_cast<int64_t>(value.dict().entries.size());
    case Value::Kind::string: return static_cast<int64_t>(utf8_to_code_points(value.as_string()).size());
    default: render_error("object of type '" + value.type_name() + "' has no len()");
  }
}

bool contains(const Value& haystack, const Value& needle) {
  if (haystack.is_string()) {
    if (!needle.is_string()) render_error("'in <string>' requires string as left operand, not " + needle.type_name());
    return haystack.as_string().find(needle.as_string()) != std::string::npos;
  }
  if (haystack.is_mapping()) return needle.is_string() && haystack.dict().find(needle.as_string()) != nullptr;
  if (haystack.is_list() || haystack.is_undefined()) {
    for (const Value& v : iterate(haystack))
      if (v.equals(needle)) return true;
    return false;
  }
  render_error("argument of type '" + haystack.type_name() + "' is not iterable");
}

bool less_than(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind() == Value::Kind::floating || b.kind() == Value::Kind::floating) return a.as_double() < b.as_double();
    return a.as_int() < b.as_int();
  }
  if (a.is_string() && b.is_string()) return a.as_string() < b.as_string();  // UTF-8 order is code-point order
  if (a.is_list() && b.is_list()) {
    const ValueList &x = a.list(), &y = b.list();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!x[i].equals(y[i])) return less_than(x[i], y[i]);
    }
    return x.size() < y.size();
  }
  if (a.is_undefined()) undefined_error(a);
  if (b.is_undefined()) undefined_error(b);
  render_error("'<' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() + "'");
}

}  // namespace tokprob::jinja
