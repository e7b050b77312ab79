/**
 * Sends one HTTP alert (webhook, ntfy, Gotify) with Node's built-in fetch (Node ≥ 18, so the agent
 * bundle carries it too). Errors are values with a cause the user can act on: the server did not
 * answer, refused, or said no (status and the start of its answer).
 */
import { err, ok, type Result } from '../result';
import type { HttpRequestSpec } from './alert-format';

export async function sendHttpAlert(spec: HttpRequestSpec, timeoutMs = 10_000): Promise<Result<void>> {
  let res: Response;
  try {
    res = await fetch(spec.url, {
      method: 'POST',
      headers: spec.headers,
      body: spec.body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why =
      (e as Error).name === 'TimeoutError'
        ? `no answer within ${timeoutMs / 1000} s`
        : (cause?.code ?? cause?.message ?? (e as Error).message);
    return err(
      'alerts.unreachable',
      `Cannot reach ${originOf(spec.url)}: ${why}.`,
      'Check the URL and that the server runs and is reachable from here (firewall, DNS, VPN).',
      e,
    );
  }
  if (res.ok) {
    await res.arrayBuffer().catch(() => undefined);
    return ok(undefined);
  }
  const body = (await res.text().catch(() => '')).slice(0, 200).trim();
  return err(
    'alerts.rejected',
    `${originOf(spec.url)} answered ${res.status} ${res.statusText}${body ? `: ${body}` : ''}.`,
    res.status === 401 || res.status === 403
      ? 'Check the token or credentials of the channel.'
      : res.status === 404
        ? 'Check the URL path (and the ntfy topic).'
        : 'Check the server log; Quorate retries real alerts with a growing pause.',
  );
}

/** The URL without path, query or credentials: what a message may show. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the server';
  }
}
