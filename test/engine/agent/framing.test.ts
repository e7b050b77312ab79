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
