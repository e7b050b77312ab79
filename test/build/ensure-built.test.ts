import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingParts } from '../../build/ensure-built.js';

describe('build on first use', () => {
  it('names exactly the parts whose output file is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quorate-ensure-'));
    writeFileSync(join(dir, 'index.html'), '<html>');
    expect(missingParts({ renderer: join(dir, 'index.html'), agent: join(dir, 'quorate-agent.cjs') })).toEqual([
      'agent',
    ]);
  });
});
