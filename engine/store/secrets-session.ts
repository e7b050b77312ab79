/**
 * Secrets for this run only, for a desktop without a Secret Service (a bare window manager, a
 * container, a fresh VM): the user chose "remember for this session only", so from then on new
 * secrets stay in this process's memory and are gone when Quorate quits. Reads still find what
 * the OS keyring holds, when it answers.
 */
import type { Result } from '../result';
import { ok } from '../result';
import type { SecretStore } from './secrets.keyring';

export interface SessionSecretStore extends SecretStore {
  /** From now on, secrets are kept in memory for this run instead of in the OS keyring. */
  keepInMemory(): void;
  /** Whether `keepInMemory` was called. */
  readonly inMemory: boolean;
}

/** `primary` (the OS keyring), switchable to memory for the rest of the run. */
export function withSessionSecrets(primary: SecretStore): SessionSecretStore {
  const memory = new Map<string, string>();
  let inMemory = false;
  return {
    get inMemory() {
      return inMemory;
    },
    keepInMemory() {
      inMemory = true;
    },
    async get(account): Promise<Result<string | null>> {
      const kept = memory.get(account);
      if (kept !== undefined) {
        return ok(kept);
      }
      const r = await primary.get(account);
      // Without a keyring, "nothing stored there" is the truth for this run.
      return r.ok || !inMemory ? r : ok(null);
    },
    async set(account, secret): Promise<Result<void>> {
      if (inMemory) {
        memory.set(account, secret);
        return ok(undefined);
      }
      return primary.set(account, secret);
    },
    async delete(account): Promise<Result<boolean>> {
      const had = memory.delete(account);
      const r = await primary.delete(account);
      if (r.ok) {
        return ok(had || r.value);
      }
      return had || inMemory ? ok(had) : r;
    },
  };
}
