#include "config/profile.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/sources.hpp"
#include "core/error.hpp"

namespace inferbench::config {

namespace detail {
// Generated at build time from profiles/*.yaml (cmake/embed_profiles.cmake): name, YAML text.
std::vector<std::pair<std::string_view, std::string_view>> embedded_profiles();
}  // namespace detail

namespace {

// A profile's `description:` as the listing shows it ("" when absent or not a plain string).
std::string description_of(const std::string& yaml) {
  try {
    const YAML::Node root = YAML::Load(yaml);
    if (root.IsMap() && root["description"] && root["description"].IsScalar()) {
      return root["description"].Scalar();
    }
  } catch (const YAML::Exception&) {
    // A built-in profile that does not parse is caught by its test; the listing shows no text.
  }
  return {};
}

// Markdown table cells must not contain a bare '|'.
std::string cell(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::optional<std::string> process_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::string render_env_tokens(std::string_view text, std::string_view filename, const EnvLookup& env) {
  // llm-d-benchmark's placeholder pattern, REPLACE_ENV_(\w+), on ASCII word characters.
  static const std::regex kToken("REPLACE_ENV_([A-Za-z0-9_]+)");
  std::string out;
  std::size_t line = 1;
  auto last = text.begin();
  for (std::regex_iterator<std::string_view::const_iterator> it(text.begin(), text.end(), kToken), end; it != end;
       ++it) {
    const auto& match = *it;
    line += static_cast<std::size_t>(std::count(last, match[0].first, '\n'));
    out.append(last, match[0].first);
    const std::string name = match[1].str();
    const auto value = env(name);
    if (!value) {
      throw Error(
          fmt::format("{}:{}: REPLACE_ENV_{}: the environment variable {} is not set", filename, line, name, name));
    }
    out += *value;
    line += static_cast<std::size_t>(std::count(match[0].first, match[0].second, '\n'));
    last = match[0].second;
  }
  out.append(last, text.end());
  return out;
}

void load_profile(Values& values, std::string_view text, std::string_view filename, const EnvLookup& env) {
  load_yaml(values, render_env_tokens(text, filename, env), filename);
}

void load_profile_file(Values& values, const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(fmt::format("{}: is a directory, not a profile", path.string()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read {}", path.string()));
  std::stringstream text;
  text << in.rdbuf();
  load_profile(values, text.str(), path.string());
}

const std::vector<BuiltinProfile>& builtin_profiles() {
  static const std::vector<BuiltinProfile> profiles = [] {
    std::vector<BuiltinProfile> out;
    for (const auto& [name, yaml] : detail::embedded_profiles()) {
      out.push_back({std::string(name), std::string(yaml), description_of(std::string(yaml))});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }();
  return profiles;
}

const BuiltinProfile& builtin_profile(std::string_view name) {
  const auto& all = builtin_profiles();
  const auto it = std::find_if(all.begin(), all.end(), [name](const BuiltinProfile& p) { return p.name == name; });
  if (it != all.end()) return *it;
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const auto& p : all) {
    const std::size_t d = edit_distance(name, p.name);
    if (d < best_distance) {
      best_distance = d;
      best = p.name;
    }
  }
  const bool close = !best.empty() && best_distance <= std::max<std::size_t>(2, name.size() / 3);
  throw Error(fmt::format("unknown profile '{}'{}; inferbench profiles lists them", name,
                          close ? fmt::format(" (did you mean '{}'?)", best) : std::string()));
}

void bind_profile(CLI::App& cmd, Values& values) {
  CLI::Option* file = cmd.add_option_function<std::string>(
                             "profile_file",
                             [&values](const std::string& path) {
                               load_profile_file(values, path);
                               // Which profile, unless it names itself (an experiment cell names its origin).
                               if (!values.given("profile")) values.set("profile", path, Source::File);
                             },
                             "A profile: YAML file of settings (docs/profiles.md); flags and -o override it")
                          ->type_name("PROFILE.yaml");
  cmd.add_option_function<std::string>(
         "--profile",
         [&values](const std::string& name) {
           const BuiltinProfile& p = builtin_profile(name);
           load_profile(values, p.yaml, "profile " + p.name);
           if (!values.given("profile")) values.set("profile", p.name, Source::File);
         },
         "A built-in profile (inferbench profiles lists them); flags and -o override it")
      ->type_name("NAME")
      ->excludes(file);
}

std::string profiles_reference_markdown(const Schema& schema) {
  std::string out =
      "<!-- Generated from src/config/run_settings.cpp and profiles/*.yaml by `inferbench profiles reference`;\n"
      "     tests/config checks that this block matches them. -->\n";
  // One table per YAML map (top-level keys first), in declaration order within each.
  std::vector<std::pair<std::string, std::string>> groups = {{"", ""}};
  for (const Setting& s : schema.settings()) {
    const auto dot = s.key.find('.');
    const std::string group = dot == std::string::npos ? "" : s.key.substr(0, dot);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == group; });
    if (it == groups.end()) it = groups.insert(groups.end(), {group, ""});
    std::string allowed;
    for (const auto& a : s.allowed) allowed += (allowed.empty() ? "" : ", ") + ("`" + a + "`");
    if (allowed.empty()) allowed = bounds_text(s);
    std::string type = type_name(s.type);
    if (s.type == Type::Json) type = "map";
    if (s.type == Type::NumberList || s.type == Type::StringList) type += " (YAML list)";
    const std::string def = default_text(s);
    std::string flag = s.flag.empty() ? "" : "`" + s.flag + "`";
    if (s.flag_inverts) flag += " (sets false)";
    it->second += fmt::format("| `{}` | {} | {} | {} | {} | {} | {} |\n", s.key, type, s.unit,
                              def.empty() ? "" : "`" + def + "`", cell(allowed), flag, cell(s.help));
  }
  for (const auto& [group, rows] : groups) {
    out += fmt::format("\n#### {}\n\n", group.empty() ? "Top level" : "`" + group + ":`");
    out += "| key in the profile | type | unit | default | allowed | flag | help |\n";
    out += "|---|---|---|---|---|---|---|\n" + rows;
  }
  out += "\n#### Built-in profiles\n\n| name | description |\n|---|---|\n";
  for (const auto& p : builtin_profiles()) out += fmt::format("| `{}` | {} |\n", p.name, cell(p.description));
  return out;
}

}  // namespace inferbench::config
