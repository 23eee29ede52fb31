// MLflow conformance of `inferbench run --mlflow-uri` and `inferbench log-mlflow` against
// fake_mlflow_server.mjs (which enforces MLflow's limits, error codes and deleted-experiment
// behaviour: see its header), and, when MLFLOW_TEST_URI is set, against that real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './fake_mlflow_server.mjs';

const BIN = process.env.INFERBENCH ?? 'build/src/app/inferbench';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inferbench-mlflow-'));
// Few retries, short backoff: the outage tests would otherwise wait for MLflow's defaults.
const FAST = { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '3', MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.02' };
const SIM = ['--concurrency', '1,2', '--num-requests', '4', '--input-tokens', '16', '--output-tokens', '8',
  '--sim-ttft-ms', '2', '--sim-itl-ms', '1', '--no-server-metrics'];

function run(args, env = {}) {
  const clean = { ...process.env };
  for (const k of Object.keys(clean)) if (k.startsWith('MLFLOW_')) delete clean[k];
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { ...clean, ...FAST, ...env }, timeout: 60000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
    });
  });
}
const post = (url, body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
const state = async (server) => (await fetch(`${server.url}/_test/state`)).json();
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const metric = (r, key) => r.data.metrics.find((m) => m.key === key)?.value;
const param = (r, key) => r.data.params.find((p) => p.key === key)?.value;
const tag = (r, key) => r.data.tags.find((t) => t.key === key)?.value;
const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

let results;  // a results directory made once by a short run against the built-in simulator
const copyResults = (name) => {
  const dir = path.join(tmp, name);
  fs.cpSync(results, dir, { recursive: true });
  fs.rmSync(path.join(dir, 'mlflow.json'), { force: true });
  return dir;
};
const runsOf = (s, experimentName) => {
  const e = s.experiments.find((x) => x.name === experimentName);
  return e ? s.runs.filter((r) => r.info.experiment_id === e.experiment_id) : [];
};

before(async () => {
  results = path.join(tmp, 'base');
  const r = await run(['run', ...SIM, '--output', results]);
  assert.equal(r.code, 0, r.stderr);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('run --mlflow-uri: a parent run and one nested run per load point, with the summary as metrics', async () => {
  const server = await startServer();
  try {
    const dir = path.join(tmp, 'run-upload');
    const r = await run(['run', ...SIM, '--output', dir, '--mlflow-uri', server.url, '--experiment', 'conformance', '--run-name', 'bench']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /MLflow: uploaded to experiment 'conformance'/);
    const summary = readJson(path.join(dir, 'summary.json'));
    const s = await state(server);
    const runs = runsOf(s, 'conformance');
    assert.equal(runs.length, 3);
    const parent = runs.find((x) => tag(x, 'mlflow.parentRunId') === undefined);
    const children = runs.filter((x) => tag(x, 'mlflow.parentRunId') === parent.info.run_id);
    assert.equal(children.length, 2);
    assert.equal(parent.info.run_name, 'bench');
    assert.equal(parent.info.status, 'FINISHED');
    assert.deepEqual(JSON.parse(param(parent, 'load.concurrency')), [1, 2]);
    assert.equal(tag(parent, 'endpoint.host'), 'built-in simulator');
    assert.equal(tag(parent, 'inferbench.version'), summary.version);
    for (const [i, point] of summary.runs.entries()) {
      const child = children.find((c) => Number(param(c, 'point.concurrency')) === point.load.concurrency);
      assert.ok(child, `no run for load point ${i}`);
      assert.equal(child.info.status, 'FINISHED');
      assert.ok(close(metric(child, 'time_to_first_token.avg'), point.latency.ttft_ms.mean));
      assert.ok(close(metric(child, 'time_to_first_token.p99'), point.latency.ttft_ms.p99));
      assert.ok(close(metric(child, 'inter_token_latency.p50'), point.latency.tpot_ms.p50));
      assert.ok(close(metric(child, 'request_latency.max'), point.latency.e2e_ms.max));
      assert.ok(close(metric(child, 'output_tokens_per_second'), point.throughput.output_tokens_per_s));
      assert.ok(close(metric(child, 'requests_per_minute'), point.throughput.requests_per_s * 60));
      assert.ok(close(metric(child, 'overall_output_throughput'), point.throughput.output_tokens_per_s));
      assert.ok(close(metric(child, 'requests_per_second'), point.throughput.requests_per_s));
      assert.ok(close(metric(child, 'input_tokens_per_second'), point.throughput.input_tokens_per_s));
      assert.ok(close(metric(child, 'total_tokens_per_second'), point.throughput.total_tokens_per_s));
      assert.ok(close(metric(child, 'elapsed_time'), point.duration_s));
      assert.equal(metric(child, 'total_input_tokens'), point.tokens.input);
      assert.equal(metric(child, 'total_output_tokens'), point.tokens.output);
      assert.ok(close(metric(child, 'results_ttft_s_mean'), point.latency.ttft_ms.mean / 1000));
      assert.ok(close(metric(child, 'results_end_to_end_latency_s_quantiles_p95'), point.latency.e2e_ms.p95 / 1000));
      assert.equal(metric(child, 'results_num_completed_requests'), point.requests.completed);
      // Only numbers: no metric was sent for a null statistic.
      for (const m of child.all_metrics) assert.equal(typeof m.value, 'number');
    }
    const artifactRoot = parent.info.artifact_uri.replace('mlflow-artifacts:/', '');
    for (const f of ['summary.json', 'summary.csv', 'requests.jsonl']) {
      assert.equal(s.artifacts[`${artifactRoot}/${f}`], fs.statSync(path.join(dir, f)).size, f);
    }
    const record = readJson(path.join(dir, 'mlflow.json')).uploads[0];
    assert.equal(record.complete, true);
    assert.equal(record.parent_run_id, parent.info.run_id);

    // The same results again: no second run.
    const again = await run(['log-mlflow', dir, '--mlflow-uri', server.url, '--experiment', 'conformance']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /already in experiment 'conformance'/);
    assert.equal(runsOf(await state(server), 'conformance').length, 3);
  } finally {
    await server.close();
  }
});

test('MLflow unreachable: the run completes, keeps its results and a note; log-mlflow uploads them later', async () => {
  const probe = await startServer();
  const port = probe.port;
  await probe.close();  // nothing listens there now
  const uri = `http://127.0.0.1:${port}`;
  const dir = path.join(tmp, 'outage');
  const r = await run(['run', ...SIM, '--output', dir, '--mlflow-uri', uri]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /MLflow: upload failed/);
  assert.match(r.stderr, new RegExp(`inferbench log-mlflow ${dir}`));
  assert.ok(fs.existsSync(path.join(dir, 'summary.json')));
  const note = readJson(path.join(dir, 'mlflow.json')).uploads[0];
  assert.equal(note.complete, false);
  assert.ok(note.last_error.length > 0);

  const server = await startServer({ port });
  try {
    const later = await run(['log-mlflow', dir], { MLFLOW_TRACKING_URI: uri });
    assert.equal(later.code, 0, later.stderr);
    assert.equal(runsOf(await state(server), 'inferbench').length, 3);
    assert.equal(readJson(path.join(dir, 'mlflow.json')).uploads[0].complete, true);
  } finally {
    await server.close();
  }
});

test('429, 5xx and dropped connections are retried with backoff, without duplicate runs', async () => {
  const server = await startServer();
  try {
    await post(`${server.url}/_test/fault`, { status: 429, count: 2, path: 'runs/create' });
    await post(`${server.url}/_test/fault`, { status: 503, count: 1, path: 'log-batch' });
    await post(`${server.url}/_test/fault`, { status: 502, count: 1, path: 'mlflow-artifacts' });
    await post(`${server.url}/_test/drop`, { count: 1 });
    const dir = copyResults('retries');
    const r = await run(['log-mlflow', dir, '--mlflow-uri', server.url]);
    assert.equal(r.code, 0, r.stderr);
    const s = await state(server);
    assert.equal(runsOf(s, 'inferbench').length, 3);
    const statuses = s.requests.map((x) => x.status);
    for (const st of ['dropped', 429, 503, 502]) assert.ok(statuses.includes(st), `no ${st} in ${statuses}`);
  } finally {
    await server.close();
  }
});

test('Ctrl-C while an upload waits to retry ends it at once, the results left for log-mlflow', async () => {
  const server = await startServer();
  try {
    await post(`${server.url}/_test/fault`, { status: 503, count: 1000, path: 'runs/create' });
    const dir = path.join(tmp, 'ctrl-c-upload');
    const clean = { ...process.env };
    for (const k of Object.keys(clean)) if (k.startsWith('MLFLOW_')) delete clean[k];
    // MLflow's default retries (5) with a 2 s backoff factor: about a minute of waiting without Ctrl-C.
    const child = spawn(BIN, ['run', ...SIM, '--no-history', '--output', dir, '--mlflow-uri', server.url],
      { env: { ...clean, MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '2' } });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait for the upload's first refused attempt, then interrupt its backoff.
    for (let i = 0; i < 200 && !(await state(server)).requests.some((x) => x.status === 503); ++i) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const interrupted = Date.now();
    child.kill('SIGINT');
    const code = await exited;
    assert.ok(Date.now() - interrupted < 2000, `took ${Date.now() - interrupted} ms after SIGINT`);
    // The load had ended: the results are whole, and a failed upload never fails the run.
    assert.equal(code, 0, stderr);
    assert.match(stderr, /1 attempt failed \(no more retries after Ctrl-C\)/);
    assert.match(stderr, /inferbench log-mlflow/);
    assert.ok(fs.existsSync(path.join(dir, 'summary.json')));
  } finally {
    await server.close();
  }
});

test('an upload cut short by errors resumes where it stopped: still one parent and one run per load point', async () => {
  const server = await startServer();
  try {
    const dir = copyResults('resume');
    await post(`${server.url}/_test/fault`, { status: 500, count: 1000, path: 'runs/update' });
    const cut = await run(['log-mlflow', dir, '--mlflow-uri', server.url]);
    assert.equal(cut.code, 1, cut.stderr);
    assert.match(cut.stderr, /4 attempts failed/);
    assert.equal(readJson(path.join(dir, 'mlflow.json')).uploads[0].complete, false);
    await post(`${server.url}/_test/clear`);
    const resumed = await run(['log-mlflow', dir, '--mlflow-uri', server.url]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const runs = runsOf(await state(server), 'inferbench');
    assert.equal(runs.length, 3);
    for (const x of runs) assert.equal(x.info.status, 'FINISHED');
    // Re-sent metrics were stored once each (identical key, value, timestamp and step).
    for (const x of runs) assert.equal(new Set(x.all_metrics.map((m) => m.key)).size, x.all_metrics.length);
  } finally {
    await server.close();
  }
});

test('a deleted experiment: a clear message, or restored with --mlflow-restore-experiment', async () => {
  const server = await startServer();
  try {
    await post(`${server.url}/api/2.0/mlflow/experiments/create`, { name: 'gone' });
    await post(`${server.url}/_test/delete-experiment`, { name: 'gone' });
    const dir = copyResults('deleted');
    const r = await run(['log-mlflow', dir, '--mlflow-uri', server.url, '--experiment', 'gone']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /experiment 'gone' \(id \d+\) is deleted/);
    assert.doesNotMatch(r.stderr, /RESOURCE_ALREADY_EXISTS/);
    const restored = await run(['log-mlflow', dir, '--mlflow-uri', server.url, '--experiment', 'gone', '--mlflow-restore-experiment']);
    assert.equal(restored.code, 0, restored.stderr);
    const s = await state(server);
    assert.equal(s.experiments.find((e) => e.name === 'gone').lifecycle_stage, 'active');
    assert.equal(runsOf(s, 'gone').length, 3);
  } finally {
    await server.close();
  }
});

test('limits: >100 params split, long values truncated with a warning, bad label keys renamed', async () => {
  const server = await startServer();
  try {
    const dir = copyResults('limits');
    const summary = readJson(path.join(dir, 'summary.json'));
    summary.config.labels = {};
    for (let i = 0; i < 150; i++) summary.config.labels[`k${i}`] = `v${i}`;
    summary.config.labels['gpu:shape'] = 'BM.GPU.H100.8';
    summary.config.labels.notes = 'x'.repeat(7000);
    fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary));
    const r = await run(['log-mlflow', dir, '--mlflow-uri', server.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /param 'labels.notes' \(7000 characters\) is truncated to 6000 characters/);
    const s = await state(server);
    const parent = runsOf(s, 'inferbench').find((x) => tag(x, 'mlflow.parentRunId') === undefined);
    assert.equal(param(parent, 'labels.notes').length, 6000);
    assert.equal(param(parent, 'labels.gpu_shape'), 'BM.GPU.H100.8');
    assert.equal(param(parent, 'labels.k149'), 'v149');
    for (const b of s.log_batches) {
      assert.ok(b.params <= 100 && b.tags <= 100 && b.metrics <= 1000 && b.bytes <= 1e6);
    }
  } finally {
    await server.close();
  }
});

test('auth from MLFLOW_TRACKING_TOKEN or USERNAME/PASSWORD, never printed nor stored', async () => {
  const token = 'sekrit-token-123';
  const bearer = await startServer({ auth: { bearer: token } });
  const basic = await startServer({ auth: { username: 'ann', password: 'pw-456' } });
  try {
    const dir = copyResults('auth');
    const denied = await run(['log-mlflow', dir, '--mlflow-uri', bearer.url], { MLFLOW_TRACKING_TOKEN: 'wrong-token' });
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /HTTP 401/);
    assert.doesNotMatch(denied.stderr + denied.stdout, /wrong-token/);
    const ok = await run(['log-mlflow', dir, '--mlflow-uri', bearer.url], { MLFLOW_TRACKING_TOKEN: token });
    assert.equal(ok.code, 0, ok.stderr);
    const ok2 = await run(['log-mlflow', dir, '--mlflow-uri', basic.url], { MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: 'pw-456' });
    assert.equal(ok2.code, 0, ok2.stderr);
    const stored = fs.readFileSync(path.join(dir, 'mlflow.json'), 'utf8');
    for (const secret of [token, 'pw-456']) {
      assert.doesNotMatch(ok.stderr + ok.stdout + ok2.stderr + ok2.stdout + stored, new RegExp(secret));
    }
    assert.equal(runsOf(await state(bearer), 'inferbench').length, 3);
    assert.equal(runsOf(await state(basic), 'inferbench').length, 3);
  } finally {
    await bearer.close();
    await basic.close();
  }
});

test('a server without the artifact proxy: numbers uploaded, artifacts skipped with a warning', async () => {
  const server = await startServer({ artifactScheme: 's3' });
  try {
    const dir = copyResults('no-proxy');
    const r = await run(['log-mlflow', dir, '--mlflow-uri', server.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /artifacts not uploaded/);
    assert.equal(runsOf(await state(server), 'inferbench').length, 3);
  } finally {
    await server.close();
  }
});

test('hostile input: one-line errors and exit 2', async () => {
  const missing = await run(['log-mlflow', path.join(tmp, 'nope'), '--mlflow-uri', 'http://127.0.0.1:1']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no such results directory/);
  const bad = path.join(tmp, 'bad');
  fs.mkdirSync(bad);
  fs.writeFileSync(path.join(bad, 'summary.json'), '{"runs": [');
  const corrupt = await run(['log-mlflow', bad, '--mlflow-uri', 'http://127.0.0.1:1']);
  assert.equal(corrupt.code, 2);
  assert.match(corrupt.stderr, /not valid JSON/);
  const noUri = await run(['log-mlflow', results]);
  assert.equal(noUri.code, 2);
  const badUri = await run(['run', ...SIM, '--output', path.join(tmp, 'x'), '--mlflow-uri', 'ftp://host']);
  assert.equal(badUri.code, 2);
  assert.match(badUri.stderr, /--mlflow-uri/);
  const noOutput = await run(['run', ...SIM, '--mlflow-uri', 'http://127.0.0.1:1']);
  assert.equal(noOutput.code, 2);
  assert.match(noOutput.stderr, /needs --output/);
  const badRetries = await run(['log-mlflow', results, '--mlflow-uri', 'http://127.0.0.1:1'], { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '-3' });
  assert.equal(badRetries.code, 2);
  assert.match(badRetries.stderr, /MLFLOW_HTTP_REQUEST_MAX_RETRIES/);
});


// An experiment of two cells (two load points each, one with two repeats) against the simulator.
const writeExperiment = (name, constants = []) => {
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, [
    `name: ${name}`,
    'constants:',
    ...constants.map((line) => `  ${line}`),
    '  load.concurrency: [1, 2]',
    '  load.num_requests: 4',
    '  workload.input_tokens: 16',
    '  sim.ttft: 2',
    '  sim.itl: 1',
    '  server_metrics.enabled: false',
    'treatments:',
    '  - name: short',
    '    workload.output_tokens: 4',
    '  - name: long',
    '    workload.output_tokens: 8',
    '',
  ].join('\n'));
  return file;
};
// The runs of an experiment as a tree: the experiment's run, each cell's run under it, each load
// point's run under its cell's.
const experimentTree = (runs) => {
  const top = runs.filter((x) => tag(x, 'mlflow.parentRunId') === undefined);
  assert.equal(top.length, 1, `top-level runs: ${top.map((x) => x.info.run_name)}`);
  const under = (id) => runs.filter((x) => tag(x, 'mlflow.parentRunId') === id);
  return { top: top[0], cells: under(top[0].info.run_id).map((c) => ({ run: c, points: under(c.info.run_id) })) };
};

test('experiment: one run for the experiment, each cell nested under it, each load point under its cell', async () => {
  const server = await startServer();
  try {
    const out = path.join(tmp, 'matrix');
    const r = await run(['experiment', writeExperiment('nested', [`mlflow.uri: ${server.url}`]), '--output', out]);
    assert.equal(r.code, 0, r.stderr);
    const s = await state(server);
    const runs = runsOf(s, 'nested');  // the cells' MLflow experiment is named after the experiment
    assert.equal(runs.length, 1 + 2 + 4);
    const tree = experimentTree(runs);
    assert.equal(tree.top.info.run_name, 'nested');
    assert.equal(tree.top.info.status, 'FINISHED');
    assert.equal(tag(tree.top, 'experiment.cells'), '2');
    assert.deepEqual(JSON.parse(param(tree.top, 'experiment.factors')), ['treatment']);
    assert.deepEqual(tree.cells.map((c) => c.run.info.run_name).sort(), ['long', 'short']);
    for (const c of tree.cells) {
      assert.equal(c.run.info.status, 'FINISHED');
      assert.equal(c.points.length, 2, c.run.info.run_name);
      assert.equal(param(c.run, 'labels.cell'), c.run.info.run_name);
      const summary = readJson(path.join(out, c.run.info.run_name, 'summary.json'));
      for (const p of c.points) {
        const point = summary.runs.find((x) => x.load.concurrency === Number(param(p, 'point.concurrency')));
        assert.ok(close(metric(p, 'request_latency.p50'), point.latency.e2e_ms.p50));
      }
    }
    const root = tree.top.info.artifact_uri.replace('mlflow-artifacts:/', '');
    for (const f of ['experiment.csv', 'experiment.json']) {
      assert.equal(s.artifacts[`${root}/${f}`], fs.statSync(path.join(out, f)).size, f);
    }
    // log-mlflow of the experiment's folder adds nothing: every run is recorded beside the results.
    const again = await run(['log-mlflow', out, '--mlflow-uri', server.url]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /reopened run/);
    assert.equal(runsOf(await state(server), 'nested').length, 7);
    assert.equal(experimentTree(runsOf(await state(server), 'nested')).top.info.status, 'FINISHED');
    // The matrix grown by a cell and resumed: the same experiment run, now with three cells.
    const file = writeExperiment('nested', [`mlflow.uri: ${server.url}`]);
    fs.appendFileSync(file, '  - name: extra\n    workload.output_tokens: 6\n');
    const grown = await run(['experiment', file, '--output', out]);
    assert.equal(grown.code, 0, grown.stderr);
    const after = experimentTree(runsOf(await state(server), 'nested'));
    assert.equal(after.top.info.run_id, tree.top.info.run_id);
    assert.equal(tag(after.top, 'experiment.cells'), '3');
    assert.deepEqual(after.cells.map((c) => c.run.info.run_name).sort(), ['extra', 'long', 'short']);
  } finally {
    await server.close();
  }
});

test('experiment with MLflow down: the cells complete; log-mlflow DIR later builds the same tree, once', async () => {
  const probe = await startServer();
  const port = probe.port;
  await probe.close();
  const uri = `http://127.0.0.1:${port}`;
  const out = path.join(tmp, 'matrix-outage');
  const r = await run(['experiment', writeExperiment('later'), '--output', out, '--repeat', '2'], { MLFLOW_TRACKING_URI: uri });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`inferbench log-mlflow ${out}\\n`));
  assert.equal(readJson(path.join(out, 'experiment.json')).cells.length, 4);

  const server = await startServer({ port });
  try {
    const later = await run(['log-mlflow', out], { MLFLOW_TRACKING_URI: uri });
    assert.equal(later.code, 0, later.stderr);
    const runs = runsOf(await state(server), 'later');
    assert.equal(runs.length, 1 + 4 + 8);
    const tree = experimentTree(runs);
    assert.equal(tree.top.info.run_name, 'later');
    assert.equal(tag(tree.top, 'experiment.repeats'), '2');
    assert.deepEqual(tree.cells.map((c) => c.run.info.run_name).sort(),
      ['long repeat-1', 'long repeat-2', 'short repeat-1', 'short repeat-2']);
    for (const c of tree.cells) assert.equal(c.points.length, 2);
    const again = await run(['log-mlflow', out], { MLFLOW_TRACKING_URI: uri });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(runsOf(await state(server), 'later').length, 13);
  } finally {
    await server.close();
  }
});

