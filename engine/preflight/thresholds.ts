/**
 * Pre-flight limits, in one place so the report, the docs and the tests agree.
 * Latency: the Proxmox cluster chapter asks for LAN latency below 5 ms (seeds/004 "Cluster Network");
 * corosync's totem token (3000 ms + 650 ms per node above 2) tolerates more, but knet's
 * retransmits and the pmxcfs write path do not, so 2 ms already warrants a warning.
 */
export const THRESHOLDS = {
  latencyFailMs: 5,
  latencyWarnMs: 2,
  /**
   * Jitter eats into the same budget as latency, but corosync's token (≥ 3 s) absorbs a lot of it:
   * it fails only when it is twice the latency limit.
   */
  jitterFailMs: 10,
  jitterWarnMs: 1,
  /** Any loss on a LAN is a sign of trouble; corosync copes with a little, retransmits cost latency. */
  lossFailPercent: 2,
  lossWarnPercent: 0,
  /** Corosync itself tolerates skew, but logs, certificates (QDevice TLS) and HA fencing do not. */
  clockFailMs: 1000,
  clockWarnMs: 100,
} as const;
