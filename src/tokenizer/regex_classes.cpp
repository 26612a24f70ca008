#include "tokenizer/regex_classes.hpp"

#include <cctype>
#include <cstdio>
#include <optional>
#include <vector>

namespace tokprob::tok {

namespace {

// One of the reference's classes as written in the pattern: which, and whether negated (\P{L}, \W).
struct ClassEscape {
  const RegexClass* cls = nullptr;
  bool negated = false;
  size_t length = 0;  // of its spelling in the pattern
};

// The class escape at `at` (a backslash), or nothing for any other escape.
std::optional<ClassEscape> class_escape(std::string_view p, size_t at) {
  if (at + 1 >= p.size()) return std::nullopt;
  const char c = p[at + 1];
  if (c == 'd' || c == 'w' || c == 's' || c == 'D' || c == 'W' || c == 'S') {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ClassEscape{find_regex_class(std::string_view(&lower, 1)), c != lower, 2};
  }
  if (c != 'p' && c != 'P') return std::nullopt;
  bool negated = c == 'P';
  std::string_view name;
  size_t length = 0;
  if (at + 2 < p.size() && p[at + 2] == '{') {
    const size_t close = p.find('}', at + 3);
    if (close == std::string_view::npos) return std::nullopt;
    name = p.substr(at + 3, close - at - 3);
    length = close + 1 - at;
    if (!name.empty() && name.front() == '^') {
      negated = !negated;
      name.remove_prefix(1);
    }
  } else if (at + 2 < p.size() && std::isalpha(static_cast<unsigned char>(p[at + 2]))) {
    name = p.substr(at + 2, 1);
    length = 3;
  } else {
    return std::nullopt;
  }
  const RegexClass* cls = find_regex_class(name);
  if (!cls) return std::nullopt;
  return ClassEscape{cls, negated, length};
}

std::string ranges_items(std::span<const CodePointRange> ranges) {
  std::string out;
  char buf[40];
  for (const CodePointRange& r : ranges) {
    if (r.first == r.last)
      std::snprintf(buf, sizeof buf, "\\x{%X}", static_cast<unsigned>(r.first));
    else
      std::snprintf(buf, sizeof buf, "\\x{%X}-\\x{%X}", static_cast<unsigned>(r.first), static_cast<unsigned>(r.last));
    out += buf;
  }
  return out;
}

// The items that put the class's characters into a PCRE2 bracket, when nothing must be taken out.
std::string inline_items(const RegexClass& c) { return std::string(c.base).append(ranges_items(c.add)); }

// The escape as a PCRE2 expression of its own, matching one character. (Appends rather than
// operator+ chains: GCC 12 warns falsely about those with -Wrestrict.)
std::string standalone(const ClassEscape& e) {
  const RegexClass& c = *e.cls;
  std::string out;
  if (c.remove.empty()) {
    out.append(e.negated ? "[^" : "[").append(inline_items(c)).append("]");
  } else if (e.negated) {
    out.append("(?:[").append(ranges_items(c.remove)).append("]|[^").append(inline_items(c)).append("])");
  } else {
    out.append("(?:(?![").append(ranges_items(c.remove)).append("])[").append(inline_items(c)).append("])");
  }
  return out;
}

// How much of another escape to copy before going on: \cX names a control character by the next
// one, which may be a bracket; the rest of any longer escape (\x{...}) is copied as ordinary text.
size_t escape_length(std::string_view p, size_t at) {
  return std::min<size_t>(at + 1 < p.size() && p[at + 1] == 'c' ? 3 : 2, p.size() - at);
}

// Copies a \Q...\E quotation (or the rest of the pattern when it is not closed) starting at `at`.
size_t copy_quotation(std::string_view p, size_t at, std::string& out) {
  const size_t end = p.find("\\E", at + 2);
  const size_t stop = end == std::string_view::npos ? p.size() : end + 2;
  out.append(p.substr(at, stop - at));
  return stop;
}

// Rewrites the bracket expression starting at `at` ('['); returns where it ends, or npos when it is
// not closed (then nothing is written and the caller copies the rest as it is, for PCRE2 to refuse).
size_t rewrite_bracket(std::string_view p, size_t at, std::string& out) {
  size_t i = at + 1;
  const bool negated = i < p.size() && p[i] == '^';
  if (negated) ++i;
  std::string plain;  // items that stay inside one PCRE2 bracket
  std::vector<ClassEscape> apart;  // escapes that must become expressions of their own
  if (i < p.size() && p[i] == ']') {
    plain += "\\]";
    ++i;
  }
  while (i < p.size() && p[i] != ']') {
    if (p.compare(i, 2, "[:") == 0) {
      const size_t close = p.find(":]", i + 2);
      if (close == std::string_view::npos) return std::string_view::npos;
      plain.append(p.substr(i, close + 2 - i));
      i = close + 2;
    } else if (p[i] == '\\' && p.compare(i, 2, "\\Q") == 0) {
      i = copy_quotation(p, i, plain);
    } else if (p[i] == '\\') {
      if (auto e = class_escape(p, i)) {
        if (!e->negated && e->cls->remove.empty())
          plain += inline_items(*e->cls);
        else
          apart.push_back(*e);
        i += e->length;
      } else {
        const size_t n = escape_length(p, i);
        plain.append(p.substr(i, n));
        i += n;
      }
    } else {
      plain += p[i++];
    }
  }
  if (i >= p.size()) return std::string_view::npos;
  if (apart.empty()) {
    out += negated ? "[^" : "[";
    out += plain;
    out += ']';
    return i + 1;
  }
  // A negated item or one with characters to take out cannot sit in a PCRE2 bracket (no class
  // subtraction): the bracket becomes an alternation of one-character expressions.
  std::string any = "(?:";
  bool first = true;
  if (!plain.empty()) {
    any.append(plain.front() == '^' ? "[\\" : "[").append(plain).append("]");
    first = false;
  }
  for (const ClassEscape& e : apart) {
    if (!first) any += '|';
    any += standalone(e);
    first = false;
  }
  any += ')';
  if (negated)
    out.append("(?:(?!").append(any).append(")(?s:.))");
  else
    out += any;
  return i + 1;
}

}  // namespace

std::string with_reference_classes(std::string_view p) {
  std::string out;
  out.reserve(p.size());
  size_t i = 0;
  while (i < p.size()) {
    if (p[i] == '\\' && p.compare(i, 2, "\\Q") == 0) {
      i = copy_quotation(p, i, out);
    } else if (p[i] == '\\') {
      if (auto e = class_escape(p, i)) {
        out += standalone(*e);
        i += e->length;
      } else {
        const size_t n = escape_length(p, i);
        out.append(p.substr(i, n));
        i += n;
      }
    } else if (p[i] == '[') {
      const size_t end = rewrite_bracket(p, i, out);
      if (end == std::string_view::npos) {
        out.append(p.substr(i));
        break;
      }
      i = end;
    } else {
      out += p[i++];
    }
  }
  return out;
}

}  // namespace tokprob::tok
