// Hand-written: no maintained C++ Jinja library renders Hugging Face chat templates exactly (inja,
// for one, lacks namespace() and jinja2's loop and scoping semantics), and the output must equal
// what transformers' apply_chat_template gets from Python's jinja2 byte for byte.
#include "chat/jinja_renderer.hpp"

#include <cmath>

#include "chat/jinja_access.hpp"
#include "chat/jinja_filters.hpp"
#include "chat/jinja_globals.hpp"
#include "chat/jinja_tests.hpp"

namespace tokprob::jinja {
namespace {

enum class Flow { normal, break_, continue_ };

[[noreturn]] void operand_error(const std::string& op, const Value& a, const Value& b) {
  if (a.is_undefined()) undefined_error(a);
  if (b.is_undefined()) undefined_error(b);
  if (op == "+" && a.is_string()) render_error("can only concatenate str (not \"" + b.type_name() + "\") to str");
  if (op == "+" && a.is_list()) render_error("can only concatenate list (not \"" + b.type_name() + "\") to list");
  render_error("unsupported operand type(s) for " + op + ": '" + a.type_name() + "' and '" + b.type_name() + "'");
}

Value repeat(const Value& seq, int64_t times) {
  if (seq.is_string()) {
    std::string out;
    for (int64_t i = 0; i < times; ++i) out += seq.as_string();
    return out;
  }
  ValueList out;
  for (int64_t i = 0; i < times; ++i) out.insert(out.end(), seq.list().begin(), seq.list().end());
  return out;
}

Value arithmetic(const std::string& op, const Value& a, const Value& b) {
  if (op == "~") return a.str() + b.str();
  if (op == "+") {
    if (a.is_string() && b.is_string()) return a.as_string() + b.as_string();
    if (a.is_list() && b.is_list()) {
      ValueList out = a.list();
      out.insert(out.end(), b.list().begin(), b.list().end());
      return out;
    }
  }
  if (op == "*") {
    if ((a.is_string() || a.is_list()) && (b.kind() == Value::Kind::integer || b.kind() == Value::Kind::boolean))
      return repeat(a, b.as_int());
    if ((b.is_string() || b.is_list()) && (a.kind() == Value::Kind::integer || a.kind() == Value::Kind::boolean))
      return repeat(b, a.as_int());
  }
  if (!a.is_number() || !b.is_number()) operand_error(op, a, b);
  const bool floating = a.kind() == Value::Kind::floating || b.kind() == Value::Kind::floating;
  if (op == "/") {
    if (b.as_double() == 0) render_error("division by zero");
    return a.as_double() / b.as_double();
  }
  if (floating) {
    double x = a.as_double(), y = b.as_double();
    if (op == "+") return x + y;
    if (op == "-") return x - y;
    if (op == "*") return x * y;
    if (op == "**") return std::pow(x, y);
    if (y == 0) render_error("float division by zero");
    if (op == "//") return std::floor(x / y);
    double r = std::fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    return r;
  }
  int64_t x = a.as_int(), y = b.as_int();
  if (op == "+") return x + y;
  if (op == "-") return x - y;
  if (op == "*") return x * y;
  if (op == "**") {
    if (y < 0) return std::pow(static_cast<double>(x), static_cast<double>(y));
    int64_t r = 1;
    for (int64_t i = 0; i < y; ++i) r *= x;
    return r;
  }
  if (y == 0) render_error("integer division or modulo by zero");
  int64_t q = x / y, r = x % y;
  if (r != 0 && ((r < 0) != (y < 0))) {
    --q;
    r += y;
  }
  return op == "//" ? Value(q) : Value(r);
}

bool compare(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return a.equals(b);
  if (op == "!=") return !a.equals(b);
  if (op == "in") return contains(b, a);
  if (op == "not in") return !contains(b, a);
  if (op == "<") return less_than(a, b);
  if (op == ">") return less_than(b, a);
  if (op == "<=") return !less_than(b, a);
  return !less_than(a, b);  // >=
}

void check_expr(const Expr& e) {
  if (e.kind == Expr::Kind::filter && !has_filter(e.name))
    fail("chat template: line " + std::to_string(e.line) + ": unknown filter '" + e.name + "'");
  if (e.kind == Expr::Kind::test && !has_test(e.name))
    fail("chat template: line " + std::to_string(e.line) + ": unknown test '" + e.name + "'");
  for (const auto& a : e.args)
    if (a) check_expr(*a);
  for (const auto& k : e.keywords) check_expr(*k.second);
}

void check_nodes(const NodeList& nodes) {
  for (const auto& n : nodes) {
    if (n->expr) check_expr(*n->expr);
    if (n->condition) check_expr(*n->condition);
    for (const auto& [cond, body] : n->branches) {
      check_expr(*cond);
      check_nodes(body);
    }
    for (const auto& p : n->parameters)
      if (p.second) check_expr(*p.second);
    check_nodes(n->body);
    check_nodes(n->else_body);
  }
}

class Renderer {
 public:
  explicit Renderer(const Variables& variables) { scopes_.push_back(variables); }

