// `--from FORMAT FILE`: the translators behind one option, and the warning line.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include <yaml-cpp/yaml.h>

#include "config/foreign/foreign.hpp"
#include "config/sources.hpp"
#include "core/error.hpp"

namespace inferbench::config::foreign {

const std::vector<std::string>& formats() {
  static const std::vector<std::string> kFormats = {"inference-perf", "oci-blueprint"};
  return kFormats;
}

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// llm-d's coercion of an override's text (profile_renderer.py): booleans, integers, floats, text.
YAML::Node typed(const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "true" || lower == "yes") return YAML::Node(true);
  if (lower == "false" || lower == "no") return YAML::Node(false);
  char* end = nullptr;
  const long long i = std::strtoll(text.c_str(), &end, 10);
  if (!text.empty() && end == text.c_str() + text.size()) return YAML::Node(i);
  const double d = std::strtod(text.c_str(), &end);
  if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(d)) return YAML::Node(d);
  return YAML::Node(text);
}

}  // namespace

std::string apply_foreign_overrides(const std::string& text, const std::string& path,
                                    const std::vector<std::string>& overrides, std::vector<std::string>& applied) {
  if (overrides.empty()) return text;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception&) {
    return text;  // the translator names the file's own syntax error, with its line
  }
  if (!root.IsMap()) return text;
  bool changed = false;
  for (const std::string& assignment : overrides) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) continue;  // -o itself says what is wrong with it
    const std::string key = assignment.substr(0, eq);
    std::vector<std::string> segments;
    for (std::size_t start = 0; start <= key.size();) {
      const std::size_t dot = std::min(key.find('.', start), key.size());
      segments.push_back(key.substr(start, dot - start));
      start = dot + 1;
    }
    // The node that holds the last segment, when the whole parent path is in the document.
    YAML::Node parent;
    parent.reset(root);
    std::string at;
    bool found = true;
    for (std::size_t i = 0; i + 1 < segments.size() && found; ++i) {
      const std::string& segment = segments[i];
      if (parent.IsSequence() && all_digits(segment) && std::stoul(segment) < parent.size()) {
        parent.reset(parent[std::stoul(segment)]);
      } else if (parent.IsMap() && static_cast<const YAML::Node&>(parent)[segment]) {
        parent.reset(parent[segment]);
      } else {
        found = false;
      }
      at += (at.empty() ? "" : ".") + segment;
    }
    if (!found || !(parent.IsMap() || parent.IsSequence())) continue;
    const std::string& leaf = segments.back();
    // A top-level key is the file's only when the file has it ("seed" is inferbench's).
    if (segments.size() == 1 && !static_cast<const YAML::Node&>(root)[leaf]) continue;
    if (parent.IsSequence()) {
      if (!all_digits(leaf) || std::stoul(leaf) >= parent.size()) {
        throw Error(fmt::format("-o: '{}': {} in {} is a list of {} item{}: '{}' is not an index in it", key, at, path,
                                parent.size(), parent.size() == 1 ? "" : "s", leaf));
      }
      parent[std::stoul(leaf)] = typed(assignment.substr(eq + 1));
    } else {
      parent[leaf] = typed(assignment.substr(eq + 1));  // a missing leaf is added, as llm-d does
    }
    applied.push_back(assignment);
    changed = true;
  }
  if (!changed) return text;
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

Translation load_file(Values& values, std::string_view format, const std::string& path,
                      const std::vector<std::string>& overrides, std::vector<std::string>* applied) {
  if (format != "inference-perf" && format != "oci-blueprint") {
    throw Error(fmt::format("invalid --from format '{}': must be one of {}", format, fmt::join(formats(), ", ")));
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(fmt::format("{}: is a directory, not a config file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read {}", path));
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> done;
  const std::string document = apply_foreign_overrides(text.str(), path, overrides, done);
  if (applied != nullptr) applied->insert(applied->end(), done.begin(), done.end());
  return format == "inference-perf" ? from_inference_perf(values, document, path)
                                    : from_oci_blueprint(values, document, path);
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

std::shared_ptr<const std::vector<std::string>> bind_from(CLI::App& cmd, Values& values) {
  auto strict = std::make_shared<bool>(false);
  auto applied = std::make_shared<std::vector<std::string>>();
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
             [&cmd, &values, strict, others, applied](const std::vector<std::string>& args) {
               // CLI11 checks exclusions after the callbacks: checked here, before a warning is
               // printed.
               for (const auto& [option, name] : others) {
                 if (option->count() > 0) throw CLI::ExcludesError("--from", name);
               }
               const std::string& format = args.at(0);
               const std::string& path = args.at(1);
               // An -o whose path is in the file changes the file (llm-d's -o on its workload
               // profiles); the others are inferbench's settings, applied by -o itself.
               std::vector<std::string> overrides;
               if (const CLI::Option* set = cmd.get_option_no_throw("-o")) {
                 for (const std::string& item : set->results()) {
                   for (std::string& a : split_overrides(values.schema(), item)) overrides.push_back(std::move(a));
                 }
               }
               Translation t = load_file(values, format, path, overrides, applied.get());
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
  return applied;
}

}  // namespace inferbench::config::foreign
