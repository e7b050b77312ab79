/**
 * `ha add` on a Pacemaker cluster: the resource spec asked for (floating IP, service, libvirt VM),
 * checked on every node before anything is added — the IP on a subnet every node has and free on the
 * network, the unit present everywhere, libvirt installed. Its own module because these checks are
 * the bulk of `ha add` and read only the node facts and the engine's probes (no other use case).
 */
import { addressOnSubnet, isNetworkOrBroadcast, parseCidr } from '../ha/address';
import { idFor } from '../ha/cib';
import type { HaNodeFacts } from '../ha/engine';
import type { HaResourceSpec } from '../ha/types';
import type { Result } from '../result';
import { err, ok } from '../result';
import type { Opened } from './ha-open';

/** The resource `ha add` asked for, checked on every node (subnet, address free, unit present, libvirt). */
export async function specFor(
  o: Opened,
  p: { cluster: string; ip?: string; service?: string; vm?: string; id?: string },
  facts: readonly HaNodeFacts[],
): Promise<Result<HaResourceSpec>> {
  if (p.ip !== undefined) {
    const c = parseCidr(p.ip);
    if (!c) {
      return err('ha.bad-ip', `"${p.ip}" is not an IPv4 address`, 'Use a form like --ip 198.18.0.100/24.');
    }
    const prefixes = facts.flatMap((f) => f.addresses.filter((a) => c.prefix === null || a.prefix === c.prefix));
    const onNet = facts.map((f) => ({
      node: f.node,
      addr:
        c.prefix !== null
          ? addressOnSubnet(f.addresses, c.ip, c.prefix)
          : f.addresses.find((a) => addressOnSubnet([a], c.ip, a.prefix)),
    }));
    const off = onNet.filter((n) => !n.addr);
    if (off.length === onNet.length || prefixes.length === 0) {
      return err(
        'ha.ip-outside-subnets',
        `${p.ip} is outside every node's subnet (${facts.map((f) => `${f.node}: ${f.addresses.map((a) => `${a.address}/${a.prefix}`).join(', ')}`).join('; ')}): no node could answer for it.`,
        'Pick a free address on the network the nodes share.',
      );
    }
    if (off.length > 0) {
      return err(
        'ha.ip-outside-subnets',
        `${p.ip} is outside the subnet of ${off.map((n) => n.node).join(', ')}: the IP could not move there.`,
        'Pick a free address on a network every node has.',
      );
    }
    const first = onNet[0]?.addr;
    const prefix = c.prefix ?? first?.prefix ?? 24;
    if (isNetworkOrBroadcast(c.ip, prefix) || facts.some((f) => f.addresses.some((a) => a.address === c.ip))) {
      return err(
        'ha.ip-in-use',
        `${c.ip} is a node's own address or the subnet's network/broadcast address.`,
        'Pick a free address.',
      );
    }
    const prober = onNet[0];
    if (prober?.addr) {
      const used = await o.engine.addressInUse(prober.node, c.ip, prober.addr.dev);
      if (!used.ok) {
        return used;
      }
      if (used.value) {
        return err(
          'ha.ip-in-use',
          `${c.ip} is already in use on the network (it answered ${prober.node}'s probe): a floating IP there would clash with that machine.`,
          'Pick a free address (nothing must answer arping/ping on it).',
        );
      }
    }
    return ok({ kind: 'ip', id: p.id ?? idFor({ kind: 'ip', ip: c.ip }), ip: c.ip, prefix });
  }
  if (p.service !== undefined) {
    const unit = p.service;
    const found = await Promise.all(
      o.nodes.map(async (n) => ({ node: n.node, r: await o.engine.unitOn(n.node, unit) })),
    );
    for (const f of found) {
      if (!f.r.ok) {
        return f.r;
      }
    }
    const absent = found.filter((f) => f.r.ok && f.r.value === null).map((f) => f.node);
    if (absent.length > 0) {
      return err(
        'ha.unit-missing',
        `the service ${unit} does not exist on ${absent.join(', ')}: Pacemaker could not start it there.`,
        'Install the service on every node first (same unit name), then add it.',
      );
    }
    const cls =
      found.every((f) => f.r.ok && f.r.value === 'systemd') && facts.every((f) => f.systemd) ? 'systemd' : 'lsb';
    return ok({ kind: 'service', id: p.id ?? idFor({ kind: 'service', unit }), unit, class: cls });
  }
  const vm = p.vm as string;
  const noLibvirt = facts.filter((f) => !f.libvirt).map((f) => f.node);
  if (noLibvirt.length > 0) {
    return err(
      'ha.no-libvirt',
      `libvirt (virsh and ocf:heartbeat:VirtualDomain) is missing on ${noLibvirt.join(', ')}.`,
      'Install libvirt-daemon-system on every node and keep the guest on shared storage, then add it.',
    );
  }
  const name =
    vm
      .split('/')
      .pop()
      ?.replace(/\.xml$/, '') ?? 'guest';
  return ok({ kind: 'vm', id: p.id ?? idFor({ kind: 'vm', name }), config: vm });
}
