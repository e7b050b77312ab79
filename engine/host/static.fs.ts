/**
 * Reads the built renderer (dist/renderer) for the browser host and for Electron's app protocol.
 * Only files inside the root are ever read: the request path is normalised and checked against it.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
  /** `index.html` must not be cached (it names the hashed assets of the current build). */
  readonly immutable: boolean;
}

/**
 * The file for a URL path (`/`, `/assets/index-ab12.js`), or `undefined` when there is none or the
 * path tries to leave `root`. A path without an extension that names no file gets `index.html`, so
 * the renderer's own routes survive a reload.
 */
export async function readStaticFile(root: string, urlPath: string): Promise<StaticFile | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) {
    return undefined;
  }
  const base = resolve(root);
  const target = resolve(base, '.' + normalize('/' + decoded));
  if (target !== base && !target.startsWith(base + sep)) {
    return undefined;
  }
  const file = (await isFile(target)) ? target : extname(target) === '' ? join(base, 'index.html') : undefined;
  if (!file || !(await isFile(file))) {
    return undefined;
  }
  const ext = extname(file).toLowerCase();
  return {
    body: await readFile(file),
    contentType: types[ext] ?? 'application/octet-stream',
    immutable: ext !== '.html',
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
