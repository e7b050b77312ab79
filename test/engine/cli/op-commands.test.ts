/**
 * The cluster commands (`create`, `join`, `remove`, `qdevice`, `link`, `preflight`) print the same
 * bytes and exit codes as when they called `engine/ops` themselves: every scenario below was run on
 * the pre-move tree and its stdout, stderr and exit code stored in fixtures/op-commands.golden.json.
 * Each command is a fresh service (as a fresh process is), so the sequence also covers resuming and
 * rolling back an operation another process left unfinished. Over a small in-memory world of three
 * machines whose corosync answers `cat corosync.conf` and `corosync-quorumtool -s`; every other
 * command fails, so runs stop at their first step (the lab files run the real thing).
 * When ops changes a plan on purpose, capture again (`QUORATE_CAPTURE_GOLDEN=1 npx vitest run --project
 * unit test/engine/cli/op-commands.test.ts`, then prettier) and review the fixture's diff.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runCreateCommand,
  runJoinCommand,
  runLinkCommand,
  runPreflightCommand,
  runQdeviceCommand,
  runRemoveCommand,
} from '../../../engine/cli/cluster-commands';
import type { CliIo } from '../../../engine/cli/io';
import type { OpsContext } from '../../../engine/ops/operations';
import { saveCluster } from '../../../engine/ops/registry.fs';
import { membership, world } from './op-world';

const goldenPath = join(import.meta.dirname, 'fixtures', 'op-commands.golden.json');

type Command = (argv: string[], io: CliIo, deps: { ctx: OpsContext }) => Promise<number>;

/** In order: later ones see what earlier ones left (a journal, a registry). */
const scenarios: [string, Command, string[], (keyof typeof membership)?, RegExp?][] = [
  ['remove unknown cluster --json', runRemoveCommand, ['nope', '--node', 'node3', '--json']],
  ['remove unknown cluster (text)', runRemoveCommand, ['nope', '--node', 'node3']],
  ['remove online node --json', runRemoveCommand, ['lab', '--node', 'node3', '--json']],
  [
    'remove --force --plan --json',
    runRemoveCommand,
    ['lab', '--node', 'node3', '--force', '--plan', '--json'],
    'node3-off',
  ],
  ['remove --force --plan (text)', runRemoveCommand, ['lab', '--node', 'node3', '--force', '--plan'], 'node3-off'],
  [
    'remove --rollback with nothing unfinished',
    runRemoveCommand,
    ['lab', '--node', 'node3', '--rollback', '--json'],
    'node3-off',
  ],
  ['qdevice setup --plan --json', runQdeviceCommand, ['setup', 'lab', '--host', 'q1', '--yes', '--plan', '--json']],
  ['qdevice setup --plan (text)', runQdeviceCommand, ['setup', 'lab', '--host', 'q1', '--yes', '--plan']],
  [
    'qdevice setup with a node off --json',
    runQdeviceCommand,
    ['setup', 'lab', '--host', 'q1', '--yes', '--json'],
    'node3-off',
  ],
  ['qdevice setup odd count --json', runQdeviceCommand, ['setup', 'lab', '--host', 'q1', '--json']],
  ['qdevice remove without one --plan --json', runQdeviceCommand, ['remove', 'lab', '--plan', '--json']],
  ['qdevice remove without one (text)', runQdeviceCommand, ['remove', 'lab']],
  ['link --plan --json', runLinkCommand, ['lab', '--link1', '198.18.8.0/24', '--plan', '--json']],
  ['link (text)', runLinkCommand, ['lab', '--link1', '198.18.8.0/24']],
  ['preflight --json', runPreflightCommand, ['m1', 'm2', '--link0', '198.18.9.0/24', '--json']],
  ['preflight (text)', runPreflightCommand, ['m1', 'm2']],
  ['create --plan --json', runCreateCommand, ['beta', '--node', 'm4', '--node', 'm5', '--plan', '--json']],
  ['create existing name --json', runCreateCommand, ['lab', '--node', 'm4', '--json']],
  ['create (text)', runCreateCommand, ['beta', '--node', 'm4', '--node', 'm5']],
  ['join --plan --json', runJoinCommand, ['lab', '--node', 'm4', '--plan', '--json']],
  ['join (text)', runJoinCommand, ['lab', '--node', 'm4']],
  [
    'remove --force runs and stops --json',
    runRemoveCommand,
    ['lab', '--node', 'node3', '--force', '--json'],
    'node3-off',
    /corosync-cfgtool -R/,
  ],
  [
    'remove --force again resumes --json',
    runRemoveCommand,
    ['lab', '--node', 'node3', '--force', '--json'],
    'node3-off',
    /corosync-cfgtool -R/,
  ],
  [
    'remove another node while one is unfinished',
    runRemoveCommand,
    ['lab', '--node', 'node2', '--force', '--json'],
    'node3-off',
  ],
  ['qdevice remove while a remove is unfinished', runQdeviceCommand, ['remove', 'lab', '--json']],
  [
    'remove --rollback from another process --json',
    runRemoveCommand,
    ['lab', '--node', 'node3', '--rollback', '--json'],
    'node3-off',
    /^$/,
  ],
  ['remove --rollback again (text)', runRemoveCommand, ['lab', '--node', 'node3', '--rollback'], 'node3-off'],
  ['remove --force runs through (text)', runRemoveCommand, ['lab', '--node', 'node3', '--force'], 'node3-off', /^$/],
  [
    'remove --force once more: nothing left of node3',
    runRemoveCommand,
    ['lab', '--node', 'node3', '--force', '--json'],
    'node3-off',
    /^$/,
  ],
];

