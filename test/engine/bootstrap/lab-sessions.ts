/** Lab test helper: real SSH sessions (engine/ssh) to lab hosts, host key pinned from a first probe. */
import { connectSsh, probeHostKey, type SshSession } from '../../../engine/ssh';
import type { ApiHandlers } from '../../../engine/api/contract';
import type { LabHost } from '../../lab/lab';

/** Log in to a lab host over its real sshd: as root by password, or as its sudo user. */
export async function sshTo(host: LabHost, as: 'root' | 'sudo' = 'root'): Promise<SshSession> {
  const key = await probeHostKey(host.address, 22, { timeoutMs: 10_000 });
  if (!key.ok) {
    throw new Error(`${host.name}: ${key.error.message}`);
  }
  const user = as === 'root' ? { user: 'root', password: host.rootPassword } : host.sudoUser!;
  const s = await connectSsh(
    { address: host.address, user: user.user, auth: { kind: 'password', password: user.password }, name: host.name },
    { pinnedFingerprint: key.value.fingerprint },
  );
  if (!s.ok) {
    throw new Error(`${host.name}: ${s.error.message}`);
  }
  return s.value;
}

/**
 * Adds a lab host to Quorate the way a user does, through the service both front doors call: add
 * (the host key is read), then trust it with the fingerprint it presented. As root, or as its sudo user.
 */
export async function addToQuorate(
  handlers: Pick<ApiHandlers, 'addMachine' | 'trustMachine'>,
  host: LabHost,
  as: 'root' | 'sudo' = 'root',
): Promise<void> {
  const user = as === 'root' ? { user: 'root', password: host.rootPassword } : host.sudoUser!;
  const added = await handlers.addMachine({
    address: host.address,
    user: user.user,
    auth: { kind: 'password', password: user.password },
  });
  if (!added.ok) {
    throw new Error(`${host.name}: ${added.error.message}`);
  }
  const trusted = await handlers.trustMachine({ address: host.address, fingerprint: added.value.hostKey!.fingerprint });
  if (!trusted.ok) {
    throw new Error(`${host.name}: ${trusted.error.message}`);
  }
}
