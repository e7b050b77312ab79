/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { QuorateWindowApi } from '../../engine/api/contract';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser tab until `connect.ts` builds it. */
    quorate?: QuorateWindowApi;
  }
}
