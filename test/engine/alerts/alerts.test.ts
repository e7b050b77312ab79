import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notice } from '../../../engine/api/contract';
import { createEventHub } from '../../../engine/api/event-hub';
import { createAlertsService } from '../../../engine/api/service-alerts';
import { runAlertsCommand } from '../../../engine/cli/alerts-command';
import { saveCluster } from '../../../engine/ops/registry.fs';
import { memorySecrets } from '../../../engine/store';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from './servers';

const home = (): string => mkdtempSync(join(tmpdir(), 'quorate-alerts-'));
const immediate = (fn: () => void): (() => void) => {
  const t = setTimeout(fn, 1);
  return () => clearTimeout(t);
};

function cli(): { io: Parameters<typeof runAlertsCommand>[1]; out: string[]; err: string[]; stdin: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const stdin: string[] = [];
  return {
    io: { stdout: (s) => void out.push(s), stderr: (s) => void err.push(s), readStdin: async () => stdin.join('') },
    out,
    err,
    stdin,
  };
}

const notice = (kind: Notice['kind'], at: number, node?: string): Notice => ({
  kind,
  cluster: 'web',
  at,
  severity: 'warning',
  ...(node ? { node } : {}),
  title: `web: ${kind}`,
  body: 'node3 is not in the membership',
  guidance: [],
});

let http: HttpReceiver;
let smtp: SmtpReceiver;
beforeAll(async () => {
  http = await startHttpReceiver();
  smtp = await startSmtpReceiver('quorate', 's3cret');
});
afterAll(async () => {
  await http.close();
  await smtp.close();
});

