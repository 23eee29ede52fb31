#pragma once
// A foreign YAML document read key by key. Every key a translator reads is marked taken;
// whatever is left at the end is listed as unsupported, so no key is ever ignored silently.
// Errors name the foreign file, line and key, one line each.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "config/foreign/foreign.hpp"
#include "config/values.hpp"

namespace inferbench::config::foreign {

class Reader {
 public:
  // Parses `text` (already rendered); the document must be a map (or empty). Throws
  // inferbench::Error "file.yaml:3: <yaml-cpp's message>".
  Reader(std::string_view text, std::string filename);

  // The node at a dotted path ("load.stages.0"), or an invalid node when absent. Not marked.
  YAML::Node find(std::string_view path) const;
  bool has(std::string_view path) const { return find(path).IsDefined() && !find(path).IsNull(); }
  // "file.yaml:LINE" of the node at `path` (of the file when absent).
  std::string where(std::string_view path) const;
  [[noreturn]] void fail(std::string_view path, const std::string& message) const;

  // Marks `path` and everything under it as translated.
  void take(std::string_view path);
  // Lists `path` (and what is under it) as unsupported, with a reason, even if it was read.
  // `setting`: the inferbench setting that would supply it (Translation::supplied_by).
  void unsupported(std::string_view path, std::string why = {}, std::string setting = {});
  // Records that `path` was mapped approximately. Does not mark it: what under it was not read
  // is still listed.
  void approximate(std::string_view path, std::string why);
  // The reason given to the keys under `path` that are left over ("" = none).
  void explain(std::string_view path, std::string why) { reasons_[std::string(path)] = std::move(why); }

  // Typed reads: nullopt when absent or null; marks the key taken. Throws "file:L: invalid KEY
  // 'TEXT': expected a number" (an integer, true or false) with the foreign key's name.
  std::optional<std::string> text(std::string_view path);
  std::optional<double> number(std::string_view path);
  std::optional<std::int64_t> integer(std::string_view path);
  std::optional<bool> boolean(std::string_view path);
  // A text value that must be one of `allowed`; throws "... must be one of a, b".
  std::optional<std::string> choice(std::string_view path, const std::vector<std::string>& allowed);
  // The node as JSON (scalars typed as YAML 1.2 core would: true/false, integers, numbers).
  nlohmann::json json(std::string_view path);
  // The keys of the map at `path` (empty when it is not a map).
  std::vector<std::string> keys(std::string_view path) const;

  // Sets `key` of `values` (Source::File) from `raw`, naming the foreign key `path` and its line
  // in any message: "file.yaml:7: invalid api.streaming 'x': expected true or false".
  void set(Values& values, std::string_view key, const nlohmann::json& raw, std::string_view path) const;

  // Everything not taken or given to unsupported(), listed as unsupported in document order
  // (a map or sequence as a whole unless part of it was taken, else what under it was not).
  Translation finish() const;

  const std::string& filename() const { return filename_; }

 private:
  bool taken(const std::string& path) const;
  bool taken_below(const std::string& path) const;
  void leftovers(const YAML::Node& node, const std::string& path, std::vector<Note>& out) const;
  std::string reason(const std::string& path) const;

  std::string filename_;
  YAML::Node root_;
  std::set<std::string> taken_;
  std::map<std::string, std::string> reasons_;
  std::map<std::string, std::string> settings_;
  std::set<std::string> rejected_;  // listed even when read (unsupported() after a read)
  std::vector<Note> approximate_;
};

}  // namespace inferbench::config::foreign
