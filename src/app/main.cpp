#include <sys/resource.h>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "app/commands.hpp"
#include "config/run_settings.hpp"
#include "config/schema.hpp"
#include "core/error.hpp"
#include "core/version.hpp"
#include "tokenizer/unicode.hpp"

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

// An error line as a terminal may show it: what the user typed comes back in messages, so bytes
// that are not UTF-8 become U+FFFD and control characters (escape sequences, CR, line breaks)
// are written as \xNN.
std::string printable(std::string_view message) {
  std::string out;
  for (const char c : inferbench::tokenizer::to_valid_utf8(message)) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) {
      out += fmt::format("\\x{:02x}", b);
    } else {
      out += c;
    }
  }
  return out;
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
    fmt::print(stderr, "inferbench: {} (see --help)\n", printable(e.what()));
    return 2;
  } catch (const inferbench::Error& e) {
    fmt::print(stderr, "inferbench: {}\n", printable(e.what()));
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "inferbench: unexpected error: {}\n", printable(e.what()));
    return 1;
  }
  return 0;
}
