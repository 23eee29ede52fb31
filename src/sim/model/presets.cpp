#include "sim/model/presets.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/error.hpp"

namespace inferbench::sim {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// Function-local statics, so presets are usable during other translation units' static
// initialization (EngineConfig's defaults look them up).
// Shapes from each model's config.json on Hugging Face; parameter counts from the model cards.
const std::array<ModelPreset, 5>& models() {
  static const std::array<ModelPreset, 5> kModels{{
      {"Llama-3.1-8B", 32, 4096, 32, 8, 128, 14336, 128256, 8.03e9, 2},
      {"Llama-3.1-70B", 80, 8192, 64, 8, 128, 28672, 128256, 70.6e9, 2},
      {"Qwen3-8B", 36, 4096, 32, 8, 128, 12288, 151936, 8.19e9, 2},
      {"Qwen3-0.6B", 28, 1024, 16, 8, 128, 3072, 151936, 0.596e9, 2},
      {"Llama-3.2-1B", 16, 2048, 32, 8, 64, 8192, 128256, 1.24e9, 2},
  }};
  return kModels;
}

// Datasheet figures (docs/simulator.md cites each). Capacities are the marketed size read as
// GiB, which is what the driver reports for HBM parts; FLOP/s are dense bf16 (no sparsity).
const std::array<HardwarePreset, 6>& hardware() {
  static const std::array<HardwarePreset, 6> kHardware{{
      {"A10", 24 * kGiB, 600e9, 125e12, 64e9},
      {"L40S", 48 * kGiB, 864e9, 362.05e12, 64e9},
      {"A100-80GB", 80 * kGiB, 2039e9, 312e12, 600e9},
      {"H100", 80 * kGiB, 3.35e12, 989.5e12, 900e9},
      {"H200", 141 * kGiB, 4.8e12, 989.5e12, 900e9},
      {"MI300X", 192 * kGiB, 5.3e12, 1307.4e12, 896e9},
  }};
  return kHardware;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

template <typename Preset, std::size_t N>
std::string names_of(const std::array<Preset, N>& presets) {
  std::string names;
  for (const auto& p : presets) {
    if (!names.empty()) names += ", ";
    names += p.name;
  }
  return names;
}

template <typename Preset, std::size_t N>
const Preset& find_in(const std::array<Preset, N>& presets, std::string_view name, std::string_view kind) {
  for (const auto& p : presets) {
    if (iequals(p.name, name)) return p;
  }
  throw Error("unknown " + std::string(kind) + " '" + std::string(name) + "' (valid: " + names_of(presets) + ")");
}

}  // namespace

std::span<const ModelPreset> model_presets() { return models(); }
std::span<const HardwarePreset> hardware_presets() { return hardware(); }
std::string model_preset_names() { return names_of(models()); }
std::string hardware_preset_names() { return names_of(hardware()); }

const ModelPreset& find_model(std::string_view name) { return find_in(models(), name, "model"); }

const HardwarePreset& find_hardware(std::string_view name) { return find_in(hardware(), name, "hardware"); }

}  // namespace inferbench::sim
