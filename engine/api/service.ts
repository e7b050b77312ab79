/**
 * The use-case layer: `QuorateApi` implemented once by composing the engine's rooms (store, ssh,
 * bootstrap, ops, monitor), for both front doors. The window reaches `handlers` over RPC (transport
 * hosts get them as an `ApiEndpoint`, `createApiEndpoint`); the CLI builds the same service in its
 * process and calls the same handlers, plus the terminal-only members (`agents`, `opsContext`).
 */
import type { Result } from '../result';
import { ok } from '../result';
import type { SecretStore } from '../store';
import { defaultHome, keyringSecrets, withSessionSecrets } from '../store';
import { migrationNoticeText } from '../ha/pve-notices';
import type { ApiHandlers, ClusterSnapshot, ClusterStatus, Notice } from './contract';
import { apiEvents, apiMethods } from './contract';
import type { ApiEndpoint } from './endpoint';
import type { EventHub } from './event-hub';
import { createEventHub } from './event-hub';
import { createHistoryService } from './history';
import { createAlertsService } from './service-alerts';
import type { RpcHandler } from './rpc';
import type { MachinesService } from './service-machines';
import { createHaService } from './service-ha';
import { createPveService } from './service-pve';
import { createMachinesService } from './service-machines';
import { createMaintenanceService } from './service-maintenance';
import { createAdoptService } from './service-adopt';
import type { AgentsService } from './service-agents';
import { createAgentsService } from './service-agents';
import type { StepEvent } from '../ops/executor';
import { fileJournalStore } from '../ops/journal.fs';
import type { OpsContext } from '../ops/operations';
import { createOperationsService } from './service-ops';
import { createStatusService, statusOfSnapshot } from './service-status';
import type { OpenQuorumStream } from './service-watch';
import { createWatchService } from './service-watch';

export interface ServiceOptions {
  /** App state folder; `$QUORATE_HOME` or the OS default. */
  readonly home?: string | undefined;
  /** Where passwords go; the OS keyring by default. */
  readonly secrets?: SecretStore;
  readonly now?: () => number;
  /** SSH connect + handshake + login, ms (default 15 000). */
  readonly sshTimeoutMs?: number;
  /** Monitor debounce, ms (default `DEFAULT_SETTLE_MS`). */
  readonly settleMs?: number;
  /** Replaces the agent quorum streams (tests). */
  readonly openQuorumStream?: OpenQuorumStream;
  /** How often the HA engine of a followed cluster is read, ms (default 500). */
  readonly haPollMs?: number;
  /** The agent bundle to install (default: dist/agent/quorate-agent.cjs as engine/bootstrap finds it). */
  readonly agentBundlePath?: string;
  /**
   * Start watching the known clusters at once, so notifications work before any window asks
   * (default true: the window's hosts). A one-shot CLI command passes false.
   */
  readonly watchOnStart?: boolean;
}

export interface QuorateService {
  readonly handlers: ApiHandlers;
  readonly events: EventHub;
  /** Sessions to machines: the one connect path (root directly, or everything through sudo). */
  readonly machines: Pick<MachinesService, 'connect'>;
  /** The agent tools beside bootstrap (facts, probe, uninstall). */
  readonly agents: AgentsService;
  /** What engine/ops operations run with: sessions from `machines`, the journal in the state folder. */
  opsContext(onEvent?: (e: StepEvent) => void): OpsContext;
  dispose(): Promise<void>;
}

/** How long disposing waits for alerts still being sent (first tries only; retries are dropped). */
const DISPOSE_ALERT_WAIT_MS = 5_000;

