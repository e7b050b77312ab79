/**
 * Runs a built command for real with /bin/sh, in a harmless sandbox: a private mount namespace
 * (`unshare -m`) with tmpfs over /usr/local, /etc/corosync, /var/lib/corosync, /run and /var/log, and
 * every external command the builders use replaced by a recording stub in /usr/local/sbin (first on
 * the PATH the scripts set themselves). Each stub appends its argv to a log and exits 0; `sudo` and
 * `sh` record and then run the rest, so nested shells are exercised too. Nothing outside the
 * namespace changes except files in the sandbox's own temp dir.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const STUBS = [
  'apt-get',
  'arping',
  'cibadmin',
  'crm_attribute',
  'crm_resource',
  'ip',
  'ping',
  'base64',
  'cat',
  'chmod',
  'chown',
  'cmp',
  'corosync',
  'corosync-cfgtool',
  'corosync-keygen',
  'corosync-qdevice',
  'corosync-qdevice-net-certutil',
  'corosync-qdevice-tool',
  'corosync-qnetd',
  'corosync-qnetd-certutil',
  'corosync-qnetd-tool',
  'corosync-quorumtool',
  'cp',
  'cut',
  'date',
  'grep',
  'head',
  'id',
  'mkdir',
  'mv',
  'node',
  'nohup',
  'pkill',
  'probe',
  'pvecm',
  'rm',
  'rmdir',
  'sed',
  'setsid',
  'sha256sum',
  'sleep',
  'sync',
  'systemctl',
  'tail',
  'touch',
  'tr',
];

const RECORD = [
  // One write per record (O_APPEND keeps it whole even when two stubs of a pipeline log at once).
  `r=$(printf '%s' "\${0##*/}"; for a in "$@"; do printf '\\037%s' "$a"; done; printf '\\036x'); r=\${r%x}`,
  `printf '%s' "$r" >> "$QLOG"`,
  // STUB_FAIL="a b": those stubs exit 1 (e.g. "corosync is not running").
  `case " $STUB_FAIL " in *" \${0##*/} "*) exit 1;; esac`,
].join('\n');

export interface Invocation {
  readonly command: string;
  readonly args: readonly string[];
}

export interface SandboxRun {
  readonly invocations: readonly Invocation[];
  readonly exitCode: number | null;
  readonly stderr: string;
}

/** Why the sandbox cannot run here (not root, no unshare), or null. */
export function sandboxUnavailable(): string | null {
  if (process.getuid?.() !== 0) {
    return 'needs root for a private mount namespace (unshare -m)';
  }
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'true']);
  return r.status === 0 ? null : `unshare -m failed: ${r.stderr?.toString().trim() || r.error?.message}`;
}

export class Sandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'quorate-sh-'));
  /** A file every payload tries to create; it must never exist. */
  readonly canary = join(this.dir, 'canary');
  readonly #stubs = join(this.dir, 'stubs');
  readonly #cwd = join(this.dir, 'cwd');
  readonly #log = join(this.dir, 'log');

  constructor() {
    mkdirSync(this.#stubs);
    mkdirSync(this.#cwd);
    for (const name of STUBS) {
      writeFileSync(join(this.#stubs, name), `#!/bin/sh\n${RECORD}\nexit 0\n`);
    }
    writeFileSync(
      join(this.#stubs, 'sudo'),
      `#!/bin/sh\n${RECORD}\nwhile [ $# -gt 0 ] && [ "$1" != -- ]; do shift; done\nshift\nexec "$@"\n`,
    );
    writeFileSync(join(this.#stubs, 'sh'), `#!/bin/sh\n${RECORD}\nexec /bin/sh "$@"\n`);
    for (const name of [...STUBS, 'sudo', 'sh']) {
      chmodSync(join(this.#stubs, name), 0o755);
    }
  }

  /** Runs `command` with /bin/sh in the sandbox; `after` runs in the namespace afterwards (to read files). */
  run(command: string, after = ':', fail: readonly string[] = []): SandboxRun {
    rmSync(this.#log, { force: true });
    rmSync(join(this.dir, 'out'), { force: true });
    writeFileSync(this.#log, '');
    const setup = [
      'set -e',
      'mount -t tmpfs quorate-test /usr/local',
      'mkdir -p /usr/local/sbin /usr/local/bin /usr/local/lib',
      'cp "$STUBS"/* /usr/local/sbin/',
      'for d in /etc/corosync /var/lib/corosync /run /var/log; do [ -d "$d" ] && mount -t tmpfs quorate-test "$d"; done',
      'mkdir -p /etc/corosync/qnetd/nssdb /etc/corosync/qdevice/net/nssdb /usr/local/lib/quorate-agent',
      'set +e',
      'PATH=/usr/local/sbin /bin/sh -c "$1"',
      'rc=$?',
      'PATH=/usr/bin:/bin /bin/sh -c "$2"',
      'exit $rc',
    ].join('\n');
    const r = spawnSync(
      'unshare',
      ['-m', '--propagation', 'private', '/bin/sh', '-c', setup, 'sandbox', command, after],
      {
        cwd: this.#cwd,
        env: {
          PATH: '/usr/bin:/bin',
          QLOG: this.#log,
          STUBS: this.#stubs,
          OUT: join(this.dir, 'out'),
          STUB_FAIL: fail.join(' '),
        },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    const text = readFileSync(this.#log, 'utf8');
    const invocations = text
      .split('\x1e')
      .filter((x) => x !== '')
      .map((rec) => {
        const [command, ...args] = rec.split('\x1f');
        return { command: command!, args };
      });
    return { invocations, exitCode: r.status, stderr: r.stderr };
  }

  /** Runs several commands, each in a subshell of one sandbox (cheaper than one namespace each). */
  runAll(commands: readonly string[]): SandboxRun {
    return this.run(commands.map((c) => `(\n${c}\n)`).join('\n'));
  }

  /** What the `after` hook wrote to $OUT. */
  out(): string {
    const p = join(this.dir, 'out');
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  }

  injected(): boolean {
    return existsSync(this.canary);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Names and addresses full of shell metacharacters; each would create `canary` if a shell ran it. */
export function payloads(canary: string): string[] {
  const w = `echo pwned >${canary}`;
  return [
    `$(${w})`,
    `\`${w}\``,
    `x; ${w}`,
    `x | ${w}`,
    `x & ${w}`,
    `x\n${w}`,
    `x' ; ${w} ; '`,
    `x" ; ${w} ; "`,
    `a b  c`,
    `*`,
    `~root`,
    `-rf`,
    `--help`,
    `\${IFS}$HOME\\n`,
    `-x'"$(${w})\`${w}\`;|&\n* ~ ${w}`,
  ];
}
