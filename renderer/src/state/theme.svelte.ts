/** Light, dark, or whatever the system prefers; remembered in localStorage. */
export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'quorate.theme';

export class Theme {
  choice = $state<ThemeChoice>(readChoice());

  /** The next choice in the toggle's cycle. */
  readonly next = $derived<ThemeChoice>(
    this.choice === 'system' ? 'light' : this.choice === 'light' ? 'dark' : 'system',
  );

  toggle(): void {
    this.choice = this.next;
    try {
      localStorage.setItem(KEY, this.choice);
    } catch {
      // Storage may be disabled; the choice then lasts for this window only.
    }
  }
}

function readChoice(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}
