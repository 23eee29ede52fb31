// inference-perf's `data:` (kubernetes-sigs/inference-perf@7de5ef2, config/datagen and
// config/common.py, and the generators that use them) as inferbench's workload settings.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "config/foreign/inference_perf_data.hpp"
#include "core/error.hpp"

namespace inferbench::config::foreign {

namespace {

// inference-perf's Distribution defaults (config/common.py).
struct Dist {
  double min = 10;
  double max = 1024;
  double mean = 512;
  double std_dev = 200;
  std::string type = "normal";
};

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// A Distribution map at `path` as an inferbench length distribution ("normal:50:10:10:100").
// inference-perf clamps draws to [min, max]; inferbench redraws them, so the shapes differ when
// much of the curve lies outside: said when over 1 % of the draws would be clamped.
std::string length_dist(Reader& r, const std::string& path) {
  Dist d;
  d.min = static_cast<double>(r.integer(path + ".min").value_or(10));
  d.max = static_cast<double>(r.integer(path + ".max").value_or(1024));
  d.mean = r.number(path + ".mean").value_or(512);
  d.std_dev = r.number(path + ".std_dev").value_or(200);
  d.type = r.choice(path + ".type", {"normal", "skew_normal", "lognormal", "uniform", "poisson", "fixed"})
               .value_or("normal");
  if (const auto variance = r.number(path + ".variance")) {
    if (*variance < 0) r.fail(path + ".variance", fmt::format("invalid {}.variance: must be >= 0", path));
    d.std_dev = std::sqrt(*variance);
  }
  if (d.min > d.max) r.fail(path, fmt::format("invalid {}: min ({}) is above max ({})", path, d.min, d.max));
  // inferbench's lengths end at 10,000,000 tokens (workload::LengthDist::kMaxLength).
  if (d.max > 1e7) r.fail(path + ".max", fmt::format("invalid {}.max '{}': must be <= 10000000 tokens", path, d.max));
  if (d.std_dev < 0) r.fail(path + ".std_dev", fmt::format("invalid {}.std_dev: must be >= 0", path));
  if (r.has(path + ".total_count")) {
    r.take(path + ".total_count");
    r.approximate(path + ".total_count",
                  "inference-perf draws total_count lengths once and cycles them; inferbench draws each request's");
  }
  for (const auto& key : r.keys(path)) {
    static const std::vector<std::string> kKnown = {"min",         "max",  "mean",     "std_dev",
                                                    "total_count", "type", "variance", "skew"};
    if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end()) {
      r.explain(path + "." + key,
                key == "std" ? "not a Distribution key: std_dev 200 applies" : "not a Distribution key");
    }
  }
  (void)r.number(path + ".skew");  // only skew_normal uses it
  if (d.min < 1) {
    r.approximate(path + ".min", "a length is at least 1 token here");
    d.min = 1;
    d.max = std::max(d.max, 1.0);
  }
  if (d.type == "fixed") return fmt::format("{}", std::max<std::int64_t>(1, static_cast<std::int64_t>(d.mean)));
  if (d.type == "uniform") return fmt::format("uniform:{}:{}", d.min, d.max);
  if (d.type == "skew_normal") {
    r.approximate(path + ".type", "skew_normal drawn as normal with the same mean and std_dev (no skew)");
  } else if (d.type == "poisson") {
    r.approximate(path + ".type", "poisson drawn as normal with std_dev sqrt(mean)");
    d.std_dev = std::sqrt(std::max(d.mean, 1.0));
  } else if (d.type == "lognormal") {
    r.approximate(path + ".type",
                  "lognormal with this mean and std_dev, redrawn inside [min, max]; inference-perf clamps to them "
                  "(and shifts the curve by min for random and synthetic data)");
  }
  if (d.mean < d.min || d.mean > d.max) {
    r.approximate(path + ".mean", "the mean is outside [min, max]: taken as the nearest bound");
    d.mean = std::clamp(d.mean, d.min, d.max);
  }
  if (d.type != "lognormal" && d.std_dev > 0) {
    const double clamped = normal_cdf((d.min - d.mean) / d.std_dev) + 1.0 - normal_cdf((d.max - d.mean) / d.std_dev);
    if (clamped > 0.01) {
      r.approximate(path, fmt::format("inference-perf clamps {:.0f} % of the draws to min or max; inferbench redraws "
                                      "them inside",
                                      clamped * 100));
    }
  }
  return fmt::format("{}:{}:{}:{}:{}", d.type == "lognormal" ? "lognormal" : "normal", d.mean, d.std_dev, d.min, d.max);
}

// A length given as a number or a Distribution (shared_prefix's *_len keys).
std::string length_or_dist(Reader& r, const std::string& path, std::int64_t default_value) {
  if (r.find(path).IsMap()) return length_dist(r, path);
  const auto n = r.integer(path).value_or(default_value);
  if (n < 1) r.fail(path, fmt::format("invalid {} '{}': must be >= 1", path, n));
  return std::to_string(n);
}

// The mean of a length (shared-prefix lengths are fixed here).
std::int64_t fixed_length(Reader& r, const std::string& path, std::int64_t default_value) {
  if (!r.find(path).IsMap()) return std::stoll(length_or_dist(r, path, default_value));
  const auto mean = r.number(path + ".mean").value_or(512);
  (void)length_dist(r, path);
  r.approximate(path, "a distribution: inferbench's shared-prefix lengths are fixed, so its mean is used");
  return std::max<std::int64_t>(1, std::llround(mean));
}

void map_sharegpt(Reader& r, Values& v) {
  const auto path = r.text("data.path");
  if (!path) {
    r.unsupported("data.type", "shareGPT without data.path: inference-perf downloads it, inferbench needs the file",
                  "workload.dataset");
    return;
  }
  // inference-perf keeps a conversation unless input/output_distribution's min and max (when
  // given) exclude its prompt or reply; vLLM's default filters, which inferbench's sharegpt
  // applies, are lifted accordingly.
  std::int64_t min_tokens = 1;
  std::int64_t max_prompt = 10'000'000;
  std::int64_t max_total = 20'000'000;
  const bool in = r.find("data.input_distribution").IsMap();
  const bool out = r.find("data.output_distribution").IsMap();
  if (in) {
    min_tokens = r.integer("data.input_distribution.min").value_or(10);
    max_prompt = r.integer("data.input_distribution.max").value_or(1024);
    max_total = max_prompt + 10'000'000;
  }
  if (out) {
    const auto out_min = r.integer("data.output_distribution.min").value_or(10);
    const auto out_max = r.integer("data.output_distribution.max").value_or(1024);
    if (in && out_min != min_tokens) {
      r.approximate("data.output_distribution.min", "one minimum for prompt and reply here: the smaller");
    }
    min_tokens = in ? std::min(min_tokens, out_min) : out_min;
    max_total = max_prompt + out_max;
    r.approximate("data.output_distribution.max", "a reply's maximum is applied to prompt + reply here");
  }
  if (in) r.take("data.input_distribution");
  if (out) r.take("data.output_distribution");
  min_tokens = std::max<std::int64_t>(1, min_tokens);
  r.set(v, "workload.dataset",
        fmt::format("sharegpt:{},min_tokens={},max_prompt={},max_total={}", *path, min_tokens, max_prompt, max_total),
        "data.path");
}

void map_shared_prefix(Reader& r, Values& v) {
  const std::string at = "data.shared_prefix";
  const auto pick = [&](const char* a, const char* b, std::int64_t def) {
    if (r.has(at + "." + a)) return r.integer(at + "." + a).value_or(def);
    return r.integer(at + "." + b).value_or(def);
  };
  const std::int64_t groups = pick("num_unique_system_prompts", "num_groups", 10);
  const std::int64_t per_group = pick("num_users_per_system_prompt", "num_prompts_per_group", 10);
  const std::int64_t system = fixed_length(r, at + ".system_prompt_len", 100);
  std::int64_t question = 50;
  if (r.find(at + ".question_distribution").IsMap()) {
    question = fixed_length(r, at + ".question_distribution", 50);
    r.take(at + ".question_len");
  } else {
    question = fixed_length(r, at + ".question_len", 50);
  }
  std::string output;
  if (r.find(at + ".output_distribution").IsMap()) {
    output = length_dist(r, at + ".output_distribution");
    r.take(at + ".output_len");
  } else {
    output = length_or_dist(r, at + ".output_len", 50);
  }
  if (groups < 1 || per_group < 1) r.fail(at, fmt::format("invalid {}: the counts must be >= 1", at));
  r.set(v, "workload.dataset",
        fmt::format("shared-prefix:groups={},prompts_per_group={},system_prompt_tokens={},question_tokens={}", groups,
                    per_group, system, question),
        at);
  r.set(v, "workload.output_tokens", output, at + ".output_len");
  if (const auto seed = r.integer(at + ".seed")) {
    if (!r.has("load.base_seed")) {
      r.set(v, "seed", *seed, at + ".seed");
    } else {
      r.unsupported(at + ".seed", "one seed for everything here: load.base_seed");
    }
  }
  if (r.boolean(at + ".enable_multi_turn_chat").value_or(false)) {
    r.unsupported(at + ".enable_multi_turn_chat", "no multi-turn shared prefix in inferbench");
  }
}

}  // namespace

