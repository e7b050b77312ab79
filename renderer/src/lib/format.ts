/** "14:03:07" in the user's locale. */
export function clockTime(epochMs: number, now = Date.now()): string {
  const d = new Date(epochMs);
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  // Older than today: the time alone would be ambiguous in a timeline.
  return new Date(now).toDateString() === d.toDateString()
    ? time
    : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
}

/** Signed milliseconds as "+12 ms" / "−3.4 ms". */
export function signedMs(ms: number): string {
  const abs = Math.abs(ms);
  // Two decimals under 10 ms, as the pre-flight checks print them, so table and check say the same.
  const text = abs < 10 ? abs.toFixed(2) : String(Math.round(abs));
  return `${ms < 0 ? '−' : '+'}${text} ms`;
}
