// `switchyard route explain`: how proxy mode would route SQL (see routing/route_explain.hpp).
// Needs no configuration and no database.
#include <CLI/CLI.hpp>

#include <iostream>

#include "switchyard/cli/command.hpp"
#include "switchyard/routing/route_explain.hpp"

namespace switchyard::cli {
namespace {

class RouteCommand : public Command {
 public:
  void configure(CLI::App& app) override {
    app.require_subcommand(1);
    explain_ = app.add_subcommand(
        "explain",
        "Route SQL as proxy mode would: JSON lines {\"sql\": ...} on stdin, or SQL arguments");
    explain_->add_option("--dialect", dialect_, "postgresql (default) or sqlite3")
        ->check(CLI::IsMember({"postgresql", "sqlite3"}));
    explain_->add_option("sql", statements_, "Statements to explain (else read JSON lines)");
  }

  int run(Context& context) override {
    std::vector<std::string> args{"--dialect", dialect_};
    args.insert(args.end(), statements_.begin(), statements_.end());
    return routing::route_explain(args, std::cin, context.out(), context.err());
  }

 private:
  CLI::App* explain_ = nullptr;
  std::string dialect_ = "postgresql";
  std::vector<std::string> statements_;
};

const CommandRegistration registration{CommandInfo{
    .name = "route",
    .description = "route explain: how proxy mode would route statements, with reasons",
    .factory = [] { return std::make_unique<RouteCommand>(); },
    .group = "Routing",
}};

}  // namespace
}  // namespace switchyard::cli
