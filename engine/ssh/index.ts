export type { CommandOutput, CommandRunner, RunOptions } from './runner';
export { connectSsh } from './connect.ssh';
export type { ConnectOptions, SshAuth, SshSession, SshTarget, UploadOptions } from './session.ssh';
export { probeHostKey } from './probe.ssh';
export {
  fingerprintOfKeyBlob,
  fingerprintOfPublicKeyLine,
  isSha256Fingerprint,
  normaliseFingerprint,
} from './fingerprint';
export type { HostKeyFingerprint } from './fingerprint';
export {
  classifySudoFailure,
  killMarkedCommand,
  markCommand,
  shellJoin,
  shellQuote,
  sudoInstallCommand,
  sudoWrap,
  uploadTempPath,
} from './commands';
export type { SudoFailure, SudoMode } from './commands';
export { classifyConnectFailure, endpointLabel, hostKeyChangedError, hostKeyFile, hostKeyUnknownError } from './errors';
export { asRoot, socketBridgeCommand } from './as-root';
export type { RootSession } from './as-root';
export type { SshEndpoint } from './errors';
