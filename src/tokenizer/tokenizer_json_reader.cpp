#include "tokenizer/tokenizer_json_reader.hpp"

#include <charconv>
#include <cstring>
#include <fstream>

#include "tokenizer/unicode_text.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

using nlohmann::json;

namespace {

// Builds the JSON tree for everything except the streamed tables.
class Reader : public nlohmann::json_sax<json> {
 public:
  // With `flat_vocab`, the root object itself is a {token: id} table.
  // `size_hint`: bytes of the file, to size the vocabulary table once.
  Reader(ModelTables& tables, bool flat_vocab, size_t size_hint)
      : tables_(tables), flat_vocab_(flat_vocab), size_hint_(size_hint) {}

  json root;
  std::string error;

  bool null() override { return scalar(json()); }
  bool boolean(bool v) override { return scalar(json(v)); }
  bool number_integer(number_integer_t v) override { return number(static_cast<double>(v), v, true); }
  bool number_unsigned(number_unsigned_t v) override {
    if (stream_ == Stream::none) return scalar(json(v));
    return number(static_cast<double>(v), static_cast<number_integer_t>(v), v <= static_cast<number_unsigned_t>(INT64_MAX));
  }
  bool number_float(number_float_t v, const string_t&) override { return number(v, 0, false); }
  bool binary(binary_t&) override { return scalar(json()); }

  bool string(string_t& v) override {
    switch (stream_) {
      case Stream::none:
        return scalar(json(std::move(v)));
      case Stream::scored:
        if (depth_ == 2) piece_ = std::move(v);
        return true;
      case Stream::merges:
        if (depth_ == 1) {
          const size_t space = v.find(' ', 1);
          if (space == std::string::npos) return bad("merge \"" + v + "\" is not two tokens separated by a space");
          tables_.merges->emplace_back(v.substr(0, space), v.substr(space + 1));
        } else if (depth_ == 2) {
          pair_.push_back(std::move(v));
        }
        return true;
      case Stream::vocab:
        return bad("vocabulary id of \"" + key_ + "\" is not an integer");
    }
    return true;
  }

  bool key(string_t& k) override {
    if (stream_ == Stream::vocab) {
      key_ = std::move(k);
      return true;
    }
    if (stream_ != Stream::none) return true;
    frames_.back().key = std::move(k);
    return true;
  }

  bool start_object(std::size_t) override {
    if (stream_ != Stream::none) {
      ++depth_;
      return true;
    }
    if (flat_vocab_ && frames_.empty()) return begin_stream(Stream::vocab);
    if (entering_table("vocab")) return begin_stream(Stream::vocab);
    frames_.push_back({json::object(), {}});
    return true;
  }

  bool start_array(std::size_t) override {
    if (stream_ != Stream::none) {
      ++depth_;
      if (stream_ == Stream::merges && depth_ == 2) pair_.clear();
      return true;
    }
    if (entering_table("vocab")) return begin_stream(Stream::scored);
    if (entering_table("merges")) return begin_stream(Stream::merges);
    frames_.push_back({json::array(), {}});
    return true;
  }

  bool end_object() override { return end_container(); }
  bool end_array() override { return end_container(); }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error = e.what();
    return false;
  }

 private:
  enum class Stream { none, vocab, scored, merges };
  struct Frame {
    json value;
    std::string key;
  };

  bool bad(const std::string& message) {
    error = message;
    return false;
  }

  // The next value is model.<name>: the root object holds "model", which holds <name>.
  bool entering_table(const char* name) const {
    return frames_.size() == 2 && frames_[0].key == "model" && frames_[1].value.is_object() && frames_[1].key == name;
  }

  bool begin_stream(Stream s) {
    stream_ = s;
    depth_ = 1;
    if (s == Stream::vocab) {
      tables_.vocab.emplace();
      // A low guess (files also hold merges): growing is cheap, and a table much larger than
      // needed costs more cache misses in every later lookup than the rehashes it saves.
      tables_.vocab->reserve(size_hint_ / 100);
    }
    if (s == Stream::scored) tables_.scored.emplace();
    if (s == Stream::merges) tables_.merges.emplace();
    return true;
  }

