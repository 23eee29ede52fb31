#include "loadtime/vllm_log.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <regex>
#include <tuple>
#include <utility>

namespace inferbench::loadtime {

namespace {

// Only the head of a line is searched for its timestamp and the tail after a phrase for its
// numbers: vLLM prints both near the start, and a megabyte line must not cost a megabyte of regex.
constexpr std::size_t kStampWindow = 512;
constexpr std::size_t kNumberWindow = 256;

// llm-d's DATE_PATTERN: MM-DD HH:MM:SS with optional milliseconds, anywhere in the head.
const std::regex& stamp_pattern() {
  static const std::regex re(R"((\d{2})-(\d{2})\s(\d{2}):(\d{2}):(\d{2})(\.\d{3})?)");
  return re;
}

// llm-d's number pattern after a phrase.
const std::regex& number_pattern() {
  static const std::regex re(R"([-+]?\d*\.\d+|\d+)");
  return re;
}

struct Definition {
  const char* title;
  std::vector<std::string_view> start;  // any of these phrases (llm-d's "A|B" patterns, taken literally)
  std::vector<std::string_view> end;
  std::vector<Definition> children;
};

// llm-d-benchmark's DEFINED_CATEGORIES, the phrases of both its older and its vLLM ≥ 0.24 form
// (llm-d/llm-d-benchmark workload/harnesses/nop_functions.py @208313f).
const std::vector<Definition>& definitions() {
  static const std::vector<Definition> defs = {
      {"Detect Platform", {"No plugins for group"}, {"detected platform"}, {}},
      {"LLM Imports", {"detected platform"}, {"Available plugins for group"}, {}},
      {"Get Model Info", {"vLLM API server version", " version "}, {"Using max model len"}, {}},
      {"Worker Initialization",
       {"Waiting for init message", "Initializing a V1 LLM engine"},
       {"Starting to load model", "Loading model from scratch"},
       {}},
      {"Model Loading", {"Starting to load model", "Loading model from scratch"}, {"Model loading took"}, {}},
      {"Pytorch Compilation",
       {"Start compiling function", "torch/_dynamo", "for vLLM's torch.compile"},
       {"torch.compile takes", "torch.compile took"},
       {{"Dynamo",
         {"Start compiling function", "torch/_dynamo", "for vLLM's torch.compile"},
         {"Dynamo bytecode transform"},
         {}},
        {"Inductor", {"Dynamo bytecode transform"}, {"torch.compile takes", "torch.compile took"}, {}}}},
      {"CUDA Graph Capture", {"torch.compile takes", "torch.compile took"}, {"init engine"}, {}},
      {"API Server Starts", {"Starting vLLM API server", "Starting vLLM server"}, {"Route: /metrics"}, {}},
  };
  return defs;
}

bool contains_any(std::string_view line, const std::vector<std::string_view>& phrases) {
  return std::any_of(phrases.begin(), phrases.end(),
                     [&](std::string_view p) { return line.find(p) != std::string_view::npos; });
}

struct Line {
  std::string_view text;
  std::size_t number = 0;              // 1-based
  std::optional<std::int64_t> abs_ms;  // ms since the start of a (leap) year, rollover-adjusted (exact)
  std::string_view stamp_text;
  int group = 0;  // index of its process group
};

// Milliseconds of MM-DD HH:MM:SS(.mmm) within a leap year; nullopt for an impossible date (as
// strptime refuses it).
std::optional<std::int64_t> stamp_ms(const std::cmatch& m) {
  auto num = [&](int i) { return std::stoi(m[i].str()); };
  const int month = num(1);
  const int day = num(2);
  const int hour = num(3);
  const int minute = num(4);
  const int second = num(5);
  static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[static_cast<std::size_t>(month - 1)]) return std::nullopt;
  if (hour > 23 || minute > 59 || second > 61) return std::nullopt;
  int day_of_year = day - 1;
  for (int i = 0; i + 1 < month; ++i) day_of_year += kDays[static_cast<std::size_t>(i)];
  std::int64_t ms = ((((day_of_year * std::int64_t{24}) + hour) * 60 + minute) * 60 + second) * 1000;
  if (m[6].matched) ms += std::stoi(m[6].str().substr(1));
  return ms;
}

// The last parenthesised group holding "pid=" (llm-d's process_from_line: non-overlapping
// "(...)" groups, the first ')' closing each).
std::optional<Process> process_of(std::string_view line) {
  std::optional<Process> found;
  std::size_t from = 0;
  while (true) {
    const std::size_t open = line.find('(', from);
    if (open == std::string_view::npos) break;
    const std::size_t close = line.find(')', open + 1);
    if (close == std::string_view::npos) break;
    const std::string_view group = line.substr(open, close - open + 1);
    if (const std::size_t at = group.find("pid="); at != std::string_view::npos) {
      std::string_view name = group.substr(0, at);
      while (!name.empty() && (name.front() == '(' || name.front() == ' ')) name.remove_prefix(1);
      while (!name.empty() && (name.back() == '(' || name.back() == ' ')) name.remove_suffix(1);
      std::string_view digits = group.substr(at + 4, group.size() - at - 5);
      while (!digits.empty() && digits.front() == ' ') digits.remove_prefix(1);
      while (!digits.empty() && digits.back() == ' ') digits.remove_suffix(1);
      std::int64_t pid = 0;
      bool ok = !digits.empty() && digits.size() <= 18;
      for (const char c : digits) {
        if (c < '0' || c > '9') ok = false;
        if (ok) pid = pid * 10 + (c - '0');
      }
      found = Process{std::string(name), ok ? pid : 0};
    }
    from = close + 1;
  }
  return found;
}

std::vector<double> numbers_after(std::string_view line, std::string_view phrase) {
  std::vector<double> out;
  const std::size_t at = line.find(phrase);
  if (at == std::string_view::npos) return out;
  const std::string_view tail = line.substr(at, kNumberWindow + phrase.size());
  for (std::cregex_iterator it(tail.data(), tail.data() + tail.size(), number_pattern()), end; it != end; ++it) {
    try {
      out.push_back(std::stod(it->str()));
    } catch (const std::exception&) {  // out of range: not a number vLLM printed
    }
  }
  return out;
}

// The text after `phrase` up to the first of `stops` (trimmed); nullopt when absent.
std::optional<std::string> text_after(std::string_view line, std::string_view phrase, std::string_view stops) {
  const std::size_t at = line.find(phrase);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(at + phrase.size(), kNumberWindow);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  rest = rest.substr(0, rest.find_first_of(stops));
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  return std::string(rest);
}

class Analyzer {
 public:
  Analyzer(std::string_view log, std::string_view model) { split(log, model); }

