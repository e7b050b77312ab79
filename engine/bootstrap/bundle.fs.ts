/** The agent bundle on the desktop's disk: bytes, version and digest, as install needs them. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_VERSION } from '../agent/protocol';
import { err, ok, type Result } from '../result';

export interface AgentBundle {
  readonly bytes: Uint8Array;
  readonly version: string;
  /** `sha256:<hex>` of the bytes: same version + same digest = nothing to do. */
  readonly digest: string;
}

/**
 * `$QUORATE_AGENT_BUNDLE` when set (packaged apps point it into their resources), else
 * dist/agent/quorate-agent.cjs in the checkout (engine/bootstrap → ../../dist), else under the cwd
 * (in a CommonJS bundle `import.meta.url` is empty).
 */
export function defaultBundlePath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.QUORATE_AGENT_BUNDLE) {
    return env.QUORATE_AGENT_BUNDLE;
  }
  let root: string;
  try {
    root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  } catch {
    root = process.cwd();
  }
  return join(root, 'dist', 'agent', 'quorate-agent.cjs');
}

export function bundleFromBytes(bytes: Uint8Array, version: string = AGENT_VERSION): AgentBundle {
  return { bytes, version, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
}

/** Read the bundle built by build/bundle-agent.js. */
export async function loadAgentBundle(path: string = defaultBundlePath()): Promise<Result<AgentBundle>> {
  try {
    return ok(bundleFromBytes(await readFile(path)));
  } catch (e) {
    return err('bootstrap.no-bundle', `the agent bundle ${path} is missing`, 'build it first: npm run build:agent', e);
  }
}
