/**
 * What a login sends: the user's credential read and checked before any connection (a key file
 * parsed with its passphrase, the agent socket found), and the one authentication method to offer
 * for each round the server asks. Used by `connectSsh`.
 */
import { readFile, stat } from 'node:fs/promises';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, ParsedKey } from 'ssh2';
import { err, ok } from '../result';
import type { Result } from '../result';
import { endpointLabel } from './errors';
import type { SshEndpoint } from './errors';
import type { SshAuth } from './session.ssh';

const { utils } = ssh2;

/** A credential ready to offer. */
export type PreparedCredential =
  { kind: 'password'; password: string } | { kind: 'key'; key: ParsedKey } | { kind: 'agent'; socket: string };

export async function prepareCredential(endpoint: SshEndpoint, auth: SshAuth): Promise<Result<PreparedCredential>> {
  const where = endpointLabel(endpoint);
  if (auth.kind === 'password') {
    return ok({ kind: 'password', password: auth.password });
  }
  if (auth.kind === 'agent') {
    const socket = auth.socket ?? process.env.SSH_AUTH_SOCK;
    if (!socket) {
      return err(
        'ssh.agent-unavailable',
        `no SSH agent to log in to ${where} with (SSH_AUTH_SOCK is not set)`,
        'start ssh-agent and add your key (ssh-add), or log in with a key file or a password',
      );
    }
    const info = await stat(socket).catch(() => null);
    if (!info?.isSocket()) {
      return err(
        'ssh.agent-unavailable',
        `the SSH agent socket ${socket} does not exist (for ${where})`,
        'start ssh-agent and add your key (ssh-add), or log in with a key file or a password',
      );
    }
    return ok({ kind: 'agent', socket });
  }
  let data: Buffer;
  try {
    data = await readFile(auth.path);
  } catch (e) {
    return err(
      'ssh.key-unreadable',
      `cannot read the key file ${auth.path} (for ${where})`,
      'check the path and that this user may read the file',
      e,
    );
  }
  const parsed = utils.parseKey(data, auth.passphrase);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || key instanceof Error) {
    const encrypted = /encrypted|passphrase|decrypt/i.test(key instanceof Error ? key.message : '');
    return err(
      'ssh.key-unreadable',
      encrypted
        ? `the key file ${auth.path} is encrypted and the passphrase is ${auth.passphrase === undefined ? 'missing' : 'wrong'} (for ${where})`
        : `${auth.path} is not a private key Quorate can read (for ${where})`,
      encrypted
        ? "give the key's passphrase, or load it into ssh-agent and log in with the agent"
        : 'use an OpenSSH private key (ed25519, ecdsa or rsa), e.g. ~/.ssh/id_ed25519',
      key instanceof Error ? key : undefined,
    );
  }
  if (key.getPrivatePEM() === null) {
    return err(
      'ssh.key-unreadable',
      `${auth.path} holds a public key, not a private one (for ${where})`,
      'give the private key file (without .pub)',
    );
  }
  return ok({ kind: 'key', key });
}

export function pickMethod(
  cred: PreparedCredential,
  offered: readonly string[],
  tried: Set<string>,
  username: string,
): AnyAuthMethod | null {
  const take = (name: string): boolean => {
    if (tried.has(name) || !offered.includes(name)) {
      return false;
    }
    tried.add(name);
    return true;
  };
  if (cred.kind === 'password') {
    if (take('password')) {
      return { type: 'password', username, password: cred.password };
    }
    // Some sshd configurations (PAM) offer only keyboard-interactive: answer every prompt with the password.
    if (take('keyboard-interactive')) {
      return {
        type: 'keyboard-interactive',
        username,
        prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => cred.password)),
      };
    }
    return null;
  }
  if (cred.kind === 'key') {
    return take('publickey') ? { type: 'publickey', username, key: cred.key } : null;
  }
  return take('publickey') ? { type: 'agent', username, agent: cred.socket } : null;
}
