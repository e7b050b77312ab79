/**
 * The one connect path to a machine, for every front door and every use case: find the machine as
 * it was added, refuse one whose host key was never confirmed, read only the keyring entries its
 * auth needs (none for a key without a passphrase), log in against the pinned key, and hand out a
 * session that is root on the machine (`asRoot`: every command, upload and agent-socket connection
 * through sudo for a sudo user). The machines service is its only caller; everything else asks that
 * service for sessions.
 */
import type { QuorateError, Result } from '../result';
import { err, ok, withCliHint } from '../result';
import { asRoot, connectSsh } from '../ssh';
import type { RootSession, SshAuth, SshSession } from '../ssh';
import type { MachineRecord, QuorateState, SecretStore } from '../store';
import { findMachines, passphraseAccount, secretAccount, updateState, upsertMachine } from '../store';

/** Fields the API keeps in a machine's state record beside the store's own (the store keeps unknown fields). */
export interface ApiMachineFields {
  readonly hostKeyAlgorithm?: string;
  readonly os?: string;
  /** The agent is installed (set by bootstrap). */
  readonly agentInstalled?: boolean;
}
export type StoredMachine = MachineRecord & ApiMachineFields;

export interface ConnectDeps {
  readonly home: string;
  readonly secrets: SecretStore;
  /** SSH connect + handshake + login, ms. */
  readonly sshTimeoutMs: number;
}

/** `address[:port]` as the CLI spells a machine on another port. */
function spelled(address: string, port: number | undefined): string {
  return port === undefined || port === 22 ? address : `${address} --port ${port}`;
}

export function unknownMachineError(name: string): QuorateError {
  return withCliHint(
    err('machines.unknown', `No machine ${name} has been added to Quorate.`, 'Add it first (Machines → Add).').error,
    `Add it first: quorate hosts add ${name} --password-stdin (or --key FILE)`,
  );
}

export function untrustedMachineError(rec: MachineRecord): QuorateError {
  return withCliHint(
    err(
      'machines.untrusted',
      `The host key of ${rec.address}:${rec.port} has not been confirmed yet (it presented ${rec.fingerprint}).`,
      'Check the fingerprint on its console, then confirm it (Machines → Trust).',
    ).error,
    `Check the fingerprint on its console, then: quorate hosts trust ${spelled(rec.address, rec.port)} --fingerprint ${rec.fingerprint}`,
  );
}

function noSecretError(rec: MachineRecord, what: 'password' | 'key passphrase'): QuorateError {
  return withCliHint(
    err(
      'machines.no-secret',
      `No ${what} for ${secretAccount(rec)} is stored in the OS keyring.`,
      `Add the machine again with its ${what}.`,
    ).error,
    what === 'password'
      ? `Give it again: printf %s "$PW" | quorate hosts trust ${spelled(rec.address, rec.port)} --fingerprint ${rec.fingerprint} --password-stdin`
      : `Add the machine again: quorate hosts add ${rec.user}@${spelled(rec.address, rec.port)} --key ${rec.keyPath ?? 'FILE'}`,
  );
}

/**
 * The one machine `name` (`address` or `address:port`, or `address` with `port`) names. Several on
 * one address without a port: `machines.ambiguous`.
 */
export function pickMachine(state: QuorateState, name: string, port?: number): Result<StoredMachine> {
  const found = findMachines(state, name, port) as StoredMachine[];
  if (found.length === 0) {
    return { ok: false, error: unknownMachineError(port === undefined ? name : `${name}:${port}`) };
  }
  if (found.length > 1) {
    const ports = found.map((m) => m.port).join(', ');
    return {
      ok: false,
      error: withCliHint(
        err(
          'machines.ambiguous',
          `${name} is known on several SSH ports (${ports}).`,
          `Pick the machine by its port in the machine list.`,
        ).error,
        `give --port (one of ${ports})`,
      ),
    };
  }
  return ok(found[0]!);
}

