#include "tokenizer/post_processors.hpp"

#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "tokenizer/json_fields.hpp"
#include "tokenizer/unicode_text.hpp"
#include "tokprob/error.hpp"

namespace tokprob::tok {

using nlohmann::json;

void append_encoding(Encoding& to, const Encoding& from) {
  to.ids.insert(to.ids.end(), from.ids.begin(), from.ids.end());
  to.type_ids.insert(to.type_ids.end(), from.type_ids.begin(), from.type_ids.end());
  to.tokens.insert(to.tokens.end(), from.tokens.begin(), from.tokens.end());
  to.offsets.insert(to.offsets.end(), from.offsets.begin(), from.offsets.end());
  to.special_mask.insert(to.special_mask.end(), from.special_mask.begin(), from.special_mask.end());
}

Encoding merge_encodings(std::vector<Encoding>& parts) {
  if (parts.size() == 1) return std::move(parts.front());
  Encoding out;
  for (const auto& p : parts) append_encoding(out, p);
  return out;
}

namespace {

Encoding special_encoding(const std::vector<int32_t>& ids, const std::vector<std::string>& tokens, int32_t type_id) {
  Encoding e;
  e.ids = ids;
  e.tokens = tokens;
  e.type_ids.assign(ids.size(), type_id);
  e.offsets.assign(ids.size(), {0, 0});
  e.special_mask.assign(ids.size(), 1);
  return e;
}

void set_type_ids(Encoding& e, int32_t type_id) { e.type_ids.assign(e.ids.size(), type_id); }

// Leading/trailing spaces of byte-level tokens ('Ġ') are left out of their offsets.
void trim_byte_level_offsets(Encoding& e, bool add_prefix_space) {
  for (size_t i = 0; i < e.ids.size(); ++i) {
    const std::u32string t = decode_utf8(e.tokens[i]);
    auto space = [](char32_t c) { return c == 0x120 || is_whitespace(c); };
    size_t leading = 0, trailing = 0;
    while (leading < t.size() && space(t[leading])) ++leading;
    while (trailing < t.size() && space(t[t.size() - 1 - trailing])) ++trailing;
    auto& [b, en] = e.offsets[i];
    if (leading > 0) {
      const bool first = i == 0 || b == 0;
      if (first && add_prefix_space && leading == 1) leading = 0;
      b = std::min(b + leading, en);
    }
    if (trailing > 0 && en >= trailing) en = std::max(en - trailing, b);
  }
}

class TemplateProcessor : public PostProcessor {
 public:
  struct Piece {
    bool is_sequence;
    std::string id;  // "A"/"B" or the special token's name
    int32_t type_id;
  };
  struct Special {
    std::vector<int32_t> ids;
    std::vector<std::string> tokens;
  };
  TemplateProcessor(std::vector<Piece> single, std::vector<Piece> pair, std::map<std::string, Special> specials)
      : single_(std::move(single)), pair_(std::move(pair)), specials_(std::move(specials)) {}

  void process(std::vector<Encoding>& encodings, bool add_special_tokens) const override {
    const auto& pieces = encodings.size() == 2 ? pair_ : single_;
    std::vector<Encoding> out;
    for (const auto& p : pieces) {
      if (p.is_sequence) {
        const size_t index = p.id == "A" ? 0 : 1;
        if (index >= encodings.size()) continue;
        Encoding e = encodings[index];
        set_type_ids(e, p.type_id);
        out.push_back(std::move(e));
      } else if (add_special_tokens) {
        const auto it = specials_.find(p.id);
        if (it == specials_.end()) continue;
        out.push_back(special_encoding(it->second.ids, it->second.tokens, p.type_id));
      }
    }
    encodings = std::move(out);
  }

 private:
  std::vector<Piece> single_, pair_;
  std::map<std::string, Special> specials_;
};

// BertProcessing and RobertaProcessing: cls A sep [B sep], RoBERTa doubling the separator.
class ClsSepProcessor : public PostProcessor {
 public:
  ClsSepProcessor(TemplateToken cls, TemplateToken sep, bool roberta, bool trim_offsets, bool add_prefix_space)
      : cls_(std::move(cls)), sep_(std::move(sep)), roberta_(roberta), trim_(trim_offsets), prefix_(add_prefix_space) {}

