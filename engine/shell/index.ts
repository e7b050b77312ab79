export { quote, quoteArgv, raw, RawShell, sh, ShellTemplateError } from './sh';
export type { ShellValue, ShellWord } from './sh';
