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
import { access, constants } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { err } from '../result';
import type { QuorateError, Result } from '../result';
import { connectSsh, isSha256Fingerprint, normaliseFingerprint, probeHostKey } from '../ssh';
import type { SshAuth } from '../ssh';
import {
  findMachines,
  keyringSecrets,
  machineId,
  readState,
  removeMachines,
  secretAccount,
  updateState,
  upsertMachine,
} from '../store';
import type { MachineRecord, SecretStore } from '../store';
import { defaultHome } from '../store';
import { clustersUsingMachine, listClusters } from '../ops/registry.fs';
import type { CliIo } from './io';
import { UsageError } from './io';

/** What the commands touch besides `io`, injectable for tests. */
export interface HostsDeps {
  /** State folder; default `$QUORATE_HOME` / the OS app-data folder. */
  readonly home?: string;
  /** Default: the OS keyring. */
  readonly secrets?: SecretStore;
  /** SSH connect + login timeout, milliseconds. Default 15 000. */
  readonly timeoutMs?: number;
  readonly now?: () => Date;
}

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
  const ctx: Context = {
    io,
    home: deps.home ?? defaultHome(),
    secrets: deps.secrets ?? keyringSecrets(),
    timeoutMs: deps.timeoutMs ?? 15_000,
    now: deps.now ?? (() => new Date()),
  };
  switch (sub) {
    case 'add':
      return add(rest, ctx);
    case 'trust':
      return trust(rest, ctx);
    case 'list':
    case 'ls':
      return list(rest, ctx);
    case 'remove':
    case 'rm':
      return remove(rest, ctx);
    default:
      throw new UsageError(`hosts: expected add, trust, list or remove${sub ? `, got "${sub}"` : ''}\n${hostsUsage}`);
  }
}

interface Context {
  readonly io: CliIo;
  readonly home: string;
  readonly secrets: SecretStore;
  readonly timeoutMs: number;
  readonly now: () => Date;
}

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
  ctx.io.stderr(`error: ${error.message}\nhint: ${error.hint}\n`);
  if (json) {
    ctx.io.stdout(`${JSON.stringify({ error: { code: error.code, message: error.message, hint: error.hint } })}\n`);
  }
  return 1;
}

function hostKeyMismatch(address: string, port: number, given: string, presented: string): QuorateError {
  return err(
    'ssh.host-key-mismatch',
    `${address}:${port} presents host key ${presented}, not the ${given} you gave; nothing was changed`,
    "check the fingerprint on the machine's console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and that the address is the machine you mean",
  ).error;
}

async function add(argv: string[], ctx: Context): Promise<number> {
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

  let auth: SshAuth;
  if (keyFlag !== undefined) {
    const path = resolvePath(keyFlag);
    try {
      await access(path, constants.R_OK);
    } catch (e) {
      return fail(
        ctx,
        json,
        err(
          'ssh.key-unreadable',
          `cannot read the key file ${path}`,
          'check the path and that you may read the file',
          e,
        ).error,
      );
    }
    auth = { kind: 'key', path };
  } else if (values.agent === true) {
    auth = { kind: 'agent' };
  } else {
    auth = { kind: 'password', password: await readPassword('add', ctx.io) };
  }
  const account = secretAccount({ user, address, port });
  if (auth.kind === 'password') {
    // Before anything else: with no keyring the password could not be kept, and it is never put on disk.
    const usable = await ctx.secrets.get(account);
    if (!usable.ok) {
      return fail(ctx, json, usable.error);
    }
  }

  const probed = await probeHostKey(address, port, { timeoutMs: ctx.timeoutMs });
  if (!probed.ok) {
    return fail(ctx, json, probed.error);
  }
  const presented = probed.value.fingerprint;
  if (trustFp !== undefined && trustFp !== presented) {
    return fail(ctx, json, hostKeyMismatch(address, port, trustFp, presented));
  }

  if (trustFp !== undefined) {
    const login = await connectSsh(
      { address, port, user, auth },
      { pinnedFingerprint: trustFp, timeoutMs: ctx.timeoutMs },
    );
    if (!login.ok) {
      return fail(ctx, json, login.error);
    }
    await login.value.close();
  }
  if (auth.kind === 'password') {
    const stored = await ctx.secrets.set(account, auth.password);
    if (!stored.ok) {
      return fail(ctx, json, stored.error);
    }
  }
  const machine: MachineRecord = {
    address,
    port,
    user,
    auth: auth.kind,
    ...(auth.kind === 'key' ? { keyPath: auth.path } : {}),
    fingerprint: presented,
    trusted: trustFp !== undefined,
    addedAt: ctx.now().toISOString(),
  };
  const saved = await updateState((state) => {
    // A machine re-added under another user leaves no orphan secret behind.
    for (const old of findMachines(state, address, port)) {
      if (old.auth === 'password' && secretAccount(old) !== account) {
        void ctx.secrets.delete(secretAccount(old));
      }
    }
    return upsertMachine(state, machine);
  }, ctx.home);
  if (!saved.ok) {
    return fail(ctx, json, saved.error);
  }

  if (json) {
    ctx.io.stdout(`${JSON.stringify({ address, fingerprint: presented, trusted: machine.trusted })}\n`);
  } else if (machine.trusted) {
    ctx.io.stdout(
      `added ${user}@${address}:${port} — host key ${presented} (${probed.value.algorithm}) pinned, login checked\n`,
    );
  } else {
    ctx.io.stdout(
      `${address}:${port} presents host key ${presented} (${probed.value.algorithm}).\n` +
        `Compare it with the machine's own (on its console: ssh-keygen -lf /etc/ssh/ssh_host_${keyFileStem(probed.value.algorithm)}_key.pub), then:\n` +
        `  quorate hosts trust ${address}${port === 22 ? '' : ` --port ${port}`} --fingerprint ${presented}\n`,
    );
  }
  return 0;
}