  void process(std::vector<Encoding>& encodings, bool add_special_tokens) const override {
    if (roberta_ && trim_)
      for (auto& e : encodings) trim_byte_level_offsets(e, prefix_);
    const int32_t second_type = roberta_ ? 0 : 1;
    set_type_ids(encodings[0], 0);
    if (encodings.size() == 2) set_type_ids(encodings[1], second_type);
    if (!add_special_tokens) return;
    std::vector<Encoding> out;
    out.push_back(special_encoding({cls_.id}, {cls_.token}, 0));
    out.push_back(encodings[0]);
    out.push_back(special_encoding({sep_.id}, {sep_.token}, 0));
    if (encodings.size() == 2) {
      if (roberta_) out.push_back(special_encoding({sep_.id}, {sep_.token}, second_type));
      out.push_back(encodings[1]);
      out.push_back(special_encoding({sep_.id}, {sep_.token}, second_type));
    }
    encodings = std::move(out);
  }

 private:
  TemplateToken cls_, sep_;
  bool roberta_, trim_, prefix_;
};

class ByteLevelProcessor : public PostProcessor {
 public:
  ByteLevelProcessor(bool trim_offsets, bool add_prefix_space) : trim_(trim_offsets), prefix_(add_prefix_space) {}
  void process(std::vector<Encoding>& encodings, bool) const override {
    for (size_t k = 0; k < encodings.size(); ++k) {
      if (trim_) trim_byte_level_offsets(encodings[k], prefix_);
      set_type_ids(encodings[k], static_cast<int32_t>(k));
    }
  }

 private:
  bool trim_, prefix_;
};

class SequenceProcessor : public PostProcessor {
 public:
  explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> parts) : parts_(std::move(parts)) {}
  void process(std::vector<Encoding>& encodings, bool add_special_tokens) const override {
    for (const auto& p : parts_)
      if (p) p->process(encodings, add_special_tokens);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> parts_;
};

TemplateToken token_pair(const json& j, const std::string& where) {
  if (!j.is_array() || j.size() != 2 || !j[0].is_string() || !j[1].is_number_integer())
    fail(where + ": cls/sep must be [token, id]");
  return {j[0].get<std::string>(), j[1].get<int32_t>()};
}

// The digits of "$A:1" or "$1"; std::stoi would throw std::out_of_range on a long run of digits.
int32_t template_number(const std::string& digits, const std::string& where) {
  int32_t v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size())
    fail(where + ": TemplateProcessing number \"" + digits + "\" is out of range");
  return v;
}

std::vector<TemplateProcessor::Piece> parse_template(const json& j, const std::string& where) {
  std::vector<TemplateProcessor::Piece> out;
  auto piece_from_string = [&](const std::string& s) {
    std::string name = s;
    int32_t type_id = 0;
    if (const size_t colon = s.rfind(':'); colon != std::string::npos && colon > 0 && colon + 1 < s.size() &&
                                           s.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
      name = s.substr(0, colon);
      type_id = template_number(s.substr(colon + 1), where);
    }
    if (name == "$A" || name == "$B" || name == "$") return TemplateProcessor::Piece{true, name == "$B" ? "B" : "A", type_id};
    if (name.size() > 1 && name[0] == '$' && name.find_first_not_of("0123456789", 1) == std::string::npos)
      return TemplateProcessor::Piece{true, "A", template_number(name.substr(1), where)};
    return TemplateProcessor::Piece{false, name, type_id};
  };
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    size_t i = 0;
    while (i < s.size()) {
      const size_t sp = s.find(' ', i);
      const std::string word = s.substr(i, sp == std::string::npos ? std::string::npos : sp - i);
      if (!word.empty()) out.push_back(piece_from_string(word));
      if (sp == std::string::npos) break;
      i = sp + 1;
    }
    return out;
  }
  if (!j.is_array()) fail(where + ": TemplateProcessing template must be a list or a string");
  for (const auto& e : j) {
    if (e.is_string()) {
      out.push_back(piece_from_string(e.get<std::string>()));
    } else if (e.is_object() && e.contains("Sequence")) {
      const auto& s = e["Sequence"];
      out.push_back({true, json_string(s, "id", "A"), s.value("type_id", 0)});
    } else if (e.is_object() && e.contains("SpecialToken")) {
      const auto& s = e["SpecialToken"];
      out.push_back({false, json_string(s, "id", ""), s.value("type_id", 0)});
    } else {
      fail(where + ": bad TemplateProcessing piece");
    }
  }
  return out;
}

}  // namespace

