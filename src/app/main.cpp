#include <sys/resource.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "app/commands.hpp"
#include "config/run_settings.hpp"
#include "config/schema.hpp"
#include "core/error.hpp"
#include "core/version.hpp"

namespace {

// Each connection is a file descriptor, and Debian's default soft limit (1,024) is below what a
// benchmark of a few hundred users against the built-in simulator needs: the soft limit is
// raised to the hard one, as Go's runtime does for every program.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  (void)setrlimit(RLIMIT_NOFILE, &limit);  // not raised: the run warns when it needs more
}

}  // namespace

int main(int argc, char** argv) {
  raise_descriptor_limit();
  CLI::App app{"inferbench: benchmark LLM inference servers (OpenAI-compatible, streaming)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", fmt::format("inferbench {}", inferbench::kVersion));
  inferbench::app::add_run_command(app);
  inferbench::app::add_replay_command(app);
  inferbench::app::add_sim_command(app);
  inferbench::app::add_tokenize_command(app);
  inferbench::app::add_merge_command(app);
  inferbench::app::add_k8s_job_command(app);
  inferbench::app::add_offline_command(app);
  inferbench::app::add_loadtime_command(app);
  inferbench::app::add_log_mlflow_command(app);
  inferbench::app::add_export_command(app);
  inferbench::app::add_report_command(app);
  inferbench::app::add_history_commands(app);
  inferbench::app::add_profiles_command(app);
  inferbench::app::add_experiment_command(app);
  // The key reference of docs/config.md, generated from the declared settings; hidden (group "")
  // because it is a maintainer's tool: `inferbench config-reference > docs/config.md`.
  app.add_subcommand("config-reference", "Print docs/config.md, the reference of every run setting")
      ->group("")
      ->callback([] { fmt::print("{}", inferbench::config::reference_markdown(inferbench::config::run_settings())); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {  // a command's own exit code (1 failed, 130 interrupted)
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {  // docs/cli.md: a usage error is one line and exit 2
    fmt::print(stderr, "inferbench: {} (see --help)\n", e.what());
    return 2;
  } catch (const inferbench::Error& e) {
    fmt::print(stderr, "inferbench: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "inferbench: unexpected error: {}\n", e.what());
    return 1;
  }
  return 0;
}
