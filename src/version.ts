// Skein's version, read once from package.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, rel), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'skein' && pkg.version) return pkg.version;
    } catch {
      // try the next location (src/ under ts-jest, dist/src/ when built)
    }
  }
  return '0.0.0';
}

export const SKEIN_VERSION = readVersion();
