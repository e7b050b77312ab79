/**
 * A real SSH server in-process (ssh2's `Server`) on 127.0.0.1 with a fresh ed25519 host key and one
 * password user, answering the few commands a trust step runs. For UI tests of the host-key
 * confirmation and of a wrong password; the lab's real sshd is for everything beyond that.
 */
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { generateHostKey } from '../engine/ssh/ssh2-server';
import { fingerprintOfKeyBlob } from '../../engine/ssh/fingerprint';

export interface TestSshServer {
  readonly port: number;
  /** `SHA256:…`, as Quorate should show it. */
  readonly fingerprint: string;
  readonly user: string;
  readonly password: string;
  /** Commands the server was asked to run, in order. */
  readonly commands: string[];
  close(): Promise<void>;
}

export async function startSshServer(
  opts: { user?: string; password?: string; hostname?: string } = {},
): Promise<TestSshServer> {
  const user = opts.user ?? 'root';
  const password = opts.password ?? 'correct horse';
  const hostname = opts.hostname ?? 'e2e-node';
  const keys = generateHostKey();
  const parsed = ssh2.utils.parseKey(keys.private);
  if (parsed instanceof Error) {
    throw parsed;
  }
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  const fingerprint = fingerprintOfKeyBlob(key.getPublicSSH()).fingerprint;
  const commands: string[] = [];
  const server = new ssh2.Server({ hostKeys: [keys.private] }, (client) => {
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      if (ctx.method === 'password' && ctx.username === user && ctx.password === password) {
        ctx.accept();
      } else {
        ctx.reject(['password']);
      }
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => {
          const stream = acceptExec();
          commands.push(info.command);
          // Quorate may wrap the command (sh -c '…'); what matters is what it asks for.
          if (info.command.includes('hostname') && info.command.includes('os-release')) {
            stream.write(`${hostname}\nDebian GNU/Linux 12 (bookworm)\n`);
            stream.exit(0);
          } else {
            stream.stderr.write(`e2e ssh server: ${info.command.split(' ')[0]}: not supported here\n`);
            stream.exit(127);
          }
          stream.end();
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    fingerprint,
    user,
    password,
    commands,
    // Connections a test left open must not keep the server (and the test run) alive.
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2_000);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