function keyFileStem(algorithm: string): string {
  if (algorithm.includes('ed25519')) {
    return 'ed25519';
  }
  if (algorithm.startsWith('ecdsa')) {
    return 'ecdsa';
  }
  if (algorithm.includes('rsa')) {
    return 'rsa';
  }
  return '*';
}

/** Picks the one machine an address (and optional port) names. */
function pickMachine(
  machines: MachineRecord[],
  address: string,
  port: number | undefined,
  command: string,
): Result<MachineRecord> {
  if (machines.length === 0) {
    return err(
      'hosts.not-found',
      `no machine ${address}${port === undefined ? '' : `:${port}`} has been added`,
      `add it first: quorate hosts add ${address} --password-stdin (or --key FILE)`,
    );
  }
  if (machines.length > 1) {
    throw new UsageError(
      `hosts ${command}: ${address} is known on ports ${machines.map((m) => m.port).join(', ')}: give --port`,
    );
  }
  return { ok: true, value: machines[0] as MachineRecord };
}

async function trust(argv: string[], ctx: Context): Promise<number> {
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
  const state = await readState(ctx.home);
  if (!state.ok) {
    return fail(ctx, json, state.error);
  }
  const picked = pickMachine(findMachines(state.value, address, port), address, port, 'trust');
  if (!picked.ok) {
    return fail(ctx, json, picked.error);
  }
  const machine = picked.value;
  const account = secretAccount(machine);

  let auth: SshAuth;
  let newPassword: string | undefined;
  if (values.key !== undefined) {
    auth = { kind: 'key', path: resolvePath(values.key as string) };
  } else if (values['password-stdin'] === true) {
    newPassword = await readPassword('trust', ctx.io);
    auth = { kind: 'password', password: newPassword };
  } else if (machine.auth === 'password') {
    const secret = await ctx.secrets.get(account);
    if (!secret.ok) {
      return fail(ctx, json, secret.error);
    }
    if (secret.value === null) {
      return fail(
        ctx,
        json,
        err(
          'hosts.no-secret',
          `no password is stored for ${account}`,
          `give it again: printf %s "$PW" | quorate hosts trust ${address} --fingerprint ${fingerprint} --password-stdin`,
        ).error,
      );
    }
    auth = { kind: 'password', password: secret.value };
  } else if (machine.auth === 'key' && machine.keyPath !== undefined) {
    auth = { kind: 'key', path: machine.keyPath };
  } else {
    auth = { kind: 'agent' };
  }

  const probed = await probeHostKey(machine.address, machine.port, { timeoutMs: ctx.timeoutMs });
  if (!probed.ok) {
    return fail(ctx, json, probed.error);
  }
  if (probed.value.fingerprint !== fingerprint) {
    return fail(ctx, json, hostKeyMismatch(machine.address, machine.port, fingerprint, probed.value.fingerprint));
  }
  const login = await connectSsh(
    { address: machine.address, port: machine.port, user: machine.user, auth },
    { pinnedFingerprint: fingerprint, timeoutMs: ctx.timeoutMs },
  );
  if (!login.ok) {
    return fail(ctx, json, login.error);
  }
  await login.value.close();
  if (newPassword !== undefined) {
    const stored = await ctx.secrets.set(account, newPassword);
    if (!stored.ok) {
      return fail(ctx, json, stored.error);
    }
  }
  const saved = await updateState((s) => {
    const current = findMachines(s, machine.address, machine.port)[0];
    if (!current) {
      return err('hosts.not-found', `${machineId(machine)} was removed meanwhile`, 'add it again');
    }
    return upsertMachine(s, {
      ...current,
      fingerprint,
      trusted: true,
      auth: auth.kind,
      ...(auth.kind === 'key' ? { keyPath: auth.path } : {}),
    });
  }, ctx.home);
  if (!saved.ok) {
    return fail(ctx, json, saved.error);
  }
  if (json) {
    ctx.io.stdout(`${JSON.stringify({ address: machine.address, fingerprint, trusted: true })}\n`);
  } else {
    ctx.io.stdout(
      `trusted ${machine.user}@${machine.address}:${machine.port} — host key ${fingerprint} pinned, login checked\n`,
    );
  }
  return 0;
}