std::unique_ptr<PostProcessor> make_template_processor(const std::vector<std::string>& single,
                                                       const std::vector<std::string>& pair,
                                                       const std::vector<TemplateToken>& specials,
                                                       const std::string& where) {
  std::map<std::string, TemplateProcessor::Special> map;
  for (const auto& t : specials) map[t.token] = {{t.id}, {t.token}};
  return std::make_unique<TemplateProcessor>(parse_template(json(single), where), parse_template(json(pair), where),
                                             std::move(map));
}

std::unique_ptr<PostProcessor> make_post_processor(const json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    fail(where + ": post_processor without a \"type\"");
  const std::string type = j["type"].get<std::string>();
  try {
    if (type == "TemplateProcessing") {
      std::map<std::string, TemplateProcessor::Special> specials;
      const json special_tokens = j.value("special_tokens", json::object());
      for (const auto& [name, s] : special_tokens.items()) {
        TemplateProcessor::Special sp;
        sp.ids = s.at("ids").get<std::vector<int32_t>>();
        sp.tokens = s.at("tokens").get<std::vector<std::string>>();
        specials[json_string(s, "id", name)] = std::move(sp);
      }
      return std::make_unique<TemplateProcessor>(parse_template(j.at("single"), where),
                                                 parse_template(j.value("pair", j.at("single")), where), std::move(specials));
    }
    if (type == "BertProcessing")
      return std::make_unique<ClsSepProcessor>(token_pair(j.at("cls"), where), token_pair(j.at("sep"), where), false, false, false);
    if (type == "RobertaProcessing")
      return std::make_unique<ClsSepProcessor>(token_pair(j.at("cls"), where), token_pair(j.at("sep"), where), true,
                                               json_bool(j, "trim_offsets", true), json_bool(j, "add_prefix_space", true));
    if (type == "ByteLevel")
      return std::make_unique<ByteLevelProcessor>(json_bool(j, "trim_offsets", true), json_bool(j, "add_prefix_space", true));
    if (type == "Sequence") {
      std::vector<std::unique_ptr<PostProcessor>> parts;
      const json processors = j.value("processors", json::array());
      for (const auto& p : processors) parts.push_back(make_post_processor(p, where));
      return std::make_unique<SequenceProcessor>(std::move(parts));
    }
  } catch (const json::exception& e) {
    fail(where + ": bad " + type + " post_processor: " + e.what());
  }
  fail(where + ": unsupported post_processor type \"" + type + "\"");
}

}  // namespace tokprob::tok

namespace tokprob::tok {

namespace {
class BosEosProcessor : public PostProcessor {
 public:
  BosEosProcessor(std::optional<TemplateToken> bos, std::optional<TemplateToken> eos, bool eos_unless_present)
      : bos_(std::move(bos)), eos_(std::move(eos)), eos_unless_present_(eos_unless_present) {}
  void process(std::vector<Encoding>& encodings, bool add_special_tokens) const override {
    for (size_t k = 0; k < encodings.size(); ++k) encodings[k].type_ids.assign(encodings[k].ids.size(), static_cast<int32_t>(k));
    if (!add_special_tokens) return;
    std::vector<Encoding> out;
    for (size_t k = 0; k < encodings.size(); ++k) {
      const auto type = static_cast<int32_t>(k);
      if (bos_) out.push_back(special_encoding({bos_->id}, {bos_->token}, type));
      const bool ends_with_eos = eos_ && !encodings[k].ids.empty() && encodings[k].ids.back() == eos_->id;
      out.push_back(std::move(encodings[k]));
      if (eos_ && !(eos_unless_present_ && ends_with_eos)) out.push_back(special_encoding({eos_->id}, {eos_->token}, type));
    }
    encodings = std::move(out);
  }

 private:
  std::optional<TemplateToken> bos_, eos_;
  bool eos_unless_present_;
};
}  // namespace

std::unique_ptr<PostProcessor> make_bos_eos_processor(std::optional<TemplateToken> bos, std::optional<TemplateToken> eos,
                                                      bool eos_unless_present) {
  return std::make_unique<BosEosProcessor>(std::move(bos), std::move(eos), eos_unless_present);
}

}  // namespace tokprob::tok
