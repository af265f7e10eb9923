#include "cli_args.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "plan/selector_match.h"

namespace sparseio::cli {

std::vector<std::string> glue_dash_values(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  out.reserve(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool takes_range = a == "-r" || a == "--ranges";
    // Only a suffix range ("-" then a digit) is glued; "--json" stays an option.
    if (takes_range && i + 1 < args.size() && args[i + 1].size() > 1 && args[i + 1][0] == '-' &&
        args[i + 1][1] >= '0' && args[i + 1][1] <= '9') {
      out.push_back("--ranges=" + args[i + 1]);
      ++i;
      continue;
    }
    if (a == "--") {  // everything after is positional
      out.insert(out.end(), args.begin() + static_cast<long>(i), args.end());
      break;
    }
    out.push_back(a);
  }
  return out;
}

void one_value_per_option(CLI::App& app) {
  for (CLI::Option* o : app.get_options()) {
    if (o->get_type_size() == 0) continue;  // a flag
    // Validators are counted by asking: Option has no getter for how many.
    for (int i = 0;; ++i) {
      try {
        o->get_validator(i)->description("");
      } catch (const CLI::OptionNotFound&) {
        break;
      }
    }
    if (o->get_positional()) {
      o->type_name("");
      continue;
    }
    o->allow_extra_args(false);
    o->option_text(o->get_type_name());  // the type name alone: no " ..."
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) one_value_per_option(*sub);
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = 3;  // more than 2 edits: not a typo of it
  for (const std::string& c : candidates) {
    size_t d = plan::edit_distance(word, c);
    if (word.size() >= 2 && c.starts_with(word)) d = std::min<size_t>(d, 1);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::optional<std::string> check_command_word(const std::vector<std::string>& args,
                                              const std::vector<std::string>& commands) {
  static const std::vector<std::string> kGlobal{"--help", "-h", "--version"};
  for (const std::string& a : args) {
    if (std::find(kGlobal.begin(), kGlobal.end(), a) != kGlobal.end()) return std::nullopt;  // CLI11's
    if (a.starts_with("-")) {
      // -V, --verison...: options before the command are only the global ones.
      std::string guess = closest(a, kGlobal);
      if (a == "-V" || a == "-v") guess = "--version";
      return fmt::format("unknown option {} before the command{}", a,
                         guess.empty() ? "" : fmt::format(" (did you mean {}?)", guess));
    }
    if (std::find(commands.begin(), commands.end(), a) != commands.end()) return std::nullopt;
    std::string guess = closest(a, commands);
    return fmt::format("unknown command \"{}\"{}", a,
                       guess.empty() ? fmt::format(" (commands: {})", fmt::join(commands, ", "))
                                     : fmt::format(" (did you mean \"{}\"?)", guess));
  }
  return fmt::format("a command is required: {}", fmt::join(commands, ", "));
}

std::optional<std::string> check_options(const CLI::App& cmd, const std::vector<std::string>& args) {
  std::vector<std::string> known{"--help", "-h"};
  for (const CLI::Option* o : cmd.get_options()) {
    for (const std::string& l : o->get_lnames()) known.push_back("--" + l);
    for (const std::string& s : o->get_snames()) known.push_back("-" + s);
  }
  for (const std::string& a : args) {
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-' || (a[1] >= '0' && a[1] <= '9')) continue;  // values, "-", "-64K"
    std::string name = a.substr(0, a.find('='));
    if (!name.starts_with("--") && name.size() > 2) continue;  // grouped short flags: -vv, -vq
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string guess = closest(name, known);
    return fmt::format("unknown option {} for {}{}", name, cmd.get_name(),
                       guess.empty() ? "" : fmt::format(" (did you mean {}?)", guess));
  }
  return std::nullopt;
}

}  // namespace sparseio::cli
