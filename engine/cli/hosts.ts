/**
 * `quorate hosts add | trust | list | remove`: machines in, host keys pinned, secrets in the OS keyring.
 * Shapes are fixed (scripts depend on them):
 * - `hosts add ADDR [--user U] [--port P] (--key FILE | --password-stdin | --agent) [--trust SHA256:…] --json`
 *   → `{"address":…,"fingerprint":"SHA256:…","trusted":true|false}`. Without `--trust` nothing is logged
 *   in to: the machine is recorded as untrusted until `hosts trust`.
 * - `hosts trust ADDR --fingerprint SHA256:… [--port P] --json` → the same shape, `trusted: true`.
 * - `hosts list --json` → `{"hosts":[{address,port,user,auth,keyPath?,fingerprint,trusted,addedAt}]}`.
 * - `hosts remove ADDR [--port P] [--force] --json` → `{"removed":[{address,port,user}]}`.
 * Errors: message and hint on stderr, exit 1; with `--json` also `{"error":{code,message,hint}}` on stdout.
 */
import { resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import type { Machine, MachineAuth } from '../api/contract';
import type { QuorateService } from '../api/service';
import type { QuorateError } from '../result';
import { hostKeyFile, isSha256Fingerprint, normaliseFingerprint } from '../ssh';
import type { CliIo } from './io';
import { cliError, printError, UsageError } from './io';
import type { CliServiceOptions } from './service';
import { withService } from './service';

/** What the commands touch besides `io`, injectable for tests. */
export type HostsDeps = CliServiceOptions;

/** The synopsis printed with usage errors. */
export const hostsUsage = [
  'quorate hosts add ADDR [--user U] [--port P] (--key FILE | --password-stdin | --agent) [--trust SHA256:…] [--json]',
  'quorate hosts trust ADDR --fingerprint SHA256:… [--port P] [--password-stdin | --key FILE] [--json]',
  'quorate hosts list [--json]',
  'quorate hosts remove ADDR [--port P] [--force] [--json]',
].join('\n');

/** Runs `quorate hosts …`; returns the exit code. Throws `UsageError` for bad arguments (exit 2). */
export async function runHostsCommand(argv: string[], io: CliIo, deps: HostsDeps = {}): Promise<number> {
  const [sub, ...rest] = argv;
  const command = { add, trust, list, ls: list, remove, rm: remove }[sub ?? ''];
  if (!command) {
    throw new UsageError(`hosts: expected add, trust, list or remove${sub ? `, got "${sub}"` : ''}\n${hostsUsage}`);
  }
  // Arguments are checked before the service exists: a usage error touches nothing.
  const run = await command(rest, io);
  return withService(deps, (service) => run({ io, service }));
}

interface Context {
  readonly io: CliIo;
  readonly service: QuorateService;
}

/** A parsed command, ready to run against the service. */
type Prepared = (ctx: Context) => Promise<number>;

type Options = NonNullable<ParseArgsConfig['options']>;

function parse(
  command: string,
  argv: string[],
  options: Options,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { ...options, json: { type: 'boolean', default: false } },
    });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (e) {
    throw new UsageError(`hosts ${command}: ${(e as Error).message}\n${hostsUsage}`);
  }
}

/** `root@198.18.0.1` → user and address; the `--user` flag wins over neither: both given must agree. */
function splitAddress(
  command: string,
  text: string | undefined,
  userFlag: string | undefined,
): { address: string; user: string } {
  if (!text) {
    throw new UsageError(`hosts ${command}: expected an address (IP or DNS name)\n${hostsUsage}`);
  }
  const at = text.lastIndexOf('@');
  const user = at > 0 ? text.slice(0, at) : undefined;
  const address = at > 0 ? text.slice(at + 1) : text;
  if (user && userFlag && user !== userFlag) {
    throw new UsageError(`hosts ${command}: ${text} names user "${user}" but --user says "${userFlag}"`);
  }
  if (address === '' || /\s/.test(address)) {
    throw new UsageError(`hosts ${command}: "${text}" is not an address`);
  }
  return { address, user: user ?? userFlag ?? 'root' };
}

function parsePort(command: string, text: string | undefined): number | undefined {
  if (text === undefined) {
    return undefined;
  }
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`hosts ${command}: --port must be 1..65535, got "${text}"`);
  }
  return port;
}

