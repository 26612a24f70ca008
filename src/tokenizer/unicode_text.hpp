// Code-point level text helpers shared by the tokenizer stages: UTF-8 in and out (invalid input
// becomes U+FFFD the way Python's errors="replace" and Rust's from_utf8_lossy do it), and the
// character classes that Rust's `char` methods define, which `tokenizers` relies on.
#pragma once

#include <string>
#include <string_view>

namespace tokprob::tok {

// Invalid sequences become one U+FFFD per maximal invalid subpart (Unicode §3.9, as Python and Rust).
std::u32string decode_utf8(std::string_view bytes);
// Same replacement policy, staying in UTF-8.
std::string sanitize_utf8(std::string_view bytes);
bool is_valid_utf8(std::string_view bytes);
void append_utf8(std::string& out, char32_t c);
std::string to_utf8(std::u32string_view text);
// Number of code points in valid UTF-8.
std::u32string::size_type utf8_length(std::string_view s);

bool is_whitespace(char32_t c);     // Rust char::is_whitespace (White_Space property)
bool is_numeric(char32_t c);        // Nd, Nl, No
bool is_alphanumeric(char32_t c);   // letters and numbers
bool is_nonspacing_mark(char32_t c);  // Mn
// Rust char::to_lowercase: full (unconditional) mapping, so U+0130 gives two code points.
void append_lowercase(std::u32string& out, char32_t c);

}  // namespace tokprob::tok
