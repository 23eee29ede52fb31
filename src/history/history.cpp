#include "history/history.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>

#include "core/error.hpp"

namespace inferbench::history {

using nlohmann::json;

namespace {

// One prepared statement, finalized on every path.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::filesystem::path& path) : path_(path) {
    const int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr);
    require(rc == SQLITE_OK, fmt::format("history {}: {}", path.string(), sqlite3_errmsg(db)));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int index, const std::string& text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  // True while there is a row; throws on an error.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    require(rc == SQLITE_DONE, fmt::format("history {}: {}", path_.string(), sqlite3_errmsg(sqlite3_db_handle(stmt_))));
    return false;
  }
  std::string text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
             : std::string();
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  std::filesystem::path path_;
};

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  recorded_at TEXT NOT NULL,
  model TEXT NOT NULL,
  results_dir TEXT NOT NULL,
  labels TEXT NOT NULL,
  summary TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_recorded_at ON runs (recorded_at);
CREATE INDEX IF NOT EXISTS runs_model ON runs (model);
PRAGMA user_version = 1;
)sql";

RunEntry entry_from(const Statement& s) {
  RunEntry e;
  e.id = s.integer(0);
  e.recorded_at = s.text(1);
  e.model = s.text(2);
  e.results_dir = s.text(3);
  e.labels = json::parse(s.text(4), nullptr, false);
  if (!e.labels.is_object()) e.labels = json::object();
  e.summary = json::parse(s.text(5), nullptr, false);
  if (e.summary.is_discarded()) e.summary = json::object();
  return e;
}

// "2026-12-02" → "2026-12-03" (the end of the day as an exclusive bound); a longer time as is.
std::string until_bound(const std::string& until) {
  if (until.size() != 10) return until;
  int y = 0, m = 0, d = 0;
  require(std::sscanf(until.c_str(), "%4d-%2d-%2d", &y, &m, &d) == 3, "--until: not a date (YYYY-MM-DD): " + until);
  const std::chrono::year_month_day day{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(m)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  require(day.ok(), "--until: not a date (YYYY-MM-DD): " + until);
  const std::chrono::year_month_day next{std::chrono::sys_days(day) + std::chrono::days(1)};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(next.year()), static_cast<unsigned>(next.month()),
                     static_cast<unsigned>(next.day()));
}

void check_time_text(const std::string& text, const char* flag) {
  // A prefix of "YYYY-MM-DDTHH:MM:SSZ": digits where digits go.
  constexpr std::string_view kShape = "0000-00-00T00:00:00Z";
  require(text.size() >= 4 && text.size() <= kShape.size(),
          fmt::format("{}: '{}' is not a date or time (YYYY-MM-DD[THH:MM:SS])", flag, text));
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool ok = kShape[i] == '0' ? (text[i] >= '0' && text[i] <= '9') : text[i] == kShape[i];
    require(ok, fmt::format("{}: '{}' is not a date or time (YYYY-MM-DD[THH:MM:SS])", flag, text));
  }
}

}  // namespace

json labels_of(const json& summary) {
  json labels = json::object();
  for (const char* key : {"labels", "config"}) {
    const json* found = summary.is_object() && summary.contains(key) ? &summary[key] : nullptr;
    if (found && std::string(key) == "config")
      found = found->is_object() && found->contains("labels") ? &(*found)["labels"] : nullptr;
    if (found && found->is_object()) {
      for (const auto& [k, v] : found->items()) labels[k] = v.is_string() ? v.get<std::string>() : v.dump();
      break;
    }
  }
  return labels;
}

std::filesystem::path default_path() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg && *xdg) return std::filesystem::path(xdg) / "inferbench" / "history.sqlite";
  const char* home = std::getenv("HOME");
  require(home && *home, "no history location: set XDG_DATA_HOME or HOME, or give --history PATH (or --no-history)");
  return std::filesystem::path(home) / ".local" / "share" / "inferbench" / "history.sqlite";
}

History::History(const std::filesystem::path& path) : path_(path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  require(!ec, fmt::format("history {}: cannot create its folder: {}", path.string(), ec.message()));
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(fmt::format("history {}: cannot open: {}", path.string(), why));
  }
  sqlite3_busy_timeout(db_, 5000);  // two runs ending at once wait for each other
  char* error = nullptr;
  if (sqlite3_exec(db_, kSchema, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string why = error ? error : "unknown error";
    sqlite3_free(error);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(fmt::format("history {}: not an inferbench history ({})", path.string(), why));
  }
}

History::~History() { sqlite3_close(db_); }

std::int64_t History::record(const json& summary, const std::string& results_dir) {
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  Statement s(db_, "INSERT INTO runs (recorded_at, model, results_dir, labels, summary) VALUES (?, ?, ?, ?, ?)", path_);
  s.bind(1, fmt::format("{:%FT%T}Z", now));
  const json* model = nullptr;
  if (summary.contains("config") && summary["config"].contains("target")) model = &summary["config"]["target"]["model"];
  s.bind(2, model && model->is_string() ? model->get<std::string>() : std::string());
  s.bind(3, results_dir.empty() ? std::string() : std::filesystem::absolute(results_dir).lexically_normal().string());
  s.bind(4, labels_of(summary).dump());
  s.bind(5, summary.dump(-1, ' ', false, json::error_handler_t::replace));
  s.step();
  return sqlite3_last_insert_rowid(db_);
}

std::vector<RunEntry> History::list(const Filter& filter) const {
  std::string sql = "SELECT id, recorded_at, model, results_dir, labels, summary FROM runs WHERE 1";
  if (!filter.model.empty()) sql += " AND model = ?";
  if (!filter.profile.empty()) sql += " AND json_extract(summary, '$.config.profile') = ?";
  for (std::size_t i = 0; i < filter.labels.size(); ++i) sql += " AND json_extract(labels, ?) = ?";
  if (!filter.since.empty()) sql += " AND recorded_at >= ?";
  if (!filter.until.empty()) sql += " AND recorded_at < ?";
  sql += " ORDER BY id DESC LIMIT ?";
  Statement s(db_, sql, path_);
  int at = 1;
  if (!filter.model.empty()) s.bind(at++, filter.model);
  if (!filter.profile.empty()) s.bind(at++, filter.profile);
  for (const auto& [key, value] : filter.labels) {
    s.bind(at++, "$." + json(key).dump());  // a quoted path: any key, even with dots
    s.bind(at++, value);
  }
  if (!filter.since.empty()) {
    check_time_text(filter.since, "--since");
    s.bind(at++, filter.since);
  }
  if (!filter.until.empty()) {
    check_time_text(filter.until, "--until");
    s.bind(at++, until_bound(filter.until));
  }
  s.bind(at, static_cast<std::int64_t>(filter.limit));
  std::vector<RunEntry> out;
  while (s.step()) out.push_back(entry_from(s));
  return out;
}

std::optional<RunEntry> History::get(std::int64_t id) const {
  Statement s(db_, "SELECT id, recorded_at, model, results_dir, labels, summary FROM runs WHERE id = ?", path_);
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return entry_from(s);
}

}  // namespace inferbench::history
