// The character classes of the BERT normalizer and pre-tokenizer as `tokenizers` has them: it
// takes punctuation, control and nonspacing-mark categories from Unicode 8.0 tables, and never
// treats an unassigned code point as a control character (so it reaches the model as [UNK]).
#pragma once

namespace tokprob::tok {

// Removed by clean_text (besides NUL and U+FFFD): Cc, Cf, Co, Cs, but not \t \n \r.
bool is_bert_control(char32_t c);
// A word boundary of BertPreTokenizer: ASCII punctuation or general category P*.
bool is_bert_punctuation(char32_t c);
// Dropped by strip_accents after NFD: general category Mn.
bool is_bert_nonspacing_mark(char32_t c);

}  // namespace tokprob::tok
