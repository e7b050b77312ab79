/**
 * Push alerts on the lab: real corosync, the real agent, real sshd; a webhook (ntfy-compatible HTTP)
 * receiver and an SMTP server listening on the lab's root address (198.18.<id>.254), reached by the
 * agents over the lab bridge. A 3-node cluster; a node is cut and healed twice:
 *  1. with the desktop service running: the agents' webhook channel and the desktop's e-mail channel
 *     each receive exactly one message per event (node left, node joined);
 *  2. with the desktop stopped: the agents' webhook still receives exactly one message per event.
 * Then a new desktop service merges the agents' journals: the node that left while it was stopped
 * is in `listEvents` ("while Quorate was closed").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuorateService } from '../../../engine/api/service';
import { createQuorateService } from '../../../engine/api/service';
import { memorySecrets, type SecretStore } from '../../../engine/store';
import type { Lab } from '../../lab/lab';
import { labSupport, labUp } from '../../lab/lab';
import { addTrustBootstrap, createLabCluster, until } from '../api/lab-service';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from './servers';

const support = labSupport();
if (!support.ok) {
  console.log(`alerts lab test skipped: ${support.reason}`);
}

let lab: Lab;
let home: string;
let secrets: SecretStore;
let service: QuorateService | undefined;
let http: HttpReceiver;
let smtp: SmtpReceiver;

/** Each host's agent log tail and journal, for a failure message. */
async function diagnostics(): Promise<string> {
  const out: string[] = [];
  for (const h of lab.hosts) {
    const r = await lab.exec(
      h.index,
      'tail -n 15 /var/log/quorate-agent.log; tail -n 6 /var/lib/quorate-agent/journal.jsonl; ls -l /var/lib/quorate-agent',
    );
    out.push(`--- ${h.name}\n${r.stdout}${r.stderr}`);
  }
  return `${out.join('\n')}\n--- received: ${http.received.map((r) => `${r.path} ${r.body.slice(0, 80)}`).join('\n')}`;
}

