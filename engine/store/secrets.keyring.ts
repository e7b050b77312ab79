/**
 * Secrets (SSH and sudo passwords) in the OS keyring through @napi-rs/keyring: Keychain on macOS,
 * Credential Manager on Windows, the Secret Service (gnome-keyring, KWallet, KeePassXC) on Linux.
 * Service `quorate`, account `user@address:port`. Nothing secret is ever written to a file: where
 * no keyring is available the calls fail with `store.keyring-unavailable`.
 */
import { AsyncEntry } from '@napi-rs/keyring';
import { err, ok } from '../result';
import type { Result } from '../result';

export const KEYRING_SERVICE = 'quorate';

export interface SecretStore {
  /** The secret, or null when none is stored. */
  get(account: string): Promise<Result<string | null>>;
  set(account: string, secret: string): Promise<Result<void>>;
  /** True when a secret was deleted, false when there was none. */
  delete(account: string): Promise<Result<boolean>>;
}

/**
 * The OS keyring. On Linux the Secret Service is required: the kernel keyutils fallback would lose
 * every password at reboot, silently.
 */
export function keyringSecrets(service: string = KEYRING_SERVICE): SecretStore {
  const entry = (account: string): AsyncEntry =>
    new AsyncEntry(service, account, { linux: { store: 'secret-service' } });
  const attempt = async <T>(account: string, what: string, fn: () => Promise<T>): Promise<Result<T>> => {
    try {
      return ok(await fn());
    } catch (e) {
      return keyringError(account, what, e);
    }
  };
  return {
    get: (account) => attempt(account, 'read', async () => (await entry(account).getPassword()) ?? null),
    set: (account, secret) =>
      attempt(account, 'store', async () => {
        await entry(account).setPassword(secret);
      }),
    delete: (account) => attempt(account, 'delete', () => entry(account).deleteCredential()),
  };
}

function keyringError(account: string, what: string, e: unknown): Result<never> {
  const message = e instanceof Error ? e.message : String(e);
  if (/locked|prompt|dismissed|cancel/i.test(message)) {
    return err(
      'store.keyring-locked',
      `the OS keyring is locked: could not ${what} the secret for ${account}`,
      'unlock your keyring (log in to the desktop session, or unlock it in Passwords and Keys / Keychain Access) and try again',
      e,
    );
  }
  return err(
    'store.keyring-unavailable',
    `no OS keyring is available to ${what} the secret for ${account}`,
    keyringHint(),
    e,
  );
}

/** What to do about a missing keyring, for this platform. */
export function keyringHint(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'linux') {
    return (
      'Quorate keeps passwords only in a Secret Service keyring: install gnome-keyring (or KeePassXC with Secret Service) and run Quorate ' +
      "inside a desktop session; on a headless machine: dbus-run-session -- sh -c 'echo -n PASS | gnome-keyring-daemon --unlock --components=secrets; quorate …'. " +
      'Or log in with a key file (--key) or ssh-agent, which needs no stored secret'
    );
  }
  if (platform === 'darwin') {
    return 'Quorate keeps passwords in the login Keychain: make sure it exists and is unlocked (Keychain Access)';
  }
  return 'Quorate keeps passwords in the Windows Credential Manager: make sure you are logged in to a normal user session';
}

/** A secret store that keeps secrets in this process's memory only: for tests and one-shot scripts. */
export function memorySecrets(): SecretStore & { readonly entries: ReadonlyMap<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    get: async (account) => ok(entries.get(account) ?? null),
    set: async (account, secret) => {
      entries.set(account, secret);
      return ok(undefined);
    },
    delete: async (account) => ok(entries.delete(account)),
  };
}
