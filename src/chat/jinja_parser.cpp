#include "chat/jinja_parser.hpp"

#include <initializer_list>

#include "chat/jinja_lexer.hpp"
#include "tokprob/error.hpp"

namespace tokprob::jinja {
namespace {

using T = Token::Type;

std::unique_ptr<Node> make_node(Node::Kind kind, int line) {
  auto node = std::make_unique<Node>();
  node->kind = kind;
  node->line = line;
  return node;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Template parse() {
    Template t;
    std::string end = parse_body(t.body, {});
    if (!end.empty()) error("unexpected '" + end + "'");
    return t;
  }

 private:
  const Token& peek(size_t ahead = 0) const {
    size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  const Token& next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool is_op(std::string_view op, size_t ahead = 0) const {
    return peek(ahead).type == T::op && peek(ahead).text == op;
  }
  bool is_name(std::string_view name, size_t ahead = 0) const {
    return peek(ahead).type == T::name && peek(ahead).text == name;
  }

  [[noreturn]] void error(const std::string& what) const {
    fail("chat template: line " + std::to_string(peek().line) + ": " + what);
  }
  std::string describe(const Token& t) const {
    switch (t.type) {
      case T::eof: return "end of template";
      case T::block_end: return "end of statement block";
      case T::var_end: return "end of print statement";
      case T::text: return "template text";
      default: {
        std::string q = "'";  // appended, not "'" + text: GCC 12's -Wrestrict misfires on that
        q += t.text;
        q += '\'';
        return q;
      }
    }
  }
  void expect_op(std::string_view op) {
    if (!is_op(op)) error("expected '" + std::string(op) + "', got " + describe(peek()));
    next();
  }
  std::string expect_name() {
    if (peek().type != T::name) error("expected a name, got " + describe(peek()));
    return next().text;
  }
  void expect(T type, const std::string& what) {
    if (peek().type != type) error("expected " + what + ", got " + describe(peek()));
    next();
  }
  void expect_block_end() { expect(T::block_end, "end of statement block"); }

  // Parses nodes until a `{% name %}` tag with a name in `ends` (consumed up to the name, which is
  // returned) or the end of the template (returns "").
  std::string parse_body(NodeList& body, std::initializer_list<std::string_view> ends) {
    while (true) {
      const Token& t = peek();
      if (t.type == T::eof) {
        if (ends.size() != 0) {
          std::string expected;
          for (std::string_view end : ends) {
            if (!expected.empty()) expected += " or ";
            expected += '\'';
            expected += end;
            expected += '\'';
          }
          error("unexpected end of template, expected " + expected);
        }
        return "";
      }
      if (t.type == T::text) {
        auto node = make_node(Node::Kind::text, t.line);
        node->text = next().text;
        body.push_back(std::move(node));
      } else if (t.type == T::var_begin) {
        next();
        auto node = make_node(Node::Kind::output, t.line);
        node->expr = parse_expression();
        expect(T::var_end, "end of print statement");
        body.push_back(std::move(node));
      } else if (t.type == T::block_begin) {
        next();
        if (peek().type != T::name) error("expected a tag name, got " + describe(peek()));
        for (std::string_view end : ends) {
          if (peek().text == end) return next().text;
        }
        body.push_back(parse_statement());
      } else {
        error("unexpected " + describe(t));
      }
    }
  }

  std::unique_ptr<Node> parse_statement() {
    const Token& t = next();
    const std::string tag = t.text;
    const int line = t.line;
    if (tag == "if") {
      auto node = make_node(Node::Kind::if_, line);
      while (true) {
        ExprPtr cond = parse_expression();
        expect_block_end();
        NodeList branch;
        std::string end = parse_body(branch, {"elif", "else", "endif"});
        node->branches.emplace_back(std::move(cond), std::move(branch));
        if (end == "elif") continue;
        if (end == "else") {
          expect_block_end();
          if (parse_body(node->body, {"endif"}).empty()) error("expected 'endif'");
        }
        expect_block_end();
        return node;
      }
    }
    if (tag == "for") {
      auto node = make_node(Node::Kind::for_, line);
      node->targets.push_back(expect_name());
      while (is_op(",")) {
        next();
        node->targets.push_back(expect_name());
      }
      if (!is_name("in")) error("expected 'in', got " + describe(peek()));
      next();
      node->expr = parse_or();
      if (is_name("if")) {
        next();
        node->condition = parse_expression();
      }
      if (is_name("recursive")) error("recursive loops are not supported");
      expect_block_end();
      std::string end = parse_body(node->body, {"else", "endfor"});
      if (end == "else") {
        expect_block_end();
        parse_body(node->else_body, {"endfor"});
      }
      expect_block_end();
      return node;
    }
    if (tag == "set") {
      auto node = make_node(Node::Kind::set, line);
      node->text = expect_name();
      if (is_op(".")) {
        next();
        node->attribute = expect_name();
      }
      if (is_op("=")) {
        next();
        node->expr = parse_expression();
        if (is_op(",")) error("tuple assignment in 'set' is not supported");
        expect_block_end();
        return node;
      }
      if (!node->attribute.empty()) error("expected '='");
      node->kind = Node::Kind::set_block;
      expect_block_end();
      parse_body(node->body, {"endset"});
      expect_block_end();
      return node;
    }
    if (tag == "macro") {
      auto node = make_node(Node::Kind::macro, line);
      node->text = expect_name();
      expect_op("(");
      while (!is_op(")")) {
        std::string param = expect_name();
        ExprPtr def;
        if (is_op("=")) {
          next();
          def = parse_expression();
        }
        node->parameters.emplace_back(param, std::move(def));
        if (!is_op(")")) expect_op(",");
      }
      next();
      expect_block_end();
      parse_body(node->body, {"endmacro"});
      if (peek().type == T::name) next();  // {% endmacro name %}
      expect_block_end();
      return node;
    }
    if (tag == "break" || tag == "continue") {
      expect_block_end();
      return make_node(tag == "break" ? Node::Kind::break_ : Node::Kind::continue_, line);
    }
    if (tag == "generation") {  // transformers' assistant-mask tag: renders its body unchanged
      auto node = make_node(Node::Kind::block, line);
      expect_block_end();
      parse_body(node->body, {"endgeneration"});
      expect_block_end();
      return node;
    }
    pos_--;
    error("unknown tag '" + tag + "'");
  }

  ExprPtr make(Expr::Kind kind, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = line;
    return e;
  }

  ExprPtr parse_expression() {
    ExprPtr e = parse_or();
    while (is_name("if")) {
      int line = next().line;
      auto cond = make(Expr::Kind::conditional, line);
      ExprPtr test = parse_or();
      ExprPtr otherwise;
      if (is_name("else")) {
        next();
        otherwise = parse_expression();
      }
      cond->args.push_back(std::move(e));
      cond->args.push_back(std::move(test));
      cond->args.push_back(std::move(otherwise));
      e = std::move(cond);
    }
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      auto e = make(Expr::Kind::or_, next().line);
      e->args.push_back(std::move(left));
      e->args.push_back(parse_and());
      left = std::move(e);
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      auto e = make(Expr::Kind::and_, next().line);
      e->args.push_back(std::move(left));
      e->args.push_back(parse_not());
      left = std::move(e);
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      auto e = make(Expr::Kind::not_, next().line);
      e->args.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    ExprPtr first = parse_math1();
    ExprPtr cmp;
    while (true) {
      std::string op;
      if (peek().type == T::op && (peek().text == "==" || peek().text == "!=" || peek().text == "<" ||
                                   peek().text == ">" || peek().text == "<=" || peek().text == ">=")) {
        op = next().text;
      } else if (is_name("in")) {
        next();
        op = "in";
      } else if (is_name("not") && is_name("in", 1)) {
        next();
        next();
        op = "not in";
      } else {
        break;
      }
      if (!cmp) {
        cmp = make(Expr::Kind::compare, peek().line);
        cmp->args.push_back(std::move(first));
      }
      cmp->ops.push_back(op);
      cmp->args.push_back(parse_math1());
    }
    return cmp ? std::move(cmp) : std::move(first);
  }

  ExprPtr binary(std::string op, ExprPtr left, ExprPtr right, int line) {
    auto e = make(Expr::Kind::binary, line);
    e->name = std::move(op);
    e->args.push_back(std::move(left));
    e->args.push_back(std::move(right));
    return e;
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token& t = next();
      left = binary(t.text, std::move(left), parse_concat(), t.line);
    }
    return left;
  }

  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (is_op("~")) {
      const Token& t = next();
      left = binary("~", std::move(left), parse_math2(), t.line);
    }
    return left;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& t = next();
      left = binary(t.text, std::move(left), parse_pow(), t.line);
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (is_op("**")) {
      const Token& t = next();
      left = binary("**", std::move(left), parse_unary(true), t.line);
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      const Token& t = next();
      node = make(t.text == "-" ? Expr::Kind::negative : Expr::Kind::positive, t.line);
      node->args.push_back(parse_unary(false));
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr parse_primary() {
    const Token& t = peek();
    if (t.type == T::name) {
      next();
      if (t.text == "true" || t.text == "True") return literal(Value(true), t.line);
      if (t.text == "false" || t.text == "False") return literal(Value(false), t.line);
      if (t.text == "none" || t.text == "None") return literal(Value::none(), t.line);
      auto e = make(Expr::Kind::name, t.line);
      e->name = t.text;
      return e;
    }
    if (t.type == T::string) {
      std::string s;
      int line = t.line;
      while (peek().type == T::string) s += next().text;  // adjacent literals concatenate
      return literal(Value(std::move(s)), line);
    }
    if (t.type == T::integer) return next(), literal(Value(t.integer), t.line);
    if (t.type == T::floating) return next(), literal(Value(t.floating), t.line);
    if (is_op("(")) {
      next();
      if (is_op(")")) {
        next();
        return make(Expr::Kind::list, t.line);  // the empty tuple
      }
      ExprPtr inner = parse_expression();
      if (is_op(",")) {  // a tuple: kept as a list
        auto list = make(Expr::Kind::list, t.line);
        list->args.push_back(std::move(inner));
        while (is_op(",")) {
          next();
          if (is_op(")")) break;
          list->args.push_back(parse_expression());
        }
        inner = std::move(list);
      }
      expect_op(")");
      return inner;
    }
    if (is_op("[")) {
      next();
      auto list = make(Expr::Kind::list, t.line);
      while (!is_op("]")) {
        list->args.push_back(parse_expression());
        if (!is_op("]")) expect_op(",");
      }
      next();
      return list;
    }
    if (is_op("{")) {
      next();
      auto dict = make(Expr::Kind::dict, t.line);
      while (!is_op("}")) {
        ExprPtr key = parse_expression();
        if (key->kind != Expr::Kind::literal || !key->value.is_string()) error("dict keys must be string literals");
        expect_op(":");
        dict->keywords.emplace_back(key->value.as_string(), parse_expression());
        if (!is_op("}")) expect_op(",");
      }
      next();
      return dict;
    }
    error("expected an expression, got " + describe(t));
  }

  ExprPtr literal(Value v, int line) {
    auto e = make(Expr::Kind::literal, line);
    e->value = std::move(v);
    return e;
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      if (is_op(".")) {
        int line = next().line;
        auto e = make(Expr::Kind::attribute, line);
        if (peek().type == T::integer) {
          e->kind = Expr::Kind::item;
          e->args.push_back(std::move(node));
          e->args.push_back(literal(Value(next().integer), line));
        } else {
          e->name = expect_name();
          e->args.push_back(std::move(node));
        }
        node = std::move(e);
      } else if (is_op("[")) {
        node = parse_subscript(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr node) {
    int line = next().line;  // '['
    ExprPtr bounds[3];
    bool is_slice = false;
    for (int part = 0; part < 3; ++part) {
      if (!is_op(":") && !is_op("]")) bounds[part] = parse_expression();
      if (part < 2 && is_op(":")) {
        next();
        is_slice = true;
      } else {
        break;
      }
    }
    expect_op("]");
    auto e = make(is_slice ? Expr::Kind::slice : Expr::Kind::item, line);
    e->args.push_back(std::move(node));
    if (!is_slice && !bounds[0]) error("expected a subscript");
    for (int part = 0; part < (is_slice ? 3 : 1); ++part) e->args.push_back(std::move(bounds[part]));
    return e;
  }

  // Reads `(args, name=value)` into `e` (after its callee or subject in args[0]).
  void parse_arguments(Expr& e) {
    expect_op("(");
    while (!is_op(")")) {
      if (peek().type == T::name && is_op("=", 1)) {
        std::string key = next().text;
        next();
        e.keywords.emplace_back(key, parse_expression());
      } else {
        if (!e.keywords.empty()) error("positional argument follows keyword argument");
        e.args.push_back(parse_expression());
      }
      if (!is_op(")")) expect_op(",");
    }
    next();
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto e = make(Expr::Kind::call, peek().line);
    e->args.push_back(std::move(callee));
    parse_arguments(*e);
    return e;
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) {
        int line = next().line;
        auto e = make(Expr::Kind::filter, line);
        e->name = expect_name();
        while (is_op(".")) {  // dotted filter names
          next();
          e->name += '.';
          e->name += expect_name();
        }
        e->args.push_back(std::move(node));
        if (is_op("(")) parse_arguments(*e);
        node = std::move(e);
      } else if (is_name("is")) {
        int line = next().line;
        auto e = make(Expr::Kind::test, line);
        if (is_name("not")) {
          next();
          e->negated = true;
        }
        e->name = expect_name();
        e->args.push_back(std::move(node));
        if (is_op("(")) {
          parse_arguments(*e);
        } else if ((peek().type == T::name && !is_name("else") && !is_name("or") && !is_name("and")) ||
                   peek().type == T::string || peek().type == T::integer || peek().type == T::floating ||
                   is_op("[") || is_op("{")) {
          // jinja2 takes one bare argument here: `is divisibleby 3`, `is equalto 'x'`, `is sameas false`.
          if (is_name("is")) error("unexpected 'is'");
          ExprPtr arg = parse_primary();
          e->args.push_back(parse_postfix(std::move(arg)));
        }
        node = std::move(e);
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

}  // namespace

Template parse_template(std::string_view source) { return Parser(lex_template(source)).parse(); }

}  // namespace tokprob::jinja
