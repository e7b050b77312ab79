import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// The renderer's state classes are `.svelte.ts` modules: runes need the Svelte compiler, which the
// root config's `unit` project does not load. `npx vitest run --config test/renderer/vitest.config.ts`.
export default defineConfig({
  plugins: [svelte()],
  test: {
    name: 'renderer',
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/renderer/**/*.spec.ts'],
    testTimeout: 10_000,
  },
});
