/**
 * `HaEngine.watch` for engines that can only be asked (crm_mon, ha-manager status): read, report,
 * wait `intervalMs`, read again — never two reads at once, nothing reported after the stop.
 */
import type { Result } from '../result';
import type { HaStatus } from './types';

export function pollStatus(
  status: () => Promise<Result<HaStatus>>,
  onStatus: (s: Result<HaStatus>) => void,
  intervalMs: number,
): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const loop = async (): Promise<void> => {
    if (stopped) {
      return;
    }
    const s = await status();
    if (stopped) {
      return;
    }
    onStatus(s);
    timer = setTimeout(() => void loop(), intervalMs);
  };
  void loop();
  return () => {
    stopped = true;
    if (timer) {
      clearTimeout(timer);
    }
  };
}