test('a cell uploaded on its own before is nested under the experiment\'s run when the experiment is uploaded', async () => {
  const server = await startServer();
  try {
    const out = path.join(tmp, 'matrix-late-nest');
    const r = await run(['experiment', writeExperiment('late'), '--output', out]);
    assert.equal(r.code, 0, r.stderr);
    const alone = await run(['log-mlflow', path.join(out, 'short'), '--mlflow-uri', server.url]);
    assert.equal(alone.code, 0, alone.stderr);
    assert.equal(runsOf(await state(server), 'late').length, 3);  // its configured experiment, top-level
    const all = await run(['log-mlflow', out, '--mlflow-uri', server.url]);
    assert.equal(all.code, 0, all.stderr);
    const tree = experimentTree(runsOf(await state(server), 'late'));
    assert.deepEqual(tree.cells.map((c) => c.run.info.run_name).sort(), ['long', 'short']);
    const bad = await run(['log-mlflow', out, '--mlflow-uri', server.url, '--mlflow-parent-run', 'not/an id']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /not an MLflow run id/);
    // A hand-edited experiment.json: one line, exit 2, nothing uploaded.
    const edited = path.join(tmp, 'edited');
    fs.mkdirSync(edited);
    for (const [text, message] of [
      ['{"experiment":"e","repeats":"two","cells":[]}', /'repeats' is not a whole number from 1 to 1000/],
      ['{"experiment":"e","cells":[{"cell":"a","repeat":-3,"status":"done"}]}', /'repeat' is not a whole number/],
      ['{"experiment":"e","cells":[5]}', /a cell that is not an object/],
      ['{"experiment":"e","cells":[{"cell":"../x","status":"done"}]}', /a cell without a plain name/],
      ['{"cells":[]}', /no experiment name/],
      ['\u00ff\u00fe', /is not valid JSON/],
    ]) {
      fs.writeFileSync(path.join(edited, 'experiment.json'), text);
      const r2 = await run(['log-mlflow', edited, '--mlflow-uri', server.url]);
      assert.equal(r2.code, 2, `${text}: ${r2.stderr}`);
      assert.match(r2.stderr, message);
      assert.equal(r2.stderr.trim().split('\n').length, 1, r2.stderr);
    }
  } finally {
    await server.close();
  }
});

