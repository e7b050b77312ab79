import { describe, expect, it } from 'vitest';
import { encodeLine, LineDecoder, MAX_LINE_BYTES } from '../../../engine/agent/framing';

function decodeAll(chunks: (string | Uint8Array)[]): { messages: unknown[]; errors: string[] } {
  const messages: unknown[] = [];
  const errors: string[] = [];
  const d = new LineDecoder({ onMessage: (m) => messages.push(m), onError: (e) => errors.push(e) });
  for (const c of chunks) {
    d.push(c);
  }
  return { messages, errors };
}

describe('LineDecoder', () => {
  it('reassembles messages split anywhere, including inside a UTF-8 character', () => {
    const bytes = new TextEncoder().encode(encodeLine({ id: 1, name: 'nœud-ü' }) + encodeLine({ id: 2 }));
    for (let cut = 1; cut < bytes.length; cut++) {
      const { messages, errors } = decodeAll([bytes.slice(0, cut), bytes.slice(cut)]);
      expect(errors).toEqual([]);
      expect(messages).toEqual([{ id: 1, name: 'nœud-ü' }, { id: 2 }]);
    }
  });

  it('reports a non-JSON line and keeps decoding the next one', () => {
    const { messages, errors } = decodeAll(['{oops\n', '\n', '{"id":3}\n']);
    expect(messages).toEqual([{ id: 3 }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/not JSON/);
  });

  it('drops an over-long line once and recovers at the next newline', () => {
    const big = 'x'.repeat(MAX_LINE_BYTES + 10);
    const { messages, errors } = decodeAll([big, 'yyy', '\n{"id":4}\n']);
    expect(errors).toHaveLength(1);
    expect(messages).toEqual([{ id: 4 }]);
  });

  it('never emits a raw newline inside one encoded message', () => {
    expect(encodeLine({ text: 'a\nb' }).split('\n')).toHaveLength(2);
  });
});

describe('LineDecoder is linear in its input', () => {
  it('examines each character once for 4 MiB without a newline in 1 KiB chunks', () => {
    const errors: string[] = [];
    const d = new LineDecoder({ onMessage: () => {}, onError: (e) => errors.push(e) }, { maxLine: 8 * 1024 * 1024 });
    const chunk = 'x'.repeat(1024);
    for (let i = 0; i < 4096; i++) {
      d.push(chunk);
    }
    d.push('\n');
    expect(d.scanned).toBe(4 * 1024 * 1024 + 1);
    expect(errors).toHaveLength(1); // 4 MiB of x is not JSON: one error, for the one line
  });

  it('examines each character once for many short lines in one big chunk', () => {
    const messages: unknown[] = [];
    const d = new LineDecoder({ onMessage: (m) => messages.push(m), onError: () => {} });
    const text = encodeLine({ id: 1 }).repeat(100_000);
    d.push(text);
    expect(messages).toHaveLength(100_000);
    expect(d.scanned).toBe(text.length);
  });

  it('says clearly that a line was too long, once, and keeps no memory of it', () => {
    const errors: string[] = [];
    const messages: unknown[] = [];
    const d = new LineDecoder({ onMessage: (m) => messages.push(m), onError: (e) => errors.push(e) }, { maxLine: 100 });
    for (let i = 0; i < 50; i++) {
      d.push('y'.repeat(10));
    }
    d.push('\n{"id":5}\n');
    expect(errors).toEqual([
      'a line longer than 100 characters arrived without a newline; it was dropped up to the next newline',
    ]);
    expect(messages).toEqual([{ id: 5 }]);
  });
});
