#include "chat/jinja_text.hpp"

#include <utf8proc.h>

#include "tokenizer/unicode_text.hpp"

namespace tokprob::jinja {

bool is_python_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

std::u32string utf8_to_code_points(std::string_view text) { return tok::decode_utf8(text); }
std::string code_points_to_utf8(std::u32string_view text) { return tok::to_utf8(text); }

char32_t decode_one_code_point(std::string_view text, size_t pos, size_t& length) {
  unsigned char c = static_cast<unsigned char>(text[pos]);
  length = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
  if (pos + length > text.size()) length = text.size() - pos;
  std::u32string cps = tok::decode_utf8(text.substr(pos, length));
  return cps.empty() ? U'\uFFFD' : cps[0];
}

std::string python_strip(const std::string& text, const std::optional<std::string>& chars, bool left, bool right) {
  std::u32string cps = utf8_to_code_points(text);
  std::u32string set = chars ? utf8_to_code_points(*chars) : std::u32string();
  auto strip_it = [&](char32_t c) { return chars ? set.find(c) != std::u32string::npos : is_python_space(c); };
  size_t begin = 0, end = cps.size();
  if (left)
    while (begin < end && strip_it(cps[begin])) ++begin;
  if (right)
    while (end > begin && strip_it(cps[end - 1])) --end;
  return code_points_to_utf8(std::u32string_view(cps).substr(begin, end - begin));
}

std::vector<std::string> python_split(const std::string& text, const std::optional<std::string>& sep,
                                      int64_t maxsplit) {
  std::vector<std::string> parts;
  if (sep) {
    size_t pos = 0;
    while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
      size_t hit = text.find(*sep, pos);
      if (hit == std::string::npos) break;
      parts.push_back(text.substr(pos, hit - pos));
      pos = hit + sep->size();
    }
    parts.push_back(text.substr(pos));
    return parts;
  }
  std::u32string cps = utf8_to_code_points(text);
  size_t i = 0;
  while (true) {
    while (i < cps.size() && is_python_space(cps[i])) ++i;
    if (i >= cps.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
      size_t end = cps.size();
      while (end > i && is_python_space(cps[end - 1])) --end;
      parts.push_back(code_points_to_utf8(std::u32string_view(cps).substr(i, end - i)));
      break;
    }
    size_t start = i;
    while (i < cps.size() && !is_python_space(cps[i])) ++i;
    parts.push_back(code_points_to_utf8(std::u32string_view(cps).substr(start, i - start)));
  }
  return parts;
}

std::string python_replace(const std::string& text, const std::string& old, const std::string& replacement,
                           int64_t count) {
  std::string out;
  size_t pos = 0;
  int64_t done = 0;
  if (old.empty()) {  // Python inserts the replacement between every code point
    std::u32string cps = utf8_to_code_points(text);
    for (char32_t c : cps) {
      if (count < 0 || done < count) {
        out += replacement;
        ++done;
      }
      out += code_points_to_utf8(std::u32string(1, c));
    }
    if (count < 0 || done < count) out += replacement;
    return out;
  }
  while (count < 0 || done < count) {
    size_t hit = text.find(old, pos);
    if (hit == std::string::npos) break;
    out += text.substr(pos, hit - pos) + replacement;
    pos = hit + old.size();
    ++done;
  }
  return out + text.substr(pos);
}

namespace {

std::string map_case(const std::string& text, bool upper) {
  std::u32string cps = utf8_to_code_points(text);
  for (char32_t& c : cps)
    c = static_cast<char32_t>(upper ? utf8proc_toupper(static_cast<utf8proc_int32_t>(c))
                                    : utf8proc_tolower(static_cast<utf8proc_int32_t>(c)));
  return code_points_to_utf8(cps);
}

bool is_cased(char32_t c) {
  auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT;
}

}  // namespace

std::string python_upper(const std::string& text) { return map_case(text, true); }
std::string python_lower(const std::string& text) { return map_case(text, false); }

std::string python_title(const std::string& text) {
  std::u32string cps = utf8_to_code_points(text);
  bool previous_cased = false;
  for (char32_t& c : cps) {
    bool cased = is_cased(c);
    auto cp = static_cast<utf8proc_int32_t>(c);
    c = static_cast<char32_t>(previous_cased ? utf8proc_tolower(cp) : utf8proc_totitle(cp));
    previous_cased = cased;
  }
  return code_points_to_utf8(cps);
}

std::string python_capitalize(const std::string& text) {
  std::u32string cps = utf8_to_code_points(text);
  for (size_t i = 0; i < cps.size(); ++i) {
    auto cp = static_cast<utf8proc_int32_t>(cps[i]);
    cps[i] = static_cast<char32_t>(i == 0 ? utf8proc_totitle(cp) : utf8proc_tolower(cp));
  }
  return code_points_to_utf8(cps);
}

}  // namespace tokprob::jinja
