import { describe, expect, it } from 'vitest';
import { failureReason, taskLogLines } from '../../../engine/ha/task-log';

describe('task log lines', () => {
  it('emits whole lines across chunk borders, drops blank ones, ends an unfinished last line', () => {
    const got: string[] = [];
    const t = taskLogLines((l) => got.push(l));
    t.push('2026-12-01 10:00:00 starting mig');
    expect(got).toEqual([]);
    t.push('ration of VM 103\r\n\n2026-12-01 10:00:01 copying');
    expect(got).toEqual(['2026-12-01 10:00:00 starting migration of VM 103']);
    t.end();
    expect(got).toEqual(['2026-12-01 10:00:00 starting migration of VM 103', '2026-12-01 10:00:01 copying']);
  });

  it("says why a migration failed from qemu-server's last ERROR line, else the last line", () => {
    expect(
      failureReason([
        '2026-12-01 10:00:00 starting migration',
        '2026-12-01 10:00:02 ERROR: online migrate failure - lost',
        '2026-12-01 10:00:02 aborting phase 2 - cleanup resources',
        '2026-12-01 10:00:03 ERROR: migration aborted (duration 00:00:03): online migrate failure - lost',
      ]),
    ).toBe('migration aborted (duration 00:00:03): online migrate failure - lost');
    expect(failureReason(['migration aborted'])).toBe('migration aborted');
    expect(failureReason([])).toBe(null);
  });
});
