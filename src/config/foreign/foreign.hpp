#pragma once
// Other tools' benchmark configs, run as they are: `inferbench run --from FORMAT FILE`
// (docs/profiles.md, "Other tools' configs"). Each translator reads the foreign YAML into the
// same Values store a profile fills, at Source::File, so flags and `-o` still override it. What
// inferbench cannot honour is never dropped silently: it is returned, printed as one warning
// line, and an error with --strict (as inference-perf's own pydantic models forbid extras).
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "config/profile.hpp"
#include "config/values.hpp"

namespace inferbench::config::foreign {

// One key of the foreign file, by its dotted path there ("load.stages.0.rate"), and why it is
// listed ("" when the key says it all).
struct Note {
  std::string key;
  std::string why;
  bool operator==(const Note&) const = default;
};

// What a translation could not map exactly.
struct Translation {
  std::vector<Note> unsupported;  // ignored: the run differs from the tool's (an error with --strict)
  std::vector<Note> approximate;  // mapped to the closest inferbench setting; `why` says how it differs
  // Unsupported keys that an inferbench setting given on the command line makes up for (the
  // tokenizer's Hub id: --tokenizer PATH), by key: they are not listed when it is given.
  std::map<std::string, std::string> supplied_by;
};

// inference-perf's config (kubernetes-sigs/inference-perf, inference_perf/config/**): load, api,
// server, tokenizer, data, report, storage. `REPLACE_ENV_<NAME>` tokens are rendered first, as
// for profiles (llm-d-benchmark's inference-perf workload profiles use them). Throws
// inferbench::Error "config.yml:5: invalid load.stages.0.rate 'x': expected a number".
Translation from_inference_perf(Values& values, std::string_view text, std::string_view filename,
                                const EnvLookup& env = process_env);

// The OCI AI Blueprints online benchmark config (example_online.yaml: LLMPerf's parameters plus
// MLflow). Throws inferbench::Error as from_inference_perf.
Translation from_oci_blueprint(Values& values, std::string_view text, std::string_view filename,
                               const EnvLookup& env = process_env);

// The formats --from takes, in --help order.
const std::vector<std::string>& formats();

// Reads the file at `path` in `format` into `values`; throws inferbench::Error for an unknown
// format or an unreadable file. `overrides` ("key.path=value", -o) change the file's own keys
// first (see apply_foreign_overrides); those applied are appended to `applied` when given.
Translation load_file(Values& values, std::string_view format, const std::string& path,
                      const std::vector<std::string>& overrides = {}, std::vector<std::string>* applied = nullptr);

// `text` (a YAML document) with the -o overrides whose path is in it applied as llm-d applies
// them to its workload profiles: a dotted path, integer segments indexing lists (in range), a
// missing leaf of a map added; true/yes/false/no are booleans, then integers, floats, else text.
// An override whose parent path is not in the document is left (for inferbench's own settings)
// and not appended to `applied`. Throws inferbench::Error "-o: 'load.stages.5.rate': load.stages
// in FILE is a list of 2 items: '5' is not an index in it".
std::string apply_foreign_overrides(const std::string& text, const std::string& path,
                                    const std::vector<std::string>& overrides, std::vector<std::string>& applied);

// "a.b, c.d (why); e.f" — the notes as one list, consecutive keys sharing a reason grouped.
std::string list_notes(const std::vector<Note>& notes);

// The one warning line for `translation` (no trailing newline), "" when it is exact.
std::string warning_line(std::string_view format, std::string_view filename, const Translation& translation);

// With `strict`, throws inferbench::Error "FILE: not supported by inferbench (--strict): KEYS"
// when `translation` has unsupported keys; otherwise prints its warning line (if any) on stderr.
void warn_or_fail(std::string_view format, const std::string& path, const Translation& translation, bool strict);

// Adds `--from FORMAT FILE` and `--strict` to `cmd`, excluding the positional profile and
// --profile that config::bind_profile added (call after it and before config::bind). The
// warning line goes to stderr; with --strict an unsupported key is inferbench::Error
// "FILE: not supported by inferbench (--strict): KEYS". Returns the -o assignments --from
// applied to the file's own keys (filled when it runs): give it to config::bind, whose -o then
// leaves them alone.
std::shared_ptr<const std::vector<std::string>> bind_from(CLI::App& cmd, Values& values);

}  // namespace inferbench::config::foreign
