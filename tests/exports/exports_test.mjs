// `inferbench export` and `run --export`: llm-d's benchmark reports validated against llm-d's
// published JSON schemas (data/, see data/SOURCE.md) with Ajv; the peers' formats read back and
// compared, number by number, with summary.json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from './node/node_modules/ajv/dist/2020.js';
import addFormats from './node/node_modules/ajv-formats/dist/index.js';
import yaml from './node/node_modules/js-yaml/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.INFERBENCH ?? 'build/src/app/inferbench';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inferbench-exports-'));
const SIM = ['--input-tokens', '16', '--output-tokens', '8', '--sim-ttft-ms', '2', '--sim-itl-ms', '1', '--no-server-metrics'];
const UNITS = new Set(['count', 'percent', 'fraction', 'ms', 's', 'MB', 'GB', 'TB', 'MiB', 'GiB', 'TiB', 'Mbit/s', 'Gbit/s',
  'Tbit/s', 'GiB/s', 'MB/s', 'GB/s', 'TB/s', 'ms/token', 's/token', 'tokens/s', 'queries/s', 'Watts']);

function run(args) {
  return new Promise((resolve) => {
    execFile(BIN, args, { timeout: 60000 }, (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr }));
  });
}
const readJson = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
// YAML 1.2's core schema: timestamps stay text, as in the report's JSON form that the schema describes.
const readYaml = (f) => yaml.load(fs.readFileSync(f, 'utf8'), { schema: yaml.CORE_SCHEMA });
const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
const validator = (file) => {
  // The schemas use pydantic's non-standard "ge" keyword and the date-time format.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(readJson(path.join(here, 'data', file)));
};