describe('quorate alerts (CLI fixed shapes over the service)', () => {
  it('adds a webhook, lists it, tests it against a real HTTP server, removes it', async () => {
    const service = createAlertsService({
      home: home(),
      secrets: memorySecrets(),
      events: createEventHub(),
      now: Date.now,
      dispatch: false,
    });
    const add = cli();
    expect(await runAlertsCommand(['add', 'webhook', '--url', `${http.url}/hook`, '--json'], add.io, { service })).toBe(
      0,
    );
    const { id } = JSON.parse(add.out.join('')) as { id: string };
    expect(Object.keys(JSON.parse(add.out.join('')))).toEqual(['id']);
    const list = cli();
    expect(await runAlertsCommand(['list', '--json'], list.io, { service })).toBe(0);
    const channels = (JSON.parse(list.out.join('')) as { channels: { id: string; events: string[] }[] }).channels;
    expect(channels.map((c) => c.id)).toEqual([id]);
    expect(channels[0]!.events).toEqual([
      'quorum-lost',
      'quorum-regained',
      'node-left',
      'node-joined',
      'qdevice-unreachable',
      'failover',
      'ha-error',
    ]);
    const before = http.received.length;
    expect(await runAlertsCommand(['test', id], cli().io, { service })).toBe(0);
    const got = http.received.slice(before);
    expect(got).toHaveLength(1);
    const body = JSON.parse(got[0]!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ test: true, kind: 'quorum-lost' });
    expect(body.message).toMatch(/Since \d{4}-\d\d-\d\dT/);
    expect(body.message).toMatch(/First thing to check: /);
    expect(await runAlertsCommand(['remove', id], cli().io, { service })).toBe(0);
    const after = cli();
    await runAlertsCommand(['list', '--json'], after.io, { service });
    expect(JSON.parse(after.out.join(''))).toEqual({ channels: [] });
  });

  it('refuses a URL that is not http(s), clearly', async () => {
    const service = createAlertsService({
      home: home(),
      secrets: memorySecrets(),
      events: createEventHub(),
      now: Date.now,
      dispatch: false,
    });
    const c = cli();
    expect(await runAlertsCommand(['add', 'webhook', '--url', 'file:///etc/passwd', '--json'], c.io, { service })).toBe(
      1,
    );
    expect(c.err.join('')).toMatch(/only http:\/\/ and https:\/\/ URLs can be used, not file:/);
  });

  it('says "cannot reach" on test when nothing listens', async () => {
    const service = createAlertsService({
      home: home(),
      secrets: memorySecrets(),
      events: createEventHub(),
      now: Date.now,
      dispatch: false,
    });
    // A port that was just free: nothing listens there.
    const gone = await startHttpReceiver();
    await gone.close();
    const add = cli();
    await runAlertsCommand(['add', 'ntfy', '--url', gone.url, '--topic', 'homelab', '--json'], add.io, {
      service,
    });
    const { id } = JSON.parse(add.out.join('')) as { id: string };
    const t = cli();
    expect(await runAlertsCommand(['test', id], t.io, { service })).toBe(1);
    expect(t.err.join('')).toMatch(/Cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  it('sends ntfy with title and priority headers to the topic, and Gotify with its token from the keyring', async () => {
    const secrets = memorySecrets();
    const service = createAlertsService({
      home: home(),
      secrets,
      events: createEventHub(),
      now: Date.now,
      dispatch: false,
    });
    const n = cli();
    await runAlertsCommand(['add', 'ntfy', '--url', http.url, '--topic', 'homelab', '--json'], n.io, { service });
    const g = cli();
    g.stdin.push('AbCdEf123\n');
    await runAlertsCommand(['add', 'gotify', '--url', http.url, '--token-stdin', '--json'], g.io, { service });
    const gid = (JSON.parse(g.out.join('')) as { id: string }).id;
    expect([...secrets.entries.values()]).toEqual(['AbCdEf123']);
    const before = http.received.length;
    await runAlertsCommand(['test', (JSON.parse(n.out.join('')) as { id: string }).id], cli().io, { service });
    await runAlertsCommand(['test', gid], cli().io, { service });
    const [ntfy, gotify] = http.received.slice(before);
    expect(ntfy!.path).toBe('/homelab');
    expect(ntfy!.headers.title).toBe('[test] Quorate: quorum lost');
    expect(ntfy!.headers.priority).toBe('5');
    expect(gotify!.path).toBe('/message');
    expect(gotify!.headers['x-gotify-key']).toBe('AbCdEf123');
    expect(JSON.parse(gotify!.body)).toMatchObject({ title: '[test] Quorate: quorum lost', priority: 10 });
  });

  it('e-mails through a real SMTP server with the password from the keyring, and names a wrong password', async () => {
    const service = createAlertsService({
      home: home(),
      secrets: memorySecrets(),
      events: createEventHub(),
      now: Date.now,
      dispatch: false,
    });
    const good = cli();
    good.stdin.push('s3cret\n');
    const smtpUrl = `smtp://quorate@127.0.0.1:${smtp.port}`;
    expect(
      await runAlertsCommand(
        [
          'add',
          'email',
          '--smtp',
          smtpUrl,
          '--from',
          'quorate@lab.test',
          '--to',
          'admin@lab.test',
          '--password-stdin',
          '--json',
        ],
        good.io,
        { service },
      ),
    ).toBe(0);
    const id = (JSON.parse(good.out.join('')) as { id: string }).id;
    expect(await runAlertsCommand(['test', id], cli().io, { service })).toBe(0);
    expect(smtp.messages.at(-1)).toMatchObject({ from: 'quorate@lab.test', to: ['admin@lab.test'], user: 'quorate' });
    expect(smtp.messages.at(-1)!.data).toMatch(/Subject: \[test\] Quorate: quorum lost/);
    const bad = cli();
    bad.stdin.push('wrong\n');
    await runAlertsCommand(
      ['add', 'email', '--smtp', smtpUrl, '--from', 'a@lab.test', '--to', 'b@lab.test', '--password-stdin', '--json'],
      bad.io,
      { service },
    );
    const t = cli();
    expect(
      await runAlertsCommand(['test', (JSON.parse(bad.out.join('')) as { id: string }).id], t.io, { service }),
    ).toBe(1);
    expect(t.err.join('')).toMatch(/refused the login of quorate: wrong user or password/);
  });

  it("sends e-mail with the agent's own SMTP client too (bundle without nodemailer), and names a wrong password", async () => {
    const { sendSmtp } = await import('../../../engine/agent/smtp.net');
    const base = {
      from: 'node1@lab.test',
      to: 'admin@lab.test',
      subject: 'lab: node3 left the cluster',
      text: 'line\n.dot\nend',
    };
    const url = `smtp://quorate@127.0.0.1:${smtp.port}`;
    const before = smtp.messages.length;
    const r = await sendSmtp({ ...base, url, password: 's3cret' });
    expect(r).toEqual({ ok: true, value: undefined });
    const got = smtp.messages.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ from: 'node1@lab.test', to: ['admin@lab.test'], user: 'quorate' });
    expect(got[0]!.data).toMatch(/Subject: lab: node3 left the cluster/);
    expect(got[0]!.data).toMatch(/\r\n\.dot\r\n/);
    const bad = await sendSmtp({ ...base, url, password: 'nope' });
    expect(bad.ok ? 'sent' : bad.error.code).toBe('alerts.smtp-auth');
  });
});

