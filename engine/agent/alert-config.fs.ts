/**
 * The agent's alert settings and sent log on disk: `/var/lib/quorate-agent/alerts.json` (channel
 * settings with their secrets, pushed by the desktop with `alerts.configure`; 0600 in a 0700
 * folder, root-only) and `alerts-sent.json` (de-duplication across restarts). An empty channel list
 * removes the settings file.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { err, ok, type Result } from '../result';
import type { AgentAlertConfig } from './alert-sender';
import { AGENT_ALERTS_FILE, AGENT_SENT_FILE, AGENT_STATE_DIR } from './state-paths';

async function writePrivate(file: string, text: string): Promise<void> {
  const temp = `${file}.tmp`;
  await writeFile(temp, text, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, file);
}

export interface AlertStore {
  config(): AgentAlertConfig | null;
  configure(c: AgentAlertConfig): Promise<Result<{ readonly channels: number }>>;
  readonly sent: Map<string, number>;
  saveSent(): void;
}

export async function openAlertStore(dir: string = AGENT_STATE_DIR): Promise<AlertStore> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const configFile = join(dir, AGENT_ALERTS_FILE);
  const sentFile = join(dir, AGENT_SENT_FILE);
  let config: AgentAlertConfig | null = await readFile(configFile, 'utf8')
    .then((t) => JSON.parse(t) as AgentAlertConfig)
    .catch(() => null);
  const sent = new Map<string, number>(
    Object.entries(
      await readFile(sentFile, 'utf8')
        .then((t) => JSON.parse(t) as Record<string, number>)
        .catch(() => ({})),
    ),
  );
  let saving: Promise<void> = Promise.resolve();
  return {
    config: () => config,
    async configure(c) {
      try {
        if (c.channels.length === 0) {
          await rm(configFile, { force: true });
          config = null;
        } else {
          await writePrivate(configFile, `${JSON.stringify(c)}\n`);
          config = c;
        }
        return ok({ channels: c.channels.length });
      } catch (e) {
        return err(
          'agent.alerts-unwritable',
          `cannot write ${configFile}: ${(e as Error).message}`,
          'check the disk of that node',
          e,
        );
      }
    },
    sent,
    saveSent() {
      saving = saving.then(() =>
        writePrivate(sentFile, JSON.stringify(Object.fromEntries(sent))).catch(() => undefined),
      );
    },
  };
}