let closed;  // results of a closed-loop sweep (2 load points)
let open;    // results of an open-loop run
before(async () => {
  closed = path.join(tmp, 'closed');
  open = path.join(tmp, 'open');
  const a = await run(['run', ...SIM, '--concurrency', '1,2', '--num-requests', '6', '--output', closed]);
  assert.equal(a.code, 0, a.stderr);
  // A shared-prefix workload (it needs a tokenizer: the Llama 3 one that setup.sh installs).
  const tokenizer = path.join(here, '..', 'tokenizer', 'node', 'node_modules', '@lenml', 'tokenizer-llama3', 'models', 'tokenizer.json');
  const b = await run(['run', ...SIM, '--rate', '40', '--num-requests', '8', '--tokenizer', tokenizer,
    '--dataset', 'shared-prefix:groups=2,prompts_per_group=3,system_prompt_tokens=20,question_tokens=5', '--output', open]);
  assert.equal(b.code, 0, b.stderr);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function exportTo(results, format) {
  const out = path.join(tmp, `${path.basename(results)}-${format}`);
  const r = await run(['export', results, '--format', format, '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  return out;
}

test('the validator accepts llm-d\'s own v0.2 example (the oracle works)', () => {
  const validate = validator('br_v0_2_json_schema.json');
  const example = readYaml(path.join(here, 'data', 'br_v0_2_example.yaml'));
  // The example carries results.session_performance, which schema_v0_2.py has but the committed
  // JSON schema (stale there) does not: without it, the rest must pass.
  delete example.results.session_performance;
  assert.ok(validate(example), JSON.stringify(validate.errors));
  assert.ok(!validate({ version: '0.2', run: {}, results: {} }), 'a report without run.uid must fail');
});

test('llm-d v0.2: one YAML and one JSON per load point, named as llm-d names them, valid against its schema', async () => {
  const validate = validator('br_v0_2_json_schema.json');
  for (const results of [closed, open]) {
    const summary = readJson(path.join(results, 'summary.json'));
    const out = await exportTo(results, 'llm-d-v0.2');
    const yamls = fs.readdirSync(out).filter((f) => f.endsWith('.yaml')).sort();
    assert.equal(yamls.length, summary.runs.length);
    for (const f of yamls) assert.match(f, /^benchmark_report_v0\.2,_inferbench_.+\.yaml$/);
    for (const [i, point] of summary.runs.entries()) {
      const slug = point.load.mode === 'open' ? `rate-${point.load.rate}` : `concurrency-${point.load.concurrency}`;
      const base = path.join(out, `benchmark_report_v0.2,_inferbench_${slug}`);
      const report = readYaml(`${base}.yaml`);
      assert.deepEqual(report, readJson(`${base}.json`), 'YAML and JSON differ');
      assert.ok(validate(report), `${base}.yaml: ${JSON.stringify(validate.errors)}`);
      assert.equal(report.version, '0.2');
      // Units from llm-d's allowed set, and the ones its check_units wants per field.
      const agg = report.results.request_performance.aggregate;
      const units = [];
      JSON.stringify(report, (k, v) => { if (k === 'units') units.push(v); return v; });
      for (const u of units) assert.ok(UNITS.has(u), u);
      assert.equal(agg.latency.time_to_first_token.units, 'ms');
      assert.equal(agg.latency.request_latency.units, 'ms');
      for (const k of ['time_per_output_token', 'inter_token_latency', 'normalized_time_per_output_token']) assert.equal(agg.latency[k].units, 'ms/token');
      assert.equal(agg.throughput.request_rate.units, 'queries/s');
      assert.equal(agg.throughput.output_token_rate.units, 'tokens/s');
      // The numbers are the summary's.
      assert.ok(close(agg.latency.time_to_first_token.mean, point.latency.ttft_ms.mean));
      assert.ok(close(agg.latency.time_to_first_token.p99, point.latency.ttft_ms.p99));
      assert.ok(close(agg.latency.time_per_output_token.p50, point.latency.tpot_ms.p50));
      assert.ok(close(agg.latency.inter_token_latency.p99p9, point.latency.itl_ms.p99_9));
      assert.ok(close(agg.latency.request_latency.max, point.latency.e2e_ms.max));
      assert.ok(close(agg.throughput.output_token_rate.mean, point.throughput.output_tokens_per_s));
      assert.ok(close(agg.throughput.request_rate.mean, point.throughput.requests_per_s));
      assert.equal(agg.requests.total, point.requests.completed + point.requests.failed);
      assert.equal(agg.requests.failures, point.requests.failed);
      // The stack's role is from llm-d's enum, and load.standardized has its required fields.
      assert.equal(report.scenario.stack[0].standardized.role, 'replica');
      const load = report.scenario.load.standardized;
      for (const k of ['tool', 'tool_version', 'source', 'input_seq_len']) assert.ok(k in load, k);
      assert.equal(load.stage, i);
      if (point.load.mode === 'open') {
        assert.equal(load.rate_qps, point.load.rate);
        assert.deepEqual(load.prefix, { prefix_len: { distribution: 'fixed', value: 20 }, num_groups: 2, num_users_per_group: 3, num_prefixes: 1 });
      } else {
        assert.equal(load.concurrency, point.load.concurrency);
      }
    }
  }
});

test('llm-d v0.1: valid against its schema', async () => {
  const validate = validator('br_v0_1_json_schema.json');
  const summary = readJson(path.join(closed, 'summary.json'));
  const out = await exportTo(closed, 'llm-d-v0.1');
  const files = fs.readdirSync(out).filter((f) => f.endsWith('.yaml'));
  assert.equal(files.length, summary.runs.length);
  for (const f of files) {
    assert.match(f, /^benchmark_report,_inferbench_.+\.yaml$/);
    const report = readYaml(path.join(out, f));
    assert.ok(validate(report), `${f}: ${JSON.stringify(validate.errors)}`);
  }
});

test('vLLM bench serve JSON: vLLM\'s keys, numbers equal to the summary', async () => {
  for (const results of [closed, open]) {
    const summary = readJson(path.join(results, 'summary.json'));
    const out = await exportTo(results, 'vllm');
    const files = fs.readdirSync(out).sort();
    assert.equal(files.length, summary.runs.length);
    for (const point of summary.runs) {
      const name = point.load.mode === 'open'
        ? `inferbench-${point.load.rate}qps-${summary.config.target.model.split('/').pop()}.json`
        : `inferbench-infqps-concurrency${point.load.concurrency}-${summary.config.target.model.split('/').pop()}.json`;
      const v = readJson(path.join(out, name));
      for (const k of ['date', 'endpoint_type', 'backend', 'label', 'model_id', 'tokenizer_id', 'num_prompts', 'request_rate',
        'burstiness', 'max_concurrency', 'duration', 'completed', 'failed', 'total_input_tokens', 'total_output_tokens',
        'request_throughput', 'request_goodput', 'output_throughput', 'total_token_throughput', 'max_output_tokens_per_s',
        'max_concurrent_requests']) assert.ok(k in v, k);
      const pairs = { ttft: 'ttft_ms', tpot: 'tpot_ms', itl: 'itl_ms', e2el: 'e2e_ms' };
      for (const [m, ours] of Object.entries(pairs)) {
        assert.ok(close(v[`mean_${m}_ms`], point.latency[ours].mean), m);
        assert.ok(close(v[`median_${m}_ms`], point.latency[ours].p50), m);
        assert.ok(close(v[`std_${m}_ms`], point.latency[ours].std), m);
        assert.ok(close(v[`p99_${m}_ms`], point.latency[ours].p99), m);
        assert.ok(close(v[`p99.9_${m}_ms`], point.latency[ours].p99_9), m);
      }
      assert.equal(v.completed, point.requests.completed);
      assert.equal(v.total_output_tokens, point.tokens.output);
      assert.ok(close(v.duration, point.duration_s));
      assert.ok(close(v.output_throughput, point.throughput.output_tokens_per_s));
      assert.equal(v.request_rate, point.load.mode === 'open' ? point.load.rate : 'inf');
    }
  }
});

test('LLMPerf _summary.json: LLMPerf\'s keys, in seconds, equal to the summary', async () => {
  const summary = readJson(path.join(closed, 'summary.json'));
  const out = await exportTo(closed, 'llmperf');
  for (const point of summary.runs) {
    const dir = path.join(out, `concurrency-${point.load.concurrency}`);
    const files = fs.readdirSync(dir).sort();
    assert.equal(files.length, 2);
    assert.match(files[0], /_individual_responses\.json$/);
    assert.match(files[1], /_summary\.json$/);
    const s = readJson(path.join(dir, files[1]));
    assert.equal(s.version, '2023-08-31');
    for (const m of ['inter_token_latency_s', 'ttft_s', 'end_to_end_latency_s', 'request_output_throughput_token_per_s',
      'number_input_tokens', 'number_output_tokens']) {
      for (const stat of ['quantiles_p25', 'quantiles_p50', 'quantiles_p75', 'quantiles_p90', 'quantiles_p95', 'quantiles_p99', 'mean', 'min', 'max', 'stddev']) {
        assert.ok(`results_${m}_${stat}` in s, `results_${m}_${stat}`);
      }
    }
    assert.ok(close(s.results_ttft_s_mean, point.latency.ttft_ms.mean / 1000));
    assert.ok(close(s.results_ttft_s_quantiles_p99, point.latency.ttft_ms.p99 / 1000));
    assert.ok(close(s.results_end_to_end_latency_s_max, point.latency.e2e_ms.max / 1000));
    assert.ok(close(s.results_inter_token_latency_s_quantiles_p50, point.latency.ntpot_ms.p50 / 1000));
    const n = point.latency.ttft_ms.count;
    assert.ok(close(s.results_ttft_s_stddev, point.latency.ttft_ms.std * Math.sqrt(n / (n - 1)) / 1000));
    assert.equal(s.results_num_completed_requests, point.requests.completed);
    assert.equal(s.results_number_errors, point.requests.failed);
    assert.ok(close(s.results_mean_output_throughput_token_per_s, point.throughput.output_tokens_per_s));
    assert.ok(close(s.results_num_completed_requests_per_min, point.requests.completed / point.duration_s * 60));
    assert.equal(s.num_concurrent_requests, point.load.concurrency);
  }
});

test('LLMPerf _individual_responses.json: one per measured request, LLMPerf\'s keys, equal to requests.jsonl', async () => {
  const summary = readJson(path.join(closed, 'summary.json'));
  const out = await exportTo(closed, 'llmperf');
  const lines = fs.readFileSync(path.join(closed, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const [i, point] of summary.runs.entries()) {
    const dir = path.join(out, `concurrency-${point.load.concurrency}`);
    const file = fs.readdirSync(dir).find((f) => f.endsWith('_individual_responses.json'));
    const responses = readJson(path.join(dir, file));
    const mine = lines.filter((l) => l.load_point === i && !l.warmup);
    assert.equal(responses.length, mine.length);
    assert.equal(responses.length, point.requests.completed + point.requests.failed);
    for (const [k, r] of responses.entries()) {
      assert.deepEqual(Object.keys(r).sort(), ['end_to_end_latency_s', 'error_code', 'error_msg', 'inter_token_latency_s',
        'number_input_tokens', 'number_output_tokens', 'number_total_tokens', 'request_output_throughput_token_per_s', 'ttft_s']);
      const l = mine[k];
      assert.equal(r.error_code, null);
      assert.ok(close(r.ttft_s, l.ttft_ms / 1000));
      assert.ok(close(r.end_to_end_latency_s, l.e2e_ms / 1000));
      assert.ok(close(r.inter_token_latency_s, l.ntpot_ms / 1000));
      assert.ok(close(r.request_output_throughput_token_per_s, l.output_tokens / (l.e2e_ms / 1000)));
      assert.equal(r.number_total_tokens, l.input_tokens + l.output_tokens);
    }
  }
});

function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; } else cell += c;
  }
  return rows;
}

test('CSV: one row per load point, the summary\'s numbers', async () => {
  const summary = readJson(path.join(closed, 'summary.json'));
  const out = await exportTo(closed, 'csv');
  const rows = parseCsv(fs.readFileSync(path.join(out, 'load_points.csv'), 'utf8'));
  const [header, ...body] = rows;
  assert.equal(body.length, summary.runs.length);
  const col = (name) => header.indexOf(name);
  for (const [i, point] of summary.runs.entries()) {
    assert.ok(close(Number(body[i][col('latency.ttft_ms.p99')]), point.latency.ttft_ms.p99));
    assert.ok(close(Number(body[i][col('throughput.output_tokens_per_s')]), point.throughput.output_tokens_per_s));
    assert.equal(Number(body[i][col('requests.completed')]), point.requests.completed);
    assert.equal(body[i][col('load_point')], `concurrency ${point.load.concurrency}`);
  }
  // requests.csv: one row per line of requests.jsonl, its scalar fields as columns.
  const lines = fs.readFileSync(path.join(closed, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const [rh, ...rb] = parseCsv(fs.readFileSync(path.join(out, 'requests.csv'), 'utf8'));
  assert.equal(rb.length, lines.length);
  assert.ok(!rh.includes('chunk_ns'));  // lists are not columns
  for (const [i, l] of lines.entries()) {
    assert.equal(Number(rb[i][rh.indexOf('id')]), l.id);
    assert.ok(close(Number(rb[i][rh.indexOf('ttft_ms')]), l.ttft_ms));
    assert.equal(rb[i][rh.indexOf('ok')], String(l.ok));
  }
});

test('run --export writes the formats beside the results', async () => {
  const dir = path.join(tmp, 'run-export');
  const r = await run(['run', ...SIM, '--concurrency', '1', '--num-requests', '3', '--output', dir, '--export', 'llm-d-v0.2', '--export', 'vllm']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(fs.readdirSync(path.join(dir, 'exports', 'llm-d-v0.2')).some((f) => f.startsWith('benchmark_report_v0.2,_')));
  assert.equal(fs.readdirSync(path.join(dir, 'exports', 'vllm')).length, 1);
});

test('hostile input: one-line errors and exit 2', async () => {
  const bad = await run(['export', closed, '--format', 'parquet', '--output', path.join(tmp, 'x')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid --format 'parquet'/);
  const missing = await run(['export', path.join(tmp, 'nope'), '--format', 'csv', '--output', path.join(tmp, 'y')]);
  assert.equal(missing.code, 2);
  const corruptDir = path.join(tmp, 'corrupt');
  fs.mkdirSync(corruptDir);
  fs.writeFileSync(path.join(corruptDir, 'summary.json'), Buffer.from([0xff, 0xfe, 0x7b]));
  const corrupt = await run(['export', corruptDir, '--format', 'vllm', '--output', path.join(tmp, 'z')]);
  assert.equal(corrupt.code, 2);
  assert.match(corrupt.stderr, /not valid JSON/);
  const badRun = await run(['run', ...SIM, '--output', path.join(tmp, 'w'), '--export', 'bogus']);
  assert.equal(badRun.code, 2);
  const noOutput = await run(['run', ...SIM, '--export', 'vllm']);
  assert.equal(noOutput.code, 2);
  assert.match(noOutput.stderr, /needs --output/);
});
