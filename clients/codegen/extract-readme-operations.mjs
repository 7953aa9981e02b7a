// Extracts every ```graphql fenced block of a Markdown file into .graphql
// documents that GraphQL Code Generator can read.
//
// Usage: node extract-readme-operations.mjs README.md OUT_DIR
//
// Each block becomes OUT_DIR/block-NN.graphql (NN: the block's order in the
// file), headed by a comment naming the README line it starts on. Blocks are
// classified with graphql-js's parser:
//   - a block that does not parse is written as it is, so that codegen reports
//     the syntax error against it;
//   - a block of SDL only (type system definitions) or of fragments only is
//     skipped (it is not an operation a client sends);
//   - every anonymous operation is given a name, ReadmeBlockNN (ReadmeBlockNNa,
//     ReadmeBlockNNb, ... when the block holds several operations), inserted
//     into the text and nothing else changed: the client preset skips anonymous
//     operations (it generates no types for them), and a block listing several
//     anonymous operations, one per line to be sent one at a time, would break
//     the "lone anonymous operation" rule as one document.
// A summary of what was written, renamed and skipped goes to stdout, and as
// JSON to OUT_DIR/extraction.json.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse } from 'graphql';

const [readmePath, outDir] = process.argv.slice(2);
if (!readmePath || !outDir) {
  console.error('usage: node extract-readme-operations.mjs README.md OUT_DIR');
  process.exit(2);
}

const lines = readFileSync(readmePath, 'utf8').split('\n');
const blocks = [];
for (let i = 0; i < lines.length; i++) {
  const open = /^(\s*)(`{3,}|~{3,})\s*graphql\s*$/i.exec(lines[i]);
  if (!open) continue;
  const fence = open[2];
  const body = [];
  let j = i + 1;
  for (; j < lines.length && !new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(lines[j]); j++) body.push(lines[j]);
  blocks.push({ index: blocks.length + 1, startLine: i + 1, bodyLine: i + 2, text: body.join('\n') + '\n' });
  i = j;
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const pad = (n) => String(n).padStart(2, '0');
const summary = [];
const header = (b, extra = '') =>
  `# Extracted from ${readmePath} line ${b.startLine} (graphql block ${b.index})${extra}. Generated: do not edit.\n`;

for (const b of blocks) {
  const base = `block-${pad(b.index)}`;
  let doc;
  try {
    doc = parse(b.text, { noLocation: false });
  } catch (err) {
    const file = `${base}.graphql`;
    writeFileSync(join(outDir, file), header(b) + b.text);
    summary.push({ block: b.index, line: b.startLine, action: 'written (does not parse)', files: [file], error: err.message });
    continue;
  }
  const defs = doc.definitions;
  const ops = defs.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const frags = defs.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  if (ops.length === 0) {
    const what = frags.length === defs.length ? 'fragments only' : 'SDL / type system definitions';
    summary.push({ block: b.index, line: b.startLine, action: `skipped (${what})`, files: [] });
    continue;
  }
  // Name anonymous operations, editing from the end so earlier offsets hold.
  let text = b.text;
  const named = [];
  ops.forEach((op, k) => (op.generatedName = op.name ? undefined : `ReadmeBlock${pad(b.index)}${ops.length > 1 ? String.fromCharCode(97 + k) : ''}`));
  for (const op of [...ops].reverse()) {
    if (!op.generatedName) continue;
    const at = op.loc.start;
    const shorthand = text[at] === '{';
    text = shorthand
      ? `${text.slice(0, at)}query ${op.generatedName} ${text.slice(at)}`
      : `${text.slice(0, at + op.operation.length)} ${op.generatedName}${text.slice(at + op.operation.length)}`;
    const line = b.bodyLine + b.text.slice(0, at).split('\n').length - 1;
    named.unshift(`${op.generatedName} (line ${line}, ${op.operation})`);
  }
  const file = `${base}.graphql`;
  writeFileSync(join(outDir, file), header(b) + text);
  summary.push({ block: b.index, line: b.startLine, action: named.length ? `written, anonymous operation(s) named ${named.join(', ')}` : 'written', files: [file], named });
}

writeFileSync(join(outDir, 'extraction.json'), JSON.stringify({ readme: readmePath, blocks: summary }, null, 2) + '\n');
console.log(`${blocks.length} graphql block(s) in ${readmePath}:`);
for (const s of summary) {
  console.log(`  block ${pad(s.block)} (line ${s.line}): ${s.action}${s.files.length ? ' -> ' + s.files.join(', ') : ''}${s.error ? ': ' + s.error : ''}`);
}
