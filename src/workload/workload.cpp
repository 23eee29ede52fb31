#include "workload/workload.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "workload/corpus.hpp"
#include "workload/exact_text.hpp"
#include "workload/heap.hpp"
#include "workload/word_prompts.hpp"

namespace inferbench::workload {

namespace {

using Kind = DatasetSpec::Kind;

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, sep);) out.push_back(item);
  return out;
}

std::int64_t positive(const std::string& value, const std::string& key, const std::string& text) {
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || ptr != value.data() + value.size() || v < 1 || v > LengthDist::kMaxLength) {
    throw Error(
        fmt::format("invalid --dataset '{}': {} must be an integer in [1, {}]", text, key, LengthDist::kMaxLength));
  }
  return v;
}

// key=value parameters after the first `skip` items.
void parse_params(const std::vector<std::string>& items, std::size_t skip, const std::string& text,
                  const std::map<std::string, std::function<void(const std::string&)>>& setters) {
  for (std::size_t i = skip; i < items.size(); ++i) {
    const auto eq = items[i].find('=');
    const std::string key = items[i].substr(0, eq);
    const auto it = setters.find(key);
    if (eq == std::string::npos || it == setters.end()) {
      std::string known;
      for (const auto& [k, f] : setters) known += (known.empty() ? "" : ", ") + k;
      throw Error(fmt::format("invalid --dataset '{}': unknown parameter '{}' (known: {})", text, items[i], known));
    }
    it->second(items[i].substr(eq + 1));
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

DatasetSpec parse_dataset(const std::string& text, bool have_tokenizer) {
  DatasetSpec d;
  const auto colon = text.find(':');
  const std::string kind = text.substr(0, colon);
  const std::string rest = colon == std::string::npos ? "" : text.substr(colon + 1);
  const auto need_rest = [&](const char* what) {
    if (rest.empty()) throw Error(fmt::format("invalid --dataset '{}': {} needs {}", text, kind, what));
  };
  if (text.empty()) {
    d.kind = have_tokenizer ? Kind::Synthetic : Kind::Words;
  } else if (kind == "synthetic" || kind == "random") {
    if (!rest.empty()) throw Error(fmt::format("invalid --dataset '{}': {} takes no parameters", text, kind));
    d.kind = kind == "synthetic" ? Kind::Synthetic : Kind::Random;
  } else if (kind == "sharegpt") {
    need_rest("a path (sharegpt:PATH)");
    d.kind = Kind::ShareGpt;
    const auto items = split(rest, ',');
    d.path = items.at(0);
    parse_params(items, 1, text,
                 {{"min_tokens", [&](const std::string& v) { d.min_tokens = positive(v, "min_tokens", text); }},
                  {"max_prompt", [&](const std::string& v) { d.max_prompt = positive(v, "max_prompt", text); }},
                  {"max_total", [&](const std::string& v) { d.max_total = positive(v, "max_total", text); }}});
  } else if (kind == "jsonl") {
    need_rest("a path (jsonl:PATH)");
    d.kind = Kind::Jsonl;
    d.path = rest;
  } else if (kind == "shared-prefix") {
    d.kind = Kind::SharedPrefix;
    parse_params(
        split(rest, ','), 0, text,
        {{"groups", [&](const std::string& v) { d.groups = positive(v, "groups", text); }},
         {"prompts_per_group",
          [&](const std::string& v) { d.prompts_per_group = positive(v, "prompts_per_group", text); }},
         {"system_prompt_tokens",
          [&](const std::string& v) { d.system_prompt_tokens = positive(v, "system_prompt_tokens", text); }},
         {"question_tokens", [&](const std::string& v) { d.question_tokens = positive(v, "question_tokens", text); }}});
    require(d.groups * d.prompts_per_group <= 1'000'000,
            fmt::format("invalid --dataset '{}': groups x prompts_per_group must be <= 1000000", text));
  } else if (kind == "prefix-ratio") {
    need_rest("a ratio (prefix-ratio:0.5)");
    d.kind = Kind::PrefixRatio;
    const auto items = split(rest, ',');
    const std::string& r = items.at(0);
    double v = -1;
    const auto [ptr, ec] = std::from_chars(r.data(), r.data() + r.size(), v);
    if (ec != std::errc() || ptr != r.data() + r.size() || !(v >= 0 && v < 1)) {
      throw Error(fmt::format("invalid --dataset '{}': the prefix ratio must be a number in [0, 1)", text));
    }
    d.prefix_ratio = v;
    parse_params(items, 1, text, {{"prefix_file", [&](const std::string& p) { d.path = p; }}});
  } else if (kind == "multi-turn") {
    d.kind = Kind::MultiTurn;
    parse_params(split(rest, ','), 0, text,
                 {{"turns", [&](const std::string& v) { d.turns = positive(v, "turns", text); }}});
    require(d.turns <= 1000, fmt::format("invalid --dataset '{}': turns must be <= 1000", text));
  } else {
    throw Error(
        fmt::format("invalid --dataset '{}': expected synthetic, random, sharegpt:PATH, jsonl:PATH, "
                    "shared-prefix:..., prefix-ratio:R or multi-turn[:turns=T]",
                    text));
  }
  if (d.kind != Kind::Words && !have_tokenizer) {
    throw Error(fmt::format("--dataset {} needs --tokenizer (exact token counts come from the model's tokenizer)",
                            text.empty() ? "synthetic" : kind));
  }
  return d;
}

struct Workload::Impl {
  std::unique_ptr<ExactText> exact;
  std::vector<ShareGptEntry> sharegpt;                                  // after the filters, with their counts
  std::vector<std::pair<std::int64_t, std::int64_t>> sharegpt_lengths;  // (prompt, reply) tokens
  std::vector<JsonlEntry> jsonl;
  std::vector<std::int64_t> jsonl_tokens;                   // client count of each entry's prompt / messages
  std::vector<std::int32_t> prefix_ids;                     // prefix-ratio: the long fixed text, encoded
  mutable std::map<std::int64_t, std::string> prefix_text;  // prefix-ratio: P → text of P tokens
};

Workload::Workload(WorkloadOptions options)
    : options_(std::move(options)),
      spec_(parse_dataset(options_.dataset, options_.tokenizer.has_value())),
      impl_(std::make_unique<Impl>()) {
  if (spec_.kind == Kind::Words) return;
  if (spec_.kind == Kind::MultiTurn && !options_.chat) {
    throw Error("--dataset multi-turn sends conversations: it needs --api chat");
  }
  impl_->exact = std::make_unique<ExactText>(*options_.tokenizer, corpus_text());
  const auto& tok = *options_.tokenizer;
  if (spec_.kind == Kind::ShareGpt) {
    const auto entries = read_sharegpt(spec_.path, options_.on_bad_line, bad_);
    for (const auto& e : entries) {
      const auto in = static_cast<std::int64_t>(tok.count(e.prompt));
      const auto out = static_cast<std::int64_t>(tok.count(e.reply));
      if (in < spec_.min_tokens || out < spec_.min_tokens || in > spec_.max_prompt || in + out > spec_.max_total)
        continue;
      impl_->sharegpt.push_back(e);
      impl_->sharegpt_lengths.emplace_back(in, out);
    }
    require(!impl_->sharegpt.empty(),
            fmt::format("{}: no conversation passes the filters (min_tokens {}, max_prompt {}, max_total {})",
                        spec_.path, spec_.min_tokens, spec_.max_prompt, spec_.max_total));
  } else if (spec_.kind == Kind::Jsonl) {
    auto entries = read_jsonl(spec_.path, options_.on_bad_line, bad_);
    for (auto& e : entries) {
      if (!e.messages.empty() && !options_.chat) {
        const std::string why = fmt::format("{}:{}: `messages` need --api chat", spec_.path, e.line);
        if (options_.on_bad_line == OnBadLine::Stop) throw Error(why + " (use --on-bad-line skip to skip bad entries)");
        ++bad_.count;
        if (bad_.first.size() < 5) bad_.first.push_back(why);
        continue;
      }
      std::int64_t n = 0;
      if (e.messages.empty()) {
        n = static_cast<std::int64_t>(tok.count(e.prompt));
      } else {
        for (const auto& m : e.messages) n += static_cast<std::int64_t>(tok.count(m.content));
      }
      impl_->jsonl_tokens.push_back(n);
      impl_->jsonl.push_back(std::move(e));
    }
    require(!impl_->jsonl.empty(), fmt::format("{}: no usable line", spec_.path));
  } else if (spec_.kind == Kind::PrefixRatio) {
    const std::string source = spec_.path.empty() ? std::string(corpus_text()) : read_file(spec_.path);
    impl_->prefix_ids = tok.encode(source);
    const auto longest =
        static_cast<std::int64_t>(std::llround(spec_.prefix_ratio * static_cast<double>(options_.input.max())));
    require(static_cast<std::int64_t>(impl_->prefix_ids.size()) >= longest,
            fmt::format("the prefix text has {} tokens; prefix-ratio {} of --input-tokens up to {} needs {}",
                        impl_->prefix_ids.size(), spec_.prefix_ratio, options_.input.max(), longest));
  }
}

Workload::~Workload() = default;
Workload::Workload(Workload&&) noexcept = default;
Workload& Workload::operator=(Workload&&) noexcept = default;

std::size_t Workload::usable_entries() const { return impl_->sharegpt.size() + impl_->jsonl.size(); }

std::vector<RequestSpec> Workload::build(std::size_t count, std::uint64_t seed) const {
  if (spec_.kind == Kind::Words) return make_word_prompts(count, options_.input, options_.output, seed);
  const ExactText& exact = *impl_->exact;
  Rng lengths = make_rng(seed, 0xC1);
  Rng text = make_rng(seed, 0xC2);
  const auto out_len = [&] { return options_.output.sample(lengths); };
  std::vector<RequestSpec> specs;
  cache_ratio_.reset();
  switch (spec_.kind) {
    case Kind::Words: break;
    case Kind::Synthetic:
    case Kind::Random: {
      specs.resize(count);
      std::size_t bytes = 0;
      for (auto& s : specs) {
        s.input_tokens = options_.input.sample(lengths);
        s.max_tokens = out_len();
        bytes += ExactText::reserve_bytes(s.input_tokens) + 32;  // + the allocator's header, rounded
      }
      reserve_heap(bytes);
      for (auto& s : specs)
        s.prompt =
            spec_.kind == Kind::Synthetic ? exact.synthetic(s.input_tokens, text) : exact.random(s.input_tokens, text);
      break;
    }
    case Kind::ShareGpt:
    case Kind::Jsonl: {
      const std::size_t n = spec_.kind == Kind::ShareGpt ? impl_->sharegpt.size() : impl_->jsonl.size();
      std::vector<std::size_t> order(n);
      std::iota(order.begin(), order.end(), 0);
      Rng shuffle = make_rng(seed, 0xC3);
      std::shuffle(order.begin(), order.end(), shuffle);
      specs.resize(count);
      for (std::size_t i = 0; i < count; ++i) {
        const std::size_t k = order[i % n];  // cycles when the dataset has fewer entries than requests
        RequestSpec& s = specs[i];
        if (spec_.kind == Kind::ShareGpt) {
          s.prompt = impl_->sharegpt[k].prompt;
          s.input_tokens = impl_->sharegpt_lengths[k].first;
          s.max_tokens = options_.output_given ? out_len() : impl_->sharegpt_lengths[k].second;
        } else {
          const JsonlEntry& e = impl_->jsonl[k];
          s.prompt = e.prompt;
          s.messages = e.messages;
          s.input_tokens = impl_->jsonl_tokens[k];
          s.max_tokens = options_.output_given || !e.output_tokens ? out_len() : *e.output_tokens;
        }
      }
      break;
    }
    case Kind::SharedPrefix: {
      const std::int64_t S = spec_.system_prompt_tokens;
      const std::int64_t Q = spec_.question_tokens;
      for (std::int64_t g = 0; g < spec_.groups; ++g) {
        const std::string system = exact.synthetic(S, text);
        for (std::int64_t p = 0; p < spec_.prompts_per_group; ++p) {
          RequestSpec s;
          s.input_tokens = S + Q;
          s.max_tokens = out_len();
          if (options_.chat) {
            s.messages = {{"system", system}, {"user", exact.synthetic(Q, text)}};
          } else {
            s.prompt = exact.extend(system, S + Q, false, text);
          }
          specs.push_back(std::move(s));
        }
      }
      Rng shuffle = make_rng(seed, 0xC3);
      std::shuffle(specs.begin(), specs.end(), shuffle);
      const double k = static_cast<double>(spec_.prompts_per_group);
      cache_ratio_ = static_cast<double>(S) / static_cast<double>(S + Q) * (k - 1) / k;
      break;
    }
    case Kind::PrefixRatio: {
      specs.resize(count);
      double prefix_total = 0;
      double total = 0;
      const auto& tok = exact.tokenizer();
      for (auto& s : specs) {
        const std::int64_t n = options_.input.sample(lengths);
        s.input_tokens = n;
        s.max_tokens = out_len();
        auto p = std::min<std::int64_t>(n - 1, std::llround(spec_.prefix_ratio * static_cast<double>(n)));
        if (p <= 0) {
          s.prompt = exact.random(n, text);
          total += static_cast<double>(n);
          continue;
        }
        std::string& head = impl_->prefix_text[p];
        const std::span<const std::int32_t> want(impl_->prefix_ids.data(), static_cast<std::size_t>(p));
        if (head.empty()) {
          head = tok.decode(want);
          const auto again = tok.encode(head);
          require(std::equal(again.begin(), again.end(), want.begin(), want.end()),
                  fmt::format("the prefix's first {} tokens do not re-encode to themselves; choose another ratio or "
                              "prefix_file",
                              p));
        }
        bool ok = false;
        for (int attempt = 0; attempt < 16 && !ok; ++attempt) {
          s.prompt = exact.extend(head, n, true, text);
          const auto ids = tok.encode(s.prompt);  // the cacheable part must be the same tokens
          ok = ids.size() == static_cast<std::size_t>(n) && std::equal(want.begin(), want.end(), ids.begin());
        }
        require(ok, fmt::format("could not keep the {}-token prefix intact in a {}-token prompt", p, n));
        prefix_total += static_cast<double>(p);
        total += static_cast<double>(n);
      }
      cache_ratio_ = total > 0 ? prefix_total / total : 0.0;
      break;
    }
    case Kind::MultiTurn: {
      const auto turns = static_cast<std::size_t>(spec_.turns);
      const std::size_t conversations = (count + turns - 1) / turns;
      std::vector<std::vector<RequestSpec>> by_conversation(conversations);
      for (auto& conversation : by_conversation) {
        std::vector<ChatMessage> history;
        std::int64_t history_tokens = 0;
        for (std::size_t t = 0; t < turns; ++t) {
          const std::int64_t user = options_.input.sample(lengths);
          history.push_back({"user", exact.synthetic(user, text)});
          history_tokens += user;
          RequestSpec s;
          s.messages = history;
          s.input_tokens = history_tokens;
          s.max_tokens = out_len();
          // The reply this turn asked for, written by us: the next turn's history.
          history.push_back({"assistant", exact.synthetic(s.max_tokens, text)});
          history_tokens += s.max_tokens;
          conversation.push_back(std::move(s));
        }
      }
      // Turn-major: every conversation's first turn, then every second turn, ...
      for (std::size_t t = 0; t < turns; ++t) {
        for (auto& conversation : by_conversation) specs.push_back(std::move(conversation[t]));
      }
      specs.resize(std::min(specs.size(), std::max<std::size_t>(count, 1)));
      break;
    }
  }
  return specs;
}

nlohmann::json Workload::describe() const {
  static const char* names[] = {"words", "synthetic",     "random",       "sharegpt",
                                "jsonl", "shared-prefix", "prefix-ratio", "multi-turn"};
  nlohmann::json j = {{"source", names[static_cast<int>(spec_.kind)]},
                      {"dataset", options_.dataset},
                      {"input_tokens", options_.input.str()},
                      {"output_tokens", options_.output.str()},
                      {"exact_token_counts", spec_.kind != Kind::Words},
                      {"bad_lines_skipped", bad_.count}};
  if (!spec_.path.empty()) j["path"] = spec_.path;
  if (spec_.kind == Kind::ShareGpt || spec_.kind == Kind::Jsonl) j["usable_entries"] = usable_entries();
  if (spec_.kind == Kind::PrefixRatio) j["prefix_ratio"] = spec_.prefix_ratio;
  if (cache_ratio_) j["intended_cache_ratio"] = *cache_ratio_;
  return j;
}

}  // namespace inferbench::workload
