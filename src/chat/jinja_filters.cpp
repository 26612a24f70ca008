#include "chat/jinja_filters.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "chat/jinja_access.hpp"
#include "chat/jinja_json.hpp"
#include "chat/jinja_tests.hpp"
#include "chat/jinja_text.hpp"

namespace tokprob::jinja {
namespace {

using Filter = std::function<Value(const Value&, const CallArgs&)>;

// The filter's own arguments start after the filtered value.
const Value* arg(const CallArgs& a, size_t index, const char* name) { return a.get(index + 1, name); }

bool bool_arg(const CallArgs& a, size_t index, const char* name) {
  const Value* v = arg(a, index, name);
  return v && v->truthy();
}

// jinja2's attribute getter for filters: `attribute="a.b"` walks items (then attributes).
Value attribute_path(const Value& item, const std::string& path) {
  Value v = item;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    v = get_item(v, numeric ? Value(static_cast<int64_t>(std::stoll(part))) : Value(part));
    if (dot == std::string::npos) return v;
    start = dot + 1;
  }
}

// select / reject / selectattr / rejectattr: keep the items whose test (or truth) is `keep`.
Value select_items(const Value& seq, const CallArgs& a, bool keep, bool by_attribute) {
  size_t next = 1;
  std::string attribute;
  if (by_attribute) {
    if (a.positional.size() <= next || !a.positional[next].is_string()) render_error("selectattr needs an attribute name");
    attribute = a.positional[next++].as_string();
  }
  std::string test;
  if (a.positional.size() > next) {
    if (!a.positional[next].is_string()) render_error("the test name must be a str");
    test = a.positional[next++].as_string();
    if (!has_test(test)) render_error("no test named '" + test + "'");
  }
  ValueList out;
  for (const Value& item : iterate(seq)) {
    Value subject = by_attribute ? attribute_path(item, attribute) : item;
    bool passed;
    if (test.empty()) {
      passed = subject.truthy();
    } else {
      CallArgs test_args;
      test_args.positional.push_back(subject);
      for (size_t i = next; i < a.positional.size(); ++i) test_args.positional.push_back(a.positional[i]);
      passed = apply_test(test, test_args);
    }
    if (passed == keep) out.push_back(item);
  }
  return out;
}

Value to_int(const Value& v, const CallArgs& a) {
  const Value* fallback = arg(a, 0, "default");
  Value def = fallback ? *fallback : Value(int64_t{0});
  switch (v.kind()) {
    case Value::Kind::boolean:
    case Value::Kind::integer: return Value(v.as_int());
    case Value::Kind::floating: return std::isfinite(v.as_double()) ? Value(static_cast<int64_t>(std::trunc(v.as_double()))) : def;
    case Value::Kind::string: {
      std::string s = python_strip(v.as_string(), std::nullopt, true, true);
      try {
        size_t used = 0;
        int64_t i = std::stoll(s, &used, 10);
        if (used == s.size()) return Value(i);
        double d = std::stod(s, &used);
        if (used == s.size() && std::isfinite(d)) return Value(static_cast<int64_t>(std::trunc(d)));
      } catch (const std::exception&) {
      }
      return def;
    }
    default: return def;
  }
}

Value to_float(const Value& v, const CallArgs& a) {
  const Value* fallback = arg(a, 0, "default");
  Value def = fallback ? *fallback : Value(0.0);
  if (v.is_number()) return Value(v.as_double());
  if (v.is_string()) {
    std::string s = python_strip(v.as_string(), std::nullopt, true, true);
    try {
      size_t used = 0;
      double d = std::stod(s, &used);
      if (used == s.size()) return Value(d);
    } catch (const std::exception&) {
    }
  }
  return def;
}

Value tojson(const Value& v, const CallArgs& a) {
  JsonDumpOptions o;
  if (const Value* indent = arg(a, 1, "indent"); indent && !indent->is_none()) {
    if (indent->is_string()) o.indent = indent->as_string();
    else o.indent = std::string(static_cast<size_t>(std::max<int64_t>(0, indent->as_int())), ' ');
  }
  if (const Value* seps = arg(a, 2, "separators"); seps && !seps->is_none()) {
    if (!seps->is_list() || seps->list().size() != 2) render_error("separators must be a pair of str");
    o.item_separator = seps->list()[0].str();
    o.key_separator = seps->list()[1].str();
  }
  o.ensure_ascii = bool_arg(a, 0, "ensure_ascii");
  o.sort_keys = bool_arg(a, 3, "sort_keys");
  return python_json_dumps(v, o);
}

std::string require_string_arg(const CallArgs& a, size_t index, const char* name, const char* filter) {
  const Value* v = arg(a, index, name);
  if (!v) render_error(std::string(filter) + " needs the argument '" + name + "'");
  return v->str();
}

const std::map<std::string, Filter>& filters() {
  static const std::map<std::string, Filter> table = [] {
    std::map<std::string, Filter> f;
    f["trim"] = [](const Value& v, const CallArgs& a) -> Value {
      const Value* chars = arg(a, 0, "chars");
      std::optional<std::string> set;
      if (chars && !chars->is_none()) set = chars->str();
      return python_strip(v.str(), set, true, true);
    };
    f["tojson"] = tojson;
    auto len = [](const Value& v, const CallArgs&) { return Value(length(v)); };
    f["length"] = len;
    f["count"] = len;
    f["upper"] = [](const Value& v, const CallArgs&) { return Value(python_upper(v.str())); };
    f["lower"] = [](const Value& v, const CallArgs&) { return Value(python_lower(v.str())); };
    f["title"] = [](const Value& v, const CallArgs&) { return Value(python_title(v.str())); };
    f["capitalize"] = [](const Value& v, const CallArgs&) { return Value(python_capitalize(v.str())); };
    auto def = [](const Value& v, const CallArgs& a) {
      const Value* fallback = arg(a, 0, "default_value");
      bool boolean = bool_arg(a, 1, "boolean");
      if (v.is_undefined() || (boolean && !v.truthy())) return fallback ? *fallback : Value(std::string());
      return v;
    };
    f["default"] = def;
    f["d"] = def;
    f["join"] = [](const Value& v, const CallArgs& a) {
      const Value* sep = arg(a, 0, "d");
      const Value* attribute = arg(a, 1, "attribute");
      std::string out;
      bool first = true;
      for (const Value& item : iterate(v)) {
        out += first ? "" : (sep ? sep->str() : "");
        out += (attribute && !attribute->is_none() ? attribute_path(item, attribute->str()) : item).str();
        first = false;
      }
      return Value(out);
    };
    f["first"] = [](const Value& v, const CallArgs&) {
      ValueList items = iterate(v);
      return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
    };
    f["last"] = [](const Value& v, const CallArgs&) {
      ValueList items = iterate(v);
      return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
    };
    f["list"] = [](const Value& v, const CallArgs&) { return Value(iterate(v)); };
    f["items"] = [](const Value& v, const CallArgs&) -> Value {
      if (v.is_undefined()) return ValueList{};
      if (!v.is_mapping()) render_error("Can only get item pairs from a mapping.");
      ValueList out;
      for (const auto& [k, item] : v.dict().entries) out.emplace_back(ValueList{Value(k), item});
      return out;
    };
    f["dictsort"] = [](const Value& v, const CallArgs& a) -> Value {
      if (!v.is_mapping()) render_error("dictsort needs a mapping");
      bool by_value = arg(a, 1, "by") && arg(a, 1, "by")->str() == "value";
      bool reverse = bool_arg(a, 2, "reverse");
      ValueList out;
      for (const auto& [k, item] : v.dict().entries) out.emplace_back(ValueList{Value(k), item});
      std::stable_sort(out.begin(), out.end(), [&](const Value& x, const Value& y) {
        const Value &l = x.list()[by_value ? 1 : 0], &r = y.list()[by_value ? 1 : 0];
        return reverse ? less_than(r, l) : less_than(l, r);
      });
      return out;
    };
    f["select"] = [](const Value& v, const CallArgs& a) { return select_items(v, a, true, false); };
    f["reject"] = [](const Value& v, const CallArgs& a) { return select_items(v, a, false, false); };
    f["selectattr"] = [](const Value& v, const CallArgs& a) { return select_items(v, a, true, true); };
    f["rejectattr"] = [](const Value& v, const CallArgs& a) { return select_items(v, a, false, true); };
    f["map"] = [](const Value& v, const CallArgs& a) -> Value {
      ValueList out;
      if (const Value* attribute = a.get(SIZE_MAX, "attribute")) {
        const Value* fallback = a.get(SIZE_MAX, "default");
        for (const Value& item : iterate(v)) {
          Value got = attribute_path(item, attribute->str());
          out.push_back(got.is_undefined() && fallback ? *fallback : got);
        }
        return out;
      }
      if (a.positional.size() < 2 || !a.positional[1].is_string()) render_error("map needs a filter name or attribute=");
      const std::string name = a.positional[1].as_string();
      if (!has_filter(name)) render_error("no filter named '" + name + "'");
      for (const Value& item : iterate(v)) {
        CallArgs inner;
        inner.positional.push_back(item);
        for (size_t i = 2; i < a.positional.size(); ++i) inner.positional.push_back(a.positional[i]);
        inner.keywords = a.keywords;
        out.push_back(apply_filter(name, inner));
      }
      return out;
    };
    f["string"] = [](const Value& v, const CallArgs&) { return Value(v.str()); };
    f["int"] = to_int;
    f["float"] = to_float;
    f["abs"] = [](const Value& v, const CallArgs&) -> Value {
      if (v.kind() == Value::Kind::floating) return std::fabs(v.as_double());
      if (v.is_number()) return Value(v.as_int() < 0 ? -v.as_int() : v.as_int());
      render_error("bad operand type for abs(): '" + v.type_name() + "'");
    };
    f["replace"] = [](const Value& v, const CallArgs& a) {
      const Value* count = arg(a, 2, "count");
      return Value(python_replace(v.str(), require_string_arg(a, 0, "old", "replace"), require_string_arg(a, 1, "new", "replace"),
                                  count && !count->is_none() ? count->as_int() : -1));
    };
    f["reverse"] = [](const Value& v, const CallArgs&) -> Value {
      if (v.is_string()) {
        std::u32string cps = utf8_to_code_points(v.as_string());
        std::reverse(cps.begin(), cps.end());
        return code_points_to_utf8(cps);
      }
      ValueList items = iterate(v);
      std::reverse(items.begin(), items.end());
      return items;
    };
    f["sort"] = [](const Value& v, const CallArgs& a) -> Value {
      bool reverse = bool_arg(a, 0, "reverse");
      bool case_sensitive = bool_arg(a, 1, "case_sensitive");
      const Value* attribute = arg(a, 2, "attribute");
      ValueList items = iterate(v);
      auto key = [&](const Value& item) {
        Value k = attribute && !attribute->is_none() ? attribute_path(item, attribute->str()) : item;
        return !case_sensitive && k.is_string() ? Value(python_lower(k.as_string())) : k;
      };
      std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
        return reverse ? less_than(key(y), key(x)) : less_than(key(x), key(y));
      });
      return items;
    };
    f["unique"] = [](const Value& v, const CallArgs&) -> Value {
      ValueList out;
      for (const Value& item : iterate(v))
        if (std::none_of(out.begin(), out.end(), [&](const Value& o) { return o.equals(item); })) out.push_back(item);
      return out;
    };
    f["safe"] = [](const Value& v, const CallArgs&) { return v; };
    f["indent"] = [](const Value& v, const CallArgs& a) {
      const Value* width = arg(a, 0, "width");
      std::string pad = !width ? std::string(4, ' ') : width->is_string() ? width->as_string() : std::string(static_cast<size_t>(width->as_int()), ' ');
      bool first = bool_arg(a, 1, "first");
      bool blank = bool_arg(a, 2, "blank");
      std::string text = v.str(), out;
      std::vector<std::string> lines = python_split(text, std::string("\n"), -1);
      for (size_t i = 0; i < lines.size(); ++i) {
        if (i) out += '\n';
        bool indent_it = (i > 0 || first) && (blank || !python_strip(lines[i], std::nullopt, true, true).empty());
        out += (indent_it ? pad : "") + lines[i];
      }
      return Value(out);
    };
    return f;
  }();
  return table;
}

}  // namespace

bool has_filter(const std::string& name) { return filters().count(name) != 0; }

Value apply_filter(const std::string& name, const CallArgs& args) {
  auto it = filters().find(name);
  if (it == filters().end()) render_error("no filter named '" + name + "'");
  return it->second(args.positional.at(0), args);
}

}  // namespace tokprob::jinja
