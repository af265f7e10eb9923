#include "cli_args.h"

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

}  // namespace sparseio::cli
