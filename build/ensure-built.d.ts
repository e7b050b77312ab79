/** Types for build/ensure-built.js (plain JavaScript, run by node without a build step). */
export type BuildPart = 'renderer' | 'electron' | 'agent';
export const BUILD_OUTPUTS: Record<BuildPart, string>;
export function missingParts(outputs?: Record<string, string>): BuildPart[];
export function ensureBuilt(options?: {
  parts?: BuildPart[];
  log?: (s: string) => void;
}): { ok: true; built: BuildPart[] } | { ok: false; message: string };
