// `inferbench tokenize`: encode/decode/count with a tokenizer.json, exactly as HF tokenizers does.
#include <fmt/core.h>

#include <limits>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "tokenizer/tokenizer.hpp"

namespace inferbench::app {
namespace {

struct TokenizeOptions {
  std::string tokenizer;
  std::string text;
  bool has_text = false;
  bool special = false;
  bool skip_special = false;
  bool count = false;
  bool decode = false;
  bool jsonl = false;
};

std::vector<std::int32_t> parse_ids(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) throw Error("tokenize --decode: input is not a JSON array of token ids");
  std::vector<std::int32_t> ids;
  for (const auto& v : j) {
    if (!v.is_number_integer()) throw Error("tokenize --decode: input is not a JSON array of token ids");
    // Hugging Face's tokenizers refuses these too; a silent wrap or drop would decode other text.
    const auto id = v.get<std::int64_t>();
    if (id < 0 || id > std::numeric_limits<std::int32_t>::max()) {
      throw Error("tokenize --decode: token id " + v.dump() + " is out of range");
    }
    ids.push_back(static_cast<std::int32_t>(id));
  }
  return ids;
}

std::string ids_json(const std::vector<std::int32_t>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  return out + "]";
}

// One input (text, or an id array with --decode) -> one output line.
std::string process(const tokenizer::Tokenizer& tok, const TokenizeOptions& o, const std::string& input,
                    bool json_out) {
  if (o.decode) {
    const std::string text = tok.decode(parse_ids(input), o.skip_special);
    return json_out ? nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) : text;
  }
  const auto ids = tok.encode(input, o.special);
  return o.count ? std::to_string(ids.size()) : ids_json(ids);
}

void run_tokenize(const TokenizeOptions& o) {
  const auto tok = tokenizer::Tokenizer::load(o.tokenizer);
  if (o.jsonl) {
    std::size_t line_no = 0;
    for (std::string line; std::getline(std::cin, line);) {
      ++line_no;
      if (line.empty()) continue;
      std::string input = line;
      if (!o.decode) {
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_string())
          throw Error(fmt::format("tokenize --jsonl: line {} is not a JSON string", line_no));
        input = j.get<std::string>();
      }
      const std::string out = process(tok, o, input, true);
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fputc('\n', stdout);
    }
    return;
  }
  const std::string input = o.has_text ? o.text : std::string(std::istreambuf_iterator<char>(std::cin), {});
  const std::string out = process(tok, o, input, false);
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!o.decode) std::fputc('\n', stdout);  // decoded text is printed exactly, without a newline
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  auto o = std::make_shared<TokenizeOptions>();
  auto* cmd = app.add_subcommand(
      "tokenize",
      "Encode text to token ids (a JSON array), count tokens, or decode ids, exactly as Hugging Face "
      "tokenizers does. Text comes from --text or stdin (all of it, trailing newline included).");
  cmd->add_option("--tokenizer", o->tokenizer, "tokenizer.json, or a directory holding it")->required();
  cmd->add_option("--text", o->text, "Input text (or, with --decode, a JSON id array) instead of stdin")
      ->each([o](const std::string&) { o->has_text = true; });
  cmd->add_flag("--special", o->special, "Add the post-processor's special tokens (e.g. BOS) when encoding");
  cmd->add_flag("--count", o->count, "Print the number of tokens instead of the ids");
  cmd->add_flag("--decode", o->decode, "Read a JSON array of ids and print the decoded text");
  cmd->add_flag("--skip-special", o->skip_special, "With --decode: drop special tokens");
  cmd->add_flag("--jsonl", o->jsonl,
                "Read one JSON string per line from stdin, print one JSON id array (or count) per line; with "
                "--decode read id arrays and print JSON strings");
  cmd->callback([o] { run_tokenize(*o); });
}

}  // namespace inferbench::app
