/**
 * CIB XML for what `quorate ha add` creates: primitives (floating IP, systemd/LSB service, libvirt
 * guest) and the constraints that make one resource run where another runs. Every value is
 * XML-escaped; ids are checked to be what Pacemaker accepts (an XML NCName), so nothing a user types
 * can change the document's structure. Pure.
 */
import type { Result } from '../result';
import { err, ok } from '../result';
import type { HaResourceSpec } from './types';
import { escapeXml } from './xml';

/** Pacemaker ids are XML IDs: a letter or `_`, then letters, digits, `_`, `.`, `-`. */
const ID = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export function validId(id: string): boolean {
  return ID.test(id);
}

/** An id Pacemaker accepts, made from a label (`198.18.0.100` → `ip-198.18.0.100`, `nginx.service` → `svc-nginx`). */
export function idFor(
  spec: { kind: 'ip'; ip: string } | { kind: 'service'; unit: string } | { kind: 'vm'; name: string },
): string {
  const raw =
    spec.kind === 'ip'
      ? `ip-${spec.ip}`
      : spec.kind === 'service'
        ? `svc-${spec.unit.replace(/\.service$/, '')}`
        : `vm-${spec.name}`;
  return raw.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
}

const attr = (name: string, value: string | number): string => ` ${name}="${escapeXml(String(value))}"`;

function nvpairs(owner: string, section: string, pairs: readonly (readonly [string, string])[]): string {
  if (pairs.length === 0) {
    return '';
  }
  const items = pairs.map(
    ([k, v]) => `<nvpair${attr('id', `${owner}-${section}-${k}`)}${attr('name', k)}${attr('value', v)}/>`,
  );
  return `<instance_attributes${attr('id', `${owner}-${section}`)}>${items.join('')}</instance_attributes>`;
}

function op(owner: string, name: string, interval: string, timeout: string): string {
  return `<op${attr('id', `${owner}-${name}-${interval}`)}${attr('name', name)}${attr('interval', interval)}${attr('timeout', timeout)}/>`;
}

/** `target-role=Stopped`: created, but not started until the meta attribute goes. */
function stoppedMeta(id: string): string {
  return `<meta_attributes${attr('id', `${id}-meta_attributes`)}><nvpair${attr('id', `${id}-meta_attributes-target-role`)}${attr('name', 'target-role')}${attr('value', 'Stopped')}/></meta_attributes>`;
}

/** `<primitive>` for a spec (`stopped`: created with target-role=Stopped); refuses an id Pacemaker would refuse. */
export function primitiveXml(spec: HaResourceSpec, opts: { stopped?: boolean } = {}): Result<string> {
  if (!validId(spec.id)) {
    return err(
      'ha.bad-id',
      `resource id "${spec.id}" is not valid: a letter or "_", then letters, digits, "_", "." or "-" (at most 64)`,
      'Choose another id.',
    );
  }
  const id = spec.id;
  const meta = opts.stopped ? stoppedMeta(id) : '';
  switch (spec.kind) {
    case 'ip': {
      const params: [string, string][] = [
        ['ip', spec.ip],
        ['cidr_netmask', String(spec.prefix)],
      ];
      if (spec.nic) {
        params.push(['nic', spec.nic]);
      }
      return ok(
        `<primitive${attr('id', id)}${attr('class', 'ocf')}${attr('provider', 'heartbeat')}${attr('type', 'IPaddr2')}>` +
          nvpairs(id, 'instance_attributes', params) +
          meta +
          `<operations>${op(id, 'monitor', '10s', '20s')}</operations></primitive>`,
      );
    }
    case 'service': {
      const type = spec.class === 'systemd' ? spec.unit.replace(/\.service$/, '') : spec.unit;
      return ok(
        `<primitive${attr('id', id)}${attr('class', spec.class)}${attr('type', type)}>` +
          meta +
          `<operations>${op(id, 'monitor', '30s', '100s')}${op(id, 'start', '0s', '100s')}${op(id, 'stop', '0s', '100s')}</operations></primitive>`,
      );
    }
    case 'vm':
      return ok(
        `<primitive${attr('id', id)}${attr('class', 'ocf')}${attr('provider', 'heartbeat')}${attr('type', 'VirtualDomain')}>` +
          nvpairs(id, 'instance_attributes', [
            ['config', spec.config],
            ['hypervisor', 'qemu:///system'],
          ]) +
          meta +
          `<operations>${op(id, 'monitor', '30s', '60s')}${op(id, 'start', '0s', '120s')}${op(id, 'stop', '0s', '120s')}</operations></primitive>`,
      );
  }
}

/**
 * "`id` runs where `withId` runs, and starts after it": a colocation (score INFINITY) and a
 * mandatory ordering, each created by its own `cibadmin --create --scope constraints`.
 */
export function followConstraintsXml(id: string, withId: string): Result<[colocation: string, order: string]> {
  for (const x of [id, withId]) {
    if (!validId(x)) {
      return err('ha.bad-id', `resource id "${x}" is not valid`, 'Choose another id.');
    }
  }
  return ok([
    `<rsc_colocation${attr('id', `col-${id}-with-${withId}`)}${attr('rsc', id)}${attr('with-rsc', withId)}${attr('score', 'INFINITY')}/>`,
    `<rsc_order${attr('id', `ord-${withId}-then-${id}`)}${attr('first', withId)}${attr('then', id)}${attr('kind', 'Mandatory')}/>`,
  ]);
}

/** An element naming only its id: what `cibadmin --delete` matches on. */
export function byIdXml(tag: 'primitive' | 'rsc_colocation' | 'rsc_order' | 'rsc_location', id: string): string {
  return `<${tag}${attr('id', id)}/>`;
}

/**
 * The constraints in a CIB `<constraints>` section that mention `id` (so `ha remove` can delete them
 * with the resource): [tag, id] pairs.
 */
export function constraintsMentioning(
  constraints: readonly { name: string; attrs: Readonly<Record<string, string>> }[],
  id: string,
): [tag: 'rsc_colocation' | 'rsc_order' | 'rsc_location', id: string][] {
  const out: ['rsc_colocation' | 'rsc_order' | 'rsc_location', string][] = [];
  for (const c of constraints) {
    if (c.name !== 'rsc_colocation' && c.name !== 'rsc_order' && c.name !== 'rsc_location') {
      continue;
    }
    const a = c.attrs;
    if ([a.rsc, a['with-rsc'], a.first, a.then].includes(id) && a.id) {
      out.push([c.name, a.id]);
    }
  }
  return out;
}
