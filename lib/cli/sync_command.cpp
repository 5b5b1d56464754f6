// Registers the sync:* commands (sync/commands.hpp) with the `switchyard` command registry. Their
// options are parsed by sync_main; the runner's --config and --env are passed on.
#include <CLI/CLI.hpp>

#include "switchyard/cli/command.hpp"
#include "switchyard/sync/commands.hpp"

namespace switchyard::cli {
namespace {

class SyncCommand : public Command {
 public:
  explicit SyncCommand(std::string name) : name_(std::move(name)) {}

  void configure(CLI::App& app) override {
    app.allow_extras();
    app_ = &app;
    app.footer("Options: `switchyard sync:help` lists every sync option.");
  }

  int run(Context& context) override {
    std::vector<std::string> args{name_};
    if (!context.globals().config.empty()) args.insert(args.end(), {"--config", context.globals().config});
    args.insert(args.end(), {"--env", context.env()});
    auto extras = app_->remaining();  // the runner's App outlives run()
    args.insert(args.end(), extras.begin(), extras.end());
    return sync::sync_main(args, context.out(), context.err());
  }

 private:
  std::string name_;
  CLI::App* app_ = nullptr;
};

struct Registrations {
  Registrations() {
    for (const auto& [name, summary] : sync::sync_command_summaries()) {
      register_command(CommandInfo{
          .name = name,
          .description = summary,
          .factory = [name = name] { return std::make_unique<SyncCommand>(name); },
          .group = "Sync",
      });
    }
  }
} registrations;

}  // namespace
}  // namespace switchyard::cli
