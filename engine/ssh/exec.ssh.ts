/**
 * One command over an SSH connection: its own session channel, output streamed and collected,
 * the exit code always returned, stdin written (after a sudo password line when there is one), and
 * a timed-out or cancelled command killed on the host, not just abandoned.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Client, ClientChannel } from 'ssh2';
import { err, ok } from '../result';
import type { Result } from '../result';
import type { CommandOutput, RunOptions } from './runner';

/**
 * Sends the `signal` channel request (RFC 4254 §6.9): sshd (OpenSSH ≥ 7.9) `killpg`s the session's
 * process group, so a timed-out command does not linger on the host. ssh2's `channel.signal()`
 * sends nothing once stdin has been ended (the channel is no longer "writable"), which is always the
 * case here, so the request goes through the protocol object ssh2 keeps for that channel.
 */
export function sendKill(client: Client, channel: ClientChannel): void {
  const internals = client as unknown as { _protocol?: { signal(id: number, name: string): void } };
  const outgoing = (channel as unknown as { outgoing?: { id: number; state: string } }).outgoing;
  if (!internals._protocol || !outgoing || outgoing.state !== 'open') {
    return;
  }
  try {
    internals._protocol.signal(outgoing.id, 'KILL');
  } catch {
    /* connection already gone */
  }
}

/**
 * Runs `command` on `client` (`where` names the machine in messages). `stop` kills it on the host
 * when it times out or is cancelled; `isClosed` says whether the connection is gone already.
 */
export function execOnClient(
  client: Client,
  where: string,
  isClosed: () => boolean,
  command: string,
  options: RunOptions,
  stdinPrefix: string | undefined,
  stop: (() => Promise<void>) | undefined,
): Promise<Result<CommandOutput>> {
  if (isClosed()) {
    return Promise.resolve(err('ssh.disconnected', `the SSH session to ${where} is closed`, 'connect again'));
  }
  if (options.signal?.aborted) {
    return Promise.resolve(
      err('ssh.command-aborted', `cancelled before running on ${where}`, 'run it again when ready'),
    );
  }
  return new Promise((resolve) => {
    let settled = false;
    let channel: ClientChannel | undefined;
    let timer: NodeJS.Timeout | undefined;
    const stdout: string[] = [];
    const stderr: string[] = [];
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    const finish = (result: Result<CommandOutput>): void => {
      if (settled) {
        return;
      }
      settled = true;
      if (timer) {
        clearTimeout(timer);
      }
      options.signal?.removeEventListener('abort', onAbort);
      client.removeListener('close', onClientClose);
      resolve(result);
    };
    const kill = (error: Result<never>): void => {
      if (settled) {
        return;
      }
      if (timer) {
        clearTimeout(timer);
      }
      options.signal?.removeEventListener('abort', onAbort);
      if (channel) {
        sendKill(client, channel);
        channel.close();
      }
      // The signal request is not enough (see killMarkedCommand): also kill it by its marker.
      const stopped = stop && !isClosed() ? stop().catch(() => undefined) : Promise.resolve();
      settled = true;
      void stopped.then(() => {
        client.removeListener('close', onClientClose);
        resolve(error);
      });
    };
    const onAbort = (): void => {
      kill(err('ssh.command-aborted', `cancelled while running on ${where}`, 'run it again when ready'));
    };
    const onClientClose = (): void => {
      finish(
        err(
          'ssh.disconnected',
          `the SSH connection to ${where} dropped while a command ran`,
          'check the machine and the network, then run it again',
        ),
      );
    };
    client.on('close', onClientClose);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        kill(
          err(
            'ssh.command-timeout',
            `a command on ${where} did not finish within ${options.timeoutMs} ms`,
            'the machine may be overloaded or the command stuck; check it, or allow more time',
          ),
        );
      }, options.timeoutMs);
    }
    try {
      client.exec(command, (error, ch) => {
        if (error) {
          finish(
            err(
              'ssh.exec-failed',
              `could not start a command on ${where}`,
              'the server refused a new session channel (MaxSessions?); try again',
              error,
            ),
          );
          return;
        }
        channel = ch;
        if (settled) {
          sendKill(client, ch);
          ch.close();
          return;
        }
        const outDecoder = new StringDecoder('utf8');
        const errDecoder = new StringDecoder('utf8');
        const emit = (stream: 'stdout' | 'stderr', text: string): void => {
          if (text === '') {
            return;
          }
          (stream === 'stdout' ? stdout : stderr).push(text);
          options.progress?.({ stream, text });
        };
        ch.on('data', (chunk: Buffer) => emit('stdout', outDecoder.write(chunk)));
        ch.stderr.on('data', (chunk: Buffer) => emit('stderr', errDecoder.write(chunk)));
        ch.on('exit', (code: number | null, signalName?: string) => {
          if (typeof code === 'number') {
            exitCode = code;
          } else if (signalName) {
            exitSignal = signalName;
          }
        });
        ch.on('close', () => {
          emit('stdout', outDecoder.end());
          emit('stderr', errDecoder.end());
          finish(ok({ stdout: stdout.join(''), stderr: stderr.join(''), exitCode, signal: exitSignal }));
        });
        if (stdinPrefix !== undefined) {
          ch.write(stdinPrefix);
        }
        if (options.stdin !== undefined) {
          ch.end(typeof options.stdin === 'string' ? options.stdin : Buffer.from(options.stdin));
        } else {
          ch.end();
        }
      });
    } catch (e) {
      finish(err('ssh.disconnected', `the SSH session to ${where} is closed`, 'connect again', e));
    }
  });
}
