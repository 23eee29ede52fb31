// `inferbench k8s-job`: prints a Kubernetes Indexed Job that runs one shard of a run per pod
// (completionMode Indexed, completions = parallelism = N, one common start, results on a
// shared volume), and the Job that merges them (docs/scale-out.md, "Kubernetes").
#include <fmt/chrono.h>
#include <fmt/core.h>

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <chrono>
#include <memory>
#include <regex>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "app/sharding.hpp"
#include "core/error.hpp"

namespace inferbench::app {

namespace {

using nlohmann::json;

struct K8sJobOptions {
  std::size_t shards = 0;
  std::string image;
  std::string name = "inferbench";
  std::string namespace_name = "llmdbench";
  std::string pvc = "workload-pvc";
  std::string start_at;  // "" = now + start_in
  double start_in_s = 300;
  std::string run_id;  // "" = name + the start time
  std::vector<std::string> run_args;
};

// Lowercase letters, digits and '-', starting and ending alphanumeric (RFC 1123 label).
bool dns_label(const std::string& s, std::size_t max) {
  static const std::regex label("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  return !s.empty() && s.size() <= max && std::regex_match(s, label);
}

// YAML with every string double-quoted: an argument such as "8080" or "on" stays a string.
void emit(YAML::Emitter& out, const json& j) {
  switch (j.type()) {
    case json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, value] : j.items()) {
        out << YAML::Key << key << YAML::Value;
        emit(out, value);
      }
      out << YAML::EndMap;
      break;
    case json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& value : j) emit(out, value);
      out << YAML::EndSeq;
      break;
    case json::value_t::string: out << YAML::DoubleQuoted << j.get<std::string>(); break;
    case json::value_t::boolean: out << j.get<bool>(); break;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: out << j.get<std::int64_t>(); break;
    case json::value_t::number_float: out << j.get<double>(); break;
    default: out << YAML::Null; break;
  }
}

json job(const K8sJobOptions& o, const std::string& name, std::size_t completions, bool indexed,
         const std::vector<std::string>& args, const std::string& run_id) {
  const json labels = {
      {"app.kubernetes.io/name", "inferbench"}, {"app.kubernetes.io/instance", name}, {"inferbench/run-id", run_id}};
  json spec = {{"completions", completions},
               {"parallelism", completions},
               // A shard retried later would not start with the others: it fails instead.
               {"backoffLimit", 0},
               {"template",
                {{"metadata", {{"labels", labels}}},
                 {"spec",
                  {{"restartPolicy", "Never"},
                   {"containers",
                    {{{"name", "inferbench"},
                      {"image", o.image},
                      {"args", args},
                      {"volumeMounts", {{{"name", "results"}, {"mountPath", "/results"}}}}}}},
                   {"volumes", {{{"name", "results"}, {"persistentVolumeClaim", {{"claimName", o.pvc}}}}}}}}}}};
  if (indexed) spec["completionMode"] = "Indexed";
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", {{"name", name}, {"namespace", o.namespace_name}, {"labels", labels}}},
          {"spec", spec}};
}

