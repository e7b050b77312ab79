import { describe, expect, it } from 'vitest';
import { chooseHost } from '../../build/start.js';

const withBinary = { path: '/opt/electron/electron', why: undefined } as const;
const noBinary = { path: undefined, why: 'the electron package was installed without its binary' } as const;
const desktop = { DISPLAY: ':0' };

describe('npm start chooses its host', () => {
  it('opens the Electron window where the binary and a display exist', () => {
    expect(chooseHost([], { env: desktop, platform: 'linux', electron: withBinary })).toEqual({
      host: 'electron',
      path: '/opt/electron/electron',
    });
  });

  it('serves the browser host, saying why, where the binary is missing', () => {
    expect(chooseHost([], { env: desktop, platform: 'linux', electron: noBinary })).toEqual({
      host: 'browser',
      why: noBinary.why,
    });
  });

  it('serves the browser host on a Linux machine without a display', () => {
    const choice = chooseHost([], { env: {}, platform: 'linux', electron: withBinary });
    expect(choice.host).toBe('browser');
    expect(choice).toHaveProperty('why', expect.stringContaining('no display'));
  });

  it('needs no DISPLAY on macOS', () => {
    expect(chooseHost([], { env: {}, platform: 'darwin', electron: withBinary }).host).toBe('electron');
  });

  it('--no-open is headless: the browser host even where Electron could run', () => {
    expect(chooseHost(['--no-open'], { env: desktop, platform: 'linux', electron: withBinary })).toEqual({
      host: 'browser',
      why: undefined,
    });
  });
});
