/**
 * Machines, for every front door: add (read the host key; with `trust`, confirm and log in at once),
 * trust (pin the confirmed key, log in), remove, list; and `connect`, the one place sessions to
 * machines come from for the rest of the service (`machine-connect.ts`). State in `engine/store`
 * (state.json + OS keyring); SSH through `engine/ssh`. What credentials mean for a record (keyring
 * accounts, SSH credentials, the host-key mismatch error) is pure and lives in machine-auth.ts.
 *
 * Over ~400 lines on purpose: the rest is one closure. Every use case reads and changes the same
 * runtime map (bootstrapping, last error, a changed host key) and session cache, and add, trust and
 * connect share its changed-key, login-check and secret-storage steps; split into modules, each
 * piece would take that state as arguments and the order of its updates would be harder to follow.
 */
import { access, constants } from 'node:fs/promises';
import type { QuorateError, Result } from '../result';
import { err, ok, withCliHint } from '../result';
import { hostKeyChangedError, probeHostKey } from '../ssh';
import type { HostKeyFingerprint, RootSession } from '../ssh';
import type { MachineRecord, QuorateState } from '../store';
import { readState, removeMachines, updateState, upsertMachine } from '../store';
import type { HostKey, Machine, MachineAuth, MachineState, QuorateApi } from './contract';
import type { EventHub } from './event-hub';
import { accountsOf, authFields, credentialsOf, hostKeyMismatch, secretsOf } from './machine-auth';
import type { ConnectDeps, Credentials, StoredMachine } from './machine-connect';
import {
  connectTrusted,
  createSessionCache,
  credentialsFor,
  loginTo,
  pickMachine,
  sessionKey,
} from './machine-connect';

export interface MachinesDeps extends ConnectDeps {
  readonly events: EventHub;
  /** Cluster a machine belongs to (from the cluster registry), for `Machine.cluster`. */
  readonly clusterOf: (address: string, port?: number) => Promise<string | null>;
  readonly now?: () => number;
  /**
   * How long a closed session stays open for the next use of the same machine (default 60 s): the
   * create wizard's pre-flight, plan and run log in to each machine once. 0: no reuse.
   */
  readonly sessionIdleMs?: number;
}

/** What is true of a machine only while this process runs. */
interface Runtime {
  bootstrapping: boolean;
  lastError: QuorateError | null;
  /** The key the machine presented when it differed from the pinned one (refused), until re-trusted. */
  changedHostKey: HostKey | null;
}

/** The contract's Machines members, plus what the other services need from machines. */
export interface MachinesService extends Pick<
  QuorateApi,
  'listMachines' | 'addMachine' | 'trustMachine' | 'removeMachine'
> {
  /** A root session to a trusted machine (`address` or `address:port`), for every other use case. */
  connect(machine: string): Promise<Result<RootSession>>;
  /** The stored record of a machine. */
  record(machine: string): Promise<Result<StoredMachine>>;
  /** Marks progress that only the service knows (bootstrapping, a failure) and tells the windows. */
  setRuntime(address: string, change: Partial<Runtime>): Promise<void>;
  /** Records that the agent is installed (or not) on a machine. */
  setAgentInstalled(address: string, installed: boolean): Promise<void>;
  /** Closes every session, also the idle ones kept for reuse (the service is going away). */
  closeSessions(): Promise<void>;
}