/** What logging in as this machine's user takes, read from the keyring only where the auth needs it. */
export interface Credentials {
  readonly auth: SshAuth;
  /** What sudo asks a non-root user for: their own password, when one is stored. */
  readonly sudoPassword?: string;
}

/**
 * Credentials of a stored machine. Keyring entries (see `engine/store` `secretAccount`,
 * `passphraseAccount`): a password machine reads its password; a key machine reads its passphrase
 * only when `keyPassphrase` says one is stored — a plain key needs no keyring at all. A schema-1 key
 * machine (`v1KeySecret`) has its old entry moved to the passphrase account here, once.
 */
export async function credentialsFor(rec: StoredMachine, deps: ConnectDeps): Promise<Result<Credentials>> {
  if (rec.auth === 'agent') {
    return ok({ auth: { kind: 'agent' } });
  }
  if (rec.auth === 'password') {
    const secret = await deps.secrets.get(secretAccount(rec));
    if (!secret.ok) {
      return secret;
    }
    if (secret.value === null) {
      return { ok: false, error: noSecretError(rec, 'password') };
    }
    return ok({ auth: { kind: 'password', password: secret.value }, sudoPassword: secret.value });
  }
  if (!rec.keyPath) {
    return err(
      'machines.no-key',
      `${rec.address} uses key login but no key file is recorded.`,
      'Add the machine again with its key file.',
    );
  }
  if (rec.v1KeySecret) {
    return migrateV1KeySecret(rec, deps);
  }
  if (!rec.keyPassphrase) {
    return ok({ auth: { kind: 'key', path: rec.keyPath } });
  }
  const passphrase = await deps.secrets.get(passphraseAccount(rec));
  if (!passphrase.ok) {
    return passphrase;
  }
  if (passphrase.value === null) {
    return { ok: false, error: noSecretError(rec, 'key passphrase') };
  }
  return ok({ auth: { kind: 'key', path: rec.keyPath, passphrase: passphrase.value } });
}

async function migrateV1KeySecret(rec: StoredMachine, deps: ConnectDeps): Promise<Result<Credentials>> {
  const path = rec.keyPath!;
  const old = await deps.secrets.get(secretAccount(rec));
  if (!old.ok) {
    // No keyring now: the key may well be unencrypted; ssh says so if it is not. Migrate next time.
    return ok({ auth: { kind: 'key', path } });
  }
  if (old.value !== null) {
    const moved = await deps.secrets.set(passphraseAccount(rec), old.value);
    if (!moved.ok) {
      return ok({ auth: { kind: 'key', path, passphrase: old.value } });
    }
    await deps.secrets.delete(secretAccount(rec));
  }
  await updateState((s) => {
    const current = findMachines(s, rec.address, rec.port)[0];
    if (!current) {
      return s;
    }
    const { v1KeySecret: _migrated, ...rest } = current;
    return upsertMachine(s, { ...rest, ...(old.value !== null ? { keyPassphrase: true } : {}) });
  }, deps.home);
  return ok({ auth: old.value !== null ? { kind: 'key', path, passphrase: old.value } : { kind: 'key', path } });
}

/** Logs in to `rec` as its user, checking `fingerprint` (the pinned key, or the one being confirmed). */
export async function loginTo(
  rec: StoredMachine,
  fingerprint: string,
  credentials: Credentials,
  deps: ConnectDeps,
): Promise<Result<SshSession>> {
  return connectSsh(
    {
      address: rec.address,
      port: rec.port,
      user: rec.user,
      auth: credentials.auth,
      ...(rec.name ? { name: rec.name } : {}),
    },
    {
      pinnedFingerprint: fingerprint,
      timeoutMs: deps.sshTimeoutMs,
      ...(credentials.sudoPassword !== undefined ? { sudoPassword: credentials.sudoPassword } : {}),
    },
  );
}

