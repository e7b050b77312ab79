/**
 * An in-process ssh2 `Server` on 127.0.0.1 for the SSH adapter's unit tests (STYLE §18). Commands
 * are run by the real local `sh`, so output streaming, exit codes and stdin are real; what it
 * controls is the server side of the protocol: host key, offered methods, accepted credentials.
 */
import { spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo, Server as TcpServer, Socket } from 'node:net';
import { createServer, connect as tcpConnect } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection, ParsedKey } from 'ssh2';

const { Server, utils } = ssh2;

export interface TestServerOptions {
  /** OpenSSH-format private host key (from `utils.generateKeyPairSync`). */
  hostKey: string;
  user: string;
  password?: string;
  /** OpenSSH public key line the user may log in with. */
  publicKey?: string;
  /** Methods the server lists; default: publickey, password. */
  methods?: ('password' | 'publickey' | 'keyboard-interactive')[];
}

export interface TestServer {
  port: number;
  /** Every authentication method a client tried, in order ('none', 'password', …). */
  authAttempts: string[];
  /** Commands received over exec. */
  commands: string[];
  close(): Promise<void>;
}

export function generateHostKey(type: 'ed25519' | 'ecdsa' = 'ed25519'): { private: string; public: string } {
  // ssh2's generateKeyPairSync('ed25519') writes a private key its own parser rejects about once in
  // 200 ("Malformed OpenSSH private key"): draw again until the pair parses, so no test flakes on it.
  for (;;) {
    const pair =
      type === 'ed25519' ? utils.generateKeyPairSync('ed25519') : utils.generateKeyPairSync('ecdsa', { bits: 256 });
    if (!(utils.parseKey(pair.private) instanceof Error)) {
      return pair;
    }
  }
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The command's whole process group (sh and what it started), by the PID this helper spawned. */
function killGroup(child: ReturnType<typeof spawn>, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null) {
    return;
  }
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

export async function startTestServer(opts: TestServerOptions): Promise<TestServer> {
  const methods = opts.methods ?? ['publickey', 'password'];
  const allowedKey = opts.publicKey ? (utils.parseKey(opts.publicKey) as ParsedKey) : undefined;
  const authAttempts: string[] = [];
  const commands: string[] = [];
  const connections = new Set<Connection>();
  const children = new Set<ReturnType<typeof spawn>>();
  const server = new Server({ hostKeys: [opts.hostKey] }, (client) => {
    connections.add(client);
    client.on('close', () => connections.delete(client));
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      authAttempts.push(ctx.method);
      const userOk = ctx.username === opts.user;
      if (ctx.method === 'password' && methods.includes('password')) {
        if (userOk && opts.password !== undefined && ctx.password === opts.password) {
          return ctx.accept();
        }
      } else if (ctx.method === 'publickey' && methods.includes('publickey') && allowedKey) {
        const matches =
          userOk && ctx.key.algo === allowedKey.type && sameBytes(ctx.key.data, allowedKey.getPublicSSH());
        if (matches) {
          if (!ctx.signature) {
            return ctx.accept();
          }
          if (ctx.blob && allowedKey.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) {
            return ctx.accept();
          }
        }
      } else if (ctx.method === 'keyboard-interactive' && methods.includes('keyboard-interactive')) {
        ctx.prompt([{ prompt: 'Password: ', echo: false }], (answers) => {
          if (userOk && answers[0] === opts.password) {
            ctx.accept();
          } else {
            ctx.reject(methods);
          }
        });
        return;
      }
      ctx.reject(methods);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => {
          commands.push(info.command);
          const stream = acceptExec();
          const child = spawn('sh', ['-c', info.command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
          children.add(child);
          child.stdout.on('data', (d: Buffer) => stream.write(d));
          child.stderr.on('data', (d: Buffer) => stream.stderr.write(d));
          stream.on('data', (d: Buffer) => child.stdin.write(d));
          stream.on('end', () => child.stdin.end());
          child.stdin.on('error', () => {});
          stream.on('close', () => {
            if (child.exitCode === null) {
              killGroup(child, 'SIGKILL');
            }
          });
          child.on('close', (code, signal) => {
            children.delete(child);
            if (code !== null) {
              stream.exit(code);
            } else {
              stream.exit(signal ?? 'KILL', false, '');
            }
            stream.end();
          });
        });
        session.on('signal', (_accept, _reject, info) => {
          for (const child of children) {
            killGroup(child, `SIG${info.name}` as NodeJS.Signals);
          }
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    authAttempts,
    commands,
    close: () =>
      new Promise<void>((resolve) => {
        for (const child of children) {
          killGroup(child, 'SIGKILL');
        }
        for (const c of connections) {
          c.end();
        }
        server.close(() => resolve());
      }),
  };
}

/** A loopback port whose connections go to whichever server `target` names now. */
export async function startSwitch(): Promise<{ port: number; target: { port: number }; close(): Promise<void> }> {
  const target = { port: 0 };
  const sockets = new Set<Socket>();
  const server: TcpServer = createServer((inbound) => {
    const outbound = tcpConnect(target.port, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    target,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) {
          s.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