test('--mlflow-parent-run: nested under an existing run; a run id the server does not know is warned about, not used', async () => {
  const server = await startServer();
  try {
    const created = await (await post(`${server.url}/api/2.0/mlflow/experiments/create`, { name: 'pipeline' })).json();
    const parent = (await (await post(`${server.url}/api/2.0/mlflow/runs/create`, { experiment_id: created.experiment_id, run_name: 'nightly' })).json()).run.info.run_id;
    const dir = copyResults('parented');
    const r = await run(['log-mlflow', dir, '--mlflow-uri', server.url, '--experiment', 'pipeline', '--mlflow-parent-run', parent]);
    assert.equal(r.code, 0, r.stderr);
    const runs = runsOf(await state(server), 'pipeline');
    const ours = runs.find((x) => x.info.run_id === readJson(path.join(dir, 'mlflow.json')).uploads[0].parent_run_id);
    assert.equal(tag(ours, 'mlflow.parentRunId'), parent);
    assert.equal(runs.filter((x) => tag(x, 'mlflow.parentRunId') === ours.info.run_id).length, 2);

    const stray = copyResults('stray-parent');
    const s2 = await run(['log-mlflow', stray, '--mlflow-uri', server.url, '--experiment', 'pipeline', '--mlflow-parent-run', 'f00d']);
    assert.equal(s2.code, 0, s2.stderr);
    assert.match(s2.stderr, /the parent run f00d does not exist: the run is not nested/);
    const top = runsOf(await state(server), 'pipeline').find((x) => x.info.run_id === readJson(path.join(stray, 'mlflow.json')).uploads[0].parent_run_id);
    assert.equal(tag(top, 'mlflow.parentRunId'), undefined);

    const bad = await run(['run', ...SIM, '--output', path.join(tmp, 'bad-parent'), '--mlflow-uri', server.url, '--mlflow-parent-run', '-x']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--mlflow-parent-run: '-x' is not an MLflow run id/);
  } finally {
    await server.close();
  }
});