  std::string run(const NodeList& body) {
    std::string out;
    if (render(body, out) != Flow::normal) fail("chat template: 'break' or 'continue' outside a loop");
    return out;
  }

 private:
  Flow render(const NodeList& nodes, std::string& out) {
    for (const auto& node : nodes) {
      Flow flow = Flow::normal;
      try {
        flow = render_node(*node, out);
      } catch (const RenderError& e) {
        fail("chat template: line " + std::to_string(node->line) + ": " + e.what());
      }
      if (flow != Flow::normal) return flow;
    }
    return Flow::normal;
  }

  Flow render_node(const Node& node, std::string& out) {
    switch (node.kind) {
      case Node::Kind::text: out += node.text; return Flow::normal;
      case Node::Kind::output: out += eval(*node.expr).str(); return Flow::normal;
      case Node::Kind::if_:
        for (const auto& [cond, body] : node.branches)
          if (eval(*cond).truthy()) return render(body, out);
        return render(node.body, out);
      case Node::Kind::for_: return render_for(node, out);
      case Node::Kind::set: {
        Value v = eval(*node.expr);
        if (node.attribute.empty()) {
          scopes_.back()[node.text] = std::move(v);
        } else {
          Value target = lookup(node.text);
          if (target.kind() != Value::Kind::namespace_)
            render_error("cannot assign attribute on non-namespace object '" + node.text + "'");
          if (!node.attribute.empty() && node.attribute[0] == '_')
            render_error("chat templates cannot store underscore-prefixed attributes on a namespace");
          target.dict().set(node.attribute, std::move(v));
        }
        return Flow::normal;
      }
      case Node::Kind::set_block: {
        std::string captured;
        Flow flow = render(node.body, captured);
        scopes_.back()[node.text] = Value(std::move(captured));
        return flow;
      }
      case Node::Kind::macro: scopes_.back()[node.text] = make_macro(node); return Flow::normal;
      case Node::Kind::break_: return Flow::break_;
      case Node::Kind::continue_: return Flow::continue_;
      case Node::Kind::block: return render(node.body, out);
    }
    return Flow::normal;
  }

  Flow render_for(const Node& node, std::string& out) {
    Value iterable = eval(*node.expr);
    if (iterable.is_none()) render_error("'NoneType' object is not iterable");
    ValueList items;
    for (Value& item : iterate(iterable)) {
      if (node.condition) {
        scopes_.emplace_back();
        bind_targets(node, item);
        bool keep = eval(*node.condition).truthy();
        scopes_.pop_back();
        if (!keep) continue;
      }
      items.push_back(std::move(item));
    }
    const int64_t n = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < n; ++i) {
      ValueDict loop;
      loop.set("index0", Value(i));
      loop.set("index", Value(i + 1));
      loop.set("revindex0", Value(n - i - 1));
      loop.set("revindex", Value(n - i));
      loop.set("first", Value(i == 0));
      loop.set("last", Value(i == n - 1));
      loop.set("length", Value(n));
      loop.set("depth", Value(int64_t{1}));
      loop.set("depth0", Value(int64_t{0}));
      loop.set("previtem", i > 0 ? items[static_cast<size_t>(i - 1)] : Value::undefined("there is no previous item"));
      loop.set("nextitem", i + 1 < n ? items[static_cast<size_t>(i + 1)] : Value::undefined("there is no next item"));
      loop.set("cycle", Value::function("cycle", [i](const CallArgs& args) -> Value {
                 if (args.positional.empty()) render_error("no items for cycling given");
                 return args.positional[static_cast<size_t>(i) % args.positional.size()];
               }));
      scopes_.emplace_back();
      scopes_.back()["loop"] = Value(std::move(loop));
      bind_targets(node, items[static_cast<size_t>(i)]);
      Flow flow = render(node.body, out);
      scopes_.pop_back();
      if (flow == Flow::break_) break;
    }
    if (n == 0) return render(node.else_body, out);
    return Flow::normal;
  }

  void bind_targets(const Node& node, const Value& item) {
    if (node.targets.size() == 1) {
      scopes_.back()[node.targets[0]] = item;
      return;
    }
    ValueList parts = iterate(item);
    if (parts.size() != node.targets.size())
      render_error("cannot unpack " + std::to_string(parts.size()) + " values into " +
                   std::to_string(node.targets.size()) + " loop variables");
    for (size_t i = 0; i < parts.size(); ++i) scopes_.back()[node.targets[i]] = parts[i];
  }

