/**
 * restore/small-file.ts: whether small files are written whole with synchronous calls follows the
 * target's file system. A local one keeps that way on whatever a writer thread reports (its slow
 * average is the disk's writeback); a network one starts without it; one it does not know is
 * judged by the time its files take, as before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fileSystemKind,
  judgeSmallFileWrites,
  smallFileWritesOn,
  turnOffSmallFileWrites
} from '../src/restore/small-file';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'small-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('names file systems by their statfs magic number', () => {
  expect(fileSystemKind(0xef53)).toBe('local');
  expect(fileSystemKind(0x01021994)).toBe('local');
  expect(fileSystemKind(BigInt(0x794c7630))).toBe('local');
  expect(fileSystemKind(0x6969)).toBe('network');
  expect(fileSystemKind(0x65735546)).toBe('network');
  expect(fileSystemKind(0x12345678)).toBe('unknown');
});

it('on a local file system, a slow report from a writer leaves small-file writes on', () => {
  // The suite's temporary folder is on a local disk or tmpfs here (and in CI).
  expect(judgeSmallFileWrites(dir)).toBe('local');
  turnOffSmallFileWrites();
  expect(smallFileWritesOn()).toBe(true);
});

it('judges a target that does not exist yet by its nearest parent, and starts afresh each time', () => {
  expect(judgeSmallFileWrites(join(dir, 'not', 'yet'))).toBe('local');
  expect(smallFileWritesOn()).toBe(true);
  // A target on a file system it does not know: the old timing rule, from nothing.
  expect(judgeSmallFileWrites('/proc/self')).toBe('unknown');
  expect(smallFileWritesOn()).toBe(true);
  turnOffSmallFileWrites();
  expect(smallFileWritesOn()).toBe(false);
  expect(judgeSmallFileWrites(dir)).toBe('local');
  expect(smallFileWritesOn()).toBe(true);
});
