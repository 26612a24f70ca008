// Pieces of text for tables: tokens made visible, display widths, bars, CSV fields.
#pragma once

#include <string>
#include <string_view>

namespace tokprob {

// A token's text with what would be invisible shown: a space as "␣", newline as "\n",
// tab as "\t", other control characters as \xNN.
std::string visible_token(std::string_view text);

// How every table shows a token: what it reads as (`text`, made visible, "␣world"), except where
// that text is not whole characters (a byte-fallback piece "<0xF0>" or a byte-level piece of part
// of a character, which read as "�"): then its vocabulary string (`token`) tells them apart.
std::string shown_token(std::string_view token, std::string_view text);

// Terminal columns the UTF-8 text takes (wide CJK characters count 2).
size_t display_width(std::string_view text);

// A horizontal bar of `fraction` (0..1) of `width` columns, in eighth-blocks.
std::string bar(double fraction, int width);

// One CSV field (RFC 4180 quoting).
std::string csv_field(std::string_view text);

// A number with `digits` decimals, as printf's "%.*f" writes it ("-inf", "inf" for infinities).
std::string fixed(double v, int digits);

// A probability as a percentage with enough digits to tell small values apart: "12.34%", "0.0012%".
std::string percent(double prob);

}  // namespace tokprob
