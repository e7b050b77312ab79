/** Splits engine text on backticks so `commands` in hints render as code: odd parts are code. */
export function inlineCode(text: string): { text: string; code: boolean }[] {
  return text
    .split('`')
    .map((part, i) => ({ text: part, code: i % 2 === 1 }))
    .filter((p) => p.text.length > 0);
}