async function waitFor(what: string, fn: () => boolean): Promise<void> {
  try {
    await until(what, () => (fn() ? true : undefined), 60_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${await diagnostics()}`, { cause: e });
  }
}

const start = (): QuorateService => createQuorateService({ home, secrets, sshTimeoutMs: 10_000 });

/** Webhook bodies on `path` since `from`, as `kind node` strings (`… here from NODE` for a partition's own). */
const all = (from: number, path = '/agents'): string[] =>
  http.received
    .slice(from)
    .filter((r) => r.path === path)
    .map((r) => JSON.parse(r.body) as { kind: string; node: string | null; here: boolean; source: string })
    .map((b) => `${b.kind}${b.node ? ` ${b.node}` : ''}${b.here ? ` here from ${b.source}` : ''}`);
/** The cluster's events (what the quorate side reports). */
const hooks = (from: number): string[] => all(from).filter((m) => !m.includes(' here '));
/**
 * A cut node's own "lost quorum here" / "quorum regained here": only from the cut node, each at most
 * once (it may arrive late, when the cut heals and TCP's retry gets through).
 */
function expectOwnPartitionMessages(from: number, cut: string): void {
  const own = all(from).filter((m) => m.includes(' here '));
  expect(own.every((m) => m.endsWith(`here from ${cut}`))).toBe(true);
  expect(new Set(own).size).toBe(own.length);
}
/** Subjects of the mails since `from` sent with envelope sender `by` (desktop channel or agents' channel). */
const mails = (from: number, by = 'quorate@lab.test'): string[] =>
  smtp.messages
    .slice(from)
    .filter((m) => m.from === by)
    .map((m) => /^Subject: (.*)$/m.exec(m.data)?.[1] ?? '?');
const agentMails = (from: number): string[] => mails(from, 'agents@lab.test');
/** Messages arrive within a second or two; wait a little more so a duplicate would be seen too. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 6_000));

describe.skipIf(!support.ok)('push alerts on the lab', () => {
  beforeAll(async () => {
    lab = await labUp({ hosts: 3 });
    home = mkdtempSync(join(tmpdir(), 'quorate-alerts-lab-'));
    secrets = memorySecrets();
    http = await startHttpReceiver(lab.rootAddress);
    smtp = await startSmtpReceiver('quorate', 'lab-pass', lab.rootAddress);
    service = start();
    await addTrustBootstrap(service, lab.hosts);
    await createLabCluster(service, lab, 'lab');
  });
  afterAll(async () => {
    await service?.dispose();
    await http?.close();
    await smtp?.close();
    await lab?.down();
    if (home) {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('pushes the agents their channel and each gets it; the desktop keeps the e-mail one', async () => {
    const h = service!.handlers;
    const hook = await h.addAlertChannel({ kind: 'webhook', url: `${http.url}/agents`, fromAgents: true });
    expect(hook.ok && hook.value.push?.pushed.length).toBe(3);
    const mail = await h.addAlertChannel({
      kind: 'email',
      url: `smtp://quorate@${lab.rootAddress}:${smtp.port}`,
      from: 'quorate@lab.test',
      to: 'admin@lab.test',
      secret: 'lab-pass',
      events: ['node-left', 'node-joined', 'quorum-lost', 'quorum-regained'],
    });
    expect(mail.ok).toBe(true);
    // E-mail sent by the agents themselves (their own SMTP client), for node changes.
    const agentMail = await h.addAlertChannel({
      kind: 'email',
      url: `smtp://quorate@${lab.rootAddress}:${smtp.port}`,
      from: 'agents@lab.test',
      to: 'admin@lab.test',
      secret: 'lab-pass',
      events: ['node-left', 'node-joined'],
      fromAgents: true,
    });
    expect(agentMail.ok && agentMail.value.push?.pushed.length).toBe(3);
  });

  it('with the desktop running: exactly one webhook and one e-mail from the agents, and one e-mail from the desktop, per event', async () => {
    const [h0, m0] = [http.received.length, smtp.messages.length];
    const cutName = lab.hosts[2]!.name;
    await lab.cut(3);
    await waitFor('node-left webhook', () => hooks(h0).includes(`node-left ${cutName}`));
    await waitFor('node-left e-mail', () => mails(m0).some((s) => s.includes(`${cutName} left`)));
    await settle();
    expect(hooks(h0)).toEqual([`node-left ${cutName}`]);
    expectOwnPartitionMessages(h0, cutName);
    expect(mails(m0)).toEqual([`lab: ${cutName} left the cluster`]);
    expect(agentMails(m0)).toEqual([`lab: ${cutName} left the cluster`]);
    const [h1, m1] = [http.received.length, smtp.messages.length];
    await lab.heal(3);
    await waitFor('node-joined webhook', () => hooks(h1).includes(`node-joined ${cutName}`));
    await waitFor('node-joined e-mail', () => mails(m1).length > 0);
    await settle();
    expect(hooks(h1)).toEqual([`node-joined ${cutName}`]);
    expectOwnPartitionMessages(h0, cutName);
    expect(mails(m1)).toEqual([`lab: ${cutName} joined the cluster again`]);
    expect(agentMails(m1)).toEqual([`lab: ${cutName} joined the cluster again`]);
  });

  it('with the desktop stopped: the agents still send exactly one webhook and one e-mail per event', async () => {
    await service!.dispose();
    service = undefined;
    const [h0, m0] = [http.received.length, smtp.messages.length];
    const cutName = lab.hosts[1]!.name;
    await lab.cut(2);
    await waitFor('node-left webhook', () => hooks(h0).includes(`node-left ${cutName}`));
    await waitFor('node-left e-mail from the agents', () => agentMails(m0).length > 0);
    await settle();
    expect(hooks(h0)).toEqual([`node-left ${cutName}`]);
    expect(agentMails(m0)).toEqual([`lab: ${cutName} left the cluster`]);
    expect(mails(m0)).toEqual([]);
    const [h1, m1] = [http.received.length, smtp.messages.length];
    await lab.heal(2);
    await waitFor('node-joined webhook', () => hooks(h1).includes(`node-joined ${cutName}`));
    await waitFor('node-joined e-mail from the agents', () => agentMails(m1).length > 0);
    await settle();
    expect(hooks(h1)).toEqual([`node-joined ${cutName}`]);
    expect(agentMails(m1)).toEqual([`lab: ${cutName} joined the cluster again`]);
    expectOwnPartitionMessages(h0, cutName);
  });

  it('a desktop started afterwards merges what the agents journaled while it was stopped', async () => {
    service = start();
    const cutName = lab.hosts[1]!.name;
    const r = await service.handlers.listEvents({ cluster: 'lab', fromAgents: true });
    expect(r.ok).toBe(true);
    const events = r.ok ? r.value.events : [];
    expect(events.some((e) => e.kind === 'node-left' && e.node === cutName)).toBe(true);
    expect(events.find((e) => e.kind === 'away')?.message).toMatch(
      /^While Quorate was closed: .*corrected by the measured offset/,
    );
    // Quorate's own operation is in the history too.
    expect(events.some((e) => e.kind === 'operation' && /create the cluster/.test(e.message))).toBe(true);
  });
});
