// SPDX-License-Identifier: MIT
// The Node peer of the teach benchmark: the official `openai` SDK asking
// an OpenAI-compatible server for one chat completion per prompt record,
// with at most CONCURRENCY requests in flight, streaming the prompts from
// a JSON Lines file and writing completion records to stdout, as
// dss-teach does (minus the cache).  Retries are off so that every
// request is counted once.  The SDK is installed at bench time into
// build/bench/node, where bench/30-teach.sh copies this file to run it.
//
// usage: node teach-node.mjs BASE_URL PROMPTS.jsonl CONCURRENCY
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import OpenAI from 'openai';

const [baseURL, file, concArg] = process.argv.slice(2);
const conc = Number(concArg);
const model = 'bench';
const client = new OpenAI({ baseURL, apiKey: 'bench', maxRetries: 0,
	timeout: 120000 });

let inflight = 0;
let done = 0;
let failed = 0;
let wake = null;

function release() {
	inflight--;
	if (wake) {
		const w = wake;
		wake = null;
		w();
	}
}

async function one(rec) {
	try {
		const r = await client.chat.completions.create({
			model, messages: rec.messages, max_tokens: 64,
			temperature: 0 });
		const c = r.choices[0];
		process.stdout.write(JSON.stringify({
			dataset: rec.dataset, split: rec.split, id: rec.id,
			index: rec.index, input: rec.input, label: rec.label,
			fields: rec.fields, teacher: 'openai:' + model, sample: 0,
			completion: c.message.content,
			finish_reason: c.finish_reason,
			usage: { prompt_tokens: r.usage.prompt_tokens,
				completion_tokens: r.usage.completion_tokens },
		}) + '\n');
		done++;
	} catch (e) {
		if (++failed <= 3)
			console.error('teach-node: ' + String(e));
	}
	release();
}

const rl = createInterface({ input: createReadStream(file),
	crlfDelay: Infinity });
for await (const line of rl) {
	if (!line)
		continue;
	while (inflight >= conc)
		await new Promise((r) => { wake = r; });
	inflight++;
	one(JSON.parse(line));
}
while (inflight > 0)
	await new Promise((r) => { wake = r; });
console.error(`teach-node: ${done} done, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
