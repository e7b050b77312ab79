/**
 * The one way Quorate acts on a machine: as root. A root login runs commands as they are; a sudo
 * user's session runs every command, every upload and every unix-socket connection through sudo.
 * Whatever opens a session for an operation, a bootstrap, a pre-flight or a watch wraps it here, so
 * no caller can forget `sudo: true` (the window's create once failed with `corosync-keygen: not found`
 * because its sessions were not wrapped).
 */
import type { Duplex } from 'node:stream';
import type { Result } from '../result';
import { ok } from '../result';
import { sh } from '../shell';
import type { SshEndpoint } from './errors';
import type { HostKeyFingerprint } from './fingerprint';
import type { CommandRunner, RunOptions } from './runner';
import type { SshSession } from './session.ssh';

/** A session that is root on its machine, whoever logged in. */
export interface RootSession extends CommandRunner {
  readonly endpoint: SshEndpoint;
  readonly hostKey: HostKeyFingerprint;
  /** A byte stream to a root-only unix socket on the machine (the agent's). */
  forwardUnixSocket(remotePath: string): Promise<Result<Duplex>>;
  /** The connection ended (see `SshSession.closed`). */
  readonly closed?: boolean;
}

/**
 * A tiny relay run as root with the machine's own Node (the agent needs Node ≥ 18 there anyway):
 * stdin → socket, socket → stdout; it exits when either side ends. sshd opens a stream-local forward
 * as the login user, so a sudo user cannot reach a root-only socket any other way without new
 * packages (socat, netcat) on the machine.
 */
export function socketBridgeCommand(remotePath: string): string {
  const script =
    "const s=require('net').connect(process.argv[1]);" +
    "s.on('connect',()=>{process.stdin.pipe(s);s.pipe(process.stdout);});" +
    "s.on('error',(e)=>{process.stderr.write(e.message+'\\n');process.exit(1);});" +
    "s.on('close',()=>process.exit(0));process.stdin.on('end',()=>s.end());";
  return sh`node -e ${script} ${remotePath}`;
}

/** Every command and upload as root: `sudo` for a non-root login (a no-op for root). */
export function asRoot(session: SshSession): RootSession {
  const root = session.endpoint.user === 'root';
  return {
    label: session.label,
    endpoint: session.endpoint,
    hostKey: session.hostKey,
    run: (command: string, options: RunOptions = {}) => session.run(command, { ...options, sudo: true }),
    upload: (path: string, data: string | Uint8Array, mode?: number) =>
      session.upload(path, data, mode, { sudo: true }),
    forwardUnixSocket: async (path: string) => {
      if (root) {
        return session.forwardUnixSocket(path);
      }
      const stream = await session.openCommandStream(socketBridgeCommand(path), { sudo: true });
      return stream.ok ? ok(stream.value as Duplex) : stream;
    },
    close: () => session.close(),
    get closed() {
      return session.closed === true;
    },
  };
}
