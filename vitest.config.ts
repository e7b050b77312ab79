import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// Three projects: `unit` and `renderer` run in parallel and need nothing but Node; `lab` drives real
// corosync, sshd and Chromium inside network namespaces. Lab files run two at a time after the unit
// tests (their own group): each lab allocates its own ids, subnet and namespaces atomically, and two
// labs is what the 2-core CI machine carries without corosync's token timing suffering (measured:
// every lab file passed beside another under the development lab slots). QUORATE_LAB_WORKERS=1 runs
// them one at a time, e.g. on a busier machine.
const labWorkers = Number(process.env.QUORATE_LAB_WORKERS ?? 2) || 2;
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
          fileParallelism: labWorkers > 1,
          maxWorkers: labWorkers,
          sequence: { groupOrder: 1 },
          testTimeout: 240_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
