/**
 * The requirements Proxmox's HA stack states before a guest is put under ha-manager (pve-docs
 * ha-manager.adoc "Requirements", the seeds' "HA requirements"): at least three votes for a reliable
 * quorum, shared storage for the guest's disks, a watchdog for self-fencing, redundant hardware.
 * Each becomes a check with pass / warn / fail / unchecked, from plain data the use case read
 * (votes from engine/model, the guest's config, /etc/pve/storage.cfg, /etc/pve/replication.cfg,
 * what each node says about its watchdog). Pure.
 *
 * What Proxmox itself does: `ha-manager add` checks none of these. A guest with a disk on local
 * storage is accepted, and after its node fails the CRM moves only its config: the disk stays on the
 * dead node, the start fails and the service ends in `error`. Storage replication (pvesr) is the one
 * way a local-disk guest can be recovered (with the data since the last sync lost), and HA's own
 * restart on the same node works either way. So Quorate refuses local disks without a replication
 * job unless the user consents, and warns with one.
 */

/** What a user may consent to instead of meeting a requirement. */
export type HaConsent = 'fewVotes' | 'localDisks';

export interface HaRequirement {
  readonly id: 'ha.votes' | 'ha.shared-storage' | 'ha.watchdog' | 'ha.hardware';
  /** The requirement as the docs state it. */
  readonly title: string;
  /** fail: refused unless `consent` is given; unchecked: Quorate cannot read it. */
  readonly result: 'pass' | 'warn' | 'fail' | 'unchecked';
  readonly message: string;
  /** Set on a failed check the user may accept (and on the warning it becomes once accepted). */
  readonly consent?: HaConsent;
}

export interface PveStorage {
  readonly id: string;
  readonly type: string;
  readonly shared: boolean;
}

/** Storage types shared by nature (PVE::Storage plugins whose volumes every node reaches). */
const SHARED_TYPES = new Set(['rbd', 'cephfs', 'nfs', 'cifs', 'glusterfs', 'iscsi', 'iscsidirect', 'zfs', 'drbd']);

/**
 * /etc/pve/storage.cfg (section config: `TYPE: ID` then indented `key value` lines). `dir`, `lvm`,
 * `btrfs` are shared only with `shared 1`; an absent file means Proxmox's default `dir: local`.
 */
export function parseStorageCfg(text: string | null): PveStorage[] {
  if (text === null) {
    return [{ id: 'local', type: 'dir', shared: false }];
  }
  const out: { id: string; type: string; shared: boolean }[] = [];
  let cur: { id: string; type: string; shared: boolean } | null = null;
  for (const line of text.split('\n')) {
    const head = /^([a-z0-9]+):\s*(\S+)\s*$/.exec(line);
    if (head) {
      cur = { id: head[2] ?? '', type: head[1] ?? '', shared: SHARED_TYPES.has(head[1] ?? '') };
      out.push(cur);
      continue;
    }
    const prop = /^\s+shared\s+(\d)\s*$/.exec(line);
    if (cur && prop) {
      cur.shared = prop[1] === '1';
    }
  }
  return out;
}

export interface GuestVolume {
  /** The config key: `scsi0`, `rootfs`, `mp1`, … */
  readonly key: string;
  /** `ceph:vm-100-disk-0`, or an absolute path for a pass-through device / bind mount. */
  readonly volid: string;
  /** Storage id; null for a path (always local). */
  readonly storage: string | null;
}