test('a real MLflow server (opt-in: MLFLOW_TEST_URI)', { skip: !process.env.MLFLOW_TEST_URI && 'MLFLOW_TEST_URI is not set' }, async () => {
  const uri = process.env.MLFLOW_TEST_URI;
  const experiment = `inferbench-conformance-${Date.now()}`;
  const dir = copyResults('real');
  const auth = {};
  for (const k of ['MLFLOW_TRACKING_TOKEN', 'MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD', 'MLFLOW_TRACKING_INSECURE_TLS']) {
    if (process.env[k]) auth[k] = process.env[k];
  }
  const r = await run(['log-mlflow', dir, '--mlflow-uri', uri, '--experiment', experiment], auth);
  assert.equal(r.code, 0, r.stderr);
  const headers = { 'content-type': 'application/json' };
  if (auth.MLFLOW_TRACKING_TOKEN) headers.authorization = `Bearer ${auth.MLFLOW_TRACKING_TOKEN}`;
  else if (auth.MLFLOW_TRACKING_USERNAME) headers.authorization = `Basic ${Buffer.from(`${auth.MLFLOW_TRACKING_USERNAME}:${auth.MLFLOW_TRACKING_PASSWORD}`).toString('base64')}`;
  const e = await (await fetch(`${uri}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(experiment)}`, { headers })).json();
  const search = async () => (await (await fetch(`${uri}/api/2.0/mlflow/runs/search`, { method: 'POST', headers, body: JSON.stringify({ experiment_ids: [e.experiment.experiment_id], max_results: 100 }) })).json()).runs ?? [];
  const runs = await search();
  assert.equal(runs.length, 3);
  const again = await run(['log-mlflow', dir, '--mlflow-uri', uri, '--experiment', experiment], auth);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((await search()).length, 3);

  // An experiment of two cells: its run, the cells under it, their load points under them.
  const name = `${experiment}-matrix`;
  const out = path.join(tmp, 'real-matrix');
  const m = await run(['experiment', writeExperiment(name), '--output', out], { ...auth, MLFLOW_TRACKING_URI: uri });
  assert.equal(m.code, 0, m.stderr);
  const me = await (await fetch(`${uri}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`, { headers })).json();
  const matrixRuns = (await (await fetch(`${uri}/api/2.0/mlflow/runs/search`, { method: 'POST', headers, body: JSON.stringify({ experiment_ids: [me.experiment.experiment_id], max_results: 100 }) })).json()).runs ?? [];
  assert.equal(matrixRuns.length, 1 + 2 + 4);
  const tree = experimentTree(matrixRuns);
  assert.equal(tree.cells.length, 2);
  for (const c of tree.cells) assert.equal(c.points.length, 2);
});
