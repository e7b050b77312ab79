/** The executor's per-machine gate for the commands of steps that run at once (a batch). */
import type { CommandRunner } from '../ssh/runner';

/**
 * Commands at once on one machine: a batch reads one source for every node (a certificate, the
 * authkey), and sshd allows 10 sessions per connection by default (MaxSessions).
 */
export const PER_MACHINE = 4;

export function limitPerMachine(
  runnerFor: (machine: string) => CommandRunner | undefined,
): (machine: string) => CommandRunner | undefined {
  const limited = new Map<string, CommandRunner>();
  return (machine) => {
    const have = limited.get(machine);
    if (have) {
      return have;
    }
    const runner = runnerFor(machine);
    if (!runner) {
      return undefined;
    }
    let active = 0;
    const waiting: (() => void)[] = [];
    const gate = async <T>(fn: () => Promise<T>): Promise<T> => {
      if (active >= PER_MACHINE) {
        // The slot is handed over by the command that ends (see finally).
        await new Promise<void>((res) => waiting.push(res));
      } else {
        active++;
      }
      try {
        return await fn();
      } finally {
        const next = waiting.shift();
        if (next) {
          next();
        } else {
          active--;
        }
      }
    };
    const wrapped: CommandRunner = {
      label: runner.label,
      run: (command, o) => gate(() => runner.run(command, o)),
      upload: (path, data, mode) => gate(() => runner.upload(path, data, mode)),
      close: () => runner.close(),
    };
    limited.set(machine, wrapped);
    return wrapped;
  };
}
