#include "workload/datasets.hpp"

#include <fmt/core.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"

namespace inferbench::workload {

namespace {

using nlohmann::json;

constexpr std::size_t kKeepBadMessages = 5;

void bad_entry(OnBadLine on_bad, BadLines& bad, std::string message) {
  if (on_bad == OnBadLine::Stop) throw Error(message + " (use --on-bad-line skip to skip bad entries)");
  ++bad.count;
  if (bad.first.size() < kKeepBadMessages) bad.first.push_back(std::move(message));
}

std::ifstream open(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read the dataset {}", path.string()));
  return in;
}

const json* string_field(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? &*it : nullptr;
}

}  // namespace

std::vector<ShareGptEntry> read_sharegpt(const std::filesystem::path& path, OnBadLine on_bad, BadLines& bad) {
  auto in = open(path);
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {  // parse errors, and numbers out of range ([1e999])
    throw Error(fmt::format("{}: not valid JSON: {}", path.string(), e.what()));
  }
  if (!doc.is_array())
    throw Error(fmt::format("{}: a ShareGPT file must be a JSON array of conversations", path.string()));
  std::vector<ShareGptEntry> entries;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const json& item = doc[i];
    const auto where = [&](std::string_view why) { return fmt::format("{}: entry {}: {}", path.string(), i, why); };
    if (!item.is_object() || !item.contains("conversations") || !item["conversations"].is_array()) {
      bad_entry(on_bad, bad, where("no `conversations` array"));
      continue;
    }
    const json& turns = item["conversations"];
    bool ok = true;
    for (std::size_t t = 0; t < std::min<std::size_t>(turns.size(), 2) && ok; ++t) {
      if (!turns[t].is_object() || !string_field(turns[t], "from") || !string_field(turns[t], "value")) {
        bad_entry(on_bad, bad, where(fmt::format("turn {} lacks string `from` and `value`", t)));
        ok = false;
      }
    }
    if (!ok || turns.size() < 2) continue;
    const std::string& from = turns[0]["from"].get_ref<const std::string&>();
    if (from != "human" && from != "user") {
      bad_entry(on_bad, bad, where(fmt::format("the first turn is from '{}', not the human", from)));
      continue;
    }
    entries.push_back({turns[0]["value"].get<std::string>(), turns[1]["value"].get<std::string>(), i});
  }
  return entries;
}

std::vector<JsonlEntry> read_jsonl(const std::filesystem::path& path, OnBadLine on_bad, BadLines& bad) {
  auto in = open(path);
  std::vector<JsonlEntry> entries;
  std::string text;
  for (std::size_t number = 1; std::getline(in, text); ++number) {
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.find_first_not_of(" \t") == std::string::npos) continue;
    const auto where = [&](std::string_view why) { return fmt::format("{}:{}: {}", path.string(), number, why); };
    const json line = json::parse(text, nullptr, false);
    if (line.is_discarded() || !line.is_object()) {
      bad_entry(on_bad, bad, where("not a JSON object"));
      continue;
    }
    JsonlEntry entry;
    entry.line = number;
    if (const json* prompt = string_field(line, "prompt")) {
      entry.prompt = prompt->get<std::string>();
    } else if (line.contains("messages")) {
      const json& messages = line["messages"];
      bool ok = messages.is_array() && !messages.empty();
      for (const json& m : messages) {
        if (!ok) break;
        ok = m.is_object() && string_field(m, "role") && string_field(m, "content");
        if (ok) entry.messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
      }
      if (!ok) {
        bad_entry(on_bad, bad, where("`messages` must be a non-empty array of {role, content} strings"));
        continue;
      }
    } else {
      bad_entry(on_bad, bad, where("neither a string `prompt` nor `messages`"));
      continue;
    }
    if (line.contains("output_tokens")) {
      const json& out = line["output_tokens"];
      if (!out.is_number_integer() || out.get<std::int64_t>() < 1) {
        bad_entry(on_bad, bad, where("`output_tokens` must be an integer >= 1"));
        continue;
      }
      entry.output_tokens = out.get<std::int64_t>();
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace inferbench::workload
