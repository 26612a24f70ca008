// The parsed form of a Jinja template: expressions and the statements (tags) that hold them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chat/jinja_value.hpp"

namespace tokprob::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    literal,      // value
    name,         // name
    list,         // args: the items
    dict,         // keywords: the entries (keys are string literals)
    attribute,    // args[0].name
    item,         // args[0][args[1]]
    slice,        // args[0][args[1]:args[2]:args[3]]; absent bounds are null
    call,         // args[0](args[1..], keywords)
    filter,       // args[0] | name(args[1..], keywords)
    test,         // args[0] is [not] name(args[1..]); negated
    not_,         // not args[0]
    negative,     // -args[0]
    positive,     // +args[0]
    binary,       // args[0] op args[1]: + - * / // % ** ~
    compare,      // args[0] ops[0] args[1] ops[1] args[2] ...
    and_,
    or_,
    conditional,  // args[0] if args[1] else args[2] (args[2] may be null)
  };
  Kind kind = Kind::literal;
  int line = 0;
  Value value;
  std::string name;  // a name, attribute, filter, test or operator
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> keywords;
  std::vector<std::string> ops;
  bool negated = false;
};

struct Node;
using NodeList = std::vector<std::unique_ptr<Node>>;

struct Node {
  enum class Kind { text, output, if_, for_, set, set_block, macro, break_, continue_, block };
  Kind kind = Kind::text;
  int line = 0;
  std::string text;                      // text: the text; set/set_block: the name; macro: its name
  std::string attribute;                 // set: the namespace attribute of `set ns.attr = ...`
  ExprPtr expr;                          // output, set: the value; for: the iterable
  ExprPtr condition;                     // for: the `if` filter
  std::vector<std::string> targets;      // for: the loop variables
  std::vector<std::pair<ExprPtr, NodeList>> branches;  // if / elif conditions and bodies
  NodeList body;                         // for, set_block, macro, block; if: the else body
  NodeList else_body;                    // for: the else body
  std::vector<std::pair<std::string, ExprPtr>> parameters;  // macro: names and defaults (null when none)
};

struct Template {
  NodeList body;
};

}  // namespace tokprob::jinja
