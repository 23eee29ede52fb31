// A test double of an MLflow tracking server (REST API 2.0 plus the mlflow-artifacts proxy),
// for inferbench's conformance tests: no MLflow server can be installed on the build machines
// (no Debian package; the npm "mlflow" package is a client).
//
// It implements the endpoints inferbench uses and ENFORCES what a real server enforces, so a
// client that breaks a rule fails here as it would there. Sources (mlflow/mlflow):
// - limits and key rules: mlflow/utils/validation.py (MAX_METRICS_PER_BATCH 1000,
//   MAX_PARAMS_TAGS_PER_BATCH 100, MAX_ENTITIES_PER_BATCH 1000, MAX_BATCH_LOG_REQUEST_SIZE 1e6,
//   MAX_ENTITY_KEY_LENGTH 250, MAX_PARAM_VAL_LENGTH 6000, MAX_TAG_VAL_LENGTH 5000,
//   MAX_EXPERIMENT_NAME_LENGTH 500, _VALID_PARAM_AND_METRIC_NAMES ^[/\w.\- ]*$, path_not_unique,
//   _validate_param_keys_unique). Over-long param and tag VALUES are refused here, as a server
//   with MLFLOW_TRUNCATE_LONG_VALUES=false does: the client must truncate them itself (with a
//   warning, as MLflow's Python client does), so the test proves it does.
// - error codes and statuses: mlflow/exceptions.py ERROR_CODE_TO_HTTP_STATUS
//   (INVALID_PARAMETER_VALUE, RESOURCE_ALREADY_EXISTS, BAD_REQUEST -> 400;
//   RESOURCE_DOES_NOT_EXIST, ENDPOINT_NOT_FOUND -> 404), body {"error_code", "message"}.
// - deleted experiments (mlflow/store/tracking/sqlalchemy_store.py and file_store.py): deleting
//   only tombstones (lifecycle_stage "deleted"); get-by-name still returns it; create with its
//   name -> RESOURCE_ALREADY_EXISTS ("already exists in deleted state"); runs/create under it ->
//   INVALID_PARAMETER_VALUE ("must be in the 'active' state"); restore of an active experiment
//   -> INVALID_PARAMETER_VALUE.
// - params are immutable (a different value for a logged key -> INVALID_PARAMETER_VALUE);
//   tags are overwritten; a metric identical in (key, value, timestamp, step) to a stored one
//   is stored once (the metrics table's primary key in the SQL store).
// - metric values must be numbers (JSON has no NaN/Infinity: a client must not send them),
//   timestamps non-negative integers.
// - artifact proxy: PUT /api/2.0/mlflow-artifacts/artifacts/<path> stores the raw body; a
//   path with ".." or starting with "/" is refused (mlflow/server/handlers.py
//   validate_path_is_safe).
//
// Test controls (not MLflow): GET /_test/state, POST /_test/fault {status, count, path?}
// (the next `count` requests whose path contains `path` get `status`), POST /_test/drop
// {count} (the next `count` requests get their connection closed without a response),
// POST /_test/clear (no more faults), POST /_test/delete-experiment {name}. Options: auth {bearer} or {username, password} (401
// without it), artifactScheme ("mlflow-artifacts" or e.g. "s3" for a server without the proxy).
//
// Run alone: node fake_mlflow_server.mjs [port]  (prints "listening on PORT").
import http from 'node:http';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const LIMITS = {
  metricsPerBatch: 1000, paramsTagsPerBatch: 100, entitiesPerBatch: 1000, batchBytes: 1e6,
  keyLength: 250, paramValue: 6000, tagValue: 5000, experimentName: 500,
};
const STATUS = {
  INVALID_PARAMETER_VALUE: 400, RESOURCE_ALREADY_EXISTS: 400, BAD_REQUEST: 400,
  RESOURCE_DOES_NOT_EXIST: 404, ENDPOINT_NOT_FOUND: 404, UNAUTHENTICATED: 401,
  INTERNAL_ERROR: 500, TEMPORARILY_UNAVAILABLE: 503, REQUEST_LIMIT_EXCEEDED: 429,
};

class MlflowError extends Error {
  constructor(code, message) { super(message); this.code = code; }
}
const fail = (code, message) => { throw new MlflowError(code, message); };

