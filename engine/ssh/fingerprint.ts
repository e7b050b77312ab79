/**
 * Host key fingerprints spelled exactly as OpenSSH spells them (`ssh-keygen -lf`, the "ECDSA key
 * fingerprint is …" prompt): `SHA256:` followed by the unpadded base64 of the SHA-256 of the key blob.
 */
import { createHash } from 'node:crypto';

export interface HostKeyFingerprint {
  /** `SHA256:…`, unpadded base64. */
  readonly fingerprint: string;
  /** The key type named inside the blob: `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, … */
  readonly algorithm: string;
}

/** Fingerprint of an SSH wire-format public key blob (what the server sends in its key exchange). */
export function fingerprintOfKeyBlob(blob: Uint8Array): HostKeyFingerprint {
  const digest = createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
  return { fingerprint: `SHA256:${digest}`, algorithm: keyTypeOfBlob(blob) };
}

/** Fingerprint of an OpenSSH public key line (`ssh-ed25519 AAAA… comment`), or null if it is not one. */
export function fingerprintOfPublicKeyLine(line: string): HostKeyFingerprint | null {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 2) {
    return null;
  }
  const blob = Buffer.from(parts[1] ?? '', 'base64');
  if (blob.length < 8 || keyTypeOfBlob(blob) !== parts[0]) {
    return null;
  }
  return fingerprintOfKeyBlob(blob);
}

/** True for `SHA256:` + 43 base64 characters, the only spelling Quorate pins. */
export function isSha256Fingerprint(text: string): boolean {
  return /^SHA256:[A-Za-z0-9+/]{43}$/.test(text);
}

/**
 * Normalises what a person pastes: surrounding spaces and a trailing `=` (some tools pad) removed.
 * The base64 part stays case-sensitive: fingerprints differing in case are different keys.
 */
export function normaliseFingerprint(text: string): string {
  const trimmed = text.trim().replace(/=+$/, '');
  return trimmed.replace(/^sha256:/i, 'SHA256:');
}

/** The first SSH `string` in a key blob names its type (RFC 4253 §6.6). */
function keyTypeOfBlob(blob: Uint8Array): string {
  if (blob.length < 4) {
    return 'unknown';
  }
  const view = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const length = view.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > view.length) {
    return 'unknown';
  }
  return view.toString('latin1', 4, 4 + length);
}
