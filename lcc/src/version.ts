import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package version, read once from lcc/package.json (one level above both src/ and lib/). */
export const VERSION: string = JSON.parse(
  readFileSync(join(__dirname, '..', 'package.json'), 'utf8')
).version;