function parseFingerprint(command: string, flag: string, text: string | undefined): string | undefined {
  if (text === undefined) {
    return undefined;
  }
  const fp = normaliseFingerprint(text);
  if (!isSha256Fingerprint(fp)) {
    throw new UsageError(
      `hosts ${command}: ${flag} must be a SHA256 fingerprint as ssh-keygen -lf prints it (SHA256:…), got "${text}"`,
    );
  }
  return fp;
}

/** Reads a password from stdin: the first line, without its newline. */
async function readPassword(command: string, io: CliIo): Promise<string> {
  const text = await io.readStdin();
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password === '') {
    throw new UsageError(
      `hosts ${command}: --password-stdin: stdin was empty (pipe the password in: printf %s "$PW" | quorate hosts ${command} …)`,
    );
  }
  return password;
}

function fail(ctx: Context, json: boolean, error: QuorateError): number {
  printError(ctx.io, error);
  if (json) {
    const { code, message, hint } = cliError(error);
    ctx.io.stdout(`${JSON.stringify({ error: { code, message, hint } })}\n`);
  }
  return 1;
}

async function add(argv: string[], io: CliIo): Promise<Prepared> {
  const { values, positionals } = parse('add', argv, {
    user: { type: 'string' },
    port: { type: 'string' },
    key: { type: 'string' },
    'password-stdin': { type: 'boolean', default: false },
    agent: { type: 'boolean', default: false },
    trust: { type: 'string' },
  });
  const json = values.json === true;
  if (positionals.length > 1) {
    throw new UsageError(`hosts add: one address at a time, got ${positionals.length}`);
  }
  const { address, user } = splitAddress('add', positionals[0], values.user as string | undefined);
  const port = parsePort('add', values.port as string | undefined) ?? 22;
  const trustFp = parseFingerprint('add', '--trust', values.trust as string | undefined);
  const keyFlag = values.key as string | undefined;
  const methods = [keyFlag !== undefined, values['password-stdin'] === true, values.agent === true].filter(
    Boolean,
  ).length;
  if (methods !== 1) {
    throw new UsageError(`hosts add: give exactly one of --key FILE, --password-stdin or --agent\n${hostsUsage}`);
  }
  const auth: MachineAuth =
    keyFlag !== undefined
      ? { kind: 'key', keyPath: resolvePath(keyFlag) }
      : values.agent === true
        ? { kind: 'agent' }
        : { kind: 'password', password: await readPassword('add', io) };

  return async (ctx) => {
    const added = await ctx.service.handlers.addMachine({
      address,
      port,
      user,
      auth,
      ...(trustFp !== undefined ? { trust: trustFp } : {}),
    });
    if (!added.ok) {
      return fail(ctx, json, added.error);
    }
    const m = added.value;
    const presented = m.hostKey?.fingerprint ?? '';
    const algorithm = m.hostKey?.algorithm ?? 'unknown';
    if (json) {
      ctx.io.stdout(`${JSON.stringify({ address, fingerprint: presented, trusted: m.trusted })}\n`);
    } else if (m.trusted) {
      ctx.io.stdout(`added ${user}@${address}:${port} — host key ${presented} (${algorithm}) pinned, login checked\n`);
    } else {
      ctx.io.stdout(
        `${address}:${port} presents host key ${presented} (${algorithm}).\n` +
          `Compare it with the machine's own (on its console: ssh-keygen -lf ${hostKeyFile(algorithm)}), then:\n` +
          `  quorate hosts trust ${address}${port === 22 ? '' : ` --port ${port}`} --fingerprint ${presented}\n`,
      );
    }
    return 0;
  };
}

