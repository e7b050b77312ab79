/**
 * Classifies ssh2 and socket failures once, into namespaced Quorate errors (STYLE §7: ssh2's
 * `level` plus the socket's `code` say what happened). Pure: the session adapter passes in what it saw.
 */
import type { QuorateError } from '../result';

/** Where a connection was going, for messages: `root@198.18.0.1:22`. */
export interface SshEndpoint {
  readonly address: string;
  readonly port: number;
  readonly user: string;
}

/** What ssh2 (or the socket under it) reported. */
export interface LowLevelFailure {
  readonly level?: string;
  readonly code?: string;
  readonly message: string;
}

/** `user@address:port`, or `address:port` when no user is involved (a host key probe). */
export function endpointLabel(endpoint: SshEndpoint): string {
  const host = endpoint.address.includes(':') ? `[${endpoint.address}]` : endpoint.address;
  return endpoint.user === '' ? `${host}:${endpoint.port}` : `${endpoint.user}@${host}:${endpoint.port}`;
}

function make(code: string, message: string, hint: string, cause?: string): QuorateError {
  return cause === undefined ? { code, message, hint } : { code, message, hint, cause };
}

/**
 * Maps a connection-phase failure to an error the UI shows. `serverMethods` are the authentication
 * methods the server listed (from its USERAUTH_FAILURE), `triedMethod` the one Quorate used.
 */
export function classifyConnectFailure(
  endpoint: SshEndpoint,
  failure: LowLevelFailure,
  context: { timeoutMs: number; serverMethods?: readonly string[]; triedMethod?: string },
): QuorateError {
  const where = endpointLabel(endpoint);
  const { code, level, message } = failure;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || level === 'client-dns') {
    return make(
      'ssh.dns',
      `could not resolve "${endpoint.address}" (${where})`,
      "check the spelling of the address, or use the IP address; make sure this computer's DNS knows the name",
      message,
    );
  }
  if (code === 'ECONNREFUSED') {
    return make(
      'ssh.refused',
      `${endpoint.address} refused the connection on port ${endpoint.port} (${where})`,
      `the machine is up but nothing listens on port ${endpoint.port}: start sshd (systemctl start ssh), or give the right port with --port`,
      message,
    );
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EHOSTDOWN' || code === 'ENETDOWN') {
    return make(
      'ssh.unreachable',
      `no route to ${endpoint.address} (${where})`,
      'check that the machine is powered on and on the same network, and that the address is right',
      message,
    );
  }
  if (code === 'ETIMEDOUT' || level === 'client-timeout') {
    return make(
      'ssh.timeout',
      `no answer from ${where} within ${Math.round(context.timeoutMs / 1000)} s`,
      'check that the machine is on and reachable (ping it), and that no firewall drops SSH',
      message,
    );
  }
  if (level === 'client-authentication') {
    const offered = context.serverMethods ?? [];
    const accepts = offered.length > 0 ? `server accepts: ${offered.join(', ')}` : 'the server named no methods';
    const tried = context.triedMethod;
    const notOffered =
      tried !== undefined &&
      offered.length > 0 &&
      !offered.includes(tried) &&
      !(tried === 'password' && offered.includes('keyboard-interactive'));
    const what = notOffered ? `the server does not accept ${tried} login` : 'authentication failed';
    return make(
      'ssh.auth-failed',
      `${what} for ${where} (${accepts})`,
      notOffered
        ? `log in with one of the methods the server accepts, or enable ${tried} login in its sshd_config`
        : 'check the user name and the password or key; for root, sshd must allow it (PermitRootLogin)',
      message,
    );
  }
  if (level === 'agent') {
    return make(
      'ssh.agent-unavailable',
      `the SSH agent could not be used for ${where}`,
      'start ssh-agent and add your key (ssh-add), or log in with a key file or a password',
      message,
    );
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || /closed|reset/i.test(message)) {
    return make(
      'ssh.disconnected',
      `${where} closed the connection before the login finished`,
      'the server may limit connections (MaxStartups) or refuse this client address; check its sshd log',
      message,
    );
  }
  return make(
    'ssh.failed',
    `SSH to ${where} failed: ${message}`,
    'check the address and port, and that the machine runs an SSH server',
    message,
  );
}

