// The CLI's argument helpers: suffix ranges glued to -r, and typos named
// with the closest command or option.
#include "cli_args.h"

#include <doctest/doctest.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

using sparseio::cli::check_command_word;
using sparseio::cli::check_options;
using sparseio::cli::closest;
using sparseio::cli::glue_dash_values;
using sparseio::cli::one_value_per_option;

TEST_CASE("a suffix range after -r is glued to it; other options are not") {
  using V = std::vector<std::string>;
  CHECK(glue_dash_values(V{"-r", "-64K", "a"}) == V{"--ranges=-64K", "a"});
  CHECK(glue_dash_values(V{"-r", "--json"}) == V{"-r", "--json"});
  CHECK(glue_dash_values(V{"--", "-r", "-5"}) == V{"--", "-r", "-5"});
}

TEST_CASE("the closest candidate: at most 2 edits away, or one it starts") {
  const std::vector<std::string> cmds{"fetch", "cat", "stat", "punch", "verify"};
  CHECK(closest("fecth", cmds) == "fetch");
  CHECK(closest("verfy", cmds) == "verify");
  CHECK(closest("ver", cmds) == "verify");  // a prefix
  CHECK(closest("zzzzzz", cmds).empty());
}

TEST_CASE("the command word: unknown ones are named, with a suggestion") {
  const std::vector<std::string> cmds{"fetch", "cat", "stat"};
  using V = std::vector<std::string>;
  CHECK_FALSE(check_command_word(V{"fetch", "a", "b"}, cmds));
  CHECK_FALSE(check_command_word(V{"--help"}, cmds));
  CHECK(check_command_word(V{"fecth", "a"}, cmds).value() ==
        "unknown command \"fecth\" (did you mean \"fetch\"?)");
  CHECK(check_command_word(V{"--bogus"}, cmds).value().find("unknown option --bogus") == 0);
  CHECK(check_command_word(V{"-V"}, cmds).value().find("--version") != std::string::npos);
  CHECK(check_command_word(V{}, cmds).value().find("a command is required") == 0);
  CHECK(check_command_word(V{"qqqqqq"}, cmds).value().find("commands: fetch, cat, stat") !=
        std::string::npos);
}

TEST_CASE("options of a command: the unknown one is named with the closest known") {
  CLI::App app;
  CLI::App* fetch = app.add_subcommand("fetch");
  std::vector<std::string> r;
  bool json = false;
  fetch->add_option("-r,--ranges", r);
  fetch->add_flag("--json", json);
  using V = std::vector<std::string>;
  CHECK_FALSE(check_options(*fetch, V{"-r", "0-9", "--json", "a", "b", "-r", "-64K", "-"}));
  CHECK(check_options(*fetch, V{"--jsno"}).value() ==
        "unknown option --jsno for fetch (did you mean --json?)");
  CHECK(check_options(*fetch, V{"--ranges=5-", "--rnages=1"}).value().find("--rnages") != std::string::npos);
  CHECK(check_options(*fetch, V{"-x"}).value().find("unknown option -x for fetch") == 0);
  CHECK_FALSE(check_options(*fetch, V{"--", "--weird-file"}));
}

TEST_CASE("one value per option: a repeatable option leaves the positionals alone, and repeats") {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"fetch", "--select", "a", "SRC", "DST"},
        std::vector<std::string>{"fetch", "--select=a", "SRC", "DST"},
        std::vector<std::string>{"fetch", "SRC", "--select", "a", "DST"},
        std::vector<std::string>{"fetch", "SRC", "DST", "--select", "a"}}) {
    CLI::App app;
    CLI::App* fetch = app.add_subcommand("fetch");
    std::vector<std::string> select;
    std::string src, dst;
    unsigned jobs = 0;
    fetch->add_option("--select", select);
    fetch->add_option("-j", jobs)->type_name("N")->check(CLI::Range(1u, 9u));
    fetch->add_option("SRC", src);
    fetch->add_option("DST", dst);
    one_value_per_option(app);
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
    CHECK(select == std::vector<std::string>{"a"});
    CHECK(src == "SRC");
    CHECK(dst == "DST");
    // No type noise in --help: "-j N", not "-j N:UINT in [1 - 9]"; no "..." after --select.
    const std::string help = fetch->help();
    CHECK(help.find("-j N ") != std::string::npos);
    CHECK(help.find("UINT") == std::string::npos);
    CHECK(help.find("...") == std::string::npos);
  }
  CLI::App app;
  std::vector<std::string> select;
  app.add_option("--select", select);
  one_value_per_option(app);
  app.parse(std::vector<std::string>{"b", "--select", "a", "--select"});
  CHECK(select == std::vector<std::string>{"a", "b"});
}
