// next_token MODEL_FOLDER TEXT: the five most likely next tokens, through tokprob's public API.
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include <tokprob/tokprob.hpp>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: next_token MODEL_FOLDER TEXT\n";
    return 2;
  }
  try {
    const tokprob::Model model = tokprob::load_folder(argv[1]);
    tokprob::NextOptions options;
    options.top_k = 5;
    const std::vector<std::string> texts = {argv[2]};
    const std::vector<tokprob::NextResult> results = tokprob::next(model, texts, options);
    for (const tokprob::TokenScore& t : results.at(0).top)
      std::cout << t.id << '\t' << std::setprecision(6) << t.prob << '\t' << t.text << '\n';
    return 0;
  } catch (const tokprob::Error& e) {
    std::cerr << "next_token: " << e.what() << '\n';
    return e.exit_code();
  }
}
