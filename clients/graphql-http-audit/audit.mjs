// Runs every graphql-http server audit (GraphQL over HTTP spec conformance)
// against one endpoint, prints each result, and exits 1 when any MUST or
// SHOULD audit is not 'ok' (MAY audits are printed but never fail the run).
//
// Usage: node audit.mjs URL [--json FILE]
//   URL          the GraphQL endpoint, e.g. http://127.0.0.1:8080/graphql
//   --json FILE  also write all results (with response status and body) as JSON
//
// Uses Node's built-in fetch (Node >= 20).
import { writeFileSync } from 'node:fs';
import { serverAudits } from 'graphql-http';

const args = process.argv.slice(2);
let url;
let jsonFile;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--json') jsonFile = args[++i];
  else if (!url) url = args[i];
  else {
    console.error(`unexpected argument: ${args[i]}`);
    process.exit(2);
  }
}
if (!url) {
  console.error('usage: node audit.mjs URL [--json FILE]');
  process.exit(2);
}

const BODY_LIMIT = 500;

async function describeResponse(res) {
  if (!res) return undefined;
  let body;
  try {
    // The audit may already have read the body; a clone fails then.
    body = await res.clone().text();
  } catch {
    body = undefined;
  }
  try {
    if (res.body && !res.bodyUsed) await res.body.cancel();
  } catch {
    /* ignore */
  }
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: body === undefined ? undefined : body.length > BODY_LIMIT ? body.slice(0, BODY_LIMIT) + '…' : body,
  };
}

const audits = serverAudits({ url, fetchFn: fetch });
const results = [];
for (const audit of audits) {
  const level = audit.name.split(' ', 1)[0]; // MUST | SHOULD | MAY
  let result;
  try {
    result = await audit.fn();
  } catch (err) {
    // The audit library throws only on fatal errors (e.g. connection refused).
    result = { id: audit.id, name: audit.name, status: 'error', reason: `audit threw: ${err?.stack ?? err}` };
  }
  const entry = {
    id: audit.id,
    level,
    name: audit.name,
    status: result.status,
    reason: result.status === 'ok' ? undefined : result.reason,
    response: result.status === 'ok' ? undefined : await describeResponse(result.response),
  };
  if (result.status === 'ok' && result.response) await describeResponse(result.response);
  results.push(entry);

  const line = `[${entry.status.toUpperCase().padEnd(6)}] ${entry.id}  ${entry.name}`;
  console.log(line);
  if (entry.status !== 'ok') {
    console.log(`         reason: ${entry.reason}`);
    if (entry.response) {
      console.log(`         response: HTTP ${entry.response.status} (${entry.response.contentType ?? 'no content-type'})`);
      if (entry.response.body !== undefined) console.log(`         body: ${entry.response.body.replace(/\n/g, '\\n')}`);
    }
  }
}

const failing = results.filter((r) => r.status !== 'ok' && (r.level === 'MUST' || r.level === 'SHOULD'));
const counts = {};
for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;

console.log('');
console.log(`graphql-http server audit of ${url}: ${results.length} audits, ` +
  Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', '));
if (failing.length) {
  console.log(`${failing.length} MUST/SHOULD audit(s) not ok:`);
  for (const r of failing) console.log(`  ${r.id} [${r.status}] ${r.name}: ${r.reason}`);
}
const mayNotOk = results.filter((r) => r.status !== 'ok' && r.level === 'MAY');
if (mayNotOk.length) console.log(`${mayNotOk.length} MAY audit(s) not ok (informational, do not fail the run)`);
console.log(`${results.length - failing.length} passed, ${failing.length} failed`);

if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ url, results }, null, 2) + '\n');
process.exit(failing.length ? 1 : 0);
