#include "format/table.hpp"

#include <algorithm>

#include "format/text_cells.hpp"

namespace tokprob {

void Table::add_column(std::string header, Align align) {
  headers_.push_back(std::move(header));
  aligns_.push_back(align);
}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void Table::write(std::ostream& out, const std::string& indent) const {
  std::vector<size_t> widths(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    widths[c] = display_width(headers_[c]);
    for (const auto& r : rows_) widths[c] = std::max(widths[c], display_width(r[c]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s = indent;
    for (size_t c = 0; c < cells.size(); ++c) {
      const size_t pad = widths[c] - display_width(cells[c]);
      const bool last = c + 1 == cells.size();
      if (aligns_[c] == Align::right) s += std::string(pad, ' ') + cells[c];
      else s += cells[c] + (last ? "" : std::string(pad, ' '));
      if (!last) s += "  ";
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    out << s << '\n';
  };
  line(headers_);
  for (const auto& r : rows_) line(r);
}

}  // namespace tokprob