  bool number(double as_double, number_integer_t as_int, bool integral) {
    switch (stream_) {
      case Stream::none:
        return scalar(integral ? json(as_int) : json(as_double));
      case Stream::vocab:
        if (!integral || as_int < 0 || as_int >= kMaxVocabId)
          return bad("vocabulary id of \"" + key_ + "\" is " +
                     (integral ? std::to_string(as_int) + ", outside [0, " + std::to_string(kMaxVocabId) + ")"
                               : std::string("not an integer")));
        tables_.vocab->add(std::move(key_), static_cast<int32_t>(as_int));
        return true;
      case Stream::scored:
        if (depth_ == 2) tables_.scored->emplace_back(std::move(piece_), as_double);
        return true;
      case Stream::merges:
        return bad("a merge must be \"a b\" or [\"a\", \"b\"]");
    }
    return true;
  }

  bool scalar(json v) {
    if (stream_ != Stream::none) return true;
    if (frames_.empty()) {
      root = std::move(v);
      return true;
    }
    Frame& top = frames_.back();
    if (top.value.is_object())
      top.value[top.key] = std::move(v);
    else
      top.value.push_back(std::move(v));
    return true;
  }

  bool end_container() {
    if (stream_ != Stream::none) {
      if (stream_ == Stream::merges && depth_ == 2) {
        if (pair_.size() != 2) return bad("a merge must be \"a b\" or [\"a\", \"b\"]");
        tables_.merges->emplace_back(std::move(pair_[0]), std::move(pair_[1]));
      }
      if (--depth_ == 0) {
        stream_ = Stream::none;
        // The table's key stays out of the tree; flat files have nothing else.
      }
      return true;
    }
    json done = std::move(frames_.back().value);
    frames_.pop_back();
    return scalar(std::move(done));
  }

  ModelTables& tables_;
  bool flat_vocab_;
  size_t size_hint_;
  std::vector<Frame> frames_;
  Stream stream_ = Stream::none;
  int depth_ = 0;
  std::string key_, piece_;
  std::vector<std::string> pair_;
};


// A small JSON lexer driving the SAX handler; several times faster than nlohmann's own on these
// files, which are mostly short strings.
class EventParser {
 public:
  EventParser(const std::string& text, Reader& out) : s_(text), out_(out) {}

  // Empty on success, else what is wrong and where.
  std::string run() {
    skip_ws();
    if (!value()) return error_.empty() ? "syntax error at byte " + std::to_string(pos_) : error_;
    skip_ws();
    if (pos_ != s_.size()) return "unexpected content at byte " + std::to_string(pos_);
    return {};
  }