export function createMachinesService(deps: MachinesDeps): MachinesService {
  const runtime = new Map<string, Runtime>();
  const sessions = createSessionCache<RootSession>({ idleMs: deps.sessionIdleMs ?? 60_000 });
  const now = deps.now ?? Date.now;
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
      authKind: rec.auth,
      keyPath: rec.keyPath ?? null,
      hostKey: rec.fingerprint ? { algorithm: rec.hostKeyAlgorithm ?? 'unknown', fingerprint: rec.fingerprint } : null,
      changedHostKey: rec.trusted ? rt.changedHostKey : null,
      state,
      trusted: rec.trusted,
      addedAt: rec.addedAt,
      hostname: rec.name ?? null,
      os: rec.os ?? null,
      cluster: await deps.clusterOf(rec.address, rec.port),
      lastError: rt.lastError,
    };
  };

  const changed = async (rec: StoredMachine, removed = false): Promise<Machine> => {
    const machine = await toMachine(rec);
    deps.events.emit('onDidChangeMachine', { machine, removed });
    return machine;
  };

  const record = async (machine: string, port?: number): Promise<Result<StoredMachine>> => {
    const state = await readState(deps.home);
    return state.ok ? pickMachine(state.value, machine, port) : state;
  };

  const save = async (rec: StoredMachine, replacing: readonly MachineRecord[] = []): Promise<Result<QuorateState>> =>
    updateState((s) => upsertMachine(removeMachines(s, replacing), rec), deps.home);

  const setRuntime = async (address: string, change: Partial<Runtime>): Promise<void> => {
    runtime.set(address, { ...runtimeOf(address), ...change });
    const rec = await record(address);
    if (rec.ok) {
      await changed(rec.value);
    }
  };

  const changedKey = async (rec: StoredMachine, presented: HostKeyFingerprint): Promise<QuorateError> => {
    const error = hostKeyChangedError(
      { address: rec.address, port: rec.port, user: rec.user },
      rec.fingerprint,
      presented.fingerprint,
      presented.algorithm,
    );
    await setRuntime(rec.address, {
      lastError: error,
      changedHostKey: { algorithm: presented.algorithm, fingerprint: presented.fingerprint },
    });
    return error;
  };

  /**
   * Logs in with `credentials` against `fingerprint` and checks what every use case will need: root
   * (sudo for a non-root user). Learns the hostname and OS on the way. Nothing is stored here.
   */
  const checkLogin = async (
    rec: StoredMachine,
    fingerprint: string,
    credentials: Credentials,
  ): Promise<Result<{ hostname?: string; os?: string }>> => {
    const session = await loginTo(rec, fingerprint, credentials, deps);
    if (!session.ok) {
      return session;
    }
    try {
      const found: { hostname?: string; os?: string } = {};
      const about = await session.value.run('hostname; . /etc/os-release 2>/dev/null; echo "$PRETTY_NAME"', {
        timeoutMs: 15_000,
      });
      if (about.ok && about.value.exitCode === 0) {
        const [h, o] = about.value.stdout.split('\n');
        if (h?.trim()) {
          found.hostname = h.trim();
        }
        if (o?.trim()) {
          found.os = o.trim();
        }
      }
      if (rec.user !== 'root') {
        const sudo = await session.value.run('true', { sudo: true, timeoutMs: 15_000 });
        if (!sudo.ok) {
          return sudo;
        }
        if (sudo.value.exitCode !== 0) {
          return {
            ok: false,
            error: {
              code: 'ssh.sudo-failed',
              message: `${rec.user}@${rec.address} cannot run commands as root with sudo (exit ${sudo.value.exitCode}).`,
              hint: `Quorate needs root on the machine: allow ${rec.user} to use sudo, or add the machine as root.`,
              cause: sudo.value.stderr.trim(),
            },
          };
        }
      }
      return ok(found);
    } finally {
      await session.value.close();
    }
  };

  /** Keyring entries for `rec`: the new ones in, the ones it no longer uses (or old records used) out. */
  const storeSecrets = async (
    rec: MachineRecord,
    auth: MachineAuth,
    previous: readonly MachineRecord[],
  ): Promise<Result<void>> => {
    const keep = secretsOf(rec, auth);
    for (const [account, secret] of keep) {
      const stored = await deps.secrets.set(account, secret);
      if (!stored.ok) {
        return stored;
      }
    }
    const kept = new Set(keep.map(([account]) => account));
    // Only entries an old record used: a machine whose auth needs no secret never touches the keyring.
    const stale = new Set(previous.flatMap(accountsOf));
    for (const account of stale) {
      if (!kept.has(account)) {
        await deps.secrets.delete(account);
      }
    }
    return ok(undefined);
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
      const previous = state.value.machines.filter(
        (m) => m.address === params.address && m.port === port,
      ) as StoredMachine[];
      if (params.auth.kind === 'key') {
        try {
          await access(params.auth.keyPath, constants.R_OK);
        } catch (e) {
          return err(
            'ssh.key-unreadable',
            `cannot read the key file ${params.auth.keyPath}`,
            'check the path and that you may read the file',
            e,
          );
        }
      }
      // Before anything else: with no keyring a secret could not be kept, and it is never put on disk.
      const first = secretsOf({ user: params.user, address: params.address, port } as MachineRecord, params.auth)[0];
      if (first) {
        const usable = await deps.secrets.get(first[0]);
        if (!usable.ok) {
          return usable;
        }
      }
      const probed = await probeHostKey(params.address, port, { timeoutMs: deps.sshTimeoutMs });
      if (!probed.ok) {
        return probed;
      }
      const presented: HostKey = { algorithm: probed.value.algorithm, fingerprint: probed.value.fingerprint };
      const pinned = previous.find((m) => m.trusted);
      if (pinned && pinned.fingerprint !== presented.fingerprint) {
        return { ok: false, error: await changedKey(pinned, probed.value) };
      }
      const base = {
        address: params.address,
        port,
        user: params.user,
        fingerprint: presented.fingerprint,
        addedAt: previous[0]?.addedAt ?? new Date(now()).toISOString(),
      };
      if (params.trust !== undefined && params.trust !== presented.fingerprint) {
        return {
          ok: false,
          error: hostKeyMismatch(
            { ...base, ...authFields(params.auth), trusted: false },
            params.trust,
            presented,
            false,
          ),
        };
      }
      // A machine already trusted with this very key stays trusted (re-adding it changes its user or
      // credentials); the new credentials are checked first, so a typo changes nothing.
      const trust = params.trust !== undefined || pinned !== undefined;
      let rec: StoredMachine = {
        ...base,
        ...authFields(params.auth),
        hostKeyAlgorithm: presented.algorithm,
        trusted: trust,
        ...(previous[0]?.name ? { name: previous[0].name } : {}),
        ...(previous[0]?.os ? { os: previous[0].os } : {}),
        ...(pinned?.agentInstalled ? { agentInstalled: true } : {}),
      };
      if (trust) {
        const login = await checkLogin(rec, presented.fingerprint, credentialsOf(params.auth));
        if (!login.ok) {
          if (pinned) {
            await setRuntime(rec.address, { lastError: login.error });
          }
          return login;
        }
        rec = {
          ...rec,
          ...(login.value.hostname ? { name: login.value.hostname } : {}),
          ...(login.value.os ? { os: login.value.os } : {}),
        };
      }
      // The secret goes in first: a machine must never be recorded with a password that was not kept.
      const stored = await storeSecrets(rec, params.auth, previous);
      if (!stored.ok) {
        return stored;
      }
      const saved = await save(rec, previous);
      if (!saved.ok) {
        return saved;
      }
      runtime.set(rec.address, { bootstrapping: false, lastError: null, changedHostKey: null });
      return ok(await changed(rec));
    },

    async trustMachine(params) {
      const found = await record(params.address, params.port);
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
          return { ok: false, error: await changedKey(rec, probed.value) };
        }
      }
      if (presented.fingerprint !== params.fingerprint) {
        const error = hostKeyMismatch(rec, params.fingerprint, presented, rec.trusted);
        await setRuntime(rec.address, { lastError: error, ...(keyChanged ? { changedHostKey: presented } : {}) });
        return { ok: false, error };
      }
      let credentials: Result<Credentials>;
      if (params.auth) {
        credentials = ok(credentialsOf(params.auth));
      } else {
        credentials = await credentialsFor(rec, deps);
      }
      if (!credentials.ok) {
        await setRuntime(rec.address, { lastError: credentials.error });
        return credentials;
      }
      const login = await checkLogin(rec, params.fingerprint, credentials.value);
      if (!login.ok) {
        await setRuntime(rec.address, { lastError: login.error });
        return login;
      }
      const fresh = await record(rec.address, rec.port);
      const current = fresh.ok ? fresh.value : rec;
      const trusted: StoredMachine = {
        ...current,
        ...(params.auth ? authFields(params.auth) : {}),
        trusted: true,
        fingerprint: params.fingerprint,
        hostKeyAlgorithm: probed.value.algorithm,
        ...(login.value.hostname ? { name: login.value.hostname } : {}),
        ...(login.value.os ? { os: login.value.os } : {}),
      };
      if (params.auth) {
        const stored = await storeSecrets(trusted, params.auth, [current]);
        if (!stored.ok) {
          return stored;
        }
      }
      const saved = await save(trusted, [current]);
      if (!saved.ok) {
        return saved;
      }
      // Sessions logged in as it was before (another key or login) are not handed out again.
      await sessions.forget(sessionKey(current));
      runtime.set(rec.address, { bootstrapping: false, lastError: null, changedHostKey: null });
      return ok(await changed(trusted));
    },

    async removeMachine(params) {
      const found = await record(params.address, params.port);
      if (!found.ok) {
        return found;
      }
      const rec = found.value;
      const cluster = await deps.clusterOf(rec.address, rec.port);
      if (cluster && !params.force) {
        return {
          ok: false,
          error: withCliHint(
            err(
              'machines.in-cluster',
              `${params.address} is a node of cluster ${cluster}.`,
              `Remove it from ${cluster} first (Clusters → ${cluster} → Remove node).`,
            ).error,
            `Remove it from the cluster first (quorate remove ${cluster} --node NODENAME; its corosync would keep running), or give --force to forget it anyway`,
          ),
        };
      }
      const saved = await updateState((s) => removeMachines(s, [rec]), deps.home);
      if (!saved.ok) {
        return saved;
      }
      for (const account of accountsOf(rec)) {
        await deps.secrets.delete(account);
      }
      runtime.delete(rec.address);
      await sessions.forget(sessionKey(rec));
      await changed(rec, true);
      return ok(null);
    },

    async connect(machine) {
      const found = await record(machine);
      if (!found.ok) {
        return found;
      }
      if (!found.value.trusted) {
        return connectTrusted(found.value, deps);
      }
      return sessions.lease(sessionKey(found.value), async () => {
        const session = await connectTrusted(found.value, deps);
        if (!session.ok && session.error.code === 'ssh.host-key-changed') {
          // Note which key the machine presents now, so the window can offer the deliberate re-trust.
          const probed = await probeHostKey(found.value.address, found.value.port, { timeoutMs: deps.sshTimeoutMs });
          if (probed.ok && probed.value.fingerprint !== found.value.fingerprint) {
            await changedKey(found.value, probed.value);
          }
        }
        return session;
      });
    },

    closeSessions: () => sessions.closeAll(),

    record: (machine) => record(machine),
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
