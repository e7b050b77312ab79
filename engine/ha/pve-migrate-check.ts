/**
 * Migration pre-checks for a Proxmox guest: Proxmox's own precondition answer
 * (`pvesh get /nodes/NODE/qemu/VMID/migrate --output-format json`) turned into checks, plus what
 * Proxmox does not check and bites homelabs: `cpu: host` or a CPU-vendor change (online migration
 * across vendors is not supported), a target on an older Proxmox, a target that is offline or not
 * quorate, a target without the memory, the same node, local disks without --with-local-disks. Pure.
 */

/** Proxmox's precondition answer, as qemu-server's API returns it (fields Quorate reads). */
export interface PveMigratePrecondition {
  readonly running: boolean;
  readonly allowed_nodes?: readonly string[];
  /** node → why not (e.g. `{ unavailable_storages: ['local-lvm'] }`). */
  readonly not_allowed_nodes?: Readonly<
    Record<string, { readonly unavailable_storages?: readonly string[] } & Record<string, unknown>>
  >;
  readonly local_disks?: readonly {
    readonly volid: string;
    readonly cdrom?: number | boolean;
    readonly is_unused?: number | boolean;
  }[];
  readonly local_resources?: readonly string[];
}

export interface PveNodeFacts {
  readonly name: string;
  readonly online: boolean;
  readonly quorate: boolean;
  /** pve-manager version, `8.2.4`; null when unknown. */
  readonly version: string | null;
  /** `GenuineIntel`, `AuthenticAMD`; null when unknown. */
  readonly cpuVendor: string | null;
  /** Memory free for guests, bytes; null when unknown. */
  readonly memFree: number | null;
}

export interface PveMigrateRequest {
  readonly kind: 'vm' | 'ct';
  readonly id: number;
  /** The node the guest is on. */
  readonly source: string;
  readonly target: string;
  readonly online: boolean;
  readonly withLocalDisks: boolean;
  /** The guest config's `cpu:` value (first word), null when unset (kvm64/x86-64-v2-AES default). */
  readonly cpu: string | null;
  /** The guest's configured memory, MiB. */
  readonly memoryMiB: number | null;
}

export type CheckResult = 'pass' | 'warn' | 'fail';

export interface MigrateCheck {
  readonly id: string;
  /** Whose check it is: Proxmox's precondition answer, or one Quorate adds. */
  readonly by: 'proxmox' | 'quorate';
  readonly result: CheckResult;
  readonly message: string;
}

