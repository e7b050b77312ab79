/**
 * A Proxmox task log as it arrives in chunks (qm / pct migrate print theirs on stdout): whole lines
 * out, blank ones dropped, a last line without its newline given by `end()`. Pure; fed by the SSH
 * adapter's progress callback (STYLE.md item 10).
 */
export interface TaskLogLines {
  push(chunk: string): void;
  /** Emits what is left of an unfinished last line. */
  end(): void;
}

export function taskLogLines(onLine: (line: string) => void): TaskLogLines {
  let rest = '';
  const emit = (l: string): void => {
    const t = l.replace(/\r$/, '');
    if (t.trim()) {
      onLine(t);
    }
  };
  return {
    push(chunk) {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      parts.forEach(emit);
    },
    end() {
      emit(rest);
      rest = '';
    },
  };
}

/** The line that says why a migration failed: qemu-server's last `ERROR:` line, else the last line. */
export function failureReason(lines: readonly string[]): string | null {
  const errors = lines.filter((l) => /\bERROR:/.test(l));
  const last = errors[errors.length - 1] ?? lines[lines.length - 1];
  return last ? last.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+/, '').replace(/^ERROR:\s*/, '') : null;
}
