/**
 * What a machine's credentials mean, as pure functions over its record (no I/O): the record fields
 * and keyring accounts a `MachineAuth` stands for, the SSH credentials it gives, and the error a
 * host key other than the confirmed one gets. Its own module so that service-machines.ts keeps the
 * use cases (add, trust, remove, connect) and these rules, which both add and trust apply, read alone.
 */
import type { QuorateError } from '../result';
import { err } from '../result';
import { hostKeyFile } from '../ssh';
import type { MachineRecord } from '../store';
import { passphraseAccount, secretAccount } from '../store';
import type { HostKey, MachineAuth } from './contract';
import type { Credentials } from './machine-connect';

export function hostKeyMismatch(rec: MachineRecord, given: string, presented: HostKey, pinned: boolean): QuorateError {
  return err(
    'ssh.host-key-mismatch',
    `${rec.address}:${rec.port} presents host key ${presented.fingerprint} (${presented.algorithm}), not the ${given} you confirmed; ` +
      (pinned ? `nothing was changed, ${rec.fingerprint} stays pinned.` : 'nothing was trusted.'),
    `Check on the machine's console (ssh-keygen -lf ${hostKeyFile(presented.algorithm)}) which key is right and that the address is the machine you mean. ` +
      'If you did not change its keys, someone may be intercepting the connection.',
  ).error;
}

/** The record fields and keyring entries one `MachineAuth` stands for. */
export function authFields(auth: MachineAuth): Pick<MachineRecord, 'auth' | 'keyPath' | 'keyPassphrase'> {
  if (auth.kind === 'key') {
    return { auth: 'key', keyPath: auth.keyPath, ...(auth.passphrase ? { keyPassphrase: true } : {}) };
  }
  return { auth: auth.kind };
}

export function credentialsOf(auth: MachineAuth): Credentials {
  switch (auth.kind) {
    case 'password':
      return { auth: { kind: 'password', password: auth.password }, sudoPassword: auth.password };
    case 'key':
      return {
        auth: auth.passphrase
          ? { kind: 'key', path: auth.keyPath, passphrase: auth.passphrase }
          : { kind: 'key', path: auth.keyPath },
      };
    case 'agent':
      return { auth: { kind: 'agent' } };
  }
}

/** The keyring accounts a stored record uses (none for a key without passphrase, or the agent). */
export function accountsOf(rec: MachineRecord): string[] {
  return [
    ...(rec.auth === 'password' || rec.v1KeySecret ? [secretAccount(rec)] : []),
    ...(rec.keyPassphrase ? [passphraseAccount(rec)] : []),
  ];
}

/** [account, secret] pairs a record with `auth` keeps in the keyring. */
export function secretsOf(rec: MachineRecord, auth: MachineAuth): [string, string][] {
  if (auth.kind === 'password') {
    return [[secretAccount(rec), auth.password]];
  }
  if (auth.kind === 'key' && auth.passphrase) {
    return [[passphraseAccount(rec), auth.passphrase]];
  }
  return [];
}