describe('the desktop delivers monitor notices', () => {
  it('sends one alert per notice to desktop channels, retries a failing server with backoff, and leaves agent channels to the agents', async () => {
    const dir = home();
    const events = createEventHub();
    const logs: string[] = [];
    const service = createAlertsService({
      home: dir,
      secrets: memorySecrets(),
      events,
      now: Date.now,
      setTimer: immediate,
      log: (l) => logs.push(l),
    });
    const desk = await service.addAlertChannel({ kind: 'webhook', url: `${http.url}/desk` });
    const agents = await service.addAlertChannel({ kind: 'webhook', url: `${http.url}/agents`, fromAgents: true });
    expect(desk.ok && agents.ok).toBe(true);
    const before = http.received.length;
    http.fail = [503, 503];
    events.emit('onDidNotify', notice('node-left', Date.now(), 'node3'));
    await new Promise((r) => setTimeout(r, 50));
    await service.idle();
    const got = http.received.slice(before);
    expect(got.map((g) => g.path)).toEqual(['/desk']);
    expect(JSON.parse(got[0]!.body)).toMatchObject({
      cluster: 'web',
      kind: 'node-left',
      node: 'node3',
      source: 'Quorate on this desktop',
    });
    expect(logs.filter((l) => /retrying in/.test(l))).toHaveLength(2);
    service.dispose();
  });

  it('pushes HA news the agents cannot see to every channel that lists it, agent channels included; the defaults take failover and ha-error, not pending fencing or migrations', async () => {
    const dir = home();
    const events = createEventHub();
    const service = createAlertsService({
      home: dir,
      secrets: memorySecrets(),
      events,
      now: Date.now,
      setTimer: immediate,
    });
    const desk = await service.addAlertChannel({ kind: 'webhook', url: `${http.url}/ha-desk` });
    const agents = await service.addAlertChannel({ kind: 'webhook', url: `${http.url}/ha-agents`, fromAgents: true });
    const all = await service.addAlertChannel({
      kind: 'ntfy',
      url: http.url,
      topic: 'ha-all',
      events: ['fencing-pending', 'migration-finished', 'migration-failed'],
    });
    expect(desk.ok && agents.ok && all.ok).toBe(true);
    const before = http.received.length;
    const ha = (kind: Notice['kind'], severity: Notice['severity'], node: string, resource?: string): Notice => ({
      ...notice(kind, Date.now(), node),
      severity,
      ...(resource ? { resource } : {}),
    });
    events.emit('onDidNotify', ha('ha-recovered', 'warning', 'node3', 'vm:100'));
    events.emit('onDidNotify', ha('ha-service-error', 'critical', 'node2', 'ct:200'));
    events.emit('onDidNotify', ha('ha-fencing-pending', 'warning', 'node1'));
    events.emit('onDidNotify', ha('migration-failed', 'warning', 'node3', 'vm:103'));
    // Pacemaker: a move off a lost node (warning) is a failover; a standby move (info) is not pushed.
    events.emit('onDidNotify', ha('ha-resource-moved', 'warning', 'node2', 'vip'));
    events.emit('onDidNotify', ha('ha-resource-moved', 'info', 'node3', 'vip'));
    events.emit('onDidNotify', ha('ha-fencing-disabled', 'warning', 'node1'));
    await service.idle();
    const got = http.received.slice(before).map((g) => {
      const b = g.path.startsWith('/ha-all') ? { kind: g.headers.tags, title: g.headers.title } : JSON.parse(g.body);
      return `${g.path} ${String(b.kind)} ${String(b.title)}`;
    });
    expect(got.sort()).toEqual(
      [
        '/ha-agents failover web: vm:100 recovered on node3',
        '/ha-agents failover web: vip recovered on node2',
        '/ha-agents ha-error web: ct:200 is in HA error state on node2',
        '/ha-desk failover web: vm:100 recovered on node3',
        '/ha-desk failover web: vip recovered on node2',
        '/ha-desk ha-error web: ct:200 is in HA error state on node2',
        '/ha-all fencing-pending web: node1 is waiting to be fenced',
        '/ha-all migration-failed web: migration of vm:103 to node3 failed',
      ].sort(),
    );
    const body = JSON.parse(http.received.slice(before).find((g) => g.path === '/ha-desk')!.body);
    expect(body).toMatchObject({ resource: expect.stringMatching(/^(vm:100|ct:200|vip)$/) });
    service.dispose();
  });

  it('pushes agent channels, with their secrets, only to the clusters they cover', async () => {
    const dir = home();
    await saveCluster(
      { name: 'web', provider: 'corosync', nodes: { node1: '198.18.0.11', node2: '198.18.0.12' } },
      dir,
    );
    await saveCluster({ name: 'db', provider: 'corosync', nodes: { db1: '198.18.0.21' } }, dir);
    const pushed: { machine: string; cluster: string; secrets: (string | null)[] }[] = [];
    const service = createAlertsService({
      home: dir,
      secrets: memorySecrets(),
      events: createEventHub(),
      now: Date.now,
      dispatch: false,
      configureAgent: async (machine, config) => {
        pushed.push({ machine, cluster: config.cluster, secrets: config.channels.map((c) => c.secret) });
        return { ok: true, value: { channels: config.channels.length } };
      },
    });
    const r = await service.addAlertChannel({
      kind: 'gotify',
      url: http.url,
      secret: 'tok',
      fromAgents: true,
      cluster: 'web',
    });
    expect(r.ok && [...(r.value.push?.pushed ?? [])].sort()).toEqual(['db1', 'node1', 'node2']);
    expect(pushed.filter((p) => p.cluster === 'web').map((p) => p.secrets)).toEqual([['tok'], ['tok']]);
    expect(pushed.find((p) => p.cluster === 'db')!.secrets).toEqual([]);
  });
});
