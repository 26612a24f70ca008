#include "chat/jinja_content_loops.hpp"

#include <set>
#include <string>
#include <vector>

namespace tokprob::jinja {
namespace {

void collect(const NodeList& nodes, std::vector<const Node*>& sets, std::vector<const Node*>& loops) {
  for (const auto& n : nodes) {
    if (n->kind == Node::Kind::set && n->attribute.empty() && n->expr) sets.push_back(n.get());
    if (n->kind == Node::Kind::for_ && n->expr) loops.push_back(n.get());
    for (const auto& branch : n->branches) collect(branch.second, sets, loops);
    collect(n->body, sets, loops);
    collect(n->else_body, sets, loops);
  }
}

// `messages[1:]`, `messages | reverse` and `messages is defined` still reach the messages.
const Expr& beneath_filters_and_slices(const Expr& e) {
  const Expr* at = &e;
  while ((at->kind == Expr::Kind::filter || at->kind == Expr::Kind::test || at->kind == Expr::Kind::slice) &&
         !at->args.empty() && at->args[0])
    at = at->args[0].get();
  return *at;
}

bool names_one_of(const Expr& e, const std::set<std::string>& names) {
  const Expr& base = beneath_filters_and_slices(e);
  return base.kind == Expr::Kind::name && names.count(base.name) > 0;
}

bool is_content_of(const Expr& e, const std::set<std::string>& messages) {
  const Expr& base = beneath_filters_and_slices(e);
  if (base.args.empty() || !base.args[0]) return false;
  const bool attribute = base.kind == Expr::Kind::attribute && base.name == "content";
  const bool item = base.kind == Expr::Kind::item && base.args.size() == 2 && base.args[1] &&
                    base.args[1]->kind == Expr::Kind::literal && base.args[1]->value.is_string() &&
                    base.args[1]->value.as_string() == "content";
  return (attribute || item) && base.args[0]->kind == Expr::Kind::name && messages.count(base.args[0]->name) > 0;
}

}  // namespace

bool loops_over_message_content(const Template& t) {
  std::vector<const Node*> sets, loops;
  collect(t.body, sets, loops);

  // The names the list of messages goes by: `messages` and whatever is set from it, transitively.
  std::set<std::string> message_lists = {"messages"};
  for (bool grew = true; grew;) {
    grew = false;
    for (const Node* s : sets)
      if (!message_lists.count(s->text) && names_one_of(*s->expr, message_lists)) {
        message_lists.insert(s->text);
        grew = true;
      }
  }
  std::set<std::string> messages;
  for (const Node* loop : loops)
    if (loop->targets.size() == 1 && names_one_of(*loop->expr, message_lists)) messages.insert(loop->targets[0]);

  for (const Node* loop : loops) {
    if (is_content_of(*loop->expr, messages)) return true;
    if (loop->expr->kind == Expr::Kind::name && loop->expr->name == "content") return true;
  }
  return false;
}

}  // namespace tokprob::jinja
