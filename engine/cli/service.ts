/**
 * The CLI's use-case layer is the window's: each command builds the same service (`engine/api`) in
 * its own process, calls its handlers, and prints. Only what a one-shot process needs differs: no
 * cluster watching at start, and the service disposed when the command ends.
 */
import type { QuorateService } from '../api/service';
import { createQuorateService } from '../api/service';
import type { SecretStore } from '../store';
import { defaultHome, keyringSecrets } from '../store';

export interface CliServiceOptions {
  /** State folder; default `$QUORATE_HOME` / the OS app-data folder. */
  readonly home?: string;
  /** Default: the OS keyring. */
  readonly secrets?: SecretStore;
  /** SSH connect + login timeout, milliseconds. Default 15 000. */
  readonly timeoutMs?: number;
  /** The agent bundle to install (default: dist/agent/quorate-agent.cjs). */
  readonly agentBundlePath?: string;
}

/** Runs `fn` with a service over the state in `home`; disposes it afterwards. */
export async function withService<T>(
  options: CliServiceOptions,
  fn: (service: QuorateService) => Promise<T>,
): Promise<T> {
  const service = createQuorateService({
    home: options.home ?? defaultHome(),
    secrets: options.secrets ?? keyringSecrets(),
    sshTimeoutMs: options.timeoutMs ?? 15_000,
    watchOnStart: false,
    ...(options.agentBundlePath ? { agentBundlePath: options.agentBundlePath } : {}),
  });
  try {
    return await fn(service);
  } finally {
    await service.dispose();
  }
}