/** The volumes a guest's config uses (current config only; cdroms, `none` and unused disks left out). */
export function guestVolumes(confText: string): GuestVolume[] {
  const current = confText.split(/^\[/m)[0] ?? '';
  const out: GuestVolume[] = [];
  for (const m of current.matchAll(/^((?:scsi|virtio|sata|ide|efidisk|tpmstate|mp)\d+|rootfs):\s*([^,\s]+)(.*)$/gm)) {
    const key = m[1] ?? '';
    const volid = m[2] ?? '';
    if (volid === 'none' || /media=cdrom/.test(m[3] ?? '')) {
      continue;
    }
    const storage = volid.startsWith('/') ? null : (/^([^:]+):/.exec(volid)?.[1] ?? null);
    out.push({ key, volid, storage });
  }
  return out;
}

/** Guests with a storage replication job (/etc/pve/replication.cfg: `local: VMID-N`). */
export function replicatedGuests(text: string | null): Set<number> {
  const out = new Set<number>();
  for (const m of (text ?? '').matchAll(/^local:\s*(\d+)-\d+\s*$/gm)) {
    out.add(Number(m[1]));
  }
  return out;
}

/** What one node says about its watchdog; null fields when it could not be read. */
export interface NodeWatchdog {
  readonly node: string;
  /** `WATCHDOG_MODULE` from /etc/default/pve-ha-manager (a hardware watchdog chosen), null when unset. */
  readonly module: string | null;
  /** Watchdog devices the kernel has now (/sys/class/watchdog); null when unreadable. */
  readonly devices: number | null;
}

export interface HaRequirementFacts {
  /** Votes with every node up and the QDevice voting (engine/model quorumSummary); null when unknown. */
  readonly totalVotes: number | null;
  readonly nodes: number;
  readonly qdevice: boolean;
  /** The guest to add, or null when only the cluster-wide requirements are asked. */
  readonly guest: {
    readonly sid: string;
    readonly volumes: readonly GuestVolume[];
    readonly replicated: boolean;
  } | null;
  readonly storages: readonly PveStorage[];
  readonly watchdogs: readonly NodeWatchdog[];
  /** What the user consented to. */
  readonly consent: readonly HaConsent[];
}

const TITLES: Record<HaRequirement['id'], string> = {
  'ha.votes': 'At least three votes (three nodes, or two and a QDevice) for a reliable quorum',
  'ha.shared-storage': "Shared storage for the guest's disks",
  'ha.watchdog': 'A watchdog for self-fencing (hardware, else the kernel softdog)',
  'ha.hardware': 'Redundant hardware (power, network, RAID) and reliable server components',
};

export function haRequirements(f: HaRequirementFacts): HaRequirement[] {
  const out: HaRequirement[] = [];
  const req = (id: HaRequirement['id'], result: HaRequirement['result'], message: string, consent?: HaConsent) =>
    out.push({ id, title: TITLES[id], result, message, ...(consent ? { consent } : {}) });

  if (f.totalVotes === null) {
    req('ha.votes', 'unchecked', 'corosync.conf could not be read, so the votes are unknown.');
  } else if (f.totalVotes >= 3) {
    req('ha.votes', 'pass', `${f.totalVotes} votes (${f.nodes} nodes${f.qdevice ? ' and a QDevice' : ''}).`);
  } else {
    const why =
      `${f.totalVotes} vote${f.totalVotes === 1 ? '' : 's'} (${f.nodes} node${f.nodes === 1 ? '' : 's'}${f.qdevice ? ' and a QDevice' : ''}): ` +
      'when one node fails the rest has no majority, loses quorum and cannot recover anything; the HA stack ' +
      'then fences (reboots) the nodes that lost quorum through their watchdog. Add a node or a QDevice for a third vote.';
    req(
      'ha.votes',
      f.consent.includes('fewVotes') ? 'warn' : 'fail',
      f.consent.includes('fewVotes') ? `Accepted: ${why}` : why,
      'fewVotes',
    );
  }

  if (f.guest) {
    const byId = new Map(f.storages.map((s) => [s.id, s]));
    const local = f.guest.volumes.filter((v) => v.storage === null || byId.get(v.storage)?.shared === false);
    const unknown = f.guest.volumes.filter((v) => v.storage !== null && !byId.has(v.storage));
    const list = (vs: readonly GuestVolume[]) => vs.map((v) => `${v.key} (${v.volid})`).join(', ');
    if (local.length > 0) {
      if (f.guest.replicated) {
        req(
          'ha.shared-storage',
          'warn',
          `${f.guest.sid} has local disks: ${list(local)}. It has a storage replication job, so HA can recover it on a ` +
            'replication target, with the writes since the last sync lost.',
        );
      } else {
        const why =
          `${f.guest.sid} has disks on local storage: ${list(local)}. Proxmox accepts it, but after its node fails ` +
          'only the config moves: the disk stays on the dead node, the guest cannot start elsewhere and ends in error. ' +
          'Move the disks to shared storage (qm disk move / pct move-volume) or set up storage replication (pvesr).';
        req(
          'ha.shared-storage',
          f.consent.includes('localDisks') ? 'warn' : 'fail',
          f.consent.includes('localDisks') ? `Accepted (HA can only restart it on its own node): ${why}` : why,
          'localDisks',
        );
      }
    } else if (unknown.length > 0) {
      req(
        'ha.shared-storage',
        'warn',
        `${list(unknown)} on a storage that /etc/pve/storage.cfg does not define: whether it is shared is unknown.`,
      );
    } else {
      req(
        'ha.shared-storage',
        'pass',
        f.guest.volumes.length === 0
          ? `${f.guest.sid} has no disks.`
          : `Every disk of ${f.guest.sid} is on shared storage (${[...new Set(f.guest.volumes.map((v) => v.storage))].join(', ')}).`,
      );
    }
  } else {
    req('ha.shared-storage', 'unchecked', "Checked per guest: pick the guest to see its disks' storage.");
  }

  const unread = f.watchdogs.filter((w) => w.devices === null && w.module === null);
  const hardware = f.watchdogs.filter((w) => w.module !== null && w.module !== 'softdog');
  const soft = f.watchdogs.filter((w) => !hardware.includes(w) && !unread.includes(w));
  if (f.watchdogs.length === 0 || unread.length === f.watchdogs.length) {
    req('ha.watchdog', 'unchecked', 'No node could be asked about its watchdog.');
  } else if (soft.length === 0 && unread.length === 0) {
    req(
      'ha.watchdog',
      'pass',
      `Hardware watchdog configured on every node (${hardware.map((w) => `${w.node}: ${w.module}`).join(', ')}).`,
    );
  } else {
    req(
      'ha.watchdog',
      'warn',
      `No hardware watchdog configured on ${soft.map((w) => w.node).join(', ') || 'some nodes'}` +
        `${unread.length ? ` (${unread.map((w) => w.node).join(', ')} could not be read)` : ''}: watchdog-mux falls back ` +
        'to the kernel softdog, which works but depends on the same hardware it guards. A hardware watchdog is set ' +
        'with WATCHDOG_MODULE in /etc/default/pve-ha-manager.',
    );
  }
  req(
    'ha.hardware',
    'unchecked',
    'Quorate cannot see power supplies, network redundancy or RAID: check them yourself (a second corosync link helps: quorate status NAME shows the links).',
  );
  return out;
}

/** The failed requirements that block `ha add`, and the consents that would lift them. */
export function blockingRequirements(reqs: readonly HaRequirement[]): HaRequirement[] {
  return reqs.filter((r) => r.result === 'fail');
}

/** `/etc/default/pve-ha-manager`'s WATCHDOG_MODULE, null when unset or commented out. */
export function watchdogModule(text: string | null): string | null {
  return /^\s*WATCHDOG_MODULE\s*=\s*"?([A-Za-z0-9_-]+)"?\s*$/m.exec(text ?? '')?.[1] ?? null;
}
