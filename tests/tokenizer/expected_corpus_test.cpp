// tokenizer_expected.json: 490 strings x 6 tokenizers, every field, loaded from tokenizer.json.
// Failures are aggregated per field (a count and the first few cases) to keep the log short.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "fixtures.hpp"
#include "tokprob/tokenizer.hpp"

namespace {

using nlohmann::json;

struct FieldTally {
  int checked = 0, failed = 0;
  std::ostringstream first;
  void record(bool ok, int id, const std::string& text, const std::string& detail) {
    ++checked;
    if (ok) return;
    if (++failed <= 4) first << "\n  case " << id << " " << json(text).dump() << ": " << detail;
  }
};

// The field itself or, where the reference is uncertain, any entry of `<field>_accept`.
template <typename T>
bool matches(const json& c, const std::string& field, const T& got) {
  if (c.contains(field)) return c[field].get<T>() == got;
  if (c.contains(field + "_accept"))
    for (const auto& a : c[field + "_accept"])
      if (a.get<T>() == got) return true;
  return false;
}

std::string expected_text(const json& c, const std::string& field) {
  if (c.contains(field)) return c[field].dump();
  return c.value(field + "_accept", json()).dump();
}

// Cases where tokenizer_expected.json (the JS port, and slow tokenizers where they agree with it)
// departs from what the Rust `tokenizers` source does; we follow the Rust source:
//  - t5-tiny 104 "a\u0085b NEL": WhitespaceSplit splits on char::is_whitespace, which includes
//    U+0085 (White_Space=yes), so "a" and "b" are two words ("▁", "a", "▁", "b"); JS's \s and
//    SentencePiece do not split there and give one <unk> between them.
//  - t5-tiny 258 (stacked combining marks): the Precompiled normalizer maps graphemes of 6 bytes
//    or more code point by code point, so marks keep their input order inside the unknown token
//    (same ids, different token string).
//  - tinystories-656k 382 "<unk>" and 409 "<|start_story|>": a normalized added token is matched
//    in its normalized form ("▁<unk>" after Prepend) and the token string is the matched text,
//    so it reads "▁<unk>" (same id).
//  - bert-tiny-mlm and distilbert-tiny-sst2 362 "noncharacter \uFDD0": the BERT normalizer of
//    `tokenizers` never drops an unassigned code point (its Unicode 8.0 control test leaves Cn out),
//    so U+FDD0 is a word of its own and becomes [UNK]; the JS port and the slow tokenizer drop it.
//  - gpt2-tiny 232, 458, 487 (decode): the expectations carry transformers 4.38's
//    clean_up_tokenization_spaces (" 're" -> "'re", " .py" -> ".py"); transformers 5.25, the pinned
//    reference, never cleans up a BPE model's decode, and neither does tokprob.
const std::map<std::string, std::map<int, std::set<std::string>>> kRustDepartures = {
    {"bert-tiny-mlm", {{362, {"ids", "ids_special", "tokens", "decode", "decode_skip_special"}}}},
    {"distilbert-tiny-sst2", {{362, {"ids", "ids_special", "tokens", "decode", "decode_skip_special"}}}},
    {"gpt2-tiny", {{232, {"decode", "decode_skip_special"}}, {458, {"decode", "decode_skip_special"}},
                   {487, {"decode", "decode_skip_special"}}}},
    {"t5-tiny", {{104, {"ids", "ids_special", "tokens", "decode", "decode_skip_special"}},
                 {258, {"tokens"}}}},
    {"tinystories-656k", {{382, {"tokens"}}, {409, {"tokens"}}}},
};

bool departs(const std::string& name, int id, const std::string& field) {
  const auto t = kRustDepartures.find(name);
  if (t == kRustDepartures.end()) return false;
  const auto c = t->second.find(id);
  return c != t->second.end() && c->second.count(field) != 0;
}

void check_corpus(const std::string& name, const tokprob::Tokenizer& tok, bool tokens_too) {
  const json all = tokprob::testing::load_json(tokprob::testing::fixtures_dir() / "tokenizers" / "tokenizer_expected.json");
  std::map<int, std::string> corpus;
  for (const auto& c : all["corpus"]) corpus[c["id"].get<int>()] = c["text"].get<std::string>();
  FieldTally ids, ids_special, tokens, decode, decode_skip;
  for (const auto& c : all["tokenizers"][name]["cases"]) {
    const int id = c["id"].get<int>();
    const std::string& text = corpus.at(id);
    const auto plain = tok.encode(text, false);
    const auto special = tok.encode(text, true);
    ids.record(departs(name, id, "ids") || matches(c, "ids", plain.ids), id, text, "got " + json(plain.ids).dump() + " want " + expected_text(c, "ids"));
    ids_special.record(departs(name, id, "ids_special") || matches(c, "ids_special", special.ids), id, text,
                       "got " + json(special.ids).dump() + " want " + expected_text(c, "ids_special"));
    // Where ids are uncertain (exact Viterbi score ties), `tokens` spells the first of ids_accept;
    // with another accepted tie-break there is nothing to compare the tokens with.
    const bool other_tie_break = c.contains("ids_accept") && c["ids_accept"][0].get<std::vector<int32_t>>() != plain.ids;
    if (tokens_too && !other_tie_break)
      tokens.record(departs(name, id, "tokens") || matches(c, "tokens", plain.tokens), id, text,
                    "got " + json(plain.tokens).dump() + " want " + expected_text(c, "tokens"));
    // The "decode" fields decode the ids without special tokens (their values show no
    // [CLS]/[SEP] or appended </s>), with and without skip_special_tokens.
    const std::string d = tok.decode(plain.ids, false);
    decode.record(departs(name, id, "decode") || matches(c, "decode", d), id, text, "got " + json(d).dump() + " want " + expected_text(c, "decode"));
    const std::string ds = tok.decode(plain.ids, true);
    decode_skip.record(departs(name, id, "decode_skip_special") || matches(c, "decode_skip_special", ds), id, text,
                       "got " + json(ds).dump() + " want " + expected_text(c, "decode_skip_special"));
  }
  EXPECT_EQ(ids.failed, 0) << name << " ids: " << ids.failed << "/" << ids.checked << " differ" << ids.first.str();
  EXPECT_EQ(ids_special.failed, 0) << name << " ids_special: " << ids_special.failed << "/" << ids_special.checked
                                   << " differ" << ids_special.first.str();
  if (tokens_too) {
    EXPECT_EQ(tokens.failed, 0) << name << " tokens: " << tokens.failed << "/" << tokens.checked << " differ" << tokens.first.str();
  }
  EXPECT_EQ(decode.failed, 0) << name << " decode: " << decode.failed << "/" << decode.checked << " differ" << decode.first.str();
  EXPECT_EQ(decode_skip.failed, 0) << name << " decode_skip_special: " << decode_skip.failed << "/" << decode_skip.checked
                                   << " differ" << decode_skip.first.str();
}

void check_tokenizer_json(const std::string& name) {
  const auto tok = tokprob::Tokenizer::from_tokenizer_json(tokprob::testing::fixtures_dir() / name / "tokenizer.json");
  check_corpus(name, tok, true);
}

TEST(TokenizerJsonCorpus, Gpt2) {
  TOKPROB_REQUIRE_FIXTURE("gpt2-tiny");
  check_tokenizer_json("gpt2-tiny");
}
TEST(TokenizerJsonCorpus, Bert) {
  TOKPROB_REQUIRE_FIXTURE("bert-tiny-mlm");
  check_tokenizer_json("bert-tiny-mlm");
}
TEST(TokenizerJsonCorpus, DistilBert) {
  TOKPROB_REQUIRE_FIXTURE("distilbert-tiny-sst2");
  check_tokenizer_json("distilbert-tiny-sst2");
}
TEST(TokenizerJsonCorpus, T5) {
  TOKPROB_REQUIRE_FIXTURE("t5-tiny");
  check_tokenizer_json("t5-tiny");
}
TEST(TokenizerJsonCorpus, Llama) {
  TOKPROB_REQUIRE_FIXTURE("llama-tiny");
  check_tokenizer_json("llama-tiny");
}
TEST(TokenizerJsonCorpus, TinyStories) {
  TOKPROB_REQUIRE_FIXTURE("tinystories-656k");
  check_tokenizer_json("tinystories-656k");
}

}  // namespace
