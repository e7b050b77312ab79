import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// Two projects: `unit` runs in parallel and needs nothing but Node; `lab` drives real corosync, sshd
// and Chromium inside network namespaces, so its files run one at a time (2 cores, real timeouts).
export default defineConfig({
  test: {
    // The JSON report lets .ci/run print one plain "N passed, N failed" line at the end.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.lab.test.ts', 'test/e2e/**', 'node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        // Renderer state classes (`*.svelte.ts`) need the Svelte compiler for their runes.
        plugins: [svelte()],
        test: {
          name: 'renderer',
          include: ['test/renderer/**/*.spec.ts'],
        },
      },
      {
        test: {
          name: 'lab',
          include: ['test/**/*.lab.test.ts', 'test/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
