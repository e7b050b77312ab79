/**
 * Reading a host key fingerprint the user typed or pasted, and naming the console command that
 * prints the machine's own. Pure; used by the host-key dialogs.
 */

const SHA256_FINGERPRINT = /SHA256:[A-Za-z0-9+/]{43}(?![A-Za-z0-9+/])/;

/**
 * The OpenSSH SHA256 fingerprint in `text`, or null: accepts the bare `SHA256:…` and a whole pasted
 * `ssh-keygen -lf` line (`256 SHA256:… root@pve1 (ED25519)`). Case matters (it is base64), so a
 * fingerprint is never "corrected" into one the user did not give.
 */
export function fingerprintIn(text: string): string | null {
  const m = SHA256_FINGERPRINT.exec(text);
  if (!m) {
    return null;
  }
  // Two different fingerprints in one paste: refuse to guess which one the user meant.
  const all = new Set(text.match(new RegExp(SHA256_FINGERPRINT.source, 'g')) ?? []);
  return all.size === 1 ? m[0] : null;
}

/** `ssh_host_<type>_key.pub`'s `<type>` for an SSH host key algorithm (`ssh-ed25519` → `ed25519`). */
export function keyFileType(algorithm: string | undefined): string {
  if (!algorithm) {
    return 'ed25519';
  }
  if (algorithm.startsWith('ecdsa')) {
    return 'ecdsa';
  }
  if (algorithm === 'ssh-rsa' || algorithm.startsWith('rsa-')) {
    return 'rsa';
  }
  return 'ed25519';
}

/** The command that prints the machine's own key fingerprint, to run on its console. */
export function consoleCommand(algorithm: string | undefined): string {
  return `ssh-keygen -lf /etc/ssh/ssh_host_${keyFileType(algorithm)}_key.pub`;
}
