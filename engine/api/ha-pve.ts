/**
 * HA on a Proxmox VE cluster's guests: `--vm VMID` / `--ct CTID` → ha-manager's service id, the HA
 * requirements (votes, shared storage, watchdog, local disks; on Pacemaker only the votes) with the
 * consents given, and `ha add` through ha-manager after them. Its own module because only `ha add`
 * and `ha requirements` use it, and it reads facts (engine/ha/pve-requirements*) nothing else in the
 * service needs.
 */
import { blockingRequirements, haRequirements, type HaConsent, type HaRequirement } from '../ha/pve-requirements';
import { clusterVotes, readPveHaFacts } from '../ha/pve-requirements.ssh';
import { pveTools } from '../ha/pve-ha.ssh';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { QuorateApi } from './contract';
import { waitFor, type Opened } from './ha-open';

/** `--vm VMID` / `--ct CTID` → the ha-manager service id `vm:ID` / `ct:ID`; null when neither names one. */
export const pveSid = (p: { vm?: string; ct?: string }): string | null =>
  p.ct !== undefined ? `ct:${p.ct}` : p.vm !== undefined && /^\d+$/.test(p.vm) ? `vm:${p.vm}` : null;

export const consentsOf = (p: { allowFewVotes?: boolean; allowLocalDisks?: boolean }): HaConsent[] => [
  ...(p.allowFewVotes ? (['fewVotes'] as const) : []),
  ...(p.allowLocalDisks ? (['localDisks'] as const) : []),
];

/** The requirements checked on this cluster (pve: all of them; Pacemaker: the votes). */
export const requirementsOf = async (
  o: Opened,
  guest: string | null,
  consent: readonly HaConsent[],
): Promise<Result<HaRequirement[]>> => {
  if (o.record.provider !== 'pve') {
    const votes = await clusterVotes((c) => pveTools(o.nodes).runAny(c));
    return ok(
      haRequirements({ ...votes, guest: null, storages: [], watchdogs: [], consent }).filter(
        (r) => r.id === 'ha.votes',
      ),
    );
  }
  const facts = await readPveHaFacts(pveTools(o.nodes), o.nodes, o.record.name, guest);
  return facts.ok ? ok(haRequirements({ ...facts.value, consent })) : facts;
};

/** ha-manager add for a Proxmox guest, after its requirements (refused without consent where they fail). */
export const pveHaAdd = async (
  o: Opened,
  p: Parameters<QuorateApi['haAdd']>[0],
): Promise<Awaited<ReturnType<QuorateApi['haAdd']>>> => {
  const guest = pveSid(p);
  if (!guest) {
    return err(
      'ha.bad-resource',
      `${o.record.name} is a Proxmox VE cluster: HA manages its guests.`,
      'Name the guest: --vm VMID or --ct CTID.',
    );
  }
  const reqs = await requirementsOf(o, guest, consentsOf(p));
  if (!reqs.ok) {
    return reqs;
  }
  const blocked = blockingRequirements(reqs.value);
  const first = blocked[0];
  if (first) {
    const flags = blocked.map((b) => (b.consent === 'fewVotes' ? '--allow-few-votes' : '--allow-local-disks'));
    return err(
      first.consent === 'fewVotes' ? 'ha.few-votes' : 'ha.local-disks',
      `${guest} was not added to HA: ${blocked.map((b) => b.message).join(' ')}`,
      `Fix it, or accept the risk: quorate ha add ${o.record.name} ${guest.startsWith('ct:') ? '--ct' : '--vm'} ${guest.slice(3)} ${flags.join(' ')} (in the window: tick the consent in the HA requirements).`,
    );
  }
  const before = await o.engine.status();
  if (before.ok && before.value.resources.some((x) => x.id === guest)) {
    return err(
      'ha.resource-exists',
      `${guest} is already managed by HA on ${o.record.name}.`,
      `Change its requested state instead: quorate ha set ${o.record.name} ${guest} --state started`,
    );
  }
  // The engine's `vm` spec carries the ha-manager service id; there is no config file on pve.
  const added = await o.engine.add({ kind: 'vm', id: guest, config: '' }, null);
  if (!added.ok) {
    return added;
  }
  const done = await waitFor(o, (st) => st.resources.some((x) => x.id === guest && x.state !== 'starting'), 30_000);
  const r = done?.resources.find((x) => x.id === guest);
  return ok({
    id: guest,
    kind: 'vm' as const,
    state: r?.state ?? 'stopped',
    node: r?.node ?? null,
    with: null,
    requirements: reqs.value,
  });
};