  Value make_macro(const Node& node) {
    return Value::function(node.text, [this, &node](const CallArgs& args) -> Value {
      std::unordered_map<std::string, Value> locals;
      for (size_t i = 0; i < node.parameters.size(); ++i) {
        const auto& [name, def] = node.parameters[i];
        if (const Value* given = args.get(i, name)) locals[name] = *given;
        else if (def) locals[name] = eval(*def);
        else locals[name] = Value::undefined("'" + name + "' is undefined");
      }
      if (args.positional.size() > node.parameters.size())
        render_error("macro '" + node.text + "' takes not more than " + std::to_string(node.parameters.size()) + " argument(s)");
      // A macro sees the template's top-level names and its own arguments, not its caller's locals.
      std::vector<Variables> saved;
      saved.swap(scopes_);
      scopes_.push_back(saved.front());
      scopes_.push_back(std::move(locals));
      std::string out;
      try {
        render(node.body, out);
      } catch (...) {
        scopes_.swap(saved);
        throw;
      }
      scopes_.swap(saved);
      return out;
    });
  }

  Value lookup(const std::string& name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto found = it->find(name);
      if (found != it->end()) return found->second;
    }
    const Variables& globals = template_globals();
    auto found = globals.find(name);
    if (found != globals.end()) return found->second;
    return Value::undefined("'" + name + "' is undefined");
  }

  CallArgs arguments(const Expr& e, size_t first_arg, const Value* subject) {
    CallArgs args;
    if (subject) args.positional.push_back(*subject);
    for (size_t i = first_arg; i < e.args.size(); ++i) args.positional.push_back(eval(*e.args[i]));
    for (const auto& [k, v] : e.keywords) args.keywords.emplace_back(k, eval(*v));
    return args;
  }

  Value eval(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::literal: return e.value;
      case Expr::Kind::name: return lookup(e.name);
      case Expr::Kind::list: {
        ValueList items;
        for (const auto& a : e.args) items.push_back(eval(*a));
        return items;
      }
      case Expr::Kind::dict: {
        ValueDict d;
        for (const auto& [k, v] : e.keywords) d.set(k, eval(*v));
        return d;
      }
      case Expr::Kind::attribute: return get_attribute(eval(*e.args[0]), e.name);
      case Expr::Kind::item: return get_item(eval(*e.args[0]), eval(*e.args[1]));
      case Expr::Kind::slice: {
        Value obj = eval(*e.args[0]);
        auto bound = [&](size_t i) { return e.args[i] ? eval(*e.args[i]) : Value(); };
        return get_slice(obj, bound(1), bound(2), bound(3));
      }
      case Expr::Kind::call: {
        Value callee = eval(*e.args[0]);
        if (callee.is_undefined()) undefined_error(callee);
        if (callee.kind() != Value::Kind::function) render_error("'" + callee.type_name() + "' object is not callable");
        return callee.callable()(arguments(e, 1, nullptr));
      }
      case Expr::Kind::filter: {
        Value subject = eval(*e.args[0]);
        return apply_filter(e.name, arguments(e, 1, &subject));
      }
      case Expr::Kind::test: {
        Value subject = eval(*e.args[0]);
        return apply_test(e.name, arguments(e, 1, &subject)) != e.negated;
      }
      case Expr::Kind::not_: return !eval(*e.args[0]).truthy();
      case Expr::Kind::negative:
      case Expr::Kind::positive: {
        Value v = eval(*e.args[0]);
        if (!v.is_number()) render_error("bad operand type for unary " + std::string(e.kind == Expr::Kind::negative ? "-" : "+") + ": '" + v.type_name() + "'");
        if (e.kind == Expr::Kind::positive) return v.kind() == Value::Kind::boolean ? Value(v.as_int()) : v;
        return v.kind() == Value::Kind::floating ? Value(-v.as_double()) : Value(-v.as_int());
      }
      case Expr::Kind::binary: return arithmetic(e.name, eval(*e.args[0]), eval(*e.args[1]));
      case Expr::Kind::compare: {
        Value left = eval(*e.args[0]);
        for (size_t i = 0; i < e.ops.size(); ++i) {
          Value right = eval(*e.args[i + 1]);
          if (!compare(e.ops[i], left, right)) return false;
          left = std::move(right);
        }
        return true;
      }
      case Expr::Kind::and_: {
        Value left = eval(*e.args[0]);
        return left.truthy() ? eval(*e.args[1]) : left;
      }
      case Expr::Kind::or_: {
        Value left = eval(*e.args[0]);
        return left.truthy() ? left : eval(*e.args[1]);
      }
      case Expr::Kind::conditional:
        if (eval(*e.args[1]).truthy()) return eval(*e.args[0]);
        return e.args[2] ? eval(*e.args[2]) : Value::undefined("the conditional expression had no else branch");
    }
    return Value();
  }

  std::vector<Variables> scopes_;
};

}  // namespace

void check_template_names(const Template& t) { check_nodes(t.body); }

std::string render_template(const Template& t, const Variables& variables) { return Renderer(variables).run(t.body); }

}  // namespace tokprob::jinja
