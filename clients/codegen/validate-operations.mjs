// Validates each extracted .graphql document against the schema with
// graphql-js (the same rules codegen applies), naming the file and the README
// line of every error: codegen's own messages name neither.
//
// Usage: node validate-operations.mjs SCHEMA.graphql OPS_DIR
// Exits 1 when any document fails to parse or validate.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, parse, validate } from 'graphql';

const [schemaPath, opsDir] = process.argv.slice(2);
if (!schemaPath || !opsDir) {
  console.error('usage: node validate-operations.mjs SCHEMA.graphql OPS_DIR');
  process.exit(2);
}

const schema = buildSchema(readFileSync(schemaPath, 'utf8'));
let failed = 0;
const files = readdirSync(opsDir).filter((f) => f.endsWith('.graphql')).sort();
for (const file of files) {
  const text = readFileSync(join(opsDir, file), 'utf8');
  // The extractor's first line reads "... line N (graphql block K) ...": the
  // fence is on line N, so document line L is README line N + L - 1.
  const m = /line (\d+) \(graphql block (\d+)\)/.exec(text.split('\n', 1)[0]);
  const where = (loc) => (m && loc ? `README line ${Number(m[1]) + loc.line - 1}` : loc ? `line ${loc.line}` : '');
  let errors;
  try {
    errors = validate(schema, parse(text));
  } catch (err) {
    errors = [err];
  }
  if (errors.length === 0) {
    console.log(`ok     ${file}`);
    continue;
  }
  failed++;
  console.log(`FAILED ${file}${m ? ` (README block ${m[2]})` : ''}`);
  for (const e of errors) console.log(`       ${where(e.locations?.[0])}: ${e.message}`);
}
console.log(`${files.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
