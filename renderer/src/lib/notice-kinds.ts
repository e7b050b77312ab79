/**
 * What the window does with a notice's kind beyond its words (the engine writes title, body and
 * steps): the tag a timeline entry carries, whether the banner opens its steps at once, and when
 * an HA notice is over (the engine's rule, engine/ha/notice-over.ts, so banner and history agree).
 */
import type { HaStatusView, Notice } from '../../../engine/api/contract';
import { haNoticeOver } from '../../../engine/ha/notice-over';

/** "HA" for HA news (a guest recovered, in error, fencing), "Migration" for a migration's end. */
export function noticeTag(kind: string | undefined): string | null {
  if (kind?.startsWith('ha-')) {
    return 'HA';
  }
  return kind?.startsWith('migration-') ? 'Migration' : null;
}

/** Steps shown at once where someone must act now: quorum lost, a guest HA gave up on. */
export function guidanceOpen(n: Pick<Notice, 'kind'>): boolean {
  return n.kind === 'quorum-lost' || n.kind === 'ha-service-error';
}

/** The notices that still hold once the cluster's HA status is `status`. */
export function withoutOverHaNotices(notices: readonly Notice[], cluster: string, status: HaStatusView): Notice[] {
  return status.engine === null
    ? [...notices]
    : notices.filter((n) => n.cluster !== cluster || !haNoticeOver(n, status));
}