  Analysis run() {
    Analysis a;
    a.lines = all_.size();
    a.timestamped = static_cast<std::size_t>(
        std::count_if(all_.begin(), all_.end(), [](const Line& l) { return l.abs_ms.has_value(); }));
    a.processes = groups_.size();
    for (const Definition& d : definitions()) a.categories.push_back(categorize(d));
    add_gaps(a.categories);
    a.facts = facts();
    return a;
  }

 private:
  void split(std::string_view log, std::string_view model) {
    std::optional<std::int64_t> previous;
    std::int64_t rollover = 0;
    std::size_t number = 0;
    std::size_t from = 0;
    while (from < log.size()) {
      std::size_t end = log.find('\n', from);
      if (end == std::string_view::npos) end = log.size();
      std::string_view text = log.substr(from, end - from);
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      from = end + 1;
      Line line{text, ++number, std::nullopt, {}, 0};
      const std::string_view head = text.substr(0, kStampWindow);
      std::cmatch m;
      if (std::regex_search(head.data(), head.data() + head.size(), m, stamp_pattern())) {
        if (auto ms = stamp_ms(m)) {
          // A log across New Year: MM-DD has no year, so a jump back of months is the next one.
          constexpr std::int64_t kDayMs = 86'400'000;
          if (previous && *ms + rollover < *previous - 180 * kDayMs) rollover += 366 * kDayMs;
          line.abs_ms = *ms + rollover;
          previous = line.abs_ms;
          line.stamp_text = text.substr(static_cast<std::size_t>(m.position(0)), static_cast<std::size_t>(m.length(0)));
        }
      }
      all_.push_back(line);
    }
    // A tensorizer serialization pass before the real start-up is skipped (as llm-d does).
    std::size_t first = 0;
    if (!model.empty()) {
      const std::string marker = "End model " + std::string(model) + " serialization";
      for (std::size_t i = 0; i < all_.size(); ++i) {
        if (all_[i].text.find(marker) != std::string_view::npos) first = i + 1;
        if (first > 0) break;
      }
    }
    std::map<std::optional<Process>, int, ProcessLess> index;
    for (std::size_t i = first; i < all_.size(); ++i) {
      const std::optional<Process> p = process_of(all_[i].text);
      auto [it, inserted] = index.emplace(p, static_cast<int>(groups_.size()));
      if (inserted) {
        groups_.emplace_back();
        group_process_.push_back(p);
      }
      all_[i].group = it->second;
      groups_[static_cast<std::size_t>(it->second)].push_back(i);
    }
    for (const Line& l : all_) {
      if (l.abs_ms) {
        origin_ = l.abs_ms;
        break;
      }
    }
    // For each line of a group, the first line at or after it (same group) with a timestamp.
    next_stamped_.assign(all_.size(), kNone);
    for (const auto& group : groups_) {
      std::size_t next = kNone;
      for (auto it = group.rbegin(); it != group.rend(); ++it) {
        if (all_[*it].abs_ms) next = *it;
        next_stamped_[*it] = next;
      }
    }
  }