void print_jobs(const K8sJobOptions& o) {
  require(o.shards >= 1 && o.shards <= 10000, fmt::format("--shards must be 1 to 10000, got {}", o.shards));
  require(!o.image.empty(), "--image is required: the container image with the inferbench binary");
  // The merge Job's name adds "-merge"; pods add a suffix of their own (63 characters in all).
  require(dns_label(o.name, 40), fmt::format("--name \"{}\" must be 1 to 40 lowercase letters, digits or '-'", o.name));
  require(dns_label(o.namespace_name, 63),
          fmt::format("--namespace \"{}\" is not a Kubernetes name", o.namespace_name));
  require(dns_label(o.pvc, 63), fmt::format("--pvc \"{}\" is not a Kubernetes name", o.pvc));
  for (const auto& a : o.run_args) {
    for (const char* own : {"--shard", "--shards", "--output", "--start-at", "--run-id", "--processes"}) {
      require(a != own && !a.starts_with(std::string(own) + "="),
              fmt::format("{} is set by k8s-job itself; leave it out of the run's arguments", own));
    }
  }
  using std::chrono::system_clock;
  std::string start = o.start_at;
  if (!start.empty()) {
    (void)parse_start_at(start, "--start-at");  // the shards would refuse it later, one by one
  } else {
    require(o.start_in_s >= 10 && o.start_in_s <= 86400, "--start-in must be 10 to 86400 seconds");
    const auto at = std::chrono::time_point_cast<std::chrono::seconds>(
        system_clock::now() +
        std::chrono::duration_cast<system_clock::duration>(std::chrono::duration<double>(o.start_in_s)));
    start = fmt::format("{:%FT%T}Z", at);
  }
  std::string run_id = o.run_id;
  if (run_id.empty()) {
    run_id = o.name + "-";
    for (const char c : start) {
      if (std::isdigit(static_cast<unsigned char>(c))) run_id += c;
    }
  }
  const std::string results = "/results/" + run_id;

  std::vector<std::string> run = {
      "run", "--shards", std::to_string(o.shards), "--start-at", start, "--run-id", run_id, "--output", results};
  run.insert(run.end(), o.run_args.begin(), o.run_args.end());
  const std::vector<std::string> merge = {"merge", results, "--output", results + "/merged"};

  fmt::print("# inferbench k8s-job: run {} as {} shards in namespace {} (docs/scale-out.md, \"Kubernetes\").\n", run_id,
             o.shards, o.namespace_name);
  fmt::print("# Every pod starts its load at {} (apply this well before): kubectl apply -f THIS_FILE\n", start);
  fmt::print("# The first Job runs the shards; the second merges them once all are done:\n");
  fmt::print("#   kubectl -n {} wait --for=condition=complete job/{} --timeout=24h\n", o.namespace_name, o.name);
  fmt::print("#   kubectl -n {} wait --for=condition=complete job/{}-merge --timeout=1h\n", o.namespace_name, o.name);
  fmt::print("# The merged result is in {}/merged on the volume claim {} (ReadWriteMany).\n", results, o.pvc);
  YAML::Emitter out;
  emit(out, job(o, o.name, o.shards, true, run, run_id));
  fmt::print("---\n{}\n", out.c_str());
  // The merge waits for the shards' results: an init container polls for their summaries.
  json merge_job = job(o, o.name + "-merge", 1, false, merge, run_id);
  merge_job["spec"]["activeDeadlineSeconds"] = 86400;  // not forever when a shard failed
  json& pod = merge_job["spec"]["template"]["spec"];
  pod["initContainers"] = {
      {{"name", "wait-for-shards"},
       {"image", o.image},
       {"command", {"/bin/sh", "-c"}},
       {"args",
        {fmt::format("until [ $(ls {}/shard-*/summary.json 2>/dev/null | wc -l) -ge {} ]; do sleep "
                     "10; done",
                     results, o.shards)}},
       {"volumeMounts", {{{"name", "results"}, {"mountPath", "/results"}}}}}};
  YAML::Emitter merge_out;
  emit(merge_out, merge_job);
  fmt::print("---\n{}\n", merge_out.c_str());
}

}  // namespace

void add_k8s_job_command(CLI::App& app) {
  auto o = std::make_shared<K8sJobOptions>();
  auto* cmd = app.add_subcommand(
      "k8s-job",
      "Print a Kubernetes Indexed Job running a run's shards (one per pod) and the Job merging them; arguments "
      "after -- go to inferbench run");
  cmd->add_option("--shards", o->shards, "Number of shards (pods), completions = parallelism")->required();
  cmd->add_option("--image", o->image, "Container image holding the inferbench binary as its entrypoint")->required();
  cmd->add_option("--name", o->name, "Job name")->capture_default_str();
  cmd->add_option("--namespace", o->namespace_name, "Namespace of the Jobs (llm-d-benchmark's harness namespace)")
      ->capture_default_str();
  cmd->add_option("--pvc", o->pvc, "PersistentVolumeClaim (ReadWriteMany) for the results, mounted at /results")
      ->capture_default_str();
  cmd->add_option("--start-at", o->start_at, "Common start of every shard (ISO 8601 UTC); default: now + --start-in");
  cmd->add_option("--start-in", o->start_in_s, "Seconds from now to the common start (time to schedule the pods)")
      ->capture_default_str();
  cmd->add_option("--run-id", o->run_id, "Run id shared by the shards (default: the name and the start time)");
  cmd->add_option("run_args", o->run_args, "Arguments of inferbench run (after --)");
  cmd->callback([o] { print_jobs(*o); });
}

}  // namespace inferbench::app
