/**
 * Machines in the API: add (read the host key, nothing else), trust (pin the confirmed key, log in),
 * remove, list; and the one place that opens SSH sessions to machines for the rest of the service.
 * State in `engine/store` (state.json + OS keyring); SSH through `engine/ssh`.
 */
import type { QuorateError, Result } from '../result';
import { err, ok } from '../result';
import { connectSsh, probeHostKey } from '../ssh';
import type { HostKeyFingerprint, SshAuth, SshSession } from '../ssh';
import { hostKeyChangedError } from '../ssh/errors';
import type { MachineRecord, QuorateState, SecretStore } from '../store';
import { findMachines, readState, removeMachines, secretAccount, updateState, upsertMachine } from '../store';
import type { HostKey, Machine, MachineState, QuorateApi } from './contract';
import type { EventHub } from './event-hub';

/** Fields the API keeps in a machine's state record beside the store's own (the store keeps unknown fields). */
interface ApiMachineFields {
  readonly hostKeyAlgorithm?: string;
  readonly os?: string;
  /** The agent is installed (set by bootstrap). */
  readonly agentInstalled?: boolean;
}
type StoredMachine = MachineRecord & ApiMachineFields;

export interface MachinesDeps {
  readonly home: string;
  readonly secrets: SecretStore;
  readonly events: EventHub;
  /** SSH connect + handshake + login, ms. */
  readonly sshTimeoutMs: number;
  /** Cluster a machine belongs to (from the cluster registry), for `Machine.cluster`. */
  readonly clusterOf: (address: string) => Promise<string | null>;
}

/** What is true of a machine only while this process runs. */
interface Runtime {
  bootstrapping: boolean;
  lastError: QuorateError | null;
  /** The key the machine presented when it differed from the pinned one (refused), until re-trusted. */
  changedHostKey: HostKey | null;
}

/** `ssh_host_<stem>_key.pub` for an SSH host key algorithm, for the console command we tell users to run. */
function keyFileStem(algorithm: string): string {
  if (algorithm.startsWith('ecdsa')) {
    return 'ecdsa';
  }
  if (algorithm.startsWith('rsa') || algorithm === 'ssh-rsa') {
    return 'rsa';
  }
  return 'ed25519';
}

/**
 * `ssh.host-key-changed` for the app: the same refusal as the SSH layer's, with the way out the
 * window offers (a deliberate re-trust) instead of the CLI command.
 */
function changedKeyError(rec: MachineRecord, presented: HostKeyFingerprint): QuorateError {
  const error = hostKeyChangedError(
    { address: rec.address, port: rec.port, user: rec.user },
    rec.fingerprint,
    presented.fingerprint,
    presented.algorithm,
  );
  return {
    ...error,
    hint:
      'If you reinstalled the machine or regenerated its SSH keys, check the new fingerprint on its console ' +
      `(ssh-keygen -lf /etc/ssh/ssh_host_${keyFileStem(presented.algorithm)}_key.pub) and re-trust it deliberately (Machines → Review the new key). ` +
      'Otherwise someone may be intercepting the connection: do not continue.',
  };
}

/** The contract's Machines members, plus what the other services need from machines. */
export interface MachinesService extends Pick<
  QuorateApi,
  'listMachines' | 'addMachine' | 'trustMachine' | 'removeMachine'
> {
  /** A logged-in session to a trusted machine (root-capable through sudo), for operations and bootstrap. */
  connect(address: string): Promise<Result<SshSession>>;
  /** The stored record of a machine. */
  record(address: string): Promise<Result<StoredMachine>>;
  /** Marks progress that only the service knows (bootstrapping, a failure) and tells the windows. */
  setRuntime(address: string, change: Partial<Runtime>): Promise<void>;
  /** Records that the agent is installed (or not) on a machine. */
  setAgentInstalled(address: string, installed: boolean): Promise<void>;
}

