import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { execCommand } from '../../../engine/agent/exec.proc';
import { watchQuorum, type PollExec } from '../../../engine/agent/quorum-watch.proc';

/** Runs a watch for `polls` polls (1 ms apart) and returns the abort-listener count seen at each. */
async function listenerCounts(polls: number, exec: PollExec): Promise<number[]> {
  const controller = new AbortController();
  const counts: number[] = [];
  let n = 0;
  const counting: PollExec = async (file, args, timeoutMs, signal) => {
    if (file === 'corosync-quorumtool') {
      counts.push(getEventListeners(controller.signal, 'abort').length);
      if (++n >= polls) {
        controller.abort();
      }
    }
    return exec(file, args, timeoutMs, signal);
  };
  await watchQuorum({ intervalMs: 1 }, () => {}, controller.signal, Date.now, counting);
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  return counts;
}

describe('quorum.watch runs for months without leaking', () => {
  it('holds no more abort listeners after 300 polls than after the first', async () => {
    const counts = await listenerCounts(300, async () => ({
      stdout: '',
      stderr: 'Cannot initialize CMAP service',
      exitCode: 1,
      notFound: false,
      timedOut: false,
    }));
    expect(counts).toHaveLength(300);
    expect(Math.max(...counts)).toBe(counts[0]);
    expect(counts[299]).toBe(counts[0]);
  });

  it('stays flat with the real execCommand when the tools are missing (Node leaked two per call there)', async () => {
    const counts = await listenerCounts(60, (file, args, timeoutMs, signal) =>
      execCommand(`/nonexistent/quorate-test/${file}`, args, timeoutMs, signal),
    );
    expect(counts[59]).toBe(counts[0]);
    expect(Math.max(...counts)).toBeLessThanOrEqual(counts[0]! + 2);
  });
});

describe('execCommand', () => {
  it('removes its abort listener whatever happened: missing program, exit, abort', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) {
      const r = await execCommand('/nonexistent/quorate-test', [], 1000, controller.signal);
      expect(r.notFound).toBe(true);
    }
    expect((await execCommand('sh', ['-c', 'exit 3'], 1000, controller.signal)).exitCode).toBe(3);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const running = execCommand('sleep', ['10'], 20_000, controller.signal);
    controller.abort();
    const r = await running;
    expect(r.exitCode).toBeNull();
    expect(r.timedOut).toBe(false);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('stops a program that prints more than the cap and says so', async () => {
    const r = await execCommand('sh', ['-c', 'yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'], 20_000);
    expect(r.tooLarge).toBe(true);
    expect(r.exitCode).toBeNull();
  });
});
