import { describe, expect, it } from 'vitest';
import { apiEvents, apiMethods, createQuorateApi } from '../../../engine/api/contract';
import type { Result } from '../../../engine/result';

function messageOf(r: Result<unknown>): string {
  if (r.ok) {
    throw new Error('expected a failure');
  }
  return `${r.error.code} ${r.error.message}`;
}

describe('contract validators', () => {
  it('accepts a well-formed addMachine with key auth and fills nothing in', () => {
    const r = apiMethods.addMachine({
      address: '198.18.0.11',
      user: 'root',
      auth: { kind: 'key', keyPath: '/root/.ssh/id_ed25519' },
    });
    expect(r).toEqual({
      ok: true,
      value: { address: '198.18.0.11', user: 'root', auth: { kind: 'key', keyPath: '/root/.ssh/id_ed25519' } },
    });
  });

  it('names the path of a bad nested field', () => {
    const r = apiMethods.planCreateCluster({
      name: 'lab',
      links: [{ linknumber: 0, network: '198.18.0.0/24' }],
      nodes: [{ address: '198.18.0.11' }, { address: '198.18.0.12' }, { address: '198.18.0.13', votes: 1.5 }],
    });
    expect(messageOf(r)).toBe('api.bad-params params.nodes[2].votes: expected an integer');
  });

  it('refuses unknown fields and missing required ones', () => {
    expect(messageOf(apiMethods.removeMachine({ address: '198.18.0.11', extra: 1 }))).toBe(
      'api.bad-params params.extra: is not a known field',
    );
    expect(messageOf(apiMethods.planRemoveNode({ cluster: 'lab', node: 'n1' }))).toBe(
      'api.bad-params params.force: is required',
    );
  });

  it('refuses an unknown auth kind and never echoes a password', () => {
    const r = apiMethods.addMachine({
      address: '198.18.0.11',
      user: 'root',
      auth: { kind: 'token', password: 'hunter2' },
    });
    expect(messageOf(r)).toContain('params.auth.kind: expected "password" or "key"');
    const long = apiMethods.addMachine({
      address: '198.18.0.11',
      user: 'root',
      auth: { kind: 'password', password: 'x'.repeat(2000) },
    });
    expect(messageOf(long)).not.toContain('xxx');
  });

  it('checks ranges, literals, duplicates and fingerprints', () => {
    expect(
      messageOf(
        apiMethods.addMachine({
          address: '198.18.0.11',
          port: 70000,
          user: 'root',
          auth: { kind: 'password', password: 'p' },
        }),
      ),
    ).toContain('params.port: expected an integer 1..65535');
    expect(
      messageOf(
        apiMethods.planSetupQdevice({
          cluster: 'lab',
          host: '198.18.0.14',
          algorithm: 'lowest',
          consentOddCount: true,
        }),
      ),
    ).toContain('params.algorithm: expected "ffsplit" or "lms"');
    expect(messageOf(apiMethods.bootstrap({ addresses: ['198.18.0.11', '198.18.0.11'] }))).toContain(
      'params.addresses[1]: appears twice',
    );
    expect(messageOf(apiMethods.trustMachine({ address: '198.18.0.11', fingerprint: 'MD5:aa' }))).toContain(
      'params.fingerprint: expected an OpenSSH SHA256',
    );
    expect(apiMethods.trustMachine({ address: '198.18.0.11', fingerprint: `SHA256:${'A'.repeat(43)}` }).ok).toBe(true);
    expect(
      messageOf(
        apiMethods.planCreateCluster({
          name: 'a-name-that-is-too-long',
          nodes: [{ address: 'x' }],
          links: [{ linknumber: 0, network: '198.18.0.0/24' }],
        }),
      ),
    ).toContain('params.name: expected a cluster name');
  });

  it('accepts nothing, null or {} for methods without params, and refuses anything else', () => {
    expect(apiMethods.listMachines(undefined).ok).toBe(true);
    expect(apiMethods.listClusters({}).ok).toBe(true);
    expect(messageOf(apiMethods.listNotices({ cluster: 'lab' }))).toContain('params: expected no parameters');
  });
});

describe('createQuorateApi', () => {
  it('has one function per contract method, calling through with the method name', async () => {
    const calls: [string, unknown][] = [];
    const api = createQuorateApi(
      async (method, params) => {
        calls.push([method, params]);
        return { ok: true, value: null };
      },
      () => () => {},
    );
    for (const m of Object.keys(apiMethods)) {
      expect(typeof (api as unknown as Record<string, unknown>)[m]).toBe('function');
    }
    await api.removeMachine({ address: '198.18.0.11' });
    await api.listMachines();
    expect(calls).toEqual([
      ['removeMachine', { address: '198.18.0.11' }],
      ['listMachines', undefined],
    ]);
  });

  it('refuses to listen to an event the contract does not declare', () => {
    const seen: string[] = [];
    const api = createQuorateApi(
      async () => ({ ok: true, value: null }),
      (event) => {
        seen.push(event);
        return () => {};
      },
    );
    api.on('onDidNotify', () => {});
    expect(() => (api.on as (e: string, f: () => void) => void)('onDidExplode', () => {})).toThrow(
      /Unknown Quorate event/,
    );
    expect(seen).toEqual(['onDidNotify']);
    expect(apiEvents).toContain('onDidChangeQuorum');
  });
});
