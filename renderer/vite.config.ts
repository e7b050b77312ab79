import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

// The same policy the browser host and Electron send (engine/host/csp.ts), so `vite preview` shows
// at once when something would be blocked: no inline script, no style attributes, nothing remote.
const csp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export default defineConfig({
  root: here,
  // Relative asset URLs: Electron loads the build from its app protocol, the browser host from /.
  base: './',
  plugins: [svelte()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // One CSS file and no inline assets: everything comes from 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  preview: { host: '127.0.0.1', headers: { 'Content-Security-Policy': csp } },
  server: { host: '127.0.0.1' },
});
