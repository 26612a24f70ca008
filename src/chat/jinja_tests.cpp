#include "chat/jinja_tests.hpp"

#include <functional>
#include <map>

#include "chat/jinja_access.hpp"
#include "chat/jinja_text.hpp"

namespace tokprob::jinja {
namespace {

using Test = std::function<bool(const Value&, const CallArgs&)>;

const Value& operand(const CallArgs& args, size_t index, const char* test) {
  if (args.positional.size() <= index) render_error(std::string("test '") + test + "' needs an argument");
  return args.positional[index];
}

const std::map<std::string, Test>& tests() {
  using K = Value::Kind;
  static const std::map<std::string, Test> table = [] {
    std::map<std::string, Test> t;
    t["defined"] = [](const Value& v, const CallArgs&) { return !v.is_undefined(); };
    t["undefined"] = [](const Value& v, const CallArgs&) { return v.is_undefined(); };
    t["none"] = [](const Value& v, const CallArgs&) { return v.is_none(); };
    t["string"] = [](const Value& v, const CallArgs&) { return v.is_string(); };
    t["mapping"] = [](const Value& v, const CallArgs&) { return v.is_mapping(); };
    // Python's iter() accepts jinja2's Undefined too.
    t["iterable"] = [](const Value& v, const CallArgs&) {
      return v.is_list() || v.is_mapping() || v.is_string() || v.is_undefined();
    };
    t["sequence"] = [](const Value& v, const CallArgs&) { return v.is_list() || v.is_mapping() || v.is_string(); };
    t["number"] = [](const Value& v, const CallArgs&) { return v.is_number(); };
    t["integer"] = [](const Value& v, const CallArgs&) { return v.kind() == K::integer; };
    t["float"] = [](const Value& v, const CallArgs&) { return v.kind() == K::floating; };
    t["boolean"] = [](const Value& v, const CallArgs&) { return v.kind() == K::boolean; };
    t["true"] = [](const Value& v, const CallArgs&) { return v.kind() == K::boolean && v.as_bool(); };
    t["false"] = [](const Value& v, const CallArgs&) { return v.kind() == K::boolean && !v.as_bool(); };
    t["callable"] = [](const Value& v, const CallArgs&) { return v.kind() == K::function; };
    t["lower"] = [](const Value& v, const CallArgs&) { return python_lower(v.str()) == v.str(); };
    t["upper"] = [](const Value& v, const CallArgs&) { return python_upper(v.str()) == v.str(); };
    t["sameas"] = [](const Value& v, const CallArgs& a) { return v.same_as(operand(a, 1, "sameas")); };
    auto eq = [](const Value& v, const CallArgs& a) { return v.equals(operand(a, 1, "eq")); };
    for (const char* n : {"eq", "equalto", "=="}) t[n] = eq;
    auto ne = [](const Value& v, const CallArgs& a) { return !v.equals(operand(a, 1, "ne")); };
    for (const char* n : {"ne", "!="}) t[n] = ne;
    auto lt = [](const Value& v, const CallArgs& a) { return less_than(v, operand(a, 1, "lt")); };
    for (const char* n : {"lt", "lessthan", "<"}) t[n] = lt;
    auto gt = [](const Value& v, const CallArgs& a) { return less_than(operand(a, 1, "gt"), v); };
    for (const char* n : {"gt", "greaterthan", ">"}) t[n] = gt;
    auto le = [](const Value& v, const CallArgs& a) { return !less_than(operand(a, 1, "le"), v); };
    for (const char* n : {"le", "<="}) t[n] = le;
    auto ge = [](const Value& v, const CallArgs& a) { return !less_than(v, operand(a, 1, "ge")); };
    for (const char* n : {"ge", ">="}) t[n] = ge;
    t["in"] = [](const Value& v, const CallArgs& a) { return contains(operand(a, 1, "in"), v); };
    auto integer_of = [](const Value& v, const char* test) {
      if (v.kind() != K::integer && v.kind() != K::boolean) render_error(std::string("test '") + test + "' needs an integer");
      return v.as_int();
    };
    t["even"] = [integer_of](const Value& v, const CallArgs&) { return integer_of(v, "even") % 2 == 0; };
    t["odd"] = [integer_of](const Value& v, const CallArgs&) { return integer_of(v, "odd") % 2 != 0; };
    t["divisibleby"] = [integer_of](const Value& v, const CallArgs& a) {
      int64_t d = integer_of(operand(a, 1, "divisibleby"), "divisibleby");
      if (d == 0) render_error("integer division or modulo by zero");
      return integer_of(v, "divisibleby") % d == 0;
    };
    return t;
  }();
  return table;
}

}  // namespace

bool has_test(const std::string& name) { return tests().count(name) != 0; }

bool apply_test(const std::string& name, const CallArgs& args) {
  auto it = tests().find(name);
  if (it == tests().end()) render_error("no test named '" + name + "'");
  return it->second(args.positional.at(0), args);
}

}  // namespace tokprob::jinja
