// Validates Kubernetes manifests offline against the API's own OpenAPI schemas
// (kubernetes-models: each class checks its object with the API's definitions).
// Usage: node validate.mjs FILE.yaml [--shards N]   (FILE "-" = stdin)
// With --shards, also checks what `inferbench k8s-job` promises: an Indexed Job with
// completions = parallelism = N, every shard's start time and run id the same, and a merge Job.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { Job } from "kubernetes-models/batch/v1/Job";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Namespace } from "kubernetes-models/v1/Namespace";

const kinds = { "batch/v1 Job": Job, "v1 PersistentVolumeClaim": PersistentVolumeClaim, "v1 Namespace": Namespace };
const [file, ...rest] = process.argv.slice(2);
const shards = rest[0] === "--shards" ? Number(rest[1]) : null;
const text = readFileSync(file === "-" ? 0 : file, "utf8");
const docs = parseAllDocuments(text).map((d) => {
  if (d.errors.length) throw new Error(`${file}: YAML: ${d.errors[0].message}`);
  return d.toJS();
}).filter((d) => d !== null);

function fail(message) {
  console.error(`FAIL: ${file}: ${message}`);
  process.exit(1);
}

if (docs.length === 0) fail("no documents");
for (const doc of docs) {
  const Model = kinds[`${doc.apiVersion} ${doc.kind}`];
  if (!Model) fail(`unexpected ${doc.apiVersion} ${doc.kind}`);
  try {
    new Model(doc).validate();
  } catch (e) {
    fail(`${doc.kind} ${doc.metadata?.name}: ${e.message}`);
  }
}

// The validator is real: the same Job with a field of the wrong type is refused.
const firstJob = docs.find((d) => d.kind === "Job");
if (firstJob) {
  const broken = structuredClone(firstJob);
  broken.spec.completions = "many";
  let refused = false;
  try {
    new Job(broken).validate();
  } catch {
    refused = true;
  }
  if (!refused) fail("kubernetes-models accepted completions: \"many\"");
}

if (shards !== null) {
  const jobs = docs.filter((d) => d.kind === "Job");
  if (jobs.length !== 2) fail(`expected 2 Jobs (shards, merge), got ${jobs.length}`);
  const [run, merge] = jobs;
  const s = run.spec;
  if (s.completionMode !== "Indexed") fail(`completionMode ${s.completionMode}`);
  if (s.completions !== shards || s.parallelism !== shards) fail(`completions ${s.completions}, parallelism ${s.parallelism}`);
  const args = s.template.spec.containers[0].args;
  const flag = (name) => args[args.indexOf(name) + 1];
  if (args[0] !== "run" || flag("--shards") !== String(shards)) fail(`run args ${args.join(" ")}`);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(flag("--start-at"))) fail(`--start-at ${flag("--start-at")}`);
  if (!flag("--output").startsWith("/results/")) fail(`--output ${flag("--output")}`);
  const mount = s.template.spec.containers[0].volumeMounts[0];
  if (mount.mountPath !== "/results") fail("results volume not mounted at /results");
  const margs = merge.spec.template.spec.containers[0].args;
  if (margs[0] !== "merge" || margs[1] !== flag("--output")) fail(`merge args ${margs.join(" ")}`);
  if (merge.spec.template.spec.volumes[0].persistentVolumeClaim.claimName !== s.template.spec.volumes[0].persistentVolumeClaim.claimName) {
    fail("the merge Job reads another volume");
  }
}
console.log(`ok: ${file}: ${docs.length} documents valid (${docs.map((d) => d.kind).join(", ")})`);
