import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../engine/cli/main';
import type { CliIo } from '../../../engine/cli/io';

const dir = mkdtempSync(join(tmpdir(), 'quorate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), readStdin: async () => '' };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

function threeNodes(extraQuorum = '', votes3 = 1): string {
  const node = (i: number, v: number) =>
    `\tnode {\r\n\t\tname: pve${i}\r\n\t\tnodeid: ${i}\r\n\t\tquorum_votes: ${v}\r\n\t\tring0_addr: 198.18.0.${i}\r\n\t}\r\n`;
  return `# managed by hand\r\ntotem {\r\n\tversion: 2\r\n\tcluster_name: lab\r\n\tconfig_version: 7\r\n\ttransport: knet\r\n}\r\n\r\nnodelist {\r\n${node(1, 1)}${node(2, 1)}${node(3, votes3)}}\r\n\r\nquorum {\r\n\tprovider: corosync_votequorum\r\n${extraQuorum}}\r\n`;
}

describe('quorate conf', () => {
  it('prints a file byte for byte, CRLF, tabs and comments included', async () => {
    const text = threeNodes();
    const r = await run('conf', 'print', file('crlf.conf', text));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(text);
  });

  it('reports a syntax error as FILE:LINE:COL and exits 1', async () => {
    const path = file('broken.conf', 'totem {\n  version: 2\n');
    const r = await run('conf', 'check', path);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: .+`, 'm'));
  });

  it('reports a duplicate nodeid at the line of the second node', async () => {
    const text = threeNodes().replace('nodeid: 3', 'nodeid: 2');
    const path = file('dup.conf', text);
    const r = await run('conf', 'check', path);
    expect(r.code).toBe(1);
    const lines = text.split('\r\n');
    const second =
      lines.findIndex((l, i) => l.includes('nodeid: 2') && i > lines.findIndex((m) => m.includes('nodeid: 2'))) + 1;
    expect(r.stdout).toMatch(
      new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${second}:\\d+: .*nodeid`, 'mi'),
    );
  });

  it('accepts a valid file with exit 0 and no error lines', async () => {
    const r = await run('conf', 'check', file('ok.conf', threeNodes()));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('shows the typed view as JSON', async () => {
    const r = await run('conf', 'show', file('show.conf', threeNodes()), '--json');
    expect(r.code).toBe(0);
    const view = JSON.parse(r.stdout);
    expect(view.totem.clusterName).toBe('lab');
    expect(view.nodes.map((n: { name: string }) => n.name)).toEqual(['pve1', 'pve2', 'pve3']);
  });

  it("adds a node in the file's own style and bumps config_version", async () => {
    const text = threeNodes();
    const out = join(dir, 'added.conf');
    const r = await run(
      'conf',
      'edit',
      file('add.conf', text),
      '--add-node',
      'pve4',
      '--id',
      '4',
      '--link0',
      '198.18.0.4',
      '-o',
      out,
    );
    expect(r.code).toBe(0);
    const edited = readFileSync(out, 'utf8');
    expect(edited).toContain('\tconfig_version: 8\r\n');
    expect(edited).toContain('\t\tname: pve4\r\n\t\tnodeid: 4\r\n');
    // Everything else is untouched: removing the new block and the version bump gives the input back.
    const back = edited
      .replace('config_version: 8', 'config_version: 7')
      .replace(/\tnode \{\r\n\t\tname: pve4[\s\S]*?\t\}\r\n/, '');
    expect(back).toBe(text);
  });

  it('refuses to add a node whose nodeid is taken, with a hint', async () => {
    const r = await run(
      'conf',
      'edit',
      file('taken.conf', threeNodes()),
      '--add-node',
      'pve9',
      '--id',
      '2',
      '--link0',
      '198.18.0.9',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/hint: /);
  });

  it('sets a QDevice and drops two_node, saying so', async () => {
    const two = threeNodes('\ttwo_node: 1\r\n').replace(/\tnode \{\r\n\t\tname: pve3[\s\S]*?\t\}\r\n/, '');
    const r = await run('conf', 'edit', file('two.conf', two), '--qdevice-host', '198.18.0.9');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('two_node');
    expect(r.stdout).toMatch(/host: 198\.18\.0\.9/);
    expect(r.stderr).toContain('two_node');
  });

  it('removes a QDevice again', async () => {
    const withQ = await run(
      'conf',
      'edit',
      file('q1.conf', threeNodes()),
      '--qdevice-host',
      '198.18.0.9',
      '--algorithm',
      'lms',
    );
    const r = await run('conf', 'edit', file('q2.conf', withQ.stdout), '--no-qdevice');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('device');
    expect(r.stdout).toContain('config_version: 9');
  });
});

describe('quorate conf check: errors vs warnings', () => {
  it('exits 0 on a file corosync accepts, printing its warnings to stderr marked "warning:"', async () => {
    const path = file('pcs-name.conf', threeNodes().replace('cluster_name: lab', 'cluster_name: ha_cluster'));
    const r = await run('conf', 'check', path);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: warning: .*Proxmox`, 'm'),
    );
    expect(r.stderr).toMatch(/0 error\(s\), 1 warning\(s\)/);
  });

  it('exits 1 on what corosync refuses (crypto on udpu), the error on stdout', async () => {
    const text = threeNodes().replace(
      'transport: knet',
      'transport: udpu\r\n\tcrypto_cipher: aes256\r\n\tcrypto_hash: sha256',
    );
    const r = await run('conf', 'check', file('udpu-crypto.conf', text), '--json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.valid).toBe(false);
    expect(out.problems.map((p: { code: string }) => p.code)).toContain('corosync.crypto-transport');
  });
});

describe('quorate quorum', () => {
  it('evaluates a crmsh-style udpu file without nodeids and with a name Proxmox would refuse', async () => {
    const node = (i: number): string => `  node {\n    ring0_addr: 198.18.0.${i}\n  }\n`;
    const text = `totem {\n  version: 2\n  cluster_name: ha_cluster\n  transport: udpu\n}\nnodelist {\n${node(1)}${node(2)}${node(3)}}\nquorum {\n  provider: corosync_votequorum\n  expected_votes: 0\n}\n`;
    const r = await run('quorum', file('crmsh.conf', text), '--up', '198.18.0.1,198.18.0.2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const { partitions } = JSON.parse(r.stdout);
    expect(partitions[0]).toMatchObject({ votes: 2, expectedVotes: 3, quorum: 2, quorate: true });
  });

  it('evaluates a 2/1 split of three nodes in the fixed JSON shape', async () => {
    const r = await run('quorum', file('q3.conf', threeNodes()), '--partition', 'pve1,pve2/pve3', '--json');
    expect(r.code).toBe(0);
    const { partitions } = JSON.parse(r.stdout);
    expect(partitions).toHaveLength(2);
    expect(partitions[0]).toMatchObject({
      nodes: ['pve1', 'pve2'],
      votes: 2,
      expectedVotes: 3,
      quorum: 2,
      quorate: true,
    });
    expect(partitions[1]).toMatchObject({ nodes: ['pve3'], votes: 1, expectedVotes: 3, quorum: 2, quorate: false });
    expect(typeof partitions[0].reason).toBe('string');
  });

  it('weights a node with quorum_votes 2', async () => {
    const r = await run('quorum', file('q4.conf', threeNodes('', 2)), '--partition', 'pve1,pve2/pve3', '--json');
    const { partitions } = JSON.parse(r.stdout);
    expect(partitions.map((p: { votes: number; quorate: boolean }) => [p.votes, p.quorate])).toEqual([
      [2, false],
      [2, false],
    ]);
    expect(partitions[0].expectedVotes).toBe(4);
    expect(partitions[0].quorum).toBe(3);
  });

  it('grants the QDevice vote only to groups that reach qnetd', async () => {
    const four = threeNodes().replace(
      '}\r\n\r\nquorum',
      '\tnode {\r\n\t\tname: pve4\r\n\t\tnodeid: 4\r\n\t\tquorum_votes: 1\r\n\t\tring0_addr: 198.18.0.4\r\n\t}\r\n}\r\n\r\nquorum',
    );
    const withQ = await run('conf', 'edit', file('q5.conf', four), '--qdevice-host', '198.18.0.9');
    const path = file('q6.conf', withQ.stdout);
    const r = await run(
      'quorum',
      path,
      '--partition',
      'pve1,pve2/pve3,pve4',
      '--qdevice-reachable-from',
      '2',
      '--json',
    );
    const { partitions } = JSON.parse(r.stdout);
    expect(partitions[0]).toMatchObject({ votes: 2, expectedVotes: 5, quorum: 3, quorate: false });
    expect(partitions[1]).toMatchObject({ votes: 3, expectedVotes: 5, quorum: 3, quorate: true });
  });

  it('rejects an unknown node name with the list of known ones', async () => {
    const r = await run('quorum', file('q7.conf', threeNodes()), '--up', 'pve1,nope');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pve1, pve2, pve3');
  });

  it('refuses a node listed in two groups instead of guessing', async () => {
    const r = await run('quorum', file('q8.conf', threeNodes()), '--partition', 'pve1,pve2/pve2,pve3');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pve2/);
    expect(r.stderr).toMatch(/hint: /);
  });

  it("prints the seeds' failure table", async () => {
    const canLose = [];
    for (const n of [2, 3, 4, 5]) {
      const r = await run('quorum', 'table', '--nodes', String(n), '--json');
      const t = JSON.parse(r.stdout);
      expect(t.rows).toHaveLength(n + 1);
      canLose.push(t.canLose);
    }
    expect(canLose).toEqual([0, 1, 1, 2]);
  });
});

describe('bin/quorate.js', () => {
  it('runs from the shell with --help', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(__dirname, '../../../bin/quorate.js'),
      '--help',
    ]);
    expect(stdout).toContain('quorate conf'.replace('quorate ', ''));
    expect(stdout).toMatch(/quorum table --nodes N/);
  });
});
