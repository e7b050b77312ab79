import { describe, expect, it } from 'vitest';
import { quorateHome } from '../../../engine/store';

describe('quorateHome', () => {
  const cases: [string, Record<string, string>, NodeJS.Platform, string][] = [
    ['QUORATE_HOME wins everywhere', { QUORATE_HOME: '/srv/q', XDG_CONFIG_HOME: '/x' }, 'linux', '/srv/q'],
    ['Linux with XDG_CONFIG_HOME', { XDG_CONFIG_HOME: '/home/ann/cfg' }, 'linux', '/home/ann/cfg/quorate'],
    ['Linux without XDG', {}, 'linux', '/home/ann/.config/quorate'],
    ['Linux ignores a relative XDG_CONFIG_HOME', { XDG_CONFIG_HOME: 'cfg' }, 'linux', '/home/ann/.config/quorate'],
    ['an empty QUORATE_HOME is unset', { QUORATE_HOME: '' }, 'linux', '/home/ann/.config/quorate'],
    ['macOS', { XDG_CONFIG_HOME: '/x' }, 'darwin', '/home/ann/Library/Application Support/Quorate'],
    [
      'Windows with APPDATA',
      { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' },
      'win32',
      'C:\\Users\\ann\\AppData\\Roaming\\Quorate',
    ],
    ['FreeBSD follows XDG', {}, 'freebsd', '/home/ann/.config/quorate'],
  ];
  it.each(cases)('%s', (_name, env, platform, expected) => {
    expect(quorateHome(env, platform, '/home/ann')).toBe(expected);
  });
});