  struct ProcessLess {
    bool operator()(const std::optional<Process>& a, const std::optional<Process>& b) const {
      if (a.has_value() != b.has_value()) return !a.has_value();
      if (!a) return false;
      return std::tie(a->name, a->pid) < std::tie(b->name, b->pid);
    }
  };

  // The time of line i: its own, or (llm-d: "if no date, try next log line") the next
  // timestamped line of its process.
  std::optional<Stamp> stamp_at(std::size_t i) const {
    const std::size_t j = next_stamped_[i];
    if (j == kNone || !origin_) return std::nullopt;
    return Stamp{static_cast<double>(*all_[j].abs_ms - *origin_) / 1000.0, std::string(all_[j].stamp_text)};
  }

  // A category: its first start line, then the first end line after it; processes in the order
  // they first appear, lines in order within each.
  Category categorize(const Definition& d) const {
    Category c;
    c.title = d.title;
    std::optional<std::size_t> start;
    std::optional<std::size_t> end;
    for (const auto& group : groups_) {
      for (const std::size_t i : group) {
        const std::string_view text = all_[i].text;
        if (!start) {
          if (contains_any(text, d.start)) start = i;
        } else if (!end && contains_any(text, d.end)) {
          end = i;
        }
      }
      if (end) break;
    }
    if (start) {
      c.start_line = all_[*start].number;
      c.start = stamp_at(*start);
      c.process = group_process_[static_cast<std::size_t>(all_[*start].group)];
    }
    if (end) {
      c.end_line = all_[*end].number;
      c.end = stamp_at(*end);  // llm-d assigns the LogLine itself here when the end has no date
      if (!c.process) c.process = group_process_[static_cast<std::size_t>(all_[*end].group)];
    }
    if (c.start && c.end) c.elapsed = c.end->s - c.start->s;
    for (const Definition& child : d.children) c.children.push_back(categorize(child));
    return c;
  }

  // llm-d's add_uncategorized_categories: a gap between one category's end and the next one's
  // start becomes an Uncategorized entry, at every level.
  static void add_gaps(std::vector<Category>& level) {
    std::vector<Category> out;
    for (std::size_t i = 0; i < level.size(); ++i) {
      add_gaps(level[i].children);
      out.push_back(level[i]);
      if (i + 1 < level.size() && level[i].end && level[i + 1].start && level[i].end->s < level[i + 1].start->s) {
        Category gap;
        gap.title = "Uncategorized";
        gap.process = level[i].process;
        gap.start_line = level[i].end_line;
        gap.end_line = level[i + 1].start_line;
        gap.start = level[i].end;
        gap.end = level[i + 1].start;
        gap.elapsed = gap.end->s - gap.start->s;
        out.push_back(std::move(gap));
      }
    }
    level = std::move(out);
  }

  static void first_number(std::optional<double>& slot, std::string_view line, std::string_view phrase) {
    if (slot) return;
    const auto n = numbers_after(line, phrase);
    if (!n.empty()) slot = n.front();
  }

