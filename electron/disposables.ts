/**
 * Everything main sets up is released on quit through one store (VS Code's `DisposableStore`):
 * listeners, the tray, IPC handlers, the engine.
 */

export type Disposable = () => void | Promise<void>;

export class DisposableStore {
  readonly #items: Disposable[] = [];
  #disposed = false;

  /** Adds `d`; when the store is already disposed, runs it at once. */
  add(d: Disposable): void {
    if (this.#disposed) {
      void d();
    } else {
      this.#items.push(d);
    }
  }

  /** Runs every disposable, last added first; one failing does not stop the others. */
  async dispose(): Promise<void> {
    if (this.#disposed) {
      return;
    }
    this.#disposed = true;
    for (const d of this.#items.reverse()) {
      try {
        await d();
      } catch (e) {
        console.error('quorate: error while shutting down:', e);
      }
    }
    this.#items.length = 0;
  }
}