async function trust(argv: string[], io: CliIo): Promise<Prepared> {
  const { values, positionals } = parse('trust', argv, {
    port: { type: 'string' },
    fingerprint: { type: 'string' },
    key: { type: 'string' },
    'password-stdin': { type: 'boolean', default: false },
  });
  const json = values.json === true;
  const { address } = splitAddress('trust', positionals[0], undefined);
  const port = parsePort('trust', values.port as string | undefined);
  const fingerprint = parseFingerprint('trust', '--fingerprint', values.fingerprint as string | undefined);
  if (fingerprint === undefined) {
    throw new UsageError(
      `hosts trust: --fingerprint SHA256:… is required (the one you checked on the machine)\n${hostsUsage}`,
    );
  }
  const auth: MachineAuth | undefined =
    values.key !== undefined
      ? { kind: 'key', keyPath: resolvePath(values.key as string) }
      : values['password-stdin'] === true
        ? { kind: 'password', password: await readPassword('trust', io) }
        : undefined;
  return async (ctx) => {
    // In a terminal, typing the fingerprint checked on the console is the deliberate re-trust of a
    // changed key (the window asks for it in its dialog, beside both keys).
    const listed = await ctx.service.handlers.listMachines();
    const known = listed.ok
      ? listed.value.find((m) => m.address === address && (port === undefined || m.port === port))
      : undefined;
    const pinned = known?.trusted ? known.hostKey?.fingerprint : undefined;
    const trusted = await ctx.service.handlers.trustMachine({
      address,
      fingerprint,
      ...(port !== undefined ? { port } : {}),
      ...(auth ? { auth } : {}),
      ...(pinned ? { replaceChangedKey: { previousFingerprint: pinned } } : {}),
    });
    if (!trusted.ok) {
      return fail(ctx, json, trusted.error);
    }
    const m = trusted.value;
    if (json) {
      ctx.io.stdout(`${JSON.stringify({ address: m.address, fingerprint, trusted: true })}\n`);
    } else {
      ctx.io.stdout(`trusted ${m.user}@${m.address}:${m.port} — host key ${fingerprint} pinned, login checked\n`);
    }
    return 0;
  };
}

/** The fixed `hosts list --json` entry of a machine. */
function hostEntry(m: Machine): object {
  return {
    address: m.address,
    port: m.port,
    user: m.user,
    auth: m.authKind,
    ...(m.keyPath !== null ? { keyPath: m.keyPath } : {}),
    fingerprint: m.hostKey?.fingerprint ?? '',
    trusted: m.trusted,
    addedAt: m.addedAt,
  };
}

async function list(argv: string[]): Promise<Prepared> {
  const { values, positionals } = parse('list', argv, {});
  const json = values.json === true;
  if (positionals.length > 0) {
    throw new UsageError('hosts list: takes no arguments');
  }
  return async (ctx) => {
    const listed = await ctx.service.handlers.listMachines();
    if (!listed.ok) {
      return fail(ctx, json, listed.error);
    }
    const machines = listed.value;
    if (json) {
      ctx.io.stdout(`${JSON.stringify({ hosts: machines.map(hostEntry) })}\n`);
      return 0;
    }
    if (machines.length === 0) {
      ctx.io.stdout('no machines yet: quorate hosts add ADDR --password-stdin (or --key FILE)\n');
      return 0;
    }
    const rows = [
      ['ADDRESS', 'USER', 'AUTH', 'TRUSTED', 'HOST KEY'],
      ...machines.map((m) => [
        `${m.address}:${m.port}`,
        m.user,
        m.authKind,
        m.trusted ? 'yes' : 'NO',
        m.hostKey?.fingerprint ?? '',
      ]),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) {
      ctx.io.stdout(
        `${r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
      );
    }
    return 0;
  };
}

async function remove(argv: string[]): Promise<Prepared> {
  const { values, positionals } = parse('remove', argv, {
    port: { type: 'string' },
    force: { type: 'boolean', default: false },
  });
  const json = values.json === true;
  const { address } = splitAddress('remove', positionals[0], undefined);
  const port = parsePort('remove', values.port as string | undefined);
  const force = values.force === true;
  return async (ctx) => {
    const listed = await ctx.service.handlers.listMachines();
    if (!listed.ok) {
      return fail(ctx, json, listed.error);
    }
    // Without --port, every machine on that address goes (as `hosts remove ADDR` always did).
    const ports = listed.value
      .filter((m) => m.address === address && (port === undefined || m.port === port))
      .map((m) => m.port);
    const removed: Machine[] = [];
    for (const p of ports.length ? ports : [port]) {
      const m = listed.value.find((x) => x.address === address && x.port === p);
      const r = await ctx.service.handlers.removeMachine({
        address,
        ...(p !== undefined ? { port: p } : {}),
        ...(force ? { force } : {}),
      });
      if (!r.ok) {
        return fail(ctx, json, r.error);
      }
      if (m) {
        removed.push(m);
      }
    }
    if (json) {
      ctx.io.stdout(
        `${JSON.stringify({ removed: removed.map((m) => ({ address: m.address, port: m.port, user: m.user })) })}\n`,
      );
    } else {
      for (const m of removed) {
        ctx.io.stdout(`removed ${m.user}@${m.address}:${m.port}\n`);
      }
    }
    return 0;
  };
}
