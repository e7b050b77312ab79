/**
 * The bootstrapper on real lab hosts, through real sshd (engine/ssh): install, install again
 * (nothing happens), supervisor restarts, upgrade, uninstall (nothing left), and a sudo-only user.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentBundle, type AgentBundle } from '../../../engine/bootstrap/bundle.fs';
import { openAgent } from '../../../engine/bootstrap/agents';
import { installAgent, uninstallAgent, type BootstrapProgress } from '../../../engine/bootstrap/executor';
import { AGENT_PID_PATH, AGENT_SOCKET_PATH, AGENT_VERSION_PATH } from '../../../engine/bootstrap/scripts';
import type { SshSession } from '../../../engine/ssh';
import { unwrap } from '../../../engine/result';
import { labSupport, labUp, type Lab } from '../../lab/lab';
import { buildBundle } from '../agent/agent-process';
import { sshTo } from './lab-sessions';

const support = labSupport();
if (!support.ok) {
  console.warn(`bootstrap lab tests skipped: ${support.reason}`);
}

/** Everything on the host's filesystem where the agent could leave something. */
// sshd and PAM write their own files on each login (/run/sshd*, pam_motd's /run/motd.dynamic and its .new): not ours.
const SNAPSHOT =
  'find /usr/local/lib /usr/local/sbin /run /etc/systemd /var/log /tmp /root -xdev 2>/dev/null | grep -v -e "^/run/sshd" -e "^/run/motd\\.dynamic" | sort';
const TCP_LISTEN = "ss -Htlnp | awk '{print $4, $6}' | sort";

describe.skipIf(!support.ok)('bootstrap over real SSH', () => {
  let lab: Lab;
  let dir: string;
  let bundle: AgentBundle;
  let root: SshSession;
  let before: string;
  let tcpBefore: string;
  const progress: BootstrapProgress[] = [];
  const onProgress = (p: BootstrapProgress): void => {
    progress.push(p);
  };
  const sh = async (cmd: string): Promise<string> => (await lab.exec(1, cmd)).stdout.trim();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quorate-bootstrap-lab-'));
    buildBundle(join(dir, 'quorate-agent.cjs'));
    bundle = unwrap(await loadAgentBundle(join(dir, 'quorate-agent.cjs')));
    lab = await labUp({ hosts: 2, sudoUser: [2] });
    root = await sshTo(lab.host(1));
    before = await sh(SNAPSHOT);
    tcpBefore = await sh(TCP_LISTEN);
  });

  afterAll(async () => {
    await root?.close();
    await lab?.down();
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs the agent and starts it under the supervisor (no systemd in the lab)', async () => {
    const r = unwrap(await installAgent(root, bundle, { onProgress }));
    expect(r).toMatchObject({ action: 'install', version: bundle.version, systemd: false, nodeInstalled: false });
    expect(r.agentPid).toBeGreaterThan(0);
    expect(Number(await sh(`cat ${AGENT_PID_PATH}`))).toBe(r.agentPid);
    expect(await sh(`stat -c '%a %F' ${AGENT_SOCKET_PATH} /run/quorate-agent`)).toBe('600 socket\n700 directory');
    expect(progress.filter((p) => p.machine === root.label).map((p) => p.phase)).toEqual(
      expect.arrayContaining(['inspect', 'upload', 'activate', 'done']),
    );
  });

  it('does nothing when the same version is installed and running', async () => {
    const pidBefore = await sh(`cat ${AGENT_PID_PATH}`);
    const r = unwrap(await installAgent(root, bundle));
    expect(r.action).toBe('unchanged');
    expect(r.message).toMatch(/^already installed, same version/);
    expect(String(r.agentPid)).toBe(pidBefore);
    expect(await sh(`cat ${AGENT_PID_PATH}`)).toBe(pidBefore);
  });

  it('opened no TCP listening port', async () => {
    expect(await sh(TCP_LISTEN)).toBe(tcpBefore);
  });

  it("answers through the SSH connection's stream-local forward", async () => {
    const agent = unwrap(await openAgent(root));
    const hello = unwrap(await agent.call('hello', {}));
    agent.close();
    expect(String(hello.pid)).toBe(await sh(`cat ${AGENT_PID_PATH}`));
  });

  it('is restarted by its supervisor when it dies', async () => {
    const pid = await sh(`cat ${AGENT_PID_PATH}`);
    await sh(`kill -KILL ${pid}`);
    let now = pid;
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      now = await sh(`cat ${AGENT_PID_PATH} 2>/dev/null; true`);
      if (now !== '' && now !== pid && (await sh(`[ -S ${AGENT_SOCKET_PATH} ] && echo up`)) === 'up') {
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(now).not.toBe(pid);
    const agent = unwrap(await openAgent(root));
    const hello = await agent.call('hello', {});
    agent.close();
    expect(hello.ok && String(hello.value.pid)).toBe(now);
  });

  it('upgrades an older agent: stops it, replaces it, starts the new one', async () => {
    const pid = await sh(`cat ${AGENT_PID_PATH}`);
    await sh(`printf '0.0.1\\nsha256:old\\n' > ${AGENT_VERSION_PATH}`);
    const r = unwrap(await installAgent(root, bundle));
    expect(r).toMatchObject({ action: 'upgrade', previousVersion: '0.0.1', version: bundle.version });
    expect(r.message).toMatch(/upgraded agent 0\.0\.1 → /);
    expect(String(r.agentPid)).not.toBe(pid);
    expect(await sh(`head -n1 ${AGENT_VERSION_PATH}`)).toBe(bundle.version);
    expect(await sh(`ps -o pid= -p ${pid} || echo gone`)).toBe('gone');
  });

  it('uninstalls everything it added and nothing else', async () => {
    const r = unwrap(await uninstallAgent(root));
    // (/run/quorate-agent goes with the supervisor as it stops; the snapshot below checks it is gone.)
    expect(r.removed).toEqual(
      expect.arrayContaining(['/usr/local/lib/quorate-agent/quorate-agent.cjs', '/usr/local/lib/quorate-agent']),
    );
    expect(r.kept).toEqual([]);
    expect(await sh(SNAPSHOT)).toBe(before);
    expect(await sh("ps -eo args | grep -c '[q]uorate-agent'; true")).toBe('0');
    // and uninstall again is harmless
    expect(unwrap(await uninstallAgent(root)).removed).toEqual([]);
  });

  it('installs, answers and uninstalls through a sudo-only user', async () => {
    const admin = await sshTo(lab.host(2), 'sudo');
    try {
      const r = unwrap(await installAgent(admin, bundle));
      expect(r.action).toBe('install');
      // The socket is root-only: sshd opens it as `admin` and is refused, so openAgent falls back
      // to one sudo `quorate-agent call` per request.
      const agent = unwrap(await openAgent(admin));
      expect(agent.client).toBeUndefined();
      const hello = unwrap(await agent.call('hello', {}));
      expect(hello.agentVersion).toBe(bundle.version);
      agent.close();
      unwrap(await uninstallAgent(admin));
      expect((await lab.exec(2, 'ls /usr/local/lib/quorate-agent 2>&1; true')).stdout).toMatch(/No such file/);
    } finally {
      await admin.close();
    }
  });
});
