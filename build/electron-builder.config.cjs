/**
 * electron-builder: AppImage + deb (Linux), dmg (macOS), nsis (Windows).
 * `npm run dist` builds first (dist/electron, dist/renderer, dist/agent), then packs.
 * The node agent is shipped beside the app (extraResources), not inside app.asar, because the
 * bootstrapper uploads it to the machines as a plain file: main finds it at
 * `process.resourcesPath/agent/quorate-agent.cjs`.
 * Electron itself is downloaded by electron-builder at pack time (not possible offline).
 * @type {import('electron-builder').Configuration}
 */
/* global module */
module.exports = {
  appId: 'org.quorate.desktop',
  productName: 'Quorate',
  copyright: 'Quorate contributors, AGPL-3.0-or-later',
  directories: {
    output: 'dist/packages',
    buildResources: 'build',
  },
  files: [
    'package.json',
    'dist/electron/**/*',
    'dist/renderer/**/*',
    '!**/*.map',
    // Only the runtime dependencies main keeps external are packed (electron-builder adds the
    // production node_modules itself); tsx serves the CLI, not the app.
    '!node_modules/tsx/**',
  ],
  asar: true,
  // ssh2's optional native helpers and the keyring's .node files cannot run from inside an asar.
  asarUnpack: ['**/*.node'],
  extraResources: [
    { from: 'dist/agent/quorate-agent.cjs', to: 'agent/quorate-agent.cjs' },
    { from: 'build/icons/tray', to: 'tray', filter: ['*.png'] },
  ],
  linux: {
    target: ['AppImage', 'deb'],
    category: 'System',
    icon: 'build/icons/png',
    maintainer: 'Quorate contributors <quorate@users.noreply.github.com>',
    synopsis: 'Proxmox-style corosync clusters for a homelab, set up and watched safely',
  },
  deb: {
    // Secrets go to the Secret Service (GNOME Keyring / KWallet) through @napi-rs/keyring.
    recommends: ['gnome-keyring'],
  },
  mac: {
    target: ['dmg'],
    category: 'public.app-category.utilities',
    icon: 'build/icons/png/512x512.png',
  },
  dmg: {
    title: 'Quorate ${version}',
  },
  win: {
    target: ['nsis'],
    icon: 'build/icons/png/256x256.png',
  },
  nsis: {
    oneClick: false,
    perMachine: false,
    allowToChangeInstallationDirectory: true,
  },
};