/** stderr without the step progress lines (`… m1: title`, `done        m1: title`, indented output). */
const withoutProgress = (stderr: string): string =>
  stderr
    .split('\n')
    .filter((l) => !/^(… |(running|done|failed|skipped|rolled-back)\s+\S+: | {12})/.test(l))
    .join('\n');

interface Seen {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly commands: readonly string[];
}

describe('cluster commands print what they printed before they became service clients', () => {
  let home: string;
  const seen: Record<string, Seen> = {};
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'quorate-opcmd-'));
    await saveCluster({ name: 'lab', provider: 'corosync', nodes: { node1: 'm1', node2: 'm2', node3: 'm3' } }, home);
  });
  afterAll(() => {
    if (process.env.QUORATE_CAPTURE_GOLDEN) {
      writeFileSync(goldenPath, `${JSON.stringify(seen, null, 2)}\n`);
    }
    rmSync(home, { recursive: true, force: true });
  });
  const golden = process.env.QUORATE_CAPTURE_GOLDEN
    ? {}
    : (JSON.parse(readFileSync(goldenPath, 'utf8')) as Record<string, Seen>);

  for (const [title, command, argv, members, fails] of scenarios) {
    it(title, async () => {
      let stdout = '';
      let stderr = '';
      const commands: string[] = [];
      const io: CliIo = {
        stdout: (t) => {
          stdout += t;
        },
        stderr: (t) => {
          stderr += t;
        },
        readStdin: async () => '',
      };
      const code = await command(argv, io, { ctx: world(home, commands, members ?? 'all', fails) });
      const now = { code, stdout, stderr, commands };
      seen[title] = now;
      if (!process.env.QUORATE_CAPTURE_GOLDEN) {
        const was = golden[title]!;
        expect({ code: now.code, stdout: now.stdout }).toEqual({ code: was.code, stdout: was.stdout });
        // Text-mode errors, hints and warnings go to stderr too; progress lines beside them may vary.
        expect(withoutProgress(now.stderr)).toBe(withoutProgress(was.stderr));
        // Machines are asked in parallel where ops does so: the same commands, in any order.
        expect([...now.commands].sort()).toEqual([...was.commands].sort());
      }
    });
  }
});
