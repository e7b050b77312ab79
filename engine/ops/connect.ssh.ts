/**
 * Machines as added with `quorate hosts add` (engine/store) → root-capable `CommandRunner`s over SSH
 * with the pinned host key. A sudo user's session runs every command and upload through sudo.
 */
import { err, ok, type Result } from '../result';
import { connectSsh, type SshAuth, type SshSession } from '../ssh';
import type { CommandRunner, RunOptions } from '../ssh/runner';
import { findMachines, readState, secretAccount, type SecretStore } from '../store';

/** Every command and upload as root: `sudo` for a non-root login (a no-op for root). */
export function asRoot(session: SshSession): CommandRunner & Pick<SshSession, 'forwardUnixSocket'> {
  return {
    label: session.label,
    run: (command: string, options: RunOptions = {}) => session.run(command, { ...options, sudo: true }),
    upload: (path: string, data: string | Uint8Array, mode?: number) =>
      session.upload(path, data, mode, { sudo: true }),
    // The agent's socket is root-only: a sudo user's forward is refused and the agent client falls
    // back to `quorate-agent call` through sudo.
    forwardUnixSocket: (path: string) => session.forwardUnixSocket(path),
    close: () => session.close(),
  };
}

/** A connector for `OpsContext.connect` reading machines from the state in `home`. */
export function storeConnector(
  home: string,
  secrets: SecretStore,
): (machine: string) => Promise<Result<CommandRunner & Pick<SshSession, 'forwardUnixSocket'>>> {
  return async (machine) => {
    const state = await readState(home);
    if (!state.ok) {
      return state;
    }
    const [address, port] =
      machine.includes(':') && !machine.includes('::')
        ? [machine.split(':')[0]!, Number(machine.split(':')[1])]
        : [machine, undefined];
    const found = findMachines(state.value, address, port);
    const m = found[0];
    if (!m) {
      return err(
        'ops.unknown-machine',
        `${machine} is not a machine Quorate knows`,
        `Add it first: quorate hosts add ${machine} …`,
      );
    }
    if (!m.trusted) {
      return err(
        'ssh.host-key-unknown',
        `the host key of ${machine} was never confirmed`,
        `Check the fingerprint, then: quorate hosts trust ${machine} --fingerprint ${m.fingerprint}`,
      );
    }
    let auth: SshAuth;
    let sudoPassword: string | undefined;
    if (m.auth === 'password') {
      const secret = await secrets.get(secretAccount(m));
      if (!secret.ok) {
        return secret;
      }
      if (secret.value === null) {
        return err(
          'ops.no-secret',
          `no password stored for ${m.user}@${machine}`,
          `Add the machine again with --password-stdin.`,
        );
      }
      auth = { kind: 'password', password: secret.value };
    } else if (m.auth === 'key') {
      if (!m.keyPath) {
        return err('ops.no-secret', `no key file recorded for ${machine}`, 'Add the machine again with --key FILE.');
      }
      auth = { kind: 'key', path: m.keyPath };
      const sudo = await secrets.get(secretAccount(m));
      if (sudo.ok && sudo.value) {
        sudoPassword = sudo.value;
      }
    } else {
      auth = { kind: 'agent' };
    }
    const s = await connectSsh(
      { address: m.address, port: m.port, user: m.user, auth, ...(m.name ? { name: m.name } : {}) },
      { pinnedFingerprint: m.fingerprint, ...(sudoPassword ? { sudoPassword } : {}) },
    );
    return s.ok ? ok(asRoot(s.value)) : s;
  };
}
