/**
 * Where the agent keeps state that must survive its restarts: root-only, 0700 folder, 0600 files.
 * /var/lib, not /run (a tmpfs), so the journal also survives a reboot. Uninstall removes all of it
 * (engine/bootstrap/scripts.ts lists these in AGENT_FILES / AGENT_DIRS).
 */
export const AGENT_STATE_DIR = '/var/lib/quorate-agent';
/** Quorum and membership changes, one JSON line each, bounded. */
export const AGENT_JOURNAL_FILE = 'journal.jsonl';
/** The last view the journal compared against, so a change during an agent restart is still seen. */
export const AGENT_VIEW_FILE = 'view.json';
/** Alert channels pushed by the desktop, secrets included: 0600. */
export const AGENT_ALERTS_FILE = 'alerts.json';
/** Which events this node already sent (de-duplication across its restarts). */
export const AGENT_SENT_FILE = 'alerts-sent.json';
