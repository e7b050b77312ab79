export { quorateHome } from './paths';
export {
  STATE_SCHEMA_VERSION,
  emptyState,
  findMachines,
  machineId,
  parseState,
  passphraseAccount,
  removeMachines,
  secretAccount,
  splitMachineName,
  upsertMachine,
} from './state';
export type { MachineAuthKind, MachineRecord, QuorateState } from './state';
export { defaultHome, ensureHome, readState, statePath, updateState, writeFileAtomic } from './state.fs';
export { KEYRING_SERVICE, keyringHint, keyringSecrets, memorySecrets } from './secrets.keyring';
export type { SecretStore } from './secrets.keyring';
export { withSessionSecrets } from './secrets-session';
export type { SessionSecretStore } from './secrets-session';
export {
  HISTORY_LIMIT,
  appendHistory,
  emptyHistory,
  historyPath,
  localActor,
  mergeEntries,
  operationEntry,
  readHistory,
  recordOperation,
  updateHistory,
} from './history.fs';
export type { HistoryEntry, HistoryFile, HistorySeverity, OperationRecord } from './history.fs';
export { DamagedFileError, isDamagedFileError, parseJsonFile } from './damaged';
