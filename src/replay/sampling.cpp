#include "replay/sampling.hpp"

#include <openssl/evp.h>

#include <array>
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "core/error.hpp"

namespace inferbench::replay {

SampleRange make_sample_range(double start, double end) {
  require(std::isfinite(start) && std::isfinite(end) && start >= 0.0 && start < end && end <= 1.0,
          fmt::format("invalid --sample-range {} {}: needs 0 <= START < END <= 1", start, end));
  return {start, end};
}

SampleRange make_sample_rate(double rate) {
  require(std::isfinite(rate) && rate > 0.0 && rate <= 1.0,
          fmt::format("invalid --sample-rate {}: must be above 0 and at most 1", rate));
  return {0.0, rate};
}

double conversation_hash(std::string_view conversation_id) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  require(ctx && EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) == 1 &&
              EVP_DigestUpdate(ctx.get(), conversation_id.data(), conversation_id.size()) == 1 &&
              EVP_DigestFinal_ex(ctx.get(), digest.data(), &size) == 1 && size >= 4,
          "OpenSSL could not compute MD5 for --sample-range");
  const std::uint32_t head = (std::uint32_t{digest[0]} << 24) | (std::uint32_t{digest[1]} << 16) |
                             (std::uint32_t{digest[2]} << 8) | std::uint32_t{digest[3]};
  return static_cast<double>(head) / 4294967296.0;  // exact: a 32-bit integer over 2^32
}

bool sampled(std::string_view conversation_id, const SampleRange& range) {
  if (range.all()) return true;  // FlowGPT's shortcut; every hash is in [0, 1) anyway
  const double h = conversation_hash(conversation_id);
  return range.start <= h && h < range.end;
}

std::vector<Entry> sample(std::vector<Entry> entries, const SampleRange& range) {
  if (range.all()) return entries;
  std::erase_if(entries, [&](const Entry& e) { return !sampled(e.conversation_id, range); });
  return entries;
}

}  // namespace inferbench::replay
