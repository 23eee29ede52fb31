#include "experiment/plan.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/run_settings.hpp"
#include "config/sources.hpp"
#include "core/error.hpp"

namespace inferbench::experiment {

namespace {

// More cells than anyone runs on purpose: a factor list written as a range by mistake.
constexpr std::size_t kMaxCells = 10000;

// The top-level keys of an experiment file. llm-d's `run:` is its older name for `treatments:`;
// `description` and `design` are documentation.
const std::vector<std::string> kTopKeys = {"experiment", "name",       "description", "design", "profile",
                                           "constants",  "treatments", "run",         "factors"};

std::string at(std::string_view filename, const YAML::Node& node) {
  return fmt::format("{}:{}", filename, node.Mark().line + 1);
}

std::string scalar(const YAML::Node& node, std::string_view what, std::string_view filename) {
  if (!node.IsScalar()) throw Error(fmt::format("{}: {} must be a single value", at(filename, node), what));
  return node.Scalar();
}

// A level as text, for folder names and tables: a scalar as written, anything else in flow style.
std::string text_of(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

bool valid_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

// A level as a folder name's part: a list's items joined with '+' ("1+4"), other characters
// than letters, digits, '.', '_' and '+' made '-'.
std::string folder_safe(const YAML::Node& level) {
  std::string text;
  if (level.IsSequence()) {
    for (const auto& item : level) text += (text.empty() ? "" : "+") + text_of(item);
  } else {
    text = text_of(level);
  }
  std::string out;
  for (const char c : text) {
    out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+' ? c : '-';
  }
  return out.empty() ? "-" : out;
}

// The profile a cell starts from: a built-in profile's name, or a file (a path, or a name ending
// in .yaml/.yml), read relative to the experiment file.
void load_base_profile(config::Values& values, const std::string& profile, const std::string& base_dir) {
  const bool is_file =
      profile.find('/') != std::string::npos || profile.ends_with(".yaml") || profile.ends_with(".yml");
  if (!is_file) {
    const config::BuiltinProfile& p = config::builtin_profile(profile);
    config::load_profile(values, p.yaml, "profile " + p.name);
  } else {
    std::filesystem::path path(profile);
    if (path.is_relative() && !base_dir.empty()) path = std::filesystem::path(base_dir) / path;
    config::load_profile_file(values, path);
  }
  // As --profile and PROFILE.yaml record it: the cell's runs are found by their profile.
  if (!values.given("profile")) values.set("profile", profile, config::Source::File);
}

// The settings of the cell's profile, then the constants.
config::Values base_settings(const std::string& profile, const YAML::Node& constants, std::string_view filename,
                             const std::string& base_dir) {
  config::Values values(config::run_settings());
  if (!profile.empty()) load_base_profile(values, profile, base_dir);
  if (constants) config::load_yaml_map(values, constants, filename, config::Source::Override);
  return values;
}

// The experiment's name and top-level profile, from `experiment: {name, profile}` or the top.
void read_header(const YAML::Node& root, std::string_view filename, std::string& name, std::string& profile) {
  for (const auto& item : root) {
    const std::string key = item.first.Scalar();
    if (std::find(kTopKeys.begin(), kTopKeys.end(), key) != kTopKeys.end()) continue;
    std::string best;
    for (const auto& k : kTopKeys) {
      if (config::edit_distance(key, k) <= 2) best = k;
    }
    const std::string hint = key == "setup"
                                 ? ": a server per treatment is a treatment's launch.command here (docs/experiments.md)"
                                 : (best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best));
    throw Error(fmt::format("{}: unknown key '{}'{}", at(filename, item.first), key, hint));
  }
  if (const YAML::Node header = root["experiment"]) {
    if (!header.IsMap()) throw Error(fmt::format("{}: experiment must be a map (name, profile)", at(filename, header)));
    for (const auto& item : header) {
      const std::string key = item.first.Scalar();
      if (key == "name") {
        name = scalar(item.second, "experiment.name", filename);
      } else if (key == "profile") {
        profile = scalar(item.second, "experiment.profile", filename);
      } else if (key != "harness" && key != "description") {  // llm-d's harness: inferbench is the harness
        throw Error(fmt::format("{}: unknown key 'experiment.{}' (experiment has name, profile)",
                                at(filename, item.first), key));
      }
    }
  }
  if (const YAML::Node n = root["name"]) name = scalar(n, "name", filename);
  if (const YAML::Node p = root["profile"]) profile = scalar(p, "profile", filename);
}

void add_treatments(Plan& plan, const YAML::Node& list, const YAML::Node& constants, const std::string& profile,
                    std::string_view filename, const std::string& base_dir) {
  if (!list.IsSequence() || list.size() == 0) {
    throw Error(
        fmt::format("{}: treatments must be a list of maps ({{name, profile?, key: value}})", at(filename, list)));
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node treatment = list[i];
    if (!treatment.IsMap()) {
      throw Error(
          fmt::format("{}: a treatment must be a map ({{name, profile?, key: value}})", at(filename, treatment)));
    }
    std::string name = fmt::format("treatment-{}", i + 1);
    if (const YAML::Node n = treatment["name"]) name = scalar(n, "a treatment's name", filename);
    if (!valid_name(name)) {
      throw Error(fmt::format("{}: treatment name '{}': it names a folder, so use letters, digits, '.', '_' and '-'",
                              at(filename, treatment), name));
    }
    std::string cell_profile = profile;
    if (const YAML::Node p = treatment["profile"]) cell_profile = scalar(p, "a treatment's profile", filename);
    config::Values values = base_settings(cell_profile, constants, filename, base_dir);
    // The treatment's settings, with their own key nodes (and so their lines for messages).
    YAML::Node keys(YAML::NodeType::Map);
    for (const auto& item : treatment) {
      if (item.first.Scalar() != "name" && item.first.Scalar() != "profile") keys.force_insert(item.first, item.second);
    }
    config::load_yaml_map(values, keys, filename, config::Source::Override);
    plan.cells.push_back({name, {{"treatment", name}}, std::move(values)});
  }
}

void add_factors(Plan& plan, const YAML::Node& factors, const YAML::Node& constants, const std::string& profile,
                 std::string_view filename, const std::string& base_dir) {
  if (!factors.IsMap() || factors.size() == 0) {
    throw Error(fmt::format("{}: factors must be a map of KEY: [levels...]", at(filename, factors)));
  }
  std::vector<std::pair<std::string, std::vector<YAML::Node>>> levels;
  std::size_t total = 1;
  for (const auto& item : factors) {
    const std::string key = item.first.Scalar();
    std::vector<YAML::Node> list;
    if (item.second.IsSequence()) {
      for (const auto& level : item.second) list.push_back(level);
    } else {
      list.push_back(item.second);  // one level: a constant written as a factor
    }
    if (list.empty()) throw Error(fmt::format("{}: factor '{}' has no levels", at(filename, item.first), key));
    total *= list.size();
    if (total > kMaxCells) {
      throw Error(fmt::format("{}: the factors make more than {} cells", at(filename, item.first), kMaxCells));
    }
    plan.factors.push_back(key);
    levels.emplace_back(key, std::move(list));
  }
  // Folder names from the levels' leaves ("concurrency-5"); full keys when two leaves collide.
  std::set<std::string> leaves;
  bool full_keys = false;
  for (const auto& [key, list] : levels) {
    const std::string leaf = key.substr(key.rfind('.') + 1);
    full_keys = full_keys || !leaves.insert(leaf).second;
  }
  std::set<std::string> names;
  std::vector<std::size_t> index(levels.size(), 0);
  for (std::size_t n = 0; n < total; ++n) {
    std::string cell_profile = profile;
    std::vector<std::pair<std::string, std::string>> chosen;
    std::string name;
    for (std::size_t f = 0; f < levels.size(); ++f) {
      const auto& [key, list] = levels[f];
      const std::string text = text_of(list[index[f]]);
      chosen.emplace_back(key, text);
      if (key == "profile") {
        cell_profile = scalar(list[index[f]], "a profile level", filename);
        name += (name.empty() ? "" : "_") + folder_safe(YAML::Node(std::filesystem::path(text).stem().string()));
      } else {
        const std::string label = full_keys ? key : key.substr(key.rfind('.') + 1);
        name += (name.empty() ? "" : "_") + label + "-" + folder_safe(list[index[f]]);
      }
    }
    if (!names.insert(name).second) {
      throw Error(fmt::format("{}: two cells would share the folder '{}': make the levels differ in letters or digits",
                              filename, name));
    }
    config::Values values = base_settings(cell_profile, constants, filename, base_dir);
    for (std::size_t f = 0; f < levels.size(); ++f) {
      if (levels[f].first == "profile") continue;
      YAML::Node one(YAML::NodeType::Map);
      one[levels[f].first] = levels[f].second[index[f]];
      config::load_yaml_map(values, one, at(filename, levels[f].second[index[f]]), config::Source::Override);
    }
    plan.cells.push_back({name, std::move(chosen), std::move(values)});
    // The next combination: the last factor varies fastest.
    for (std::size_t f = levels.size(); f-- > 0;) {
      if (++index[f] < levels[f].second.size()) break;
      index[f] = 0;
    }
  }
}

}  // namespace

Plan plan_experiment(std::string_view text, std::string_view filename, const std::string& base_dir,
                     const config::EnvLookup& env) {
  const std::string rendered = config::render_env_tokens(text, filename, env);
  YAML::Node root;
  try {
    root = YAML::Load(rendered);
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}:{}: {}", filename, e.mark.line + 1, e.msg));
  }
  if (!root.IsMap())
    throw Error(fmt::format("{}: expected an experiment (constants and treatments, or factors)", filename));
  Plan plan;
  plan.name = std::filesystem::path(filename).stem().string();
  std::string profile;
  read_header(root, filename, plan.name, profile);
  const YAML::Node constants = root["constants"];
  if (constants && !constants.IsMap()) {
    throw Error(fmt::format("{}: constants must be a map of settings", at(filename, constants)));
  }
  const YAML::Node treatments = root["treatments"] ? root["treatments"] : root["run"];
  const YAML::Node factors = root["factors"];
  if (treatments && factors) {
    throw Error(fmt::format("{}: give treatments or factors, not both", at(filename, factors)));
  }
  if (treatments) {
    add_treatments(plan, treatments, constants, profile, filename, base_dir);
  } else if (factors) {
    add_factors(plan, factors, constants, profile, filename, base_dir);
  } else {
    throw Error(fmt::format("{}: no cells: give treatments (a list) or factors (a map of levels)", filename));
  }
  std::set<std::string> names;
  for (Cell& cell : plan.cells) {
    if (!names.insert(cell.name).second) {
      throw Error(fmt::format("{}: two treatments are named '{}'", filename, cell.name));
    }
    // Every result of the experiment says where it belongs.
    config::set_path(cell.settings, "labels.experiment", plan.name, config::Source::Override, filename);
    config::set_path(cell.settings, "labels.cell", cell.name, config::Source::Override, filename);
    // Uploaded to MLflow (mlflow.uri), the cells land in one MLflow experiment named after this one.
    if (!cell.settings.given("mlflow.experiment")) {
      cell.settings.set("mlflow.experiment", plan.name, config::Source::Override, filename);
    }
    cell.settings.check_exclusions();
  }
  return plan;
}

std::string cell_profile(const config::Values& settings, std::vector<std::pair<std::string, std::string>>& secrets) {
  std::string out = "# One cell of an experiment, as inferbench experiment ran it (inferbench run FILE reads it).\n";
  for (const config::Setting& s : settings.schema().settings()) {
    if (!settings.given(s.key) || settings.get(s.key).is_null()) continue;
    // JSON is YAML: a string, list or map reads back as the same value.
    const std::string value = settings.get(s.key).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (s.secret == config::Secret::None) {
      out += fmt::format("{}: {}\n", s.key, value);
      continue;
    }
    std::string name = "INFERBENCH_SECRET_";
    for (const char c : s.key) name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    secrets.emplace_back(name, value);
    out += fmt::format("{}: REPLACE_ENV_{}  # from the environment: never written out\n", s.key, name);
  }
  return out;
}

}  // namespace inferbench::experiment
