/**
 * Names are bytes on Linux, not always UTF-8 (a Latin-1 `caf\xe9.txt`). Inside the engine every
 * name is a string: valid UTF-8 decodes as usual, and each byte that is not part of valid UTF-8 is
 * carried as the lone surrogate U+DC80..U+DCFF (Python's "surrogateescape"). JSON keeps lone
 * surrogates as `\udcXX`, so trees store such names losslessly, and `fsPath` turns them back into
 * the exact bytes for the file system.
 */

/** Decodes file-system bytes to the engine's string, losslessly. */
export function nameFromBytes(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  if (!text.includes('\ufffd') || Buffer.from(text, 'utf8').equals(bytes)) {
    return text;
  }
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length > 0) {
      out += bytes.toString('utf8', i, i + length);
      i += length;
    } else {
      out += String.fromCharCode(0xdc00 + bytes[i]);
      i++;
    }
  }
  return out;
}

/** The length of the valid UTF-8 sequence at `i`, or 0 when the byte there starts none. */
function sequenceLength(bytes: Buffer, i: number): number {
  const b = bytes[i];
  if (b < 0x80) {
    return 1;
  }
  const [length, min, max] =
    b >= 0xc2 && b <= 0xdf
      ? [2, 0x80, 0xbf]
      : b === 0xe0
        ? [3, 0xa0, 0xbf]
        : b === 0xed
          ? [3, 0x80, 0x9f] // no UTF-16 surrogates
          : b >= 0xe1 && b <= 0xef
            ? [3, 0x80, 0xbf]
            : b === 0xf0
              ? [4, 0x90, 0xbf]
              : b >= 0xf1 && b <= 0xf3
                ? [4, 0x80, 0xbf]
                : b === 0xf4
                  ? [4, 0x80, 0x8f]
                  : [0, 0, 0];
  if (length === 0 || i + length > bytes.length) {
    return 0;
  }
  if (bytes[i + 1] < min || bytes[i + 1] > max) {
    return 0;
  }
  for (let k = 2; k < length; k++) {
    if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) {
      return 0;
    }
  }
  return length;
}

const ESCAPED = /[\udc80-\udcff]/;

/** The exact bytes of an engine string. */
export function bytesOfName(name: string): Buffer {
  if (!ESCAPED.test(name)) {
    return Buffer.from(name, 'utf8');
  }
  const parts: Buffer[] = [];
  for (const char of name) {
    const code = char.charCodeAt(0);
    parts.push(
      char.length === 1 && code >= 0xdc80 && code <= 0xdcff
        ? Buffer.from([code - 0xdc00])
        : Buffer.from(char, 'utf8')
    );
  }
  return Buffer.concat(parts);
}

/** A path for the file system: the string itself, or its bytes when it carries escaped bytes. */
export function fsPath(path: string): string | Buffer {
  return ESCAPED.test(path) ? bytesOfName(path) : path;
}
