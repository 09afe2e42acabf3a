/**
 * zstd through long-lived streams (repository/zstd-streams.ts), on Node.js 22 (zlib's zstd; the
 * suite's own Node.js may be older): many blobs at once, of every kind, each comes out as one frame
 * that decodes alone to exactly its blob and names its size (so that it decodes in one pass), and a
 * frame cut short or run on is never taken as whole.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const NODE22: string = require('../../scripts/node22-path');
const LIB = join(__dirname, '..', 'lib', 'repository', 'zstd-streams.js');

const SCRIPT = `
const zlib = require('node:zlib');
const { randomBytes } = require('node:crypto');
const { zstdCompressor, wholeZstdFrame } = require(process.argv[1]);
const whole = f => wholeZstdFrame(f) !== undefined;
// The frame header's content size: in the field the descriptor's top bits size, or in one byte
// when the frame is a single segment.
const sized = f => f[4] >> 6 > 0 || ((f[4] >> 5) & 1) === 1;
const compress = zstdCompressor(3);
const blobs = [];
for (let i = 0; i < 120; i++) {
  const size = [200, 5000, 70000, 300000, 3000000][i % 5];
  blobs.push(i % 3 === 0 ? randomBytes(size) : Buffer.from(('cell ' + i + ' ').repeat(size / 5 + 1)).subarray(0, size));
}
(async () => {
  // Random bytes are stored raw: 10 bytes of frame header (a 2-byte content size) and block
  // header, then the bytes. This frame fills zlib's 64 KiB output buffer exactly, and zlib then
  // asks zstd again.
  const exact = randomBytes(65536 - 10);
  const exactFrame = await zstdCompressor(1)(exact).catch(e => e);
  const frames = await Promise.all(blobs.map(b => compress(b)));
  const out = {
    decoded: frames.filter((f, i) => zlib.zstdDecompressSync(f).equals(blobs[i])).length,
    whole: frames.filter(whole).length,
    sized: frames.filter(sized).length,
    cut: frames.filter(f => whole(f.subarray(0, f.length - 1))).length,
    runOn: frames.filter(f => whole(Buffer.concat([f, f.subarray(0, 3)]))).length,
    twoFrames: whole(Buffer.concat([frames[1], frames[2]])),
    notZstd: whole(randomBytes(100)),
    exactFill: exactFrame instanceof Error ? exactFrame.message : zlib.zstdDecompressSync(exactFrame).equals(exact),
    exactLength: exactFrame.length
  };
  console.log(JSON.stringify(out));
})();
`;

it('compresses blobs in parallel, one whole frame each, decoded alone (an exact fill too)', () => {
  const r = spawnSync(NODE22, ['-e', SCRIPT, LIB], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual({
    decoded: 120,
    whole: 120,
    sized: 120,
    cut: 0,
    runOn: 0,
    twoFrames: false,
    notZstd: false,
    exactFill: true,
    exactLength: 65536
  });
});