/** The API implementation over the real engine. */
export function createQuorateService(options: ServiceOptions = {}): QuorateService {
  const home = options.home ?? defaultHome();
  const now = options.now ?? Date.now;
  const events = createEventHub((e) => console.error('quorate: an event listener failed:', e));
  // Switchable to memory when the desktop has no Secret Service and the user chose "this session only".
  const secrets = withSessionSecrets(options.secrets ?? keyringSecrets());
  const machines = createMachinesService({
    home,
    secrets,
    events,
    sshTimeoutMs: options.sshTimeoutMs ?? 15_000,
    now,
    // `watch` is created below; this runs only on calls, after it exists.
    clusterOf: (address, port) => watch.clusterOf(address, port),
  });
  const agents = createAgentsService({
    events,
    machines,
    now,
    ...(options.agentBundlePath ? { agentBundlePath: options.agentBundlePath } : {}),
  });
  // History subscribes before the watch starts, so it records the very first notices.
  const history = createHistoryService({ home, events, now, machines });
  // Push alerts for monitor notices (channels not sent by the agents), and channel settings for the agents.
  const alerts = createAlertsService({ home, secrets, events, now, machines });
  const watch = createWatchService({
    home,
    events,
    machines,
    now,
    ...(options.settleMs !== undefined ? { settleMs: options.settleMs } : {}),
    // The first snapshot reads the real machines, over the sessions the default streams use; a
    // replaced stream source (fake agents in tests) gets none. `status` is created below, used later.
    ...(options.openQuorumStream
      ? { openStream: options.openQuorumStream }
      : { snapshot: async (cluster: string) => status.readClusterStatus({ cluster }).then(toWatchStatus) }),
  });
  const ops = createOperationsService({
    home,
    events,
    machines,
    now,
    onClustersChanged: () => watch.refresh(),
    ...(options.agentBundlePath ? { agentBundlePath: options.agentBundlePath } : {}),
  });
  const maintenance = createMaintenanceService({
    home,
    connect: (machine) => machines.connect(machine),
    liveStatus: (cluster) => watch.clusterStatus({ cluster }),
    events,
    now,
  });
  // An adopted Proxmox cluster is followed for HA news at once (`ha` exists by the time this runs).
  const adopt = createAdoptService({
    home,
    machines,
    now,
    onClustersChanged: async () => {
      await Promise.all([watch.refresh(), ha.refresh()]);
    },
  });
  const ha = createHaService({
    home,
    events,
    now,
    connect: (machine) => machines.connect(machine),
    watch: options.watchOnStart ?? true,
    ...(options.haPollMs !== undefined ? { pollMs: options.haPollMs } : {}),
  });
  const pve = createPveService({ home, events, now, connect: (machine) => machines.connect(machine) });
  // HA notices go on the hub like the quorum ones: history records them, windows show them.
  if (options.watchOnStart ?? true) {
    // Start watching the clusters already known, so notifications work before any window asks.
    void watch.refresh();
    void ha.refresh();
  }
  const journal = fileJournalStore(home);
  /** A migration Quorate ran reports how it ended on the notice path (timeline, banner, push). */
  const migrateAndReport: ApiHandlers['pveMigrate'] = async (p) => {
    const r = await pve.pveMigrate(p);
    const t = r.ok ? migrationNoticeText(r.value) : null;
    if (t) {
      const notice: Notice = { ...t, cluster: p.cluster, at: now() };
      events.emit('onDidNotify', notice);
      events.emit('onDidAddTimelineEntry', {
        cluster: notice.cluster,
        at: notice.at,
        severity: notice.severity,
        text: notice.title,
      });
    }
    return r;
  };
  const opsContext = (onEvent?: (e: StepEvent) => void): OpsContext => ({
    connect: (machine) => machines.connect(machine),
    home,
    journal,
    ...(onEvent ? { onEvent } : {}),
  });
  // The one status reader: `quorate status`, and the window's snapshot until an agent reports.
  const status = createStatusService({ context: () => opsContext(), now });

  const handlers: ApiHandlers = {
    listMachines: () => machines.listMachines(),
    addMachine: (p) => machines.addMachine(p),
    trustMachine: (p) => machines.trustMachine(p),
    removeMachine: (p) => machines.removeMachine(p),
    rememberSecretsForSession: async () => {
      secrets.keepInMemory();
      return ok(null);
    },
    bootstrap: (p) => agents.bootstrap(p),
    listNetworks: (p) => ops.listNetworks(p),
    runPreflight: (p) => ops.runPreflight(p),
    planCreateCluster: (p) => ops.planCreateCluster(p),
    planJoinCluster: (p) => ops.planJoinCluster(p),
    planRemoveNode: (p) => ops.planRemoveNode(p),
    planSetupQdevice: (p) => ops.planSetupQdevice(p),
    planRemoveQdevice: (p) => ops.planRemoveQdevice(p),
    planChangeLink: (p) => ops.planChangeLink(p),
    planSetExpected: (p) => ops.planSetExpected(p),
    runPlan: (p) => ops.runPlan(p),
    resumePlan: (p) => ops.resumePlan(p),
    rollBackPlan: (p) => ops.rollBackPlan(p),
    runUnfinished: (p) => ops.runUnfinished(p),
    findUnfinished: (p) => ops.findUnfinished(p),
    listClusters: () => watch.listClusters(),
    clusterStatus: (p) => watch.clusterStatus(p),
    readClusterStatus: (p) => status.readClusterStatus(p),
    whatIf: (p) => maintenance.whatIf(p),
    // The timeline and open notices come from the persisted history (they survive a restart).
    listTimeline: (p) => history.listTimeline(p),
    listNotices: () => history.listNotices(),
    listEvents: (p) => history.listEvents(p),
    readOperationJournal: (p) => history.readOperationJournal(p),
    setMaintenance: (p) => maintenance.setMaintenance(p),
    listMaintenance: (p) => maintenance.listMaintenance(p),
    listRegisteredClusters: () => adopt.listRegisteredClusters(),
    adoptCluster: (p) => adopt.adoptCluster(p),
    forgetCluster: (p) => adopt.forgetCluster(p),
    addAlertChannel: (p) => alerts.addAlertChannel(p),
    listAlertChannels: () => alerts.listAlertChannels(),
    removeAlertChannel: (p) => alerts.removeAlertChannel(p),
    testAlertChannel: (p) => alerts.testAlertChannel(p),
    rolling: (p) => maintenance.rolling(p),
    haStatus: (p) => ha.haStatus(p),
    haEnable: (p) => ha.haEnable(p),
    haAdd: (p) => ha.haAdd(p),
    haRemove: (p) => ha.haRemove(p),
    haMove: (p) => ha.haMove(p),
    haStandby: (p) => ha.haStandby(p),
    haRequirements: (p) => ha.haRequirements(p),
    haSet: (p) => ha.haSet(p),
    pveGuests: (p) => pve.pveGuests(p),
    pveMigrate: (p) => migrateAndReport(p),
    quorumWait: (p) => maintenance.quorumWait(p),
  };
  return {
    handlers,
    events,
    machines,
    agents,
    opsContext,
    async dispose() {
      watch.dispose();
      history.dispose();
      // A one-shot CLI command (a migration's end) may have an alert on its way: give it a moment.
      await Promise.race([alerts.idle(), new Promise((r) => setTimeout(r, DISPOSE_ALERT_WAIT_MS).unref())]);
      alerts.dispose();
      await history.flushed();
      await ha.dispose();
      await machines.closeSessions();
    },
  };
}

/** The service as transports serve it: contract validators and events, service handlers. */
export function endpointFor(service: QuorateService): ApiEndpoint {
  return {
    validators: apiMethods as unknown as Readonly<Record<string, (params: unknown) => Result<unknown>>>,
    handlers: service.handlers as unknown as Readonly<Record<string, RpcHandler>>,
    events: apiEvents,
    subscribe: (emit) => service.events.subscribe(emit),
    dispose: () => service.dispose(),
  };
}

/** `createQuorateService` + `endpointFor`: what `quorate ui` and Electron main serve. */
export function createApiEndpoint(options: ServiceOptions = {}): ApiEndpoint {
  return endpointFor(createQuorateService(options));
}

/** The one-shot read as the watch service shows it (without where it was read). */
function toWatchStatus(r: Result<ClusterSnapshot>): Result<ClusterStatus> {
  return r.ok ? ok(statusOfSnapshot(r.value)) : r;
}
