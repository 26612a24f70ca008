#include "chat/jinja_json.hpp"

#include <algorithm>
#include <cstdio>

#include "chat/jinja_access.hpp"
#include "chat/jinja_text.hpp"

namespace tokprob::jinja {
namespace {

void append_escaped(std::string& out, const std::string& text, bool ensure_ascii) {
  out += '"';
  auto hex4 = [&](unsigned v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "\\u%04x", v & 0xffff);
    out += buf;
  };
  for (char32_t c : utf8_to_code_points(text)) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || (ensure_ascii && c > 0x7e)) {
          if (c > 0xffff) {  // a UTF-16 surrogate pair, as Python writes it
            char32_t v = c - 0x10000;
            hex4(0xd800 + (v >> 10));
            hex4(0xdc00 + (v & 0x3ff));
          } else {
            hex4(c);
          }
        } else {
          out += code_points_to_utf8(std::u32string(1, c));
        }
    }
  }
  out += '"';
}

class Dumper {
 public:
  explicit Dumper(const JsonDumpOptions& o) : o_(o) {
    item_sep_ = o.item_separator.value_or(o.indent ? "," : ", ");
    key_sep_ = o.key_separator.value_or(": ");
  }

  void dump(const Value& v, int depth) {
    switch (v.kind()) {
      case Value::Kind::none: out_ += "null"; return;
      case Value::Kind::boolean: out_ += v.as_bool() ? "true" : "false"; return;
      case Value::Kind::integer: out_ += std::to_string(v.as_int()); return;
      case Value::Kind::floating: {
        std::string r = python_float_repr(v.as_double());
        out_ += r == "nan" ? "NaN" : r == "inf" ? "Infinity" : r == "-inf" ? "-Infinity" : r;
        return;
      }
      case Value::Kind::string: append_escaped(out_, v.as_string(), o_.ensure_ascii); return;
      case Value::Kind::list: {
        if (v.list().empty()) {
          out_ += "[]";
          return;
        }
        out_ += '[';
        for (size_t i = 0; i < v.list().size(); ++i) {
          out_ += i ? item_sep_ : "";
          newline(depth + 1);
          dump(v.list()[i], depth + 1);
        }
        newline(depth);
        out_ += ']';
        return;
      }
      case Value::Kind::dict: {
        if (v.dict().entries.empty()) {
          out_ += "{}";
          return;
        }
        std::vector<const std::pair<std::string, Value>*> entries;
        for (const auto& e : v.dict().entries) entries.push_back(&e);
        if (o_.sort_keys)
          std::stable_sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->first < b->first; });
        out_ += '{';
        for (size_t i = 0; i < entries.size(); ++i) {
          out_ += i ? item_sep_ : "";
          newline(depth + 1);
          append_escaped(out_, entries[i]->first, o_.ensure_ascii);
          out_ += key_sep_;
          dump(entries[i]->second, depth + 1);
        }
        newline(depth);
        out_ += '}';
        return;
      }
      default: render_error("Object of type " + v.type_name() + " is not JSON serializable");
    }
  }

  std::string take() { return std::move(out_); }

 private:
  void newline(int depth) {
    if (!o_.indent) return;
    out_ += '\n';
    for (int i = 0; i < depth; ++i) out_ += *o_.indent;
  }

  const JsonDumpOptions& o_;
  std::string item_sep_, key_sep_, out_;
};

}  // namespace

std::string python_json_dumps(const Value& value, const JsonDumpOptions& options) {
  Dumper d(options);
  d.dump(value, 0);
  return d.take();
}

}  // namespace tokprob::jinja
