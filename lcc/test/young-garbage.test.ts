/**
 * restore/young-garbage.ts: a young-generation collection on demand frees, at once, what dead
 * Buffers held outside V8's heap (a restore's socket chunks and decoded blobs), in a process with
 * the restore's small young generation and without --expose-gc, on the Node.js 22 the CLI runs on.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const NODE22: string = require('../../scripts/node22-path');
const LIB = join(__dirname, '..', 'lib', 'restore', 'young-garbage.js');

const SCRIPT = `
const { collectYoungGarbage } = require(process.argv[1]);
const MiB = 1024 * 1024;
const held = () => process.memoryUsage().arrayBuffers / MiB;
const base = held();
// Eight decoded blobs of 1 MiB: too little for V8 to collect on its own, so only the call frees them.
function decode() {
  const blobs = [];
  for (let i = 0; i < 8; i++) blobs.push(Buffer.allocUnsafe(MiB));
  return blobs.length;
}
decode();
const before = held() - base;
collectYoungGarbage();
// V8 frees what the collection found dead on a thread of its own, a moment later; on a busy machine
// that moment can be long. The script waits for it, blocked (no JavaScript runs, nothing is
// allocated, so nothing but that collection frees the blobs: without the call they stay held),
// looking every 5 ms for up to 10 s.
const cell = new Int32Array(new SharedArrayBuffer(4));
const deadline = Date.now() + 10000;
let after;
while ((after = held() - base) > 1 && Date.now() < deadline) Atomics.wait(cell, 0, 0, 5);
console.log(JSON.stringify({ before: Math.round(before), after: Math.round(after), gc: typeof gc }));
`;

it('frees the external memory of dead Buffers when asked, with no --expose-gc', () => {
  const r = spawnSync(NODE22, ['--max-semi-space-size=1', '-e', SCRIPT, LIB], {
    encoding: 'utf8'
  });
  expect(r.stderr).toBe('');
  const out = JSON.parse(r.stdout);
  expect(out.before).toBe(8);
  expect(out.after).toBeLessThanOrEqual(1);
  // The script's own global is untouched: gc was taken from a context of its own.
  expect(out.gc).toBe('undefined');
});
