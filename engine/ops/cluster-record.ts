/**
 * The shape of a cluster's record in the registry (`registry.fs.ts` reads and writes it), kept apart
 * from the file code so the contract, which the renderer type-checks, can name it without Node.
 */
import type { ProviderName } from './plans';

export interface ClusterRecord {
  readonly name: string;
  readonly provider: ProviderName;
  /** node name → machine address. */
  readonly nodes: Readonly<Record<string, string>>;
  readonly qnetd?: { readonly machine: string; readonly host: string };
  /** Nodes removed while unreachable (name → machine): their old cluster files still wait to be moved aside. */
  readonly removed?: Readonly<Record<string, string>>;
  /** Set for a cluster Quorate did not create (engine/api/service-adopt.ts): read from which machine, when (ISO 8601). */
  readonly adopted?: { readonly from: string; readonly at: string };
}

/** A record file that could not be loaded: which, why, and how to repair it. */
export interface DamagedRecord {
  readonly path: string;
  readonly message: string;
  readonly hint: string;
}
