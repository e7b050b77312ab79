/**
 * Entry point of the bundled agent (dist/agent/quorate-agent.cjs): `serve`, `call`, `version`.
 * Bundled into one CommonJS file with no dependencies beyond Node ≥ 18's builtins.
 */
import { callOnce, createHandlers, serve } from './daemon';
import { startAgentJournal } from './journal-watch.proc';
import { openAlertStore } from './alert-config.fs';
import { createAgentAlertSender } from './alert-sender';
import { sendHttpAlert } from './alert-send.net';
import { sendSmtp } from './smtp.net';
import { AGENT_USAGE, parseAgentArgs } from './commands';
import { AGENT_PROTOCOL_VERSION, AGENT_VERSION } from './protocol';

async function main(argv: string[]): Promise<number> {
  const parsed = parseAgentArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`quorate-agent: ${parsed.problem}\n${AGENT_USAGE}\n`);
    return 2;
  }
  const inv = parsed.value;
  switch (inv.command) {
    case 'help':
      process.stdout.write(`${AGENT_USAGE}\n`);
      return 0;
    case 'version':
      process.stdout.write(`${AGENT_VERSION} protocol ${AGENT_PROTOCOL_VERSION}\n`);
      return 0;
    case 'call': {
      const r = await callOnce(inv.socket, inv.method, inv.params, inv.timeoutMs);
      if (!r.ok) {
        process.stderr.write(`quorate-agent: ${inv.socket}: ${r.problem}\n`);
        return 1;
      }
      process.stdout.write(`${JSON.stringify(r.reply)}\n`);
      return 'error' in (r.reply as object) ? 1 : 0;
    }
    case 'serve': {
      // The journal (and the alert sender on top of it) runs from start to stop, desktop or not.
      const journal = await startAgentJournal().catch((e: unknown) => {
        process.stderr.write(`quorate-agent: journal disabled: ${(e as Error).message}\n`);
        return undefined;
      });
      const alerts = await openAlertStore().catch((e: unknown) => {
        process.stderr.write(`quorate-agent: alerts disabled: ${(e as Error).message}\n`);
        return undefined;
      });
      if (journal && alerts) {
        const sender = createAgentAlertSender({
          config: () => alerts.config(),
          sent: alerts.sent,
          saveSent: () => alerts.saveSent(),
          // 4 s per try: a node that cannot reach the channel gives up within ~15 s.
          send: (url, headers, body) => sendHttpAlert({ url, headers, body }, 4_000),
          sendMail: (m) => sendSmtp(m, 4_000),
          now: Date.now,
          setTimer: (fn, ms) => void setTimeout(fn, ms),
          log: (line) => process.stderr.write(`quorate-agent: ${line}\n`),
        });
        journal.onChange((entries, after, before) => sender.observe(entries, after, before));
      }
      const running = await serve(
        inv.socket,
        createHandlers({ ...(journal ? { journal } : {}), ...(alerts ? { alerts } : {}) }),
      );
      if (!running.ok) {
        await journal?.stop();
        process.stderr.write(`quorate-agent: ${running.error.message}\nhint: ${running.error.hint}\n`);
        return 1;
      }
      process.stderr.write(`quorate-agent ${AGENT_VERSION} (pid ${process.pid}) listening on ${inv.socket}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          void running.value
            .stop()
            .then(() => journal?.stop())
            .then(resolve);
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
        process.once('SIGHUP', stop);
      });
      return 0;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`quorate-agent: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