/** -1, 0, 1 comparing dotted versions numerically. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) {
      return d < 0 ? -1 : 1;
    }
  }
  return 0;
}

const truthy = (v: number | boolean | undefined): boolean => v === true || v === 1;

export function migrateChecks(
  req: PveMigrateRequest,
  pre: PveMigratePrecondition | null,
  nodes: readonly PveNodeFacts[],
): MigrateCheck[] {
  const out: MigrateCheck[] = [];
  const add = (id: string, by: MigrateCheck['by'], result: CheckResult, message: string): void => {
    out.push({ id, by, result, message });
  };
  const src = nodes.find((n) => n.name === req.source) ?? null;
  const dst = nodes.find((n) => n.name === req.target) ?? null;
  const live = pre ? pre.running : req.online;

  // Proxmox's own answer first (VMs only: pct has no precondition endpoint).
  if (pre) {
    const why = pre.not_allowed_nodes?.[req.target];
    if (why) {
      const st = why.unavailable_storages ?? [];
      add(
        'proxmox.target-allowed',
        'proxmox',
        'fail',
        st.length
          ? `Proxmox: storage ${st.join(', ')} is not available on ${req.target}.`
          : `Proxmox does not allow ${req.target} as a target.`,
      );
    } else if (pre.allowed_nodes && !pre.allowed_nodes.includes(req.target) && req.target !== req.source) {
      add(
        'proxmox.target-allowed',
        'proxmox',
        'fail',
        `Proxmox does not list ${req.target} among the allowed targets (${pre.allowed_nodes.join(', ') || 'none'}).`,
      );
    } else {
      add('proxmox.target-allowed', 'proxmox', 'pass', `Proxmox allows ${req.target} as a target.`);
    }
    const res = pre.local_resources ?? [];
    add(
      'proxmox.local-resources',
      'proxmox',
      res.length ? 'fail' : 'pass',
      res.length
        ? `Proxmox: the guest uses local resources (${res.join(', ')}) that cannot move.`
        : 'No local resources (USB, PCI passthrough) tie it to its node.',
    );
    const disks = (pre.local_disks ?? []).filter((d) => !truthy(d.cdrom));
    if (disks.length === 0) {
      add('proxmox.local-disks', 'proxmox', 'pass', 'No local disks: its storage is shared.');
    } else if (!req.withLocalDisks) {
      add(
        'proxmox.local-disks',
        'proxmox',
        'fail',
        `Local disks (${disks.map((d) => d.volid).join(', ')}) need --with-local-disks (they are copied to the target).`,
      );
    } else {
      add(
        'proxmox.local-disks',
        'proxmox',
        'warn',
        `Local disks (${disks.map((d) => d.volid).join(', ')}) will be copied to the target: this takes a while.`,
      );
    }
    if (pre.running && !req.online) {
      add('proxmox.running', 'proxmox', 'fail', 'The guest is running: add --online (or stop it first).');
    }
  }

  // What Quorate adds.
  if (req.target === req.source) {
    add('quorate.same-node', 'quorate', 'fail', `The guest is already on ${req.target}.`);
  }
  if (!dst) {
    add('quorate.target-known', 'quorate', 'fail', `${req.target} is not a node of this cluster.`);
    return out;
  }
  add(
    'quorate.target-online',
    'quorate',
    dst.online ? 'pass' : 'fail',
    dst.online ? `${req.target} is online.` : `${req.target} is offline.`,
  );
  add(
    'quorate.target-quorate',
    'quorate',
    dst.quorate ? 'pass' : 'fail',
    dst.quorate
      ? `${req.target} is in the quorate partition.`
      : `${req.target} is not quorate: its /etc/pve is read-only and it cannot take the guest.`,
  );
  if (src?.version && dst.version) {
    const c = compareVersions(dst.version, src.version);
    add(
      'quorate.target-version',
      'quorate',
      c < 0 ? 'fail' : 'pass',
      c < 0
        ? `${req.target} runs Proxmox ${dst.version}, older than ${req.source}'s ${src.version}: migrating to an older version is not supported. Upgrade ${req.target} first.`
        : `${req.target} runs Proxmox ${dst.version} (source ${src.version}).`,
    );
  } else {
    add('quorate.target-version', 'quorate', 'warn', 'The Proxmox version of one of the nodes is unknown.');
  }
  if (req.kind === 'vm') {
    const vendorChange = !!src?.cpuVendor && !!dst.cpuVendor && src.cpuVendor !== dst.cpuVendor;
    if (req.cpu === 'host' && vendorChange) {
      add(
        'quorate.cpu',
        'quorate',
        live ? 'fail' : 'warn',
        live
          ? `cpu: host across CPU vendors (${src?.cpuVendor} → ${dst.cpuVendor}): online migration is not supported and the guest would crash. Stop it, or use a generic CPU type (x86-64-v2-AES).`
          : `cpu: host: the guest will see a ${dst.cpuVendor} CPU after its next start on ${req.target}.`,
      );
    } else if (req.cpu === 'host' && live) {
      add('quorate.cpu', 'quorate', 'warn', 'cpu: host: online migration only works between identical CPU models.');
    } else if (vendorChange && live) {
      add(
        'quorate.cpu',
        'quorate',
        'fail',
        `Online migration across CPU vendors (${src?.cpuVendor} → ${dst.cpuVendor}) is not supported.`,
      );
    } else {
      add('quorate.cpu', 'quorate', 'pass', `CPU type ${req.cpu ?? 'default'} fits ${req.target}.`);
    }
  }
  if (req.memoryMiB !== null && dst.memFree !== null) {
    const need = req.memoryMiB * 1024 * 1024;
    add(
      'quorate.target-memory',
      'quorate',
      need > dst.memFree ? 'fail' : 'pass',
      need > dst.memFree
        ? `${req.target} has ${Math.floor(dst.memFree / 1048576)} MiB free, the guest needs ${req.memoryMiB} MiB.`
        : `${req.target} has the memory (${req.memoryMiB} MiB needed).`,
    );
  }
  return out;
}

/** The checks that stop a migration. */
export function blocking(checks: readonly MigrateCheck[]): MigrateCheck[] {
  return checks.filter((c) => c.result === 'fail');
}