// _VALID_PARAM_AND_METRIC_NAMES with Python's Unicode \w, then path_not_unique.
function validateKey(kind, key) {
  if (typeof key !== 'string') fail('INVALID_PARAMETER_VALUE', `${kind} name cannot be None. A key name must be provided.`);
  if (!/^[/\p{L}\p{N}_.\- ]*$/u.test(key)) {
    fail('INVALID_PARAMETER_VALUE', `Invalid ${kind.toLowerCase()} name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).`);
  }
  const norm = normpath(key);
  if (norm !== key || norm === '.' || norm.startsWith('..') || norm.startsWith('/')) {
    fail('INVALID_PARAMETER_VALUE', `Invalid ${kind.toLowerCase()} name: '${key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'`);
  }
  if ([...key].length > LIMITS.keyLength) {
    fail('INVALID_PARAMETER_VALUE', `${kind} name '${key.slice(0, 250)}' had length ${[...key].length}, which exceeded length limit of ${LIMITS.keyLength}`);
  }
}

// posixpath.normpath
function normpath(p) {
  if (p === '') return '.';
  const initial = p.startsWith('/') ? (p.startsWith('//') && !p.startsWith('///') ? 2 : 1) : 0;
  const out = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg !== '..' || (!initial && out.length === 0) || (out.length && out[out.length - 1] === '..')) out.push(seg);
    else if (out.length) out.pop();
  }
  const body = out.join('/');
  const result = '/'.repeat(initial) + body;
  return result || '.';
}

function validateLength(kind, value, limit) {
  if (typeof value !== 'string') fail('INVALID_PARAMETER_VALUE', `${kind} must be a string`);
  const n = [...value].length;
  if (n > limit) fail('INVALID_PARAMETER_VALUE', `${kind} '${value.slice(0, 250)}' had length ${n}, which exceeded length limit of ${limit}`);
}