/** `ssh_host_<stem>_key.pub` for an SSH host key algorithm: the file to check on the machine's console. */
export function hostKeyFile(algorithm: string): string {
  const stem = algorithm.startsWith('ecdsa')
    ? 'ecdsa'
    : algorithm.startsWith('rsa') || algorithm === 'ssh-rsa'
      ? 'rsa'
      : algorithm.includes('ed25519')
        ? 'ed25519'
        : '*';
  return `/etc/ssh/ssh_host_${stem}_key.pub`;
}

/** The pinned key and the key the host presents differ: a hard refusal. */
export function hostKeyChangedError(
  endpoint: SshEndpoint,
  pinned: string,
  presented: string,
  algorithm: string,
): QuorateError {
  const check =
    'If you reinstalled the machine or regenerated its SSH keys, check the new fingerprint on its console ' +
    `(ssh-keygen -lf ${hostKeyFile(algorithm)}) and re-trust it deliberately`;
  const otherwise = 'Otherwise someone may be intercepting the connection: do not continue.';
  return {
    ...make(
      'ssh.host-key-changed',
      `the host key of ${endpoint.address}:${endpoint.port} has changed: pinned ${pinned}, the host now presents ${presented} (${algorithm}); refusing to connect`,
      `${check} (Machines → Review the new key). ${otherwise}`,
    ),
    cliHint: `${check}: quorate hosts trust ${endpoint.address}${endpoint.port === 22 ? '' : ` --port ${endpoint.port}`} --fingerprint ${presented}. ${otherwise}`,
  };
}

/** No key is pinned yet: the caller must show the fingerprint and ask. */
export function hostKeyUnknownError(
  endpoint: SshEndpoint,
  presented: string,
  algorithm: string,
): QuorateError & { readonly fingerprint: string; readonly algorithm: string } {
  return {
    ...make(
      'ssh.host-key-unknown',
      `${endpoint.address}:${endpoint.port} presents host key ${presented} (${algorithm}), which is not trusted yet`,
      `compare it with the machine's own (ssh-keygen -lf ${hostKeyFile(algorithm)} on its console), then confirm it (Machines → Trust)`,
    ),
    cliHint: `compare it with the machine's own (ssh-keygen -lf ${hostKeyFile(algorithm)} on its console), then trust it: quorate hosts trust ${endpoint.address}${endpoint.port === 22 ? '' : ` --port ${endpoint.port}`} --fingerprint ${presented}`,
    fingerprint: presented,
    algorithm,
  };
}

/** sudo refused (see `classifySudoFailure`): what to do about it, for `user` on the machine `label` names. */
export function sudoFailureError(
  failure: 'password-required' | 'not-allowed' | 'wrong-password',
  user: string,
  label: string,
): QuorateError {
  const who = `${user} on ${label}`;
  switch (failure) {
    case 'password-required':
      return make(
        'ssh.sudo-password-required',
        `sudo needs a password for ${who}, and none was given`,
        'give the sudo password (for a password login it is the login password), or allow this user NOPASSWD in /etc/sudoers.d',
      );
    case 'not-allowed':
      return make(
        'ssh.sudo-not-allowed',
        `${who} may not use sudo`,
        `add the user to the sudo group (usermod -aG sudo ${user}) or a file in /etc/sudoers.d, or log in as root`,
      );
    case 'wrong-password':
      return make(
        'ssh.sudo-wrong-password',
        `sudo refused the password for ${who}`,
        "give the password of this user on that machine (sudo asks for the user's own password, not root's)",
      );
  }
}