 private:
  bool fail_at(const std::string& what) {
    if (error_.empty()) error_ = what + " at byte " + std::to_string(pos_);
    return false;
  }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) ++pos_;
  }
  bool literal(const char* word) {
    const size_t n = std::strlen(word);
    if (s_.compare(pos_, n, word) != 0) return fail_at("invalid literal");
    pos_ += n;
    return true;
  }
  bool hex4(unsigned& v) {
    if (pos_ + 4 > s_.size()) return fail_at("truncated \\u escape");
    v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
      else return fail_at("bad \\u escape");
    }
    return true;
  }
  bool string(std::string& out) {
    ++pos_;  // opening quote
    out.clear();
    bool high_bytes = false;
    while (true) {
      const size_t start = pos_;
      while (pos_ < s_.size() && s_[pos_] != '"' && s_[pos_] != '\\' && static_cast<unsigned char>(s_[pos_]) >= 0x20) {
        high_bytes |= static_cast<unsigned char>(s_[pos_]) >= 0x80;
        ++pos_;
      }
      out.append(s_, start, pos_ - start);
      if (pos_ >= s_.size()) return fail_at("unterminated string");
      const char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c != '\\') return fail_at("control character in string");
      if (++pos_ >= s_.size()) return fail_at("unterminated string");
      const char e = s_[pos_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo = 0;
            if (s_.compare(pos_, 2, "\\u") != 0) return fail_at("lone surrogate");
            pos_ += 2;
            if (!hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return fail_at("lone surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return fail_at("lone surrogate");
          }
          append_utf8(out, static_cast<char32_t>(cp));
          break;
        }
        default:
          return fail_at("bad escape");
      }
    }
    if (high_bytes && !is_valid_utf8(out)) return fail_at("invalid UTF-8 in string");
    return true;
  }
  bool number() {
    const size_t start = pos_;
    bool integral = true;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c >= '0' && c <= '9') {
        ++pos_;
      } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
        integral = false;
        ++pos_;
      } else {
        break;
      }
    }
    const char* b = s_.data() + start;
    const char* e = s_.data() + pos_;
    if (integral) {
      if (*b != '-') {
        uint64_t u = 0;
        if (std::from_chars(b, e, u).ptr == e) return out_.number_unsigned(u);
      } else {
        int64_t i = 0;
        if (std::from_chars(b, e, i).ptr == e) return out_.number_integer(i);
      }
    }
    double d = 0;
    if (std::from_chars(b, e, d).ptr != e) return fail_at("bad number");
    std::string raw(b, e);
    return out_.number_float(d, raw);
  }
  bool value() {
    if (++depth_ > kMaxTokenizerJsonDepth)
      return fail_at("nested deeper than " + std::to_string(kMaxTokenizerJsonDepth) + " levels");
    bool ok = value_inner();
    --depth_;
    return ok;
  }
  bool value_inner() {
    if (pos_ >= s_.size()) return fail_at("unexpected end");
    switch (s_[pos_]) {
      case '{': {
        ++pos_;
        if (!out_.start_object(0)) return fail_at(out_.error);
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == '}') {
          ++pos_;
          return out_.end_object() || fail_at(out_.error);
        }
        while (true) {
          skip_ws();
          if (pos_ >= s_.size() || s_[pos_] != '"') return fail_at("expected a key");
          if (!string(scratch_)) return false;
          if (!out_.key(scratch_)) return fail_at(out_.error);
          skip_ws();
          if (pos_ >= s_.size() || s_[pos_] != ':') return fail_at("expected ':'");
          ++pos_;
          skip_ws();
          if (!value()) return false;
          skip_ws();
          if (pos_ < s_.size() && s_[pos_] == ',') {
            ++pos_;
            continue;
          }
          if (pos_ < s_.size() && s_[pos_] == '}') {
            ++pos_;
            return out_.end_object() || fail_at(out_.error);
          }
          return fail_at("expected ',' or '}'");
        }
      }
      case '[': {
        ++pos_;
        if (!out_.start_array(0)) return fail_at(out_.error);
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == ']') {
          ++pos_;
          return out_.end_array() || fail_at(out_.error);
        }
        while (true) {
          skip_ws();
          if (!value()) return false;
          skip_ws();
          if (pos_ < s_.size() && s_[pos_] == ',') {
            ++pos_;
            continue;
          }
          if (pos_ < s_.size() && s_[pos_] == ']') {
            ++pos_;
            return out_.end_array() || fail_at(out_.error);
          }
          return fail_at("expected ',' or ']'");
        }
      }
      case '"': {
        std::string v;
        if (!string(v)) return false;
        return out_.string(v) || fail_at(out_.error);
      }
      case 't':
        return literal("true") && (out_.boolean(true) || fail_at(out_.error));
      case 'f':
        return literal("false") && (out_.boolean(false) || fail_at(out_.error));
      case 'n':
        return literal("null") && (out_.null() || fail_at(out_.error));
      default:
        if (s_[pos_] == '-' || (s_[pos_] >= '0' && s_[pos_] <= '9')) return number() || fail_at(out_.error);
        return fail_at("unexpected character");
    }
  }

  const std::string& s_;
  Reader& out_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::string scratch_, error_;
};

}  // namespace

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail(path + ": cannot open file");
  const std::streamoff size = in.tellg();
  if (size < 0) fail(path + ": cannot read file");
  if (static_cast<uintmax_t>(size) > kMaxTokenizerFileBytes)
    fail(path + ": " + std::to_string(size) + " bytes is more than the " + std::to_string(kMaxTokenizerFileBytes >> 20) +
         " MiB a tokenizer file may have");
  std::string text(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(text.data(), size)) fail(path + ": cannot read file");
  return text;
}

TokenizerJsonDocument read_tokenizer_json(const std::string& text, const std::string& where) {
  TokenizerJsonDocument doc;
  Reader reader(doc.tables, false, text.size());
  if (const std::string error = EventParser(text, reader).run(); !error.empty())
    fail(where + ": not valid JSON (" + error + ")");
  doc.rest = std::move(reader.root);
  return doc;
}

Vocab read_vocab_json(const std::string& text, const std::string& where) {
  ModelTables tables;
  Reader reader(tables, true, text.size());
  if (const std::string error = EventParser(text, reader).run(); !error.empty())
    fail(where + ": not valid JSON (" + error + ")");
  if (!tables.vocab) fail(where + ": expected an object of token -> id");
  return std::move(*tables.vocab);
}

}  // namespace tokprob::tok