export function createMachinesService(deps: MachinesDeps): MachinesService {
  const runtime = new Map<string, Runtime>();
  const runtimeOf = (address: string): Runtime =>
    runtime.get(address) ?? { bootstrapping: false, lastError: null, changedHostKey: null };

  const toMachine = async (rec: StoredMachine): Promise<Machine> => {
    const rt = runtimeOf(rec.address);
    const state: MachineState = rt.bootstrapping
      ? 'bootstrapping'
      : rt.lastError
        ? 'failed'
        : !rec.trusted
          ? 'untrusted'
          : rec.agentInstalled || rec.agent
            ? 'ready'
            : 'trusted';
    return {
      address: rec.address,
      port: rec.port,
      user: rec.user,
      authKind: rec.auth === 'key' ? 'key' : 'password',
      keyPath: rec.keyPath ?? null,
      hostKey: rec.fingerprint ? { algorithm: rec.hostKeyAlgorithm ?? 'unknown', fingerprint: rec.fingerprint } : null,
      changedHostKey: rec.trusted ? rt.changedHostKey : null,
      state,
      hostname: rec.name ?? null,
      os: rec.os ?? null,
      cluster: await deps.clusterOf(rec.address),
      lastError: rt.lastError,
    };
  };

  const changed = async (rec: StoredMachine, removed = false): Promise<Machine> => {
    const machine = await toMachine(rec);
    deps.events.emit('onDidChangeMachine', { machine, removed });
    return machine;
  };

  const record = async (address: string): Promise<Result<StoredMachine>> => {
    const state = await readState(deps.home);
    if (!state.ok) {
      return state;
    }
    const rec = findMachines(state.value, address)[0] as StoredMachine | undefined;
    return rec
      ? ok(rec)
      : err('machines.unknown', `No machine ${address} has been added to Quorate.`, 'Add it first (Machines → Add).');
  };

  const save = async (rec: StoredMachine, replacing: readonly MachineRecord[] = []): Promise<Result<QuorateState>> =>
    updateState((s) => upsertMachine(removeMachines(s, replacing), rec), deps.home);

  const authOf = async (rec: StoredMachine): Promise<Result<{ auth: SshAuth; password?: string }>> => {
    const secret = await deps.secrets.get(secretAccount(rec));
    if (!secret.ok) {
      return secret;
    }
    if (rec.auth === 'key') {
      if (!rec.keyPath) {
        return err(
          'machines.no-key',
          `${rec.address} uses key login but no key file is recorded.`,
          'Add the machine again with its key file.',
        );
      }
      return ok({
        auth: secret.value
          ? { kind: 'key', path: rec.keyPath, passphrase: secret.value }
          : { kind: 'key', path: rec.keyPath },
      });
    }
    if (rec.auth === 'agent') {
      return ok({ auth: { kind: 'agent' } });
    }
    if (secret.value === null) {
      return err(
        'machines.no-secret',
        `No password for ${secretAccount(rec)} is stored in the OS keyring.`,
        'Add the machine again with its password.',
      );
    }
    return ok({ auth: { kind: 'password', password: secret.value }, password: secret.value });
  };

  const connectRecord = async (rec: StoredMachine, fingerprint: string): Promise<Result<SshSession>> => {
    const auth = await authOf(rec);
    if (!auth.ok) {
      return auth;
    }
    return connectSsh(
      {
        address: rec.address,
        port: rec.port,
        user: rec.user,
        auth: auth.value.auth,
        ...(rec.name ? { name: rec.name } : {}),
      },
      {
        pinnedFingerprint: fingerprint,
        timeoutMs: deps.sshTimeoutMs,
        ...(auth.value.password ? { sudoPassword: auth.value.password } : {}),
      },
    );
  };

  const setRuntime = async (address: string, change: Partial<Runtime>): Promise<void> => {
    runtime.set(address, { ...runtimeOf(address), ...change });
    const rec = await record(address);
    if (rec.ok) {
      await changed(rec.value);
    }
  };

  return {
    async listMachines() {
      const state = await readState(deps.home);
      if (!state.ok) {
        return state;
      }
      return ok(await Promise.all(state.value.machines.map((m) => toMachine(m as StoredMachine))));
    },

    async addMachine(params) {
      const port = params.port ?? 22;
      const state = await readState(deps.home);
      if (!state.ok) {
        return state;
      }
      const previous = findMachines(state.value, params.address) as StoredMachine[];
      const probed = await probeHostKey(params.address, port, { timeoutMs: deps.sshTimeoutMs });
      if (!probed.ok) {
        return probed;
      }
      const pinned = previous.find((m) => m.trusted && m.port === port);
      if (pinned && pinned.fingerprint !== probed.value.fingerprint) {
        const error = changedKeyError(pinned, probed.value);
        await setRuntime(params.address, {
          lastError: error,
          changedHostKey: { algorithm: probed.value.algorithm, fingerprint: probed.value.fingerprint },
        });
        return { ok: false, error };
      }
      const rec: StoredMachine = {
        address: params.address,
        port,
        user: params.user,
        auth: params.auth.kind,
        ...(params.auth.kind === 'key' ? { keyPath: params.auth.keyPath } : {}),
        fingerprint: probed.value.fingerprint,
        hostKeyAlgorithm: probed.value.algorithm,
        // Re-adding (new user or password after an auth failure) needs the key confirmed again,
        // which also checks the new credentials.
        trusted: false,
        addedAt: previous[0]?.addedAt ?? new Date().toISOString(),
        ...(previous[0]?.name ? { name: previous[0].name } : {}),
      };
      const secret = params.auth.kind === 'password' ? params.auth.password : params.auth.passphrase;
      const account = secretAccount(rec);
      // The secret goes in first: a machine must never be recorded with a password that was not kept.
      if (secret) {
        const stored = await deps.secrets.set(account, secret);
        if (!stored.ok) {
          return stored;
        }
      } else {
        await deps.secrets.delete(account);
      }
      for (const old of previous) {
        if (secretAccount(old) !== account) {
          await deps.secrets.delete(secretAccount(old));
        }
      }
      const saved = await save(rec, previous);
      if (!saved.ok) {
        return saved;
      }
      runtime.set(rec.address, { bootstrapping: false, lastError: null, changedHostKey: null });
      return ok(await changed(rec));
    },

    async trustMachine(params) {
      const found = await record(params.address);
      if (!found.ok) {
        return found;
      }
      const rec = found.value;
      // Always ask the machine which key it presents now, so a refusal names both keys.
      const probed = await probeHostKey(rec.address, rec.port, { timeoutMs: deps.sshTimeoutMs });
      if (!probed.ok) {
        return probed;
      }
      const presented: HostKey = { algorithm: probed.value.algorithm, fingerprint: probed.value.fingerprint };
      const keyChanged = rec.trusted && presented.fingerprint !== rec.fingerprint;
      if (keyChanged) {
        // A changed key is replaced only on an explicit request naming the key pinned now: without
        // it (or with a stale one, from a dialog that showed another pinned key) nothing changes.
        const replace = params.replaceChangedKey;
        if (!replace || replace.previousFingerprint !== rec.fingerprint) {
          const error = changedKeyError(rec, probed.value);
          await setRuntime(rec.address, { lastError: error, changedHostKey: presented });
          return { ok: false, error };
        }
      }
      if (presented.fingerprint !== params.fingerprint) {
        const error = err(
          'ssh.host-key-mismatch',
          `${rec.address}:${rec.port} now presents host key ${presented.fingerprint} (${presented.algorithm}), not the ${params.fingerprint} you confirmed; ` +
            (rec.trusted ? `nothing was changed, ${rec.fingerprint} stays pinned.` : 'nothing was trusted.'),
          `Check on the machine's console (ssh-keygen -lf /etc/ssh/ssh_host_${keyFileStem(presented.algorithm)}_key.pub) which key is right` +
            (rec.trusted ? ' and confirm exactly that one.' : ', then add the machine again.') +
            ' If you did not change its keys, someone may be intercepting the connection.',
        );
        await setRuntime(rec.address, { lastError: error.error, ...(keyChanged ? { changedHostKey: presented } : {}) });
        return error;
      }
      const session = await connectRecord(rec, params.fingerprint);
      if (!session.ok) {
        await setRuntime(rec.address, { lastError: session.error });
        return session;
      }
      let hostname: string | undefined;
      let os: string | undefined;
      try {
        const about = await session.value.run('hostname; . /etc/os-release 2>/dev/null; echo "$PRETTY_NAME"', {
          timeoutMs: 15_000,
        });
        if (about.ok && about.value.exitCode === 0) {
          const [h, o] = about.value.stdout.split('\n');
          hostname = h?.trim() || undefined;
          os = o?.trim() || undefined;
        }
        if (rec.user !== 'root') {
          const sudo = await session.value.run('true', { sudo: true, timeoutMs: 15_000 });
          const problem = !sudo.ok
            ? sudo.error
            : sudo.value.exitCode !== 0
              ? {
                  code: 'ssh.sudo-failed',
                  message: `${rec.user}@${rec.address} cannot run commands as root with sudo (exit ${sudo.value.exitCode}).`,
                  hint: `Quorate needs root on the machine: allow ${rec.user} to use sudo, or add the machine as root.`,
                  cause: sudo.value.stderr.trim(),
                }
              : undefined;
          if (problem) {
            await setRuntime(rec.address, { lastError: problem });
            return { ok: false, error: problem };
          }
        }
      } finally {
        await session.value.close();
      }
      const trusted: StoredMachine = {
        ...rec,
        trusted: true,
        fingerprint: params.fingerprint,
        hostKeyAlgorithm: probed.value.algorithm,
        ...(hostname ? { name: hostname } : {}),
        ...(os ? { os } : {}),
      };
      const saved = await save(trusted);
      if (!saved.ok) {
        return saved;
      }
      runtime.set(rec.address, { bootstrapping: false, lastError: null, changedHostKey: null });
      return ok(await changed(trusted));
    },

    async removeMachine(params) {
      const found = await record(params.address);
      if (!found.ok) {
        return found;
      }
      const cluster = await deps.clusterOf(params.address);
      if (cluster) {
        return err(
          'machines.in-cluster',
          `${params.address} is a node of cluster ${cluster}.`,
          `Remove it from ${cluster} first (Clusters → ${cluster} → Remove node).`,
        );
      }
      const saved = await updateState((s) => removeMachines(s, [found.value]), deps.home);
      if (!saved.ok) {
        return saved;
      }
      await deps.secrets.delete(secretAccount(found.value));
      runtime.delete(params.address);
      await changed(found.value, true);
      return ok(null);
    },

    async connect(address) {
      const found = await record(address);
      if (!found.ok) {
        return found;
      }
      if (!found.value.trusted) {
        return err(
          'machines.untrusted',
          `${address}'s host key has not been confirmed yet.`,
          'Confirm its fingerprint first (Machines → Trust).',
        );
      }
      const session = await connectRecord(found.value, found.value.fingerprint);
      if (!session.ok && session.error.code === 'ssh.host-key-changed') {
        // Note which key the machine presents now, so the window can offer the deliberate re-trust.
        const probed = await probeHostKey(found.value.address, found.value.port, { timeoutMs: deps.sshTimeoutMs });
        if (probed.ok && probed.value.fingerprint !== found.value.fingerprint) {
          await setRuntime(address, {
            lastError: changedKeyError(found.value, probed.value),
            changedHostKey: { algorithm: probed.value.algorithm, fingerprint: probed.value.fingerprint },
          });
        }
      }
      return session;
    },

    record,
    setRuntime,

    async setAgentInstalled(address, installed) {
      const found = await record(address);
      if (!found.ok) {
        return;
      }
      const next: StoredMachine = { ...found.value, agentInstalled: installed };
      await save(next);
      await changed(next);
    },
  };
}
