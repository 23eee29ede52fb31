// `--from FORMAT FILE`: the translators behind one option, and the warning line.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "config/foreign/foreign.hpp"
#include "core/error.hpp"

namespace inferbench::config::foreign {

const std::vector<std::string>& formats() {
  static const std::vector<std::string> kFormats = {"inference-perf", "oci-blueprint"};
  return kFormats;
}

Translation load_file(Values& values, std::string_view format, const std::string& path) {
  if (format != "inference-perf" && format != "oci-blueprint") {
    throw Error(fmt::format("invalid --from format '{}': must be one of {}", format, fmt::join(formats(), ", ")));
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(fmt::format("{}: is a directory, not a config file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read {}", path));
  std::stringstream text;
  text << in.rdbuf();
  return format == "inference-perf" ? from_inference_perf(values, text.str(), path)
                                    : from_oci_blueprint(values, text.str(), path);
}

std::string list_notes(const std::vector<Note>& notes) {
  std::string out;
  for (std::size_t i = 0; i < notes.size(); ++i) {
    out += (i == 0 ? "" : ", ") + notes[i].key;
    const bool last_of_group = i + 1 == notes.size() || notes[i + 1].why != notes[i].why;
    if (last_of_group && !notes[i].why.empty()) out += " (" + notes[i].why + ")";
  }
  return out;
}

std::string warning_line(std::string_view format, std::string_view filename, const Translation& t) {
  if (t.unsupported.empty() && t.approximate.empty()) return {};
  std::string line = fmt::format("inferbench: warning: {} ({}):", filename, format);
  if (!t.unsupported.empty()) line += " not supported, ignored: " + list_notes(t.unsupported);
  if (!t.unsupported.empty() && !t.approximate.empty()) line += ";";
  if (!t.approximate.empty()) line += " mapped approximately: " + list_notes(t.approximate);
  return line;
}

void warn_or_fail(std::string_view format, const std::string& path, const Translation& t, bool strict) {
  if (strict && !t.unsupported.empty()) {
    throw Error(fmt::format("{}: not supported by inferbench (--strict): {}", path, list_notes(t.unsupported)));
  }
  if (const std::string line = warning_line(format, path, t); !line.empty()) fmt::print(stderr, "{}\n", line);
}

namespace {

// True when `setting` is given on `cmd`'s command line, by its flag or by -o: known while
// options are being processed, before the flags' own callbacks have set their values.
bool given_on_command_line(CLI::App& cmd, const Setting& setting) {
  if (!setting.flag.empty()) {
    if (const CLI::Option* flag = cmd.get_option_no_throw(setting.flag); flag != nullptr && flag->count() > 0) {
      return true;
    }
  }
  const CLI::Option* set = cmd.get_option_no_throw("-o");
  if (set == nullptr) return false;
  const std::string key = setting.key + "=";
  return std::any_of(set->results().begin(), set->results().end(), [&](const std::string& text) {
    return text.rfind(key, 0) == 0 || text.find("," + key) != std::string::npos;
  });
}

}  // namespace

void bind_from(CLI::App& cmd, Values& values) {
  auto strict = std::make_shared<bool>(false);
  // Declared before --from: CLI11 runs option callbacks in declaration order, so --strict is
  // known when --from translates.
  CLI::Option* strict_option = cmd.add_flag(
      "--strict", *strict, "With --from: a key inferbench does not support is an error (exit 2) instead of a warning");
  std::vector<std::pair<CLI::Option*, std::string>> others;
  if (CLI::Option* file = cmd.get_option_no_throw("profile_file")) others.emplace_back(file, "PROFILE.yaml");
  if (CLI::Option* builtin = cmd.get_option_no_throw("--profile")) others.emplace_back(builtin, "--profile");
  CLI::Option* from =
      cmd.add_option_function<std::vector<std::string>>(
             "--from",
             [&cmd, &values, strict, others](const std::vector<std::string>& args) {
               // CLI11 checks exclusions after the callbacks: checked here, before a warning is
               // printed.
               for (const auto& [option, name] : others) {
                 if (option->count() > 0) throw CLI::ExcludesError("--from", name);
               }
               const std::string& format = args.at(0);
               const std::string& path = args.at(1);
               Translation t = load_file(values, format, path);
               // What the command line supplies is not missing (a Hub id beside --tokenizer PATH).
               std::erase_if(t.unsupported, [&](const Note& note) {
                 const auto it = t.supplied_by.find(note.key);
                 return it != t.supplied_by.end() && given_on_command_line(cmd, values.schema().at(it->second));
               });
               warn_or_fail(format, path, t, *strict);
             },
             fmt::format("Run another tool's config as it is: FORMAT is {}; flags and -o override it "
                         "(docs/profiles.md, \"Other tools' configs\")",
                         fmt::join(formats(), " or ")))
          ->expected(2)
          ->type_name("FORMAT FILE");
  strict_option->needs(from);
  for (const auto& [option, name] : others) from->excludes(option);
}

}  // namespace inferbench::config::foreign
