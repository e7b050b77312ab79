/**
 * `Transport` over Electron IPC, one channel (`quorate:message`) each way. Main's side is bound to
 * one web contents; the preload's side to `ipcRenderer`. Messages are structured-cloned by
 * Electron; receivers still check their shape (`isWireMessage`).
 */
import type { IpcRenderer, WebContents } from 'electron';
import type { Transport, WireMessage } from '../engine/api/transport';
import { isWireMessage } from '../engine/api/transport';

/** Every channel the app uses; the preload refuses any other. */
export const CHANNELS = { message: 'quorate:message' } as const;

export function isQuorateChannel(channel: string): boolean {
  return channel.startsWith('quorate:') && (Object.values(CHANNELS) as string[]).includes(channel);
}

/**
 * Main's end for one window. `deliver` is called by the IPC bridge with messages it has already
 * checked come from that window's main frame.
 */
export function createMainTransport(contents: WebContents): Transport & { deliver(message: unknown): void } {
  const messageListeners = new Set<(m: WireMessage) => void>();
  const closeListeners = new Set<() => void>();
  let closed = false;
  const close = (): void => {
    if (closed) {
      return;
    }
    closed = true;
    for (const l of [...closeListeners]) {
      l();
    }
    messageListeners.clear();
    closeListeners.clear();
  };
  contents.once('destroyed', close);
  return {
    send(message) {
      if (!closed && !contents.isDestroyed()) {
        contents.send(CHANNELS.message, message);
      }
    },
    deliver(message) {
      if (!closed && isWireMessage(message)) {
        for (const l of [...messageListeners]) {
          l(message);
        }
      }
    },
    onMessage(listener) {
      messageListeners.add(listener);
      return () => messageListeners.delete(listener);
    },
    onClose(listener) {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    close,
  };
}

/** The preload's end. */
export function createPreloadTransport(ipc: IpcRenderer): Transport {
  const messageListeners = new Set<(m: WireMessage) => void>();
  const closeListeners = new Set<() => void>();
  let closed = false;
  ipc.on(CHANNELS.message, (_event, message: unknown) => {
    if (!closed && isWireMessage(message)) {
      for (const l of [...messageListeners]) {
        l(message);
      }
    }
  });
  return {
    send(message) {
      if (!closed) {
        ipc.send(CHANNELS.message, message);
      }
    },
    onMessage(listener) {
      messageListeners.add(listener);
      return () => messageListeners.delete(listener);
    },
    onClose(listener) {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    close() {
      if (closed) {
        return;
      }
      closed = true;
      ipc.removeAllListeners(CHANNELS.message);
      for (const l of [...closeListeners]) {
        l();
      }
    },
  };
}
