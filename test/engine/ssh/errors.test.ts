import { describe, expect, it } from 'vitest';
import { classifyConnectFailure, endpointLabel } from '../../../engine/ssh';

const endpoint = { address: '198.18.0.12', port: 22, user: 'root' };

describe('classifyConnectFailure', () => {
  it.each([
    [{ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND pve2' }, 'ssh.dns'],
    [{ code: 'EAI_AGAIN', message: 'getaddrinfo EAI_AGAIN pve2' }, 'ssh.dns'],
    [{ level: 'client-dns', message: 'Error while looking up IPv4 address' }, 'ssh.dns'],
    [{ level: 'client-socket', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'ssh.refused'],
    [{ level: 'client-socket', code: 'EHOSTUNREACH', message: 'connect EHOSTUNREACH' }, 'ssh.unreachable'],
    [{ level: 'client-socket', code: 'ENETUNREACH', message: 'connect ENETUNREACH' }, 'ssh.unreachable'],
    [{ level: 'client-socket', code: 'ETIMEDOUT', message: 'connect ETIMEDOUT' }, 'ssh.timeout'],
    [{ level: 'client-timeout', message: 'Timed out while waiting for handshake' }, 'ssh.timeout'],
    [{ level: 'client-authentication', message: 'All configured authentication methods failed' }, 'ssh.auth-failed'],
    [{ level: 'agent', message: 'Failed to connect to agent' }, 'ssh.agent-unavailable'],
    [{ level: 'client-socket', code: 'ECONNRESET', message: 'read ECONNRESET' }, 'ssh.disconnected'],
    [{ level: 'protocol', message: 'Bad packet length' }, 'ssh.failed'],
  ])('classifies %j as %s, naming user@address:port', (failure, code) => {
    const error = classifyConnectFailure(endpoint, failure, { timeoutMs: 15_000 });
    expect(error.code).toBe(code);
    expect(error.message).toContain(endpoint.address);
    expect(error.hint.length).toBeGreaterThan(10);
    expect(error.cause).toBe(failure.message);
  });

  it('lists the methods the server offered on auth failure', () => {
    const error = classifyConnectFailure(
      endpoint,
      { level: 'client-authentication', message: 'x' },
      { timeoutMs: 1, serverMethods: ['publickey', 'password'], triedMethod: 'password' },
    );
    expect(error.message).toBe('authentication failed for root@198.18.0.12:22 (server accepts: publickey, password)');
  });

  it('says when the chosen method is not offered at all', () => {
    const error = classifyConnectFailure(
      endpoint,
      { level: 'client-authentication', message: 'x' },
      { timeoutMs: 1, serverMethods: ['publickey'], triedMethod: 'password' },
    );
    expect(error.message).toBe(
      'the server does not accept password login for root@198.18.0.12:22 (server accepts: publickey)',
    );
  });

  it('states the timeout in seconds', () => {
    expect(
      classifyConnectFailure(endpoint, { level: 'client-timeout', message: 'x' }, { timeoutMs: 8_000 }).message,
    ).toBe('no answer from root@198.18.0.12:22 within 8 s');
  });

  it('labels endpoints as OpenSSH users would type them', () => {
    expect(endpointLabel(endpoint)).toBe('root@198.18.0.12:22');
    expect(endpointLabel({ ...endpoint, user: '' })).toBe('198.18.0.12:22');
    expect(endpointLabel({ address: '::1', port: 2222, user: 'admin' })).toBe('admin@[::1]:2222');
  });
});
