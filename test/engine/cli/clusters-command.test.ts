/** `quorate clusters list|adopt|forget`: the fixed JSON shape and exit codes, over an injected service. */
import { describe, expect, it } from 'vitest';
import type { AdoptResult } from '../../../engine/api/contract';
import type { AdoptService } from '../../../engine/api/service-adopt';
import { runClustersCommand } from '../../../engine/cli/clusters-command';
import type { CliIo } from '../../../engine/cli/io';
import { err, ok } from '../../../engine/result';

function io(): CliIo & { out: () => string; errs: () => string } {
  let out = '';
  let errs = '';
  return {
    stdout: (t) => void (out += t),
    stderr: (t) => void (errs += t),
    readStdin: async () => '',
    out: () => out,
    errs: () => errs,
  };
}

const result = {
  name: 'ha_cluster',
  provider: 'corosync',
  configVersion: 4,
  nodes: [{ name: 'node1', nodeid: 1, addresses: ['198.18.0.1'], machine: '198.18.0.1', online: true, extra: 1 }],
  findings: [{ id: 'conf-same', status: 'pass', message: 'same', hint: '', extra: 2 }],
  extra: 3,
} as unknown as AdoptResult;

const service = (over: Partial<AdoptService> = {}): AdoptService => ({
  listRegisteredClusters: async () => ok({ clusters: [], damaged: [] }),
  adoptCluster: async () => ok(result),
  forgetCluster: async () => ok(null),
  ...over,
});

describe('quorate clusters adopt', () => {
  it('prints exactly the fixed shape with --json', async () => {
    const o = io();
    expect(await runClustersCommand(['adopt', '--from', '198.18.0.1', '--json'], o, { service: service() })).toBe(0);
    expect(JSON.parse(o.out())).toEqual({
      name: 'ha_cluster',
      provider: 'corosync',
      configVersion: 4,
      nodes: [{ name: 'node1', nodeid: 1, addresses: ['198.18.0.1'], machine: '198.18.0.1', online: true }],
      findings: [{ id: 'conf-same', status: 'pass', message: 'same', hint: '' }],
    });
  });

  it('exits 1 with the error and its hint on a refusal', async () => {
    const o = io();
    const s = service({
      adoptCluster: async () => err('adopt.not-in-cluster', 'x is in no cluster', 'Adopt from a member.'),
    });
    expect(await runClustersCommand(['adopt', '--from', 'x'], o, { service: s })).toBe(1);
    expect(o.errs()).toMatch(/error: x is in no cluster\nhint: Adopt from a member\./);
  });

  it('needs --from', async () => {
    await expect(runClustersCommand(['adopt'], io(), { service: service() })).rejects.toThrow(/--from ADDR/);
  });
});

describe('quorate clusters forget', () => {
  it('says no machine was changed; an unknown name exits 2', async () => {
    const o = io();
    expect(await runClustersCommand(['forget', 'ha_cluster'], o, { service: service() })).toBe(0);
    expect(o.out()).toMatch(/no machine was changed/);
    const s = service({ forgetCluster: async () => err('ops.unknown-cluster', 'no such', 'list them') });
    expect(await runClustersCommand(['forget', 'nope'], io(), { service: s })).toBe(2);
  });
});

describe('quorate clusters list', () => {
  it('prints the records the service lists, and each damaged file with its fix on stderr', async () => {
    const o = io();
    const s = service({
      listRegisteredClusters: async () =>
        ok({
          clusters: [{ name: 'lab', provider: 'corosync', nodes: { node1: '198.18.0.1' } }],
          damaged: [{ path: '/q/clusters/x.json', message: '/q/clusters/x.json is damaged', hint: 'Move it aside.' }],
        }),
    });
    expect(await runClustersCommand(['list', '--json'], o, { service: s })).toBe(0);
    expect(JSON.parse(o.out())).toEqual({
      clusters: [{ name: 'lab', provider: 'corosync', nodes: { node1: '198.18.0.1' } }],
    });
    expect(o.errs()).toBe('quorate clusters: /q/clusters/x.json is damaged\nhint: Move it aside.\n');
  });
});
