// An aligned text table: columns sized to their widest cell, numbers right-aligned.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace tokprob {

class Table {
 public:
  enum class Align { left, right };
  void add_column(std::string header, Align align);
  void add_row(std::vector<std::string> cells);
  void write(std::ostream& out, const std::string& indent = "  ") const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace tokprob
