// Uploads one file to graph-attach with Node's built-in fetch and FormData.
// Usage: node upload.mjs URL FILE FILENAME CONTENT_TYPE [field=value ...]
// Prints {"status": N, "body": "..."} as JSON on stdout.

import { readFileSync } from 'node:fs';

const [url, path, filename, ctype, ...rest] = process.argv.slice(2);

const form = new FormData();
for (const kv of rest) {
    const i = kv.indexOf('=');
    form.append(kv.slice(0, i), kv.slice(i + 1));
}
form.append('file', new Blob([readFileSync(path)], { type: ctype }), filename);

const r = await fetch(url, { method: 'POST', body: form });
const body = await r.text();
console.log(JSON.stringify({ status: r.status, body }));