/** A root session to a trusted machine: the one every use case acts through. */
export async function connectTrusted(rec: StoredMachine, deps: ConnectDeps): Promise<Result<RootSession>> {
  if (!rec.trusted) {
    return { ok: false, error: untrustedMachineError(rec) };
  }
  const credentials = await credentialsFor(rec, deps);
  if (!credentials.ok) {
    return credentials;
  }
  const session = await loginTo(rec, rec.fingerprint, credentials.value, deps);
  return session.ok ? ok(asRoot(session.value)) : session;
}

/** What the session cache hands out and gets back: a session that closes and may say it is gone. */
interface Closable {
  close(): Promise<void>;
  readonly closed?: boolean;
}

export interface SessionCache<S> {
  /** A session to `key`'s machine: an idle one opened earlier when there is one, else a new one. */
  lease(key: string, open: () => Promise<Result<S>>): Promise<Result<S>>;
  /** Close the idle sessions of `key` (its host key or login changed, or it was removed). */
  forget(key: string): Promise<void>;
  /** Close every session, idle or in use (the service is going away). */
  closeAll(): Promise<void>;
  /** Sessions open now, for tests and the bench. */
  readonly size: number;
}

/**
 * One SSH session per machine for a use case that comes in several calls — the create wizard's
 * pre-flight, plan and run log in once, not three times. A session whose user closes it goes idle
 * and is handed to the next caller for the same machine (login, host key and credentials as the
 * key says) within `idleMs`, then really closed. A session is never shared by two callers at once
 * (each keeps its own channels, under sshd's MaxSessions), and one whose connection dropped is not
 * handed out again.
 */
export function createSessionCache<S extends Closable>(opts: { idleMs: number }): SessionCache<S> {
  interface Entry {
    readonly key: string;
    readonly session: S;
    leased: boolean;
    dead: boolean;
    timer?: NodeJS.Timeout;
  }
  const entries = new Set<Entry>();
  const drop = async (e: Entry): Promise<void> => {
    if (e.timer) {
      clearTimeout(e.timer);
    }
    entries.delete(e);
    await e.session.close();
  };
  const release = (e: Entry): Promise<void> => {
    e.leased = false;
    if (e.dead || opts.idleMs <= 0) {
      return drop(e);
    }
    e.timer = setTimeout(() => void drop(e), opts.idleMs);
    e.timer.unref?.();
    return Promise.resolve();
  };
  const leaseOf = (e: Entry): S => {
    let released = false;
    return new Proxy(e.session, {
      get(target, prop) {
        if (prop === 'close') {
          return () => {
            if (released) {
              return Promise.resolve();
            }
            released = true;
            return release(e);
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        if (prop === 'run' && typeof v === 'function') {
          return async (...args: unknown[]) => {
            const r = (await (v as (...a: unknown[]) => Promise<Result<unknown>>).apply(
              target,
              args,
            )) as Result<unknown>;
            if (!r.ok && r.error.code === 'ssh.disconnected') {
              e.dead = true;
            }
            return r;
          };
        }
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  };
  return {
    async lease(key, open) {
      for (const e of [...entries]) {
        if (!e.leased && (e.dead || e.session.closed === true)) {
          await drop(e);
        }
      }
      const idle = [...entries].find((e) => e.key === key && !e.leased);
      if (idle) {
        clearTimeout(idle.timer);
        idle.leased = true;
        return ok(leaseOf(idle));
      }
      const opened = await open();
      if (!opened.ok) {
        return opened;
      }
      const e: Entry = { key, session: opened.value, leased: true, dead: false };
      entries.add(e);
      return ok(leaseOf(e));
    },
    async forget(key) {
      await Promise.all([...entries].filter((e) => e.key === key && !e.leased).map(drop));
      for (const e of entries) {
        if (e.key === key) {
          e.dead = true;
        }
      }
    },
    async closeAll() {
      await Promise.all([...entries].map(drop));
    },
    get size() {
      return entries.size;
    },
  };
}

/** The cache key of a machine's session: who logs in where, against which pinned key. */
export const sessionKey = (rec: StoredMachine): string => `${rec.user}@${rec.address}:${rec.port} ${rec.fingerprint}`;