async function list(argv: string[], ctx: Context): Promise<number> {
  const { values, positionals } = parse('list', argv, {});
  const json = values.json === true;
  if (positionals.length > 0) {
    throw new UsageError('hosts list: takes no arguments');
  }
  const state = await readState(ctx.home);
  if (!state.ok) {
    return fail(ctx, json, state.error);
  }
  const hosts = state.value.machines.map((m) => ({
    address: m.address,
    port: m.port,
    user: m.user,
    auth: m.auth,
    ...(m.keyPath !== undefined ? { keyPath: m.keyPath } : {}),
    fingerprint: m.fingerprint,
    trusted: m.trusted,
    addedAt: m.addedAt,
    ...(m.name !== undefined ? { name: m.name } : {}),
  }));
  if (json) {
    ctx.io.stdout(`${JSON.stringify({ hosts })}\n`);
    return 0;
  }
  if (hosts.length === 0) {
    ctx.io.stdout('no machines yet: quorate hosts add ADDR --password-stdin (or --key FILE)\n');
    return 0;
  }
  const rows = [
    ['ADDRESS', 'USER', 'AUTH', 'TRUSTED', 'HOST KEY'],
    ...hosts.map((h) => [`${h.address}:${h.port}`, h.user, h.auth, h.trusted ? 'yes' : 'NO', h.fingerprint]),
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
}

async function remove(argv: string[], ctx: Context): Promise<number> {
  const { values, positionals } = parse('remove', argv, {
    port: { type: 'string' },
    force: { type: 'boolean', default: false },
  });
  const json = values.json === true;
  const { address } = splitAddress('remove', positionals[0], undefined);
  const port = parsePort('remove', values.port as string | undefined);
  let removed: MachineRecord[] = [];
  const clusters = await listClusters(ctx.home);
  const saved = await updateState((state) => {
    const found = findMachines(state, address, port);
    if (found.length === 0) {
      return err(
        'hosts.not-found',
        `no machine ${address}${port === undefined ? '' : `:${port}`} has been added`,
        'see quorate hosts list',
      );
    }
    const busy = found.flatMap((m) => clustersUsingMachine(clusters, m.address, m.port));
    if (busy.length > 0 && values.force !== true) {
      return err(
        'hosts.in-cluster',
        `${address} is a member of cluster ${busy.join(', ')}`,
        'remove it from the cluster first (its corosync would keep running), or give --force to forget it anyway',
      );
    }
    removed = found;
    return removeMachines(state, found);
  }, ctx.home);
  if (!saved.ok) {
    return fail(ctx, json, saved.error);
  }
  for (const m of removed) {
    if (m.auth !== 'password') {
      continue;
    }
    const deleted = await ctx.secrets.delete(secretAccount(m));
    if (!deleted.ok) {
      ctx.io.stderr(`warning: ${deleted.error.message}\nhint: ${deleted.error.hint}\n`);
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
}