export function startServer(options = {}) {
  const state = {
    experiments: new Map(),  // id -> {experiment_id, name, lifecycle_stage, artifact_location}
    runs: new Map(),         // id -> {info, params: Map, tags: Map, metrics: []}
    artifacts: new Map(),    // path -> Buffer
    requests: [],            // {method, path, status} of every request, faults included
    logBatchBodies: [],      // sizes and counts of accepted log-batch requests
    nextExperiment: 1,
  };
  state.experiments.set('0', { experiment_id: '0', name: 'Default', lifecycle_stage: 'active', artifact_location: 'mlflow-artifacts:/0' });
  const faults = [];  // {status, count, path}
  let drops = 0;
  const scheme = options.artifactScheme ?? 'mlflow-artifacts';

  const experimentByName = (name) => [...state.experiments.values()].find((e) => e.name === name);
  const needRun = (id) => {
    const run = state.runs.get(id);
    if (!run) fail('RESOURCE_DOES_NOT_EXIST', `Run with id=${id} not found`);
    return run;
  };
  const needActiveRun = (id) => {
    const run = needRun(id);
    if (run.info.lifecycle_stage !== 'active') fail('INVALID_PARAMETER_VALUE', `The run ${id} must be in the 'active' state. Current state is ${run.info.lifecycle_stage}.`);
    return run;
  };
  const runJson = (run) => ({
    info: run.info,
    data: {
      params: [...run.params].map(([key, value]) => ({ key, value })),
      tags: [...run.tags].map(([key, value]) => ({ key, value })),
      metrics: latestMetrics(run),
    },
  });
  const latestMetrics = (run) => {
    const latest = new Map();
    for (const m of run.metrics) {
      const cur = latest.get(m.key);
      if (!cur || m.step > cur.step || (m.step === cur.step && m.timestamp >= cur.timestamp)) latest.set(m.key, m);
    }
    return [...latest.values()];
  };

  const api = {
    'GET experiments/get-by-name': (q) => {
      const name = q.get('experiment_name');
      if (!name) fail('INVALID_PARAMETER_VALUE', "Missing value for required parameter 'experiment_name'.");
      const e = experimentByName(name);
      if (!e) fail('RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
      return { experiment: e };
    },
    'GET experiments/get': (q) => {
      const e = state.experiments.get(q.get('experiment_id'));
      if (!e) fail('RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${q.get('experiment_id')} exists`);
      return { experiment: e };
    },
    'POST experiments/create': (_, body) => {
      const name = body.name;
      if (typeof name !== 'string' || name === '') fail('INVALID_PARAMETER_VALUE', `Invalid experiment name: '${name}'`);
      if ([...name].length > LIMITS.experimentName) fail('INVALID_PARAMETER_VALUE', `Experiment name exceeds the maximum length of ${LIMITS.experimentName} characters`);
      const existing = experimentByName(name);
      if (existing) {
        if (existing.lifecycle_stage === 'deleted') {
          fail('RESOURCE_ALREADY_EXISTS', `Experiment '${name}' already exists in deleted state. You can restore the experiment, or permanently delete the experiment from the .trash folder (under tracking server's root folder) in order to use this experiment name again.`);
        }
        fail('RESOURCE_ALREADY_EXISTS', `Experiment(name=${name}) already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: experiments.name`);
      }
      const id = String(state.nextExperiment++);
      state.experiments.set(id, { experiment_id: id, name, lifecycle_stage: 'active', artifact_location: `${scheme}:/${id}` });
      return { experiment_id: id };
    },
    'POST experiments/delete': (_, body) => {
      const e = state.experiments.get(String(body.experiment_id));
      if (!e) fail('RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${body.experiment_id} exists`);
      e.lifecycle_stage = 'deleted';
      for (const run of state.runs.values()) if (run.info.experiment_id === e.experiment_id) run.info.lifecycle_stage = 'deleted';
      return {};
    },
    'POST experiments/restore': (_, body) => {
      const e = state.experiments.get(String(body.experiment_id));
      if (!e) fail('RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${body.experiment_id} exists`);
      if (e.lifecycle_stage !== 'deleted') fail('INVALID_PARAMETER_VALUE', 'Cannot restore an active experiment.');
      e.lifecycle_stage = 'active';
      for (const run of state.runs.values()) if (run.info.experiment_id === e.experiment_id) run.info.lifecycle_stage = 'active';
      return {};
    },
    'POST runs/create': (_, body) => {
      const e = state.experiments.get(String(body.experiment_id));
      if (!e) fail('RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${body.experiment_id} exists`);
      if (e.lifecycle_stage !== 'active') fail('INVALID_PARAMETER_VALUE', `The experiment ${e.experiment_id} must be in the 'active' state. Current state is ${e.lifecycle_stage}.`);
      if (body.start_time !== undefined && (!Number.isInteger(body.start_time) || body.start_time < 0)) fail('INVALID_PARAMETER_VALUE', 'start_time must be a non-negative integer');
      const tags = new Map();
      for (const t of body.tags ?? []) {
        validateKey('Tag', t.key);
        validateLength('Tag value', t.value, LIMITS.tagValue);
        tags.set(t.key, t.value);
      }
      const id = crypto.randomBytes(16).toString('hex');
      const runName = body.run_name ?? tags.get('mlflow.runName') ?? `run-${id.slice(0, 6)}`;
      tags.set('mlflow.runName', runName);
      const info = {
        run_id: id, run_uuid: id, run_name: runName, experiment_id: e.experiment_id, status: 'RUNNING',
        start_time: body.start_time ?? Date.now(), artifact_uri: `${e.artifact_location}/${id}/artifacts`, lifecycle_stage: 'active',
      };
      state.runs.set(id, { info, params: new Map(), tags, metrics: [] });
      return { run: runJson(state.runs.get(id)) };
    },
    'GET runs/get': (q) => ({ run: runJson(needRun(q.get('run_id'))) }),
    'POST runs/delete': (_, body) => { needRun(body.run_id).info.lifecycle_stage = 'deleted'; return {}; },
    'POST runs/update': (_, body) => {
      const run = needActiveRun(body.run_id);
      if (body.status && !['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'].includes(body.status)) fail('INVALID_PARAMETER_VALUE', `Invalid status ${body.status}`);
      if (body.status) run.info.status = body.status;
      if (body.end_time !== undefined) run.info.end_time = body.end_time;
      return { run_info: run.info };
    },
    'POST runs/search': (_, body) => {
      const ids = (body.experiment_ids ?? []).map(String);
      const runs = [...state.runs.values()].filter((r) => ids.includes(r.info.experiment_id) && r.info.lifecycle_stage === 'active');
      return runs.length ? { runs: runs.map(runJson) } : {};
    },
    'POST runs/log-batch': (_, body, raw) => {
      const metrics = body.metrics ?? [];
      const params = body.params ?? [];
      const tags = body.tags ?? [];
      if (raw.length > LIMITS.batchBytes) fail('INVALID_PARAMETER_VALUE', `Batched logging API requests must be at most ${LIMITS.batchBytes} bytes, got a request of size ${raw.length}.`);
      const limit = (name, max, n) => {
        if (n > max) fail('INVALID_PARAMETER_VALUE', `A batch logging request can contain at most ${max} ${name}. Got ${n} ${name}. Please split up ${name} across multiple requests and try again.`);
      };
      limit('metrics', LIMITS.metricsPerBatch, metrics.length);
      limit('params', LIMITS.paramsTagsPerBatch, params.length);
      limit('tags', LIMITS.paramsTagsPerBatch, tags.length);
      limit('metrics, params, and tags', LIMITS.entitiesPerBatch, metrics.length + params.length + tags.length);
      const run = needActiveRun(body.run_id);
      for (const m of metrics) {
        validateKey('Metric', m.key);
        if (typeof m.value !== 'number') fail('INVALID_PARAMETER_VALUE', `Got invalid value ${m.value} for metric '${m.key}' (timestamp=${m.timestamp}). Please specify value as a valid double (64-bit floating point)`);
        if (!Number.isInteger(m.timestamp) || m.timestamp < 0) fail('INVALID_PARAMETER_VALUE', `Got invalid timestamp ${m.timestamp} for metric '${m.key}' (value=${m.value}). Timestamp must be a nonnegative long (64-bit integer) `);
        if (m.step !== undefined && !Number.isInteger(m.step)) fail('INVALID_PARAMETER_VALUE', `Got invalid step ${m.step} for metric '${m.key}' (value=${m.value}). Step must be a valid long (64-bit integer).`);
      }
      const seen = new Set();
      for (const p of params) {
        validateKey('Param', p.key);
        validateLength('Param value', p.value, LIMITS.paramValue);
        if (seen.has(p.key)) fail('INVALID_PARAMETER_VALUE', `Duplicate parameter keys have been submitted: ['${p.key}']. Please ensure the request contains only one param value per param key.`);
        seen.add(p.key);
        if (run.params.has(p.key) && run.params.get(p.key) !== p.value) {
          fail('INVALID_PARAMETER_VALUE', `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${run.params.get(p.key)}' for run ID='${run.info.run_id}'. Attempted logging new value '${p.value}'.`);
        }
      }
      for (const t of tags) {
        validateKey('Tag', t.key);
        validateLength('Tag value', t.value, LIMITS.tagValue);
      }
      for (const p of params) run.params.set(p.key, p.value);
      for (const t of tags) run.tags.set(t.key, t.value);
      for (const m of metrics) {
        const step = m.step ?? 0;
        const dup = run.metrics.some((x) => x.key === m.key && x.value === m.value && x.timestamp === m.timestamp && x.step === step);
        if (!dup) run.metrics.push({ key: m.key, value: m.value, timestamp: m.timestamp, step });
      }
      state.logBatchBodies.push({ bytes: raw.length, metrics: metrics.length, params: params.length, tags: tags.length });
      return {};
    },
  };

  const send = (res, status, obj) => {
    const text = JSON.stringify(obj);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const sendError = (res, code, message) => send(res, STATUS[code] ?? 500, { error_code: code, message });

  const authorized = (req) => {
    if (!options.auth) return true;
    const h = req.headers.authorization ?? '';
    if (options.auth.bearer) return h === `Bearer ${options.auth.bearer}`;
    return h === `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;
  };

  const handle = (req, res, raw) => {
    const url = new URL(req.url, 'http://x');
    const path = url.pathname;
    const record = (status) => state.requests.push({ method: req.method, path, status, authorization: req.headers.authorization ?? null });
    // Test controls.
    if (path.startsWith('/_test/')) {
      const body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
      if (path === '/_test/state') {
        return send(res, 200, {
          experiments: [...state.experiments.values()],
          runs: [...state.runs.values()].map((r) => ({ ...runJson(r), all_metrics: r.metrics })),
          artifacts: Object.fromEntries([...state.artifacts].map(([k, v]) => [k, v.length])),
          requests: state.requests,
          log_batches: state.logBatchBodies,
        });
      }
      if (path === '/_test/fault') { faults.push({ status: body.status, count: body.count ?? 1, path: body.path ?? '' }); return send(res, 200, {}); }
      if (path === '/_test/drop') { drops += body.count ?? 1; return send(res, 200, {}); }
      if (path === '/_test/clear') { faults.length = 0; drops = 0; return send(res, 200, {}); }
      if (path === '/_test/delete-experiment') {
        const e = experimentByName(body.name);
        if (!e) return sendError(res, 'RESOURCE_DOES_NOT_EXIST', 'no such experiment');
        return send(res, 200, api['POST experiments/delete'](null, { experiment_id: e.experiment_id }));
      }
      return sendError(res, 'ENDPOINT_NOT_FOUND', 'no such test control');
    }
    if (drops > 0) { drops--; record('dropped'); req.socket.destroy(); return; }
    const fault = faults.find((f) => f.count > 0 && path.includes(f.path));
    if (fault) {
      fault.count--;
      record(fault.status);
      const code = fault.status === 429 ? 'REQUEST_LIMIT_EXCEEDED' : fault.status === 503 ? 'TEMPORARILY_UNAVAILABLE' : 'INTERNAL_ERROR';
      return send(res, fault.status, { error_code: code, message: 'injected by the test' });
    }
    if (!authorized(req)) { record(401); return sendError(res, 'UNAUTHENTICATED', 'You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.'); }
    try {
      const artifactPrefix = '/api/2.0/mlflow-artifacts/artifacts';
      if (path.startsWith(artifactPrefix)) {
        if (scheme !== 'mlflow-artifacts') fail('ENDPOINT_NOT_FOUND', 'the artifact proxy is not served (mlflow server --no-serve-artifacts)');
        const rel = decodeURIComponent(path.slice(artifactPrefix.length)).replace(/^\//, '');
        if (req.method === 'GET' && rel === '') {
          const dir = url.searchParams.get('path') ?? '';
          const files = [...state.artifacts.keys()].filter((k) => k.startsWith(dir + '/')).map((k) => ({ path: k.slice(dir.length + 1), is_dir: false, file_size: state.artifacts.get(k).length }));
          record(200);
          return send(res, 200, { files });
        }
        if (rel === '' || rel.split('/').some((s) => s === '..' || s === '') || rel.startsWith('/')) fail('INVALID_PARAMETER_VALUE', `Invalid path: ${rel}`);
        if (req.method === 'PUT') { state.artifacts.set(rel, raw); record(200); return send(res, 200, {}); }
        if (req.method === 'GET') {
          if (!state.artifacts.has(rel)) fail('RESOURCE_DOES_NOT_EXIST', `no artifact ${rel}`);
          record(200);
          res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
          return res.end(state.artifacts.get(rel));
        }
      }
      const prefix = '/api/2.0/mlflow/';
      const handler = path.startsWith(prefix) ? api[`${req.method} ${path.slice(prefix.length)}`] : undefined;
      if (!handler) fail('ENDPOINT_NOT_FOUND', `No endpoint ${req.method} ${path}`);
      let body = {};
      if (req.method === 'POST') {
        if ((req.headers['content-type'] ?? '').split(';')[0].trim() !== 'application/json') fail('BAD_REQUEST', 'Content-Type must be application/json');
        try { body = JSON.parse(raw.toString('utf8')); } catch { fail('BAD_REQUEST', 'Malformed JSON body'); }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) fail('BAD_REQUEST', 'the body must be a JSON object');
      }
      const reply = handler(url.searchParams, body, raw);
      record(200);
      return send(res, 200, reply);
    } catch (e) {
      if (!(e instanceof MlflowError)) throw e;
      record(STATUS[e.code] ?? 500);
      return sendError(res, e.code, e.message);
    }
  };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  return new Promise((resolve) => {
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        url: `http://127.0.0.1:${server.address().port}`,
        state,
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
      });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = await startServer({ port: Number(process.argv[2] ?? 0) });
  console.log(`listening on ${s.port}`);
}
