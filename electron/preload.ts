/**
 * The preload: `window.quorate` = exactly the contract's methods plus `on(event, fn, { signal })`,
 * built by the contract's own `createQuorateApi` over an RPC client on one IPC channel. Nothing else
 * of Electron or Node reaches the page. It runs sandboxed, bundled whole by build/build.js.
 * (https://www.electronjs.org/docs/latest/tutorial/context-isolation)
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createQuorateApi } from '../engine/api/contract';
import { createRpcClient } from '../engine/api/rpc';
import { createPreloadTransport, isQuorateChannel, CHANNELS } from './transport.electron';

if (!isQuorateChannel(CHANNELS.message)) {
  throw new Error('quorate preload: refusing a channel outside quorate:*');
}

const client = createRpcClient(createPreloadTransport(ipcRenderer));

// An AbortSignal from the page does not survive the context bridge (it is not cloneable), so `on`
// also returns its unsubscribe function; the signal is honoured when it does arrive intact.
const api = createQuorateApi(
  (method, params) => client.call(method, params),
  (event, listener, options) => {
    const signal = options?.signal;
    const usable = signal && typeof signal.addEventListener === 'function' ? { signal } : undefined;
    return client.on(event, listener, usable);
  },
);

contextBridge.exposeInMainWorld('quorate', api);
