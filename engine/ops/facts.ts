/**
 * Pre-flight facts read over a plain shell (no agent needed): one script, `key=value` lines back,
 * parsed purely. The probe scripts measure UDP round trips on the corosync port range with the
 * machine's own Node (the agent's runtime).
 */
import type { GuestFact, InterfaceFact, MachineFacts } from '../preflight/types';

/** UDP port the probe responder listens on: inside 5405–5412, so a firewall blocking corosync blocks it too. */
export const PROBE_PORT = 5412;

export const FACTS_SCRIPT = [
  'echo "hostname=$(hostname)"',
  `echo "corosync=$(corosync -v 2>/dev/null | sed -n "s/.*version '\\([^']*\\)'.*/\\1/p" | head -n1)"`,
  'command -v corosync-qdevice >/dev/null 2>&1 && echo qdevice=yes',
  `command -v pveversion >/dev/null 2>&1 && echo "pve=$(pveversion 2>/dev/null | sed -n 's#^pve-manager/\\([0-9.]*\\).*#\\1#p' | head -n1)"`,
  `ip -o addr show 2>/dev/null | awk '{print "if=" $2 " " $4}'`,
  'echo "ntp=$(timedatectl show -p NTPSynchronized --value 2>/dev/null)"',
  'test -f /etc/corosync/corosync.conf && echo "conf=$(sed -n \'s/^[[:space:]]*cluster_name:[[:space:]]*//p\' /etc/corosync/corosync.conf | head -n1)"',
  'test -f /etc/pve/corosync.conf && echo "conf=$(sed -n \'s/^[[:space:]]*cluster_name:[[:space:]]*//p\' /etc/pve/corosync.conf | head -n1)"',
  'test -f /etc/corosync/authkey && echo authkey=yes',
  'corosync-cfgtool -s >/dev/null 2>&1 && echo running=yes',
  `command -v qm >/dev/null 2>&1 && qm list 2>/dev/null | awk 'NR>1 && $1 ~ /^[0-9]+$/ {print "guest=qemu " $1 " " $2}'`,
  `command -v pct >/dev/null 2>&1 && pct list 2>/dev/null | awk 'NR>1 && $1 ~ /^[0-9]+$/ {print "guest=lxc " $1 " " $NF}'`,
  `echo "cpu=$(sed -n 's/^vendor_id[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n1)"`,
  'echo "time=$(date +%s%3N)"',
  'true',
].join('\n');

export interface ParsedFacts {
  readonly facts: MachineFacts;
  /** Remote epoch ms when the script ran (`date +%s%3N`). */
  readonly remoteTimeMs: number | null;
}

/** Parse the output of `FACTS_SCRIPT` for `machine`. */
export function parseFacts(machine: string, out: string): ParsedFacts {
  const ifs = new Map<string, string[]>();
  const guests: GuestFact[] = [];
  const kv: Record<string, string> = {};
  let hasConf = false;
  let clusterName: string | undefined;
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i < 0) continue;
    const key = line.slice(0, i);
    const value = line.slice(i + 1).trim();
    if (key === 'if') {
      const [name, addr] = value.split(/\s+/);
      if (name && addr) ifs.set(name, [...(ifs.get(name) ?? []), addr]);
    } else if (key === 'guest') {
      const [kind, vmid, name] = value.split(/\s+/);
      if ((kind === 'qemu' || kind === 'lxc') && vmid) guests.push({ kind, vmid: Number(vmid), name: name ?? '' });
    } else if (key === 'conf') {
      hasConf = true;
      if (value) clusterName = value;
    } else {
      kv[key] = value;
    }
  }
  const interfaces: InterfaceFact[] = [...ifs].map(([name, addresses]) => ({ name, addresses }));
  const time = Number(kv.time);
  return {
    facts: {
      machine,
      hostname: kv.hostname ?? '',
      corosyncVersion: kv.corosync ? kv.corosync : null,
      qdeviceInstalled: kv.qdevice === 'yes',
      pveVersion: kv.pve ? kv.pve : null,
      interfaces,
      ntpSynchronized: kv.ntp === 'yes' ? true : kv.ntp === 'no' ? false : null,
      hasCorosyncConf: hasConf,
      hasAuthkey: kv.authkey === 'yes',
      corosyncRunning: kv.running === 'yes',
      ...(clusterName ? { clusterName } : {}),
      guests,
      cpuVendor: kv.cpu ? kv.cpu : null,
    },
    remoteTimeMs: Number.isFinite(time) && time > 0 ? time : null,
  };
}

/** Echo every datagram back for `ms` milliseconds: `node responder.js ADDR PORT MS`. */
export const RESPONDER_JS = `const [addr, port, ms] = process.argv.slice(2);
const s = require('dgram').createSocket(addr.includes(':') ? 'udp6' : 'udp4');
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.on('error', (e) => { console.error(String(e)); process.exit(1); });
s.bind(Number(port), addr, () => console.log('ready'));
setTimeout(() => process.exit(0), Number(ms));
`;

/**
 * Send \`count\` probes every \`gapMs\` to each target and print {target: [rtt ms…]}:
 * \`node - SRC PORT COUNT GAPMS TARGET…\` (script on stdin). Three warm-up rounds first (not
 * counted: the first datagrams pay for ARP and the JIT, not for the network).
 */
export const SENDER_JS = `const [src, port, count, gap, ...targets] = process.argv.slice(2);
const s = require('dgram').createSocket(src.includes(':') ? 'udp6' : 'udp4');
const sent = new Map(); const rtts = Object.fromEntries(targets.map((t) => [t, []]));
s.on('message', (m) => { const k = m.toString(); const t0 = sent.get(k); if (t0 === undefined) return; sent.delete(k);
  const t = k.split('|')[0]; rtts[t].push(Number(process.hrtime.bigint() - t0) / 1e6); });
s.on('error', (e) => { console.error(String(e)); process.exit(1); });
const WARM = 3;
s.bind(0, src, () => { let i = -WARM;
  const tick = () => { for (const t of targets) { const k = t + '|' + i; if (i >= 0) sent.set(k, process.hrtime.bigint()); s.send(k, Number(port), t); }
    if (++i < Number(count)) setTimeout(tick, Number(gap)); else setTimeout(() => { console.log(JSON.stringify(rtts)); process.exit(0); }, 500); };
  tick(); });
`;
