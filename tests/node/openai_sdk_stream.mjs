// A client nobody here wrote: the official OpenAI Node SDK talks to `inferbench sim`.
// Usage: node openai_sdk_stream.mjs http://127.0.0.1:PORT
// Exits 0 when every check passes; otherwise prints what differed and exits 1.
import OpenAI from 'openai';
import { VERSION } from 'openai/version';

const base = process.argv[2];
if (!base) {
  console.error('usage: node openai_sdk_stream.mjs <base-url, e.g. http://127.0.0.1:8000>');
  process.exit(2);
}

const failures = [];
function check(ok, what) {
  if (!ok) failures.push(what);
}
const words = (text) => text.split(/\s+/).filter((w) => w.length > 0).length;

// maxRetries 0: a failure must show up as a failure, not be hidden by the SDK's retries.
const client = new OpenAI({ baseURL: base + '/v1', apiKey: 'test', maxRetries: 0, timeout: 20000 });

async function main() {
  // /v1/models: the SDK's page iterator must find exactly the served model.
  const models = [];
  for await (const m of client.models.list()) models.push(m);
  check(models.length === 1, `models.list() returned ${models.length} models, expected 1`);
  const model = models[0]?.id;
  check(typeof model === 'string' && model.length > 0, `model id is ${JSON.stringify(model)}`);

  // Streaming chat completion with the usage chunk.
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'hello world again' }],
    max_tokens: 7,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let usage = null;
  let finish = null;
  let chunks = 0;
  const chunkModels = new Set();
  for await (const chunk of stream) {
    ++chunks;
    chunkModels.add(chunk.model);
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      if (choice.delta?.content) text += choice.delta.content;
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  check(chunks > 1, `chat stream: only ${chunks} chunks arrived`);
  check(words(text) === 7, `chat stream: text has ${words(text)} words, expected 7: ${JSON.stringify(text)}`);
  check(usage !== null, 'chat stream: no usage chunk although include_usage was set');
  check(usage?.completion_tokens === 7, `chat stream: usage.completion_tokens = ${usage?.completion_tokens}, expected 7`);
  check(usage?.prompt_tokens === 3, `chat stream: usage.prompt_tokens = ${usage?.prompt_tokens}, expected 3`);
  check(finish === 'length', `chat stream: finish_reason = ${JSON.stringify(finish)}, expected "length"`);
  check(chunkModels.size === 1 && chunkModels.has(model),
        `chat stream: chunk model ids ${JSON.stringify([...chunkModels])}, /v1/models says ${JSON.stringify(model)}`);

  // Non-streaming chat completion.
  const full = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'hello world again' }],
    max_tokens: 7,
  });
  const fullText = full.choices?.[0]?.message?.content ?? '';
  check(full.model === model, `chat: model ${JSON.stringify(full.model)}, expected ${JSON.stringify(model)}`);
  check(words(fullText) === 7, `chat: text has ${words(fullText)} words, expected 7: ${JSON.stringify(fullText)}`);
  check(full.choices?.[0]?.finish_reason === 'length',
        `chat: finish_reason = ${JSON.stringify(full.choices?.[0]?.finish_reason)}, expected "length"`);
  check(full.usage?.completion_tokens === 7, `chat: usage.completion_tokens = ${full.usage?.completion_tokens}, expected 7`);
  check(full.usage?.prompt_tokens === 3, `chat: usage.prompt_tokens = ${full.usage?.prompt_tokens}, expected 3`);

  // Streaming legacy completion.
  const cstream = await client.completions.create({
    model,
    prompt: 'hello world again',
    max_tokens: 7,
    stream: true,
    stream_options: { include_usage: true },
  });
  let ctext = '';
  let cusage = null;
  let cfinish = null;
  for await (const chunk of cstream) {
    check(chunk.model === model, `completion stream: chunk model ${JSON.stringify(chunk.model)}`);
    if (chunk.usage) cusage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      if (choice.text) ctext += choice.text;
      if (choice.finish_reason) cfinish = choice.finish_reason;
    }
  }
  check(words(ctext) === 7, `completion stream: text has ${words(ctext)} words, expected 7: ${JSON.stringify(ctext)}`);
  check(cfinish === 'length', `completion stream: finish_reason = ${JSON.stringify(cfinish)}, expected "length"`);
  check(cusage?.completion_tokens === 7,
        `completion stream: usage.completion_tokens = ${cusage?.completion_tokens}, expected 7`);
  check(cusage?.prompt_tokens === 3, `completion stream: usage.prompt_tokens = ${cusage?.prompt_tokens}, expected 3`);

  if (failures.length > 0) {
    console.error(`openai_sdk_stream: ${failures.length} check(s) failed against ${base}:`);
    for (const f of failures) console.error('  - ' + f);
    process.exit(1);
  }
  console.log(`openai_sdk_stream: OK (openai SDK ${VERSION}, model ${model}, text ${JSON.stringify(text)})`);
}

main().catch((err) => {
  console.error(`openai_sdk_stream: the SDK failed against ${base}: ${err?.stack ?? err}`);
  process.exit(1);
});