void map_inference_perf_data(Reader& r, Values& v) {
  const std::string type =
      r.choice("data.type", {"mock", "shareGPT", "synthetic", "random", "shared_prefix", "cnn_dailymail",
                             "infinity_instruct", "billsum_conversations", "otel_trace_replay", "weka_trace_replay",
                             "conversation_replay", "visionarena"})
          .value_or("mock");
  const auto lengths = [&] {
    for (const char* side : {"input", "output"}) {
      const std::string at = fmt::format("data.{}_distribution", side);
      if (!r.find(at).IsMap()) continue;
      r.set(v, fmt::format("workload.{}_tokens", side), length_dist(r, at), at);
    }
  };
  if (r.has("data.trace")) {
    // random data with a trace takes each request's lengths from it, in order.
    r.unsupported("data.trace", "lengths from an Azure trace: inferbench replay FILE replays it");
  }
  if (type == "random") {
    r.set(v, "workload.dataset", "random", "data.type");
    const bool both = r.find("data.input_distribution").IsMap() && r.find("data.output_distribution").IsMap();
    if (!both && !r.has("data.trace")) {
      r.fail("data.type", "data.type random needs data.input_distribution and data.output_distribution");
    }
    lengths();
  } else if (type == "synthetic") {
    // inferbench's default prompts are synthetic text when a tokenizer is given.
    lengths();
  } else if (type == "mock") {
    if (r.has("data.type")) r.approximate("data.type", "mock: inferbench's default prompts");
  } else if (type == "shareGPT") {
    map_sharegpt(r, v);
  } else if (type == "shared_prefix") {
    if (r.find("data.shared_prefix").IsDefined() && !r.find("data.shared_prefix").IsMap()) {
      r.fail("data.shared_prefix", "invalid data.shared_prefix: expected a map");
    }
    map_shared_prefix(r, v);
  } else {
    r.unsupported("data.type", type + ": no such dataset in inferbench");
  }
  if (r.boolean("data.use_chat_template").value_or(false)) {
    r.unsupported("data.use_chat_template", "prompts are sent as they are built");
  }
}

}  // namespace inferbench::config::foreign
