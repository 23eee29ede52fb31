#include "app/sharding.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "core/error.hpp"

namespace inferbench::app {

namespace {

constexpr std::size_t kMaxShards = 100000;

std::optional<std::size_t> whole_number(std::string_view text) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::size_t env_number(const Environment& env, const std::string& name, const std::string& why) {
  const auto value = env(name);
  require(value.has_value(), fmt::format("{}: ${} is not set", why, name));
  const auto n = whole_number(*value);
  require(n.has_value(), fmt::format("{}: ${} is not a whole number: {}", why, name, *value));
  return *n;
}

schedule::Shard checked(std::size_t index, std::size_t count, const std::string& what) {
  require(count >= 1 && count <= kMaxShards,
          fmt::format("{}: the shard count must be 1 to {}, got {}", what, kMaxShards, count));
  require(index < count,
          fmt::format("{}: shard index {} is not below the shard count {} (0-based)", what, index, count));
  return {index, count};
}

// The first 16 hex digits of SHA-256 over `text`.
std::string short_hash(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  unsigned int length = 0;
  require(EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) == 1, "SHA-256 failed");
  std::string hex;
  for (std::size_t i = 0; i < 8; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace

std::optional<std::string> process_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

schedule::Shard parse_shard(const std::string& text, const std::string& flag, const Environment& env) {
  if (text == "auto") {
    const std::string why = flag + " auto (from Slurm; not under srun?)";
    const std::size_t index = env_number(env, "SLURM_PROCID", why);  // named first when both are missing
    return checked(index, env_number(env, "SLURM_NTASKS", why), flag + " auto");
  }
  const auto slash = text.find('/');
  const auto index = slash == std::string::npos ? std::nullopt : whole_number(std::string_view(text).substr(0, slash));
  const auto count = slash == std::string::npos ? std::nullopt : whole_number(std::string_view(text).substr(slash + 1));
  require(index && count, fmt::format("{} must be K/N (shard K of N, 0-based) or auto, got \"{}\"", flag, text));
  return checked(*index, *count, flag + " " + text);
}

std::chrono::system_clock::time_point parse_start_at(const std::string& text, const std::string& flag) {
  using std::chrono::system_clock;
  const auto bad = [&] {
    return Error(
        fmt::format("{} must be an ISO 8601 UTC time (2026-12-02T16:30:00Z) or Unix seconds, got \"{}\"", flag, text));
  };
  // Unix seconds, maybe fractional.
  if (!text.empty() && text.find_first_not_of("0123456789.") == std::string::npos) {
    double seconds = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(seconds) || seconds > 1e11) throw bad();
    return system_clock::time_point(
        std::chrono::duration_cast<system_clock::duration>(std::chrono::duration<double>(seconds)));
  }
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) throw bad();
  double fraction = 0;
  if (*rest == '.') {
    const char* digits = rest + 1;
    while (*rest == '.' || (*rest >= '0' && *rest <= '9')) ++rest;
    if (rest == digits) throw bad();
    const std::string frac = "0." + std::string(digits, rest);
    fraction = std::strtod(frac.c_str(), nullptr);
  }
  // Only UTC: a shard elsewhere reads the same instant whatever its time zone.
  const std::string zone = rest;
  if (zone != "Z" && zone != "+00:00" && zone != "+0000") throw bad();
  const std::time_t seconds = timegm(&tm);
  if (seconds == static_cast<std::time_t>(-1)) throw bad();
  return system_clock::from_time_t(seconds) +
         std::chrono::duration_cast<system_clock::duration>(std::chrono::duration<double>(fraction));
}

Sharding make_sharding(const config::Values& v, const nlohmann::json& settings, const Environment& env) {
  Sharding s;
  if (v.given("shard.id")) {
    s.shard = parse_shard(v.str("shard.id"), v.name("shard.id"), env);
  } else if (v.given("shard.count")) {
    const auto count = static_cast<std::size_t>(v.integer("shard.count"));
    const std::string what = v.name("shard.count") + " " + std::to_string(count);
    s.shard =
        checked(env_number(env, "JOB_COMPLETION_INDEX", what + " (not in a Kubernetes Indexed Job?)"), count, what);
  }
  if (v.given("shard.start_at")) s.start_at = parse_start_at(v.str("shard.start_at"), v.name("shard.start_at"));
  if (v.given("shard.run_id")) {
    s.run_id = v.str("shard.run_id");
    require(!s.run_id.empty() && s.run_id.size() <= 128 &&
                s.run_id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                    std::string::npos,
            v.name("shard.run_id") + " must be 1 to 128 letters, digits, '.', '_' or '-'");
  } else {
    // The same for every shard of one run: the configuration without what differs between them.
    nlohmann::json common = settings;
    if (common.contains("shard")) {
      common["shard"].erase("id");
      common["shard"].erase("count");
    }
    if (common.contains("output")) common["output"].erase("dir");
    std::string text = common.dump();
    if (const auto job = env("SLURM_JOB_ID")) text += "\nslurm " + *job;
    s.run_id = short_hash(text);
  }
  return s;
}

std::string shard_output_dir(const Sharding& s, const std::string& output_dir) {
  if (s.start_at) {
    const auto ahead = *s.start_at - std::chrono::system_clock::now();
    require(ahead > std::chrono::system_clock::duration::zero(),
            fmt::format("--start-at is {:.1f} s in the past: the shards could not start together",
                        -std::chrono::duration<double>(ahead).count()));
    require(ahead < std::chrono::hours(24), "--start-at is more than 24 h away");
  }
  if (s.shard.whole()) return output_dir;
  require(!output_dir.empty(),
          fmt::format("shard {}/{} needs --output: a shard's results are merged by inferbench merge", s.shard.index,
                      s.shard.count));
  return (std::filesystem::path(output_dir) / fmt::format("shard-{}", s.shard.index)).string();
}

std::string check_sharded_run(const Sharding& s, const RunConfig& c) {
  std::string dir = shard_output_dir(s, c.output_dir);
  if (s.shard.whole()) return dir;
  const std::string what = fmt::format("shard {}/{}", s.shard.index, s.shard.count);
  require(c.points.size() == 1, fmt::format("{}: a sharded run has one load point (got {}): shards that run "
                                            "several would drift apart after the first",
                                            what, c.points.size()));
  const metrics::LoadSpec& load = c.points.front().load;
  require(load.mode == metrics::LoadSpec::Mode::Open || static_cast<std::size_t>(load.concurrency) >= s.shard.count,
          fmt::format("{}: --concurrency {} gives some shards no user (it must be at least the shard count)", what,
                      load.concurrency));
  return dir;
}

TimePoint start_instant(std::chrono::system_clock::time_point at) {
  const auto ahead = at - std::chrono::system_clock::now();
  if (ahead < std::chrono::system_clock::duration::zero()) {
    fmt::print(stderr,
               "inferbench: warning: --start-at passed {:.3f} s ago while this shard got ready: it starts now\n",
               -std::chrono::duration<double>(ahead).count());
  }
  return Clock::now() + std::chrono::duration_cast<Duration>(ahead);
}

}  // namespace inferbench::app
