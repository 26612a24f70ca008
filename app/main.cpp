// The `tokprob` command: parses the subcommand and runs it; every error is one line on stderr.
#include <iostream>

#include "cli_common.hpp"
#include "format/quoted_text.hpp"
#include "tokprob/error.hpp"

int main(int argc, char** argv) {
  using namespace tokprob;
  cli::set_command_line(argc, argv);
  CLI::App app{"tokprob: how likely is each token? Token probabilities of Hugging Face models, natively."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tokprob 0.1.0");
  std::vector<cli::Runner> runners = {
      cli::add_next_command(app),
      cli::add_seq2seq_command(app),
      cli::add_tokenize_command(app),
      cli::add_fill_mask_command(app),
      cli::add_classify_command(app),
      cli::add_generate_command(app),
      cli::add_score_command(app),
      cli::add_compare_command(app),
      cli::add_serve_command(app),
  };
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (const CLI::App* sub : app.get_subcommands({})) {
      known = known || sub->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::cerr << "tokprob: unknown command '" << argv[1] << "' (commands: " << names << "; see --help)\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "tokprob: " << printable(e.what()) << " (see --help)\n";
    return 2;
  }
  try {
    for (auto& run : runners) {
      const int status = run();
      if (status >= 0) return status;
    }
    return 2;
  } catch (const Error& e) {
    std::cerr << "tokprob: " << printable(e.what()) << '\n';
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::cerr << "tokprob: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "tokprob: " << printable(e.what()) << '\n';
    return 1;
  }
}