  Facts facts() const {
    Facts f;
    std::optional<std::size_t> start;
    std::optional<double> freed;
    std::optional<double> in_use;
    for (std::size_t i = 0; i < all_.size(); ++i) {
      const std::string_view line = all_[i].text;
      if (!start && line.find("non-default args:") != std::string_view::npos && stamp_at(i)) start = i;
      if (!f.start_to_ready_s && line.find("Available routes are:") != std::string_view::npos) {
        const std::optional<std::size_t> from = start ? start : first_stamped();
        const auto ready = stamp_at(i);
        if (from && ready && *from <= i) f.start_to_ready_s = ready->s - stamp_at(*from)->s;
      }
      if (!f.model_load_s) {
        const auto n = numbers_after(line, "Model loading took");
        if (n.size() > 1) {
          f.model_size_gib = n[0];
          f.model_load_s = n[1];
          if (n[1] > 0) f.load_rate_gib_s = n[0] / n[1];
        }
      }
      first_number(f.dynamo_transform_s, line, "Dynamo bytecode transform time");
      if (!f.compile_graph_s && !f.cached_graph_load_s) {
        first_number(f.cached_graph_load_s, line, "Directly load the compiled graph(s) for ");
        if (!f.cached_graph_load_s) first_number(f.compile_graph_s, line, "Compiling a graph for ");
      }
      first_number(f.torch_compile_s, line, "torch.compile takes");
      first_number(f.torch_compile_s, line, "torch.compile took");
      first_number(f.initial_free_memory_gib, line, "Initial free memory");
      first_number(f.free_memory_after_profiling_gib, line, "Free memory after profiling");
      first_number(f.memory_profiling_s, line, "Memory profiling takes");
      first_number(f.available_kv_cache_gib, line, "Available KV cache memory:");
      first_number(f.graph_capture_s, line, "Graph capturing finished in");
      first_number(f.init_engine_s, line, "init engine (profile, create kv cache, warmup model) took");
      if (!f.sleep_mode) {
        if (const auto v = text_after(line, "'enable_sleep_mode':", ",}")) {
          std::string lower = *v;
          std::transform(lower.begin(), lower.end(), lower.begin(),
                         [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
          f.sleep_mode = lower == "true";
        }
      }
      if (f.load_format.empty()) {
        if (const auto v = text_after(line, "load_format=", ",")) f.load_format = *v;
      }
      if (f.version.empty()) {
        if (const auto v = text_after(line, "vLLM API server version", " ")) f.version = *v;
        if (f.version.empty()) {
          if (const auto v = text_after(line, "Initializing a V1 LLM engine (", ")")) f.version = *v;
        }
      }
      const auto freed_numbers = numbers_after(line, "Sleep mode freed");
      if (freed_numbers.size() > 1) {
        freed = freed_numbers[0];
        in_use = freed_numbers[1];
        continue;
      }
      static constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kSleepWake = {
          {{" seconds to fall asleep", "sleep"}, {" seconds to wake up", "wake"}}};
      for (const auto& [phrase, kind] : kSleepWake) {
        if (line.find(phrase) == std::string_view::npos) continue;
        const auto n = numbers_after(line, " It took ");
        if (n.empty()) continue;
        SleepWake e{std::string(kind), all_[i].number, stamp_at(i), n.front(), std::nullopt, std::nullopt};
        if (e.kind == "sleep") {
          e.freed_gib = std::exchange(freed, std::nullopt);
          e.in_use_gib = std::exchange(in_use, std::nullopt);
        }
        f.sleep_wake.push_back(std::move(e));
      }
    }
    return f;
  }

  std::optional<std::size_t> first_stamped() const {
    for (std::size_t i = 0; i < all_.size(); ++i) {
      if (all_[i].abs_ms) return i;
    }
    return std::nullopt;
  }

  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::vector<Line> all_;
  std::vector<std::vector<std::size_t>> groups_;  // line indexes per process, first appearance first
  std::vector<std::optional<Process>> group_process_;
  std::vector<std::size_t> next_stamped_;
  std::optional<std::int64_t> origin_;  // the first timestamp of the log, ms
};

}  // namespace

Analysis analyze(std::string_view log, std::string_view model) {
  Analysis a = Analyzer(log, model).run();
  a.looks_like_vllm = looks_like_vllm(log);
  return a;
}

bool looks_like_vllm(std::string_view log) {
  static constexpr std::array<std::string_view, 10> kPhrases = {
      "vLLM API server version",  "Initializing a V1 LLM engine", "Automatically detected platform",
      "Model loading took",       "Starting vLLM API server",     "Starting vLLM server",
      "init engine (profile",     "torch.compile takes",          "Memory profiling takes",
      "Available KV cache memory"};
  return std::any_of(kPhrases.begin(), kPhrases.end(),
                     [&](std::string_view p) { return log.find(p) != std::string_view::npos; });
}

}  // namespace inferbench::loadtime
