// The values a chat template computes with, modelled on the Python objects jinja2 hands a
// template: None, bools, ints, floats, str, list, dict (insertion-ordered), namespace(), functions
// and jinja2's Undefined. Lists, dicts and namespaces are shared (as Python objects are), so that
// `{% set ns.x = ... %}` is seen through every name bound to the namespace.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tokprob::jinja {

class Value;
using ValueList = std::vector<Value>;
struct ValueDict {
  std::vector<std::pair<std::string, Value>> entries;  // insertion order, as Python's dict
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  void set(const std::string& key, Value value);
};

// Positional and keyword arguments of a call, as Python passes them.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keywords;
  // The argument at `index` or named `name`; nullptr when the call has neither.
  const Value* get(size_t index, std::string_view name) const;
};
using Function = std::function<Value(const CallArgs&)>;

class Value {
 public:
  enum class Kind { undefined, none, boolean, integer, floating, string, list, dict, namespace_, function };

  Value() = default;  // undefined
  static Value undefined(std::string name) { Value v; v.text_ = std::move(name); return v; }
  static Value none() { Value v; v.kind_ = Kind::none; return v; }
  Value(bool b) : kind_(Kind::boolean), int_(b) {}
  Value(int64_t i) : kind_(Kind::integer), int_(i) {}
  Value(int i) : kind_(Kind::integer), int_(i) {}
  Value(double d) : kind_(Kind::floating), float_(d) {}
  Value(std::string s) : kind_(Kind::string), text_(std::move(s)) {}
  Value(const char* s) : kind_(Kind::string), text_(s) {}
  Value(ValueList list) : kind_(Kind::list), list_(std::make_shared<ValueList>(std::move(list))) {}
  Value(ValueDict dict) : kind_(Kind::dict), dict_(std::make_shared<ValueDict>(std::move(dict))) {}
  static Value make_namespace(ValueDict attributes);
  static Value function(std::string name, Function f);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::undefined; }
  bool is_none() const { return kind_ == Kind::none; }
  bool is_string() const { return kind_ == Kind::string; }
  bool is_number() const { return kind_ == Kind::integer || kind_ == Kind::floating || kind_ == Kind::boolean; }
  bool is_list() const { return kind_ == Kind::list; }
  bool is_mapping() const { return kind_ == Kind::dict; }

  bool as_bool() const { return int_ != 0; }
  int64_t as_int() const { return int_; }
  double as_double() const { return kind_ == Kind::floating ? float_ : static_cast<double>(int_); }
  const std::string& as_string() const { return text_; }
  // The name an undefined value was looked up by, or a function's name.
  const std::string& name() const { return text_; }
  ValueList& list() const { return *list_; }
  ValueDict& dict() const { return *dict_; }  // a dict's entries or a namespace's attributes
  const Function& callable() const { return *function_; }

  bool truthy() const;
  // Python's str(): what `{{ value }}` prints (an undefined value prints nothing).
  std::string str() const;
  // Python's repr(), used inside the str() of lists and dicts.
  std::string repr() const;
  // Python's type name, for messages ("str", "dict", "NoneType").
  std::string type_name() const;
  // Python's ==.
  bool equals(const Value& other) const;
  // Python's identity of the values templates test with `is sameas` (True, False, None).
  bool same_as(const Value& other) const;

 private:
  Kind kind_ = Kind::undefined;
  int64_t int_ = 0;
  double float_ = 0;
  std::string text_;
  std::shared_ptr<ValueList> list_;
  std::shared_ptr<ValueDict> dict_;
  std::shared_ptr<Function> function_;
};

// Python's repr() of a float ("1.0", "0.1", "1e+20", "inf").
std::string python_float_repr(double value);
// Python's repr() of a str ('it''s' -> "it's").
std::string python_string_repr(const std::string& text);

}  // namespace tokprob::jinja
