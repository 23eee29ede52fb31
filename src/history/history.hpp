#pragma once
// The run history: every run recorded in one SQLite file with its configuration, labels and
// summary (docs/history.md), listed and filtered by `inferbench history`, read by `compare`.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

struct sqlite3;

namespace inferbench::history {

struct RunEntry {
  std::int64_t id = 0;
  std::string recorded_at;  // UTC, "2026-12-02T16:30:00Z"
  std::string model;
  std::string results_dir;  // absolute; empty when the run wrote no --output
  nlohmann::json labels;    // object of strings
  nlohmann::json summary;   // summary.json as the run wrote it (config inside)
};

struct Filter {
  std::string model;                                        // exact; empty = any
  std::string profile;                                      // config.profile, exact; empty = any
  std::vector<std::pair<std::string, std::string>> labels;  // each key=value must match
  std::string since;                                        // recorded_at ≥ (a date or time prefix); empty = any
  std::string until;                                        // recorded_at < the day after a date, or < a time
  std::size_t limit = 50;                                   // newest first
};

// $XDG_DATA_HOME/inferbench/history.sqlite, else ~/.local/share/inferbench/history.sqlite.
// Throws inferbench::Error when neither XDG_DATA_HOME nor HOME is set.
std::filesystem::path default_path();

class History {
 public:
  // Opens (creating the file and its folder if needed) the history at `path`. Throws
  // inferbench::Error naming the file when it cannot, or when it is not an inferbench history.
  explicit History(const std::filesystem::path& path);
  ~History();
  History(const History&) = delete;
  History& operator=(const History&) = delete;

  // Records one run; returns its id.
  std::int64_t record(const nlohmann::json& summary, const std::string& results_dir);
  std::vector<RunEntry> list(const Filter& filter) const;
  std::optional<RunEntry> get(std::int64_t id) const;

 private:
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

// The labels of a summary: its "labels" object, else its configuration's, as strings.
nlohmann::json labels_of(const nlohmann::json& summary);

}  // namespace inferbench::history
